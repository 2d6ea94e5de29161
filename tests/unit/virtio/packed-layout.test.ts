import { describe, expect, it } from 'vitest';
import { isVirtqError, VIRTQ_ERROR_CODES } from '../../../src/lib/virtio/errors.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import {
  checkPackedLayout,
  DESC_RING_ALIGN,
  descRingBytes,
  EVENT_SUPPRESS_ALIGN,
  EVENT_SUPPRESS_SIZE,
  isValidPackedQueueSize,
  PACKED_DESC_SIZE,
  PACKED_QUEUE_SIZE_MAX,
  PackedDeviceQueue,
  PackedDriverQueue,
  readPackedDesc,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  writePackedDescBody,
  writePackedDescFlags,
} from '../../../src/lib/virtio/packed/index.ts';
import { packedLayout } from '../../support/packed-harness.ts';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isVirtqError(e) ? String(e.code) : `not a VirtqError: ${String(e)}`;
  }
  return undefined;
}

describe('packed ring layout (§2.8.13, §2.8.14, §2.8.10.1)', () => {
  it('§2.8.13 descriptor is 16 bytes: le64 addr, le32 len, le16 id, le16 flags', () => {
    expect(PACKED_DESC_SIZE).toBe(16);
    const mem = GuestMemory.create(64);
    writePackedDescBody(mem, 16, { addr: 0x0102030405060708n, len: 0x11223344, id: 0x5566 });
    writePackedDescFlags(mem, 16, 0x8182);
    const bytes = Array.from(mem.read(16, 16));
    expect(bytes).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x82, 0x81]);
    expect(readPackedDesc(mem, 16)).toEqual({ addr: 0x0102030405060708n, len: 0x11223344, id: 0x5566, flags: 0x8182 });
  });

  it('§2.8.1, §2.8.6, §2.8.7, §2.8.3 flag bits: NEXT=1, WRITE=2, INDIRECT=4, AVAIL=bit 7, USED=bit 15', () => {
    expect([VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT]).toEqual([1, 2, 4]);
    expect(VIRTQ_DESC_F_AVAIL).toBe(0x80);
    expect(VIRTQ_DESC_F_USED).toBe(0x8000);
  });

  it('§2.8.14 event suppression is 4 bytes with flags ENABLE=0, DISABLE=1, DESC=2', () => {
    expect(EVENT_SUPPRESS_SIZE).toBe(4);
    expect([RING_EVENT_FLAGS_ENABLE, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_DESC]).toEqual([0, 1, 2]);
  });

  it('§2.8.10.1 alignments: descriptor ring 16, suppression structures 4; ring is 16 * size bytes', () => {
    expect(DESC_RING_ALIGN).toBe(16);
    expect(EVENT_SUPPRESS_ALIGN).toBe(4);
    expect(descRingBytes(3)).toBe(48);
  });

  it('[AVP-VQ-3] §2.8 queue size: 1..32768, not necessarily a power of 2', () => {
    expect(PACKED_QUEUE_SIZE_MAX).toBe(32768);
    for (const ok of [1, 2, 3, 7, 100, 32767, 32768]) expect(isValidPackedQueueSize(ok)).toBe(true);
    for (const bad of [0, -1, 32769, 65536, 1.5, Number.NaN]) expect(isValidPackedQueueSize(bad)).toBe(false);
  });
});

describe('checkPackedLayout: QUEUE_SIZE_INVALID, ADDR_OUT_OF_RANGE, RING_MISALIGNED', () => {
  const l = packedLayout(8);

  it('accepts the harness layout', () => {
    expect(codeOf(() => checkPackedLayout(l.mem, l.config))).toBeUndefined();
  });

  it('[AVP-VQ-12] §2.8 QUEUE_SIZE_INVALID for size 0 and 32769', () => {
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, size: 0 }))).toBe('QUEUE_SIZE_INVALID');
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, size: 32769 }))).toBe('QUEUE_SIZE_INVALID');
  });

  it('[AVP-VQ-12] ADDR_OUT_OF_RANGE when any ring part leaves guest memory', () => {
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, descAddr: l.memSize - 16 * 7 }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, driverAddr: l.memSize - 2 }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, deviceAddr: l.memSize }))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, deviceAddr: -4 }))).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-VQ-12] §2.8.11 RING_MISALIGNED for a ring not 16-aligned or a suppression structure not 4-aligned', () => {
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, descAddr: l.config.descAddr + 8 }))).toBe('RING_MISALIGNED');
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, driverAddr: l.config.driverAddr + 2 }))).toBe('RING_MISALIGNED');
    expect(codeOf(() => checkPackedLayout(l.mem, { ...l.config, deviceAddr: l.config.deviceAddr + 1 }))).toBe('RING_MISALIGNED');
  });

  it('every code used is in the list of errors.ts', () => {
    for (const c of ['QUEUE_SIZE_INVALID', 'ADDR_OUT_OF_RANGE', 'RING_MISALIGNED', 'BUFFER_ID_IN_USE']) {
      expect(VIRTQ_ERROR_CODES as readonly string[]).toContain(c);
    }
  });

  it('[AVP-VQ-9] [AVP-VQ-10] [AVP-VQ-12] [AVP-VQ-22] the device records a bad layout instead of throwing, and pop() keeps returning it', () => {
    const dev = new PackedDeviceQueue(l.mem, { ...l.config, size: 40000 }, 0n);
    expect(dev.error?.code).toBe('QUEUE_SIZE_INVALID');
    for (let i = 0; i < 3; i++) {
      const r = dev.pop();
      expect(r.kind).toBe('error');
      if (r.kind === 'error') expect(r.error.code).toBe('QUEUE_SIZE_INVALID');
    }
    expect(dev.needsNotification()).toBe(false);
  });

  it('the driver refuses a bad layout with the same codes', () => {
    expect(codeOf(() => new PackedDriverQueue(l.mem, { ...l.config, size: 0 }, 0n))).toBe('QUEUE_SIZE_INVALID');
    expect(codeOf(() => new PackedDriverQueue(l.mem, { ...l.config, descAddr: 0x104 }, 0n))).toBe('RING_MISALIGNED');
    expect(
      codeOf(() => new PackedDriverQueue(l.mem, l.config, 0n, { indirectArea: { addr: l.memSize - 16, size: 32 } })),
    ).toBe('ADDR_OUT_OF_RANGE');
  });
});
