import { describe, expect, it } from 'vitest';
import { isVirtqError, VIRTQ_ERROR_CODES } from '../../../src/lib/virtio/errors.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { ringAreas } from '../../../src/lib/virtio/queue-factory.ts';
import {
  AVAIL_RING_ALIGN,
  availEventOffset,
  availRingBytes,
  checkSplitLayout,
  DESC_TABLE_ALIGN,
  descTableBytes,
  isValidSplitQueueSize,
  readAvailEntry,
  readAvailEvent,
  readAvailFlags,
  readAvailIdx,
  readSplitDesc,
  readUsedElem,
  readUsedEvent,
  readUsedIdx,
  SPLIT_DESC_SIZE,
  SPLIT_QUEUE_SIZE_MAX,
  SplitDeviceQueue,
  SplitDriverQueue,
  USED_ELEM_SIZE,
  USED_RING_ALIGN,
  usedEventOffset,
  usedRingBytes,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  writeAvailEntry,
  writeAvailIdx,
  writeSplitDesc,
  writeUsedElem,
  writeUsedEvent,
  writeAvailEvent,
  writeUsedIdx,
} from '../../../src/lib/virtio/split/index.ts';
import { splitLayout } from '../../support/split-harness.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isVirtqError(e) ? String(e.code) : `not a VirtqError: ${String(e)}`;
  }
  return undefined;
}

describe('split ring layout (§2.7, §2.7.5, §2.7.6, §2.7.8)', () => {
  it('§2.7.5 a descriptor is 16 bytes: le64 addr, le32 len, le16 flags, le16 next', () => {
    expect(SPLIT_DESC_SIZE).toBe(16);
    const mem = GuestMemory.create(32);
    writeSplitDesc(mem, 16, { addr: 0x1122_3344_5566_7788n, len: 0xaabbccdd, flags: 0x0102, next: 0x0304 });
    expect([...mem.read(16, 16)]).toEqual([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xdd, 0xcc, 0xbb, 0xaa, 0x02, 0x01, 0x04, 0x03]);
    expect(readSplitDesc(mem, 16)).toEqual({ addr: 0x1122_3344_5566_7788n, len: 0xaabbccdd, flags: 0x0102, next: 0x0304 });
  });

  it('§2.7.5 §2.7.7 §2.7.10 flag values: NEXT=1, WRITE=2, INDIRECT=4, NO_INTERRUPT=1, NO_NOTIFY=1', () => {
    expect([VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT]).toEqual([1, 2, 4]);
    expect(VIRTQ_AVAIL_F_NO_INTERRUPT).toBe(1);
    expect(VIRTQ_USED_F_NO_NOTIFY).toBe(1);
  });

  it('§2.7 sizes: table 16·n, available ring 6 + 2·n, used ring 6 + 8·n; alignments 16, 2, 4', () => {
    expect(descTableBytes(256)).toBe(4096);
    expect(availRingBytes(256)).toBe(518);
    expect(usedRingBytes(256)).toBe(2054);
    expect(USED_ELEM_SIZE).toBe(8);
    expect([DESC_TABLE_ALIGN, AVAIL_RING_ALIGN, USED_RING_ALIGN]).toEqual([16, 2, 4]);
    // used_event and avail_event are the last two bytes of their rings.
    expect(usedEventOffset(256) + 2).toBe(availRingBytes(256));
    expect(availEventOffset(256) + 2).toBe(usedRingBytes(256));
  });

  it('queue-factory ringAreas("split") agrees with the layout', () => {
    for (const n of [1, 2, 64, 32768]) {
      expect(ringAreas('split', n)).toEqual({
        desc: { bytes: descTableBytes(n), align: DESC_TABLE_ALIGN },
        driver: { bytes: availRingBytes(n), align: AVAIL_RING_ALIGN },
        device: { bytes: usedRingBytes(n), align: USED_RING_ALIGN },
      });
    }
  });

  it('§2.7.6 §2.7.8 ring fields sit where the structs put them, little-endian', () => {
    const l = splitLayout(4);
    const { mem, config } = l;
    writeAvailIdx(mem, config, 0x1234);
    writeAvailEntry(mem, config, 3, 0x0302);
    writeUsedEvent(mem, config, 0xbeef);
    mem.writeU16(config.driverAddr, 1);
    expect(mem.readU16(config.driverAddr + 2)).toBe(0x1234);
    expect(mem.readU16(config.driverAddr + 4 + 2 * 3)).toBe(0x0302);
    expect(mem.readU16(config.driverAddr + 4 + 2 * 4)).toBe(0xbeef);
    expect([readAvailFlags(mem, config), readAvailIdx(mem, config), readAvailEntry(mem, config, 3), readUsedEvent(mem, config)]).toEqual([
      1, 0x1234, 0x0302, 0xbeef,
    ]);
    writeUsedIdx(mem, config, 0xfffe);
    writeUsedElem(mem, config, 2, { id: 3, len: 0x01020304 });
    writeAvailEvent(mem, config, 0x4321);
    expect(mem.readU16(config.deviceAddr + 2)).toBe(0xfffe);
    expect(mem.readU32(config.deviceAddr + 4 + 8 * 2)).toBe(3);
    expect(mem.readU32(config.deviceAddr + 4 + 8 * 2 + 4)).toBe(0x01020304);
    expect(mem.readU16(config.deviceAddr + 4 + 8 * 4)).toBe(0x4321);
    expect([readUsedIdx(mem, config), readUsedElem(mem, config, 2), readAvailEvent(mem, config)]).toEqual([0xfffe, { id: 3, len: 0x01020304 }, 0x4321]);
  });

  it('[AVP-VQ-1] §2.7 queue size: a power of 2 from 1 to 32768', () => {
    expect(SPLIT_QUEUE_SIZE_MAX).toBe(32768);
    for (let n = 1; n <= 32768; n *= 2) expect(isValidSplitQueueSize(n)).toBe(true);
    for (const n of [0, 3, 6, 100, 255, 32767, 32769, 65536, -2, 2.5, NaN]) expect(isValidSplitQueueSize(n)).toBe(false);
  });
});

describe('checkSplitLayout: QUEUE_SIZE_INVALID, ADDR_OUT_OF_RANGE, RING_MISALIGNED', () => {
  const l = splitLayout(8);

  it('accepts the harness layout and the largest queue', () => {
    expect(codeOf(() => checkSplitLayout(l.mem, l.config))).toBeUndefined();
    const big = splitLayout(32768);
    expect(codeOf(() => checkSplitLayout(big.mem, big.config))).toBeUndefined();
  });

  it('[AVP-VQ-12] §2.7 QUEUE_SIZE_INVALID for 0, a size that is not a power of 2, and 65536', () => {
    for (const size of [0, 6, 65536]) expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, size }))).toBe('QUEUE_SIZE_INVALID');
  });

  it('[AVP-VQ-12] ADDR_OUT_OF_RANGE when any part leaves guest memory or is not a safe address', () => {
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, descAddr: l.memSize - 64 }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, driverAddr: l.memSize - 20 }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, deviceAddr: l.memSize - 68 }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, deviceAddr: -4 }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, deviceAddr: 2 ** 60 }))).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-VQ-12] §2.7.1 RING_MISALIGNED: table not 16-aligned, available ring odd, used ring not 4-aligned', () => {
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, descAddr: l.config.descAddr + 8 }))).toBe('RING_MISALIGNED');
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, driverAddr: l.config.driverAddr + 1 }))).toBe('RING_MISALIGNED');
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, deviceAddr: l.config.deviceAddr + 2 }))).toBe('RING_MISALIGNED');
    // The minimum alignments are enough: an available ring at an even, non-4 address is fine.
    expect(codeOf(() => checkSplitLayout(l.mem, { ...l.config, driverAddr: l.config.driverAddr + 2 }))).toBeUndefined();
  });

  it('every code used is in the list of errors.ts', () => {
    for (const c of ['QUEUE_SIZE_INVALID', 'ADDR_OUT_OF_RANGE', 'RING_MISALIGNED']) expect(VIRTQ_ERROR_CODES as readonly string[]).toContain(c);
  });

  it('[AVP-VQ-9] [AVP-VQ-10] [AVP-VQ-12] [AVP-VQ-22] the device records a bad layout instead of throwing, and pop() keeps returning it', () => {
    const dev = new SplitDeviceQueue(l.mem, { ...l.config, size: 12 }, 0n);
    expect(dev.error?.code).toBe('QUEUE_SIZE_INVALID');
    for (let i = 0; i < 3; i++) {
      const r = dev.pop();
      expect(r.kind).toBe('error');
      if (r.kind === 'error') expect(r.error.code).toBe('QUEUE_SIZE_INVALID');
    }
    expect(dev.needsNotification()).toBe(false);
    const mis = new SplitDeviceQueue(l.mem, { ...l.config, deviceAddr: l.config.deviceAddr + 2 }, 0n);
    expect(mis.error?.code).toBe('RING_MISALIGNED');
  });

  it('the driver refuses a bad layout with the same codes', () => {
    expect(codeOf(() => new SplitDriverQueue(l.mem, { ...l.config, size: 0 }, 0n))).toBe('QUEUE_SIZE_INVALID');
    expect(codeOf(() => new SplitDriverQueue(l.mem, { ...l.config, descAddr: 0x104 }, 0n))).toBe('RING_MISALIGNED');
    expect(codeOf(() => new SplitDriverQueue(l.mem, l.config, 0n, { indirectArea: { addr: l.memSize - 16, size: 32 } }))).toBe('ADDR_OUT_OF_RANGE');
  });
});
