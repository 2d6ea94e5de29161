import { describe, expect, it } from 'vitest';
import { isVirtqError } from '../../../src/lib/virtio/errors.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import {
  DESC_OFF_FLAGS,
  PackedDriverQueue,
  readEventSuppression,
  readPackedDesc,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  slotAddr,
  usedFlags,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  writeEventSuppression,
} from '../../../src/lib/virtio/packed/index.ts';
import { avail, getDesc, packedLayout, putDesc, type PackedLayout } from '../../support/packed-harness.ts';

const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;

function setup(size = 8, features = 0n): { l: PackedLayout; drv: PackedDriverQueue } {
  const l = packedLayout(size);
  return { l, drv: new PackedDriverQueue(l.mem, l.config, features, { indirectArea: l.indirectArea }) };
}

/** What a device does to return a buffer: one used descriptor at `slot`. */
function putUsed(l: PackedLayout, slot: number, id: number, len: number, wrap = true): void {
  putDesc(l, slot, { addr: 0, len, id, flags: usedFlags(wrap) | (len > 0 ? WRITE : 0) });
}

const buf = (addr: number, len: number, writable = false) => ({ addr, len, writable });

describe('PackedDriverQueue: setting up the ring', () => {
  it('§2.8.13 zeroes the descriptor ring and sets both suppression structures to ENABLE', () => {
    const l = packedLayout(4);
    l.mem.write(0, new Uint8Array(l.memSize).fill(0xff));
    new PackedDriverQueue(l.mem, l.config, 0n);
    expect(Array.from(l.mem.read(l.config.descAddr, 64)).every((b) => b === 0)).toBe(true);
    expect(readEventSuppression(l.mem, l.config.driverAddr).flags).toBe(RING_EVENT_FLAGS_ENABLE);
    expect(readEventSuppression(l.mem, l.config.deviceAddr).flags).toBe(RING_EVENT_FLAGS_ENABLE);
  });
});

describe('PackedDriverQueue.add (§2.8.21.1)', () => {
  it('§2.8.21.1 one element: addr, len, buffer ID and flags with AVAIL = driver wrap counter, USED inverse', () => {
    const { l, drv } = setup();
    const id = drv.add([buf(l.dataAddr, 16, true)]);
    expect(getDesc(l, 0)).toEqual({ addr: BigInt(l.dataAddr), len: 16, id, flags: avail(true) | WRITE });
    expect(drv.numFree()).toBe(7);
  });

  it('§2.8.6 a list sets NEXT on all but the last element and carries the buffer ID in the last', () => {
    const { l, drv } = setup();
    const id = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr + 1, 2, true), buf(l.dataAddr + 3, 3, true)]);
    expect([0, 1, 2].map((s) => getDesc(l, s).flags)).toEqual([avail() | NEXT, avail() | NEXT | WRITE, avail() | WRITE]);
    expect(getDesc(l, 2).id).toBe(id);
    expect(drv.numFree()).toBe(5);
  });

  it('§2.8.21.1 the head descriptor flags are written last, after every other descriptor of the list', () => {
    const writes: number[] = [];
    class LoggingMemory extends GuestMemory {
      override writeU16(addr: number, v: number): void {
        writes.push(addr);
        super.writeU16(addr, v);
      }
    }
    const l = packedLayout(8);
    const mem = new LoggingMemory([{ base: 0, bytes: new Uint8Array(l.memSize) }]);
    const drv = new PackedDriverQueue(mem, l.config, 0n);
    writes.length = 0;
    drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1, true)]);
    const headFlags = slotAddr(l.config.descAddr, 0) + DESC_OFF_FLAGS;
    expect(writes[writes.length - 1]).toBe(headFlags);
    expect(writes.filter((a) => a === headFlags)).toHaveLength(1);
  });

  it('§2.8.1 descriptors past the end of the ring carry the flipped driver wrap counter', () => {
    const { l, drv } = setup(4);
    drv.add([buf(l.dataAddr, 1)]);
    drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, 0, 0);
    putUsed(l, 1, 1, 0);
    expect(drv.pollUsed()).not.toBeNull();
    expect(drv.pollUsed()).not.toBeNull();
    drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1, true)]);
    expect([2, 3, 0, 1].map((s) => getDesc(l, s).flags)).toEqual([
      avail(true) | NEXT,
      avail(true) | NEXT,
      avail(false) | NEXT,
      avail(false) | WRITE,
    ]);
    expect(drv.nextAvail()).toEqual({ offset: 2, wrap: false });
  });

  it('§2.8.7 an indirect buffer takes one slot; its table entries carry only WRITE', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_INDIRECT_DESC));
    const id = drv.add([buf(l.dataAddr, 4), buf(l.dataAddr + 4, 8, true)], { indirect: true });
    const d = getDesc(l, 0);
    expect(d.flags).toBe(avail() | VIRTQ_DESC_F_INDIRECT);
    expect(d.len).toBe(32);
    expect(d.id).toBe(id);
    const table = Number(d.addr);
    expect(table).toBeGreaterThanOrEqual(l.indirectArea.addr);
    expect(readPackedDesc(l.mem, table)).toEqual({ addr: BigInt(l.dataAddr), len: 4, id: 0, flags: 0 });
    expect(readPackedDesc(l.mem, table + 16)).toEqual({ addr: BigInt(l.dataAddr + 4), len: 8, id: 0, flags: WRITE });
    expect(drv.numFree()).toBe(7);
  });

  it('§2.8.7 indirect table space is reused once the buffer is returned', () => {
    const l = packedLayout(8, { indirectSize: 64 });
    const drv = new PackedDriverQueue(l.mem, l.config, featureSet(VIRTIO_F_INDIRECT_DESC), { indirectArea: l.indirectArea });
    const four = [0, 1, 2, 3].map((i) => buf(l.dataAddr + i, 1));
    const id = drv.add(four, { indirect: true });
    expect(() => drv.add([buf(l.dataAddr, 1)], { indirect: true })).toThrow(/indirect table/);
    putUsed(l, 0, id, 0);
    expect(drv.pollUsed()).toEqual({ id, len: 0 });
    expect(() => drv.add(four, { indirect: true })).not.toThrow();
  });

  it('§2.8.19 refuses indirect without VIRTIO_F_INDIRECT_DESC or without a scratch area', () => {
    const { l, drv } = setup(8, 0n);
    expect(() => drv.add([buf(l.dataAddr, 1)], { indirect: true })).toThrow(/VIRTIO_F_INDIRECT_DESC/);
    const l2 = packedLayout(8);
    const noArea = new PackedDriverQueue(l2.mem, l2.config, featureSet(VIRTIO_F_INDIRECT_DESC));
    expect(() => noArea.add([buf(l2.dataAddr, 1)], { indirect: true })).toThrow(/indirectArea/);
  });

  it('§2.8.17 refuses a list that does not fit, is longer than the queue, is empty, or puts writable before readable', () => {
    const { l, drv } = setup(4);
    drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1)]);
    expect(() => drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1)])).toThrow(/slots needed/);
    expect(() => drv.add([1, 2, 3, 4, 5].map(() => buf(l.dataAddr, 1)))).toThrow(RangeError);
    expect(() => drv.add([])).toThrow(RangeError);
    expect(() => drv.add([buf(l.dataAddr, 1, true), buf(l.dataAddr, 1)])).toThrow(/precede/);
    expect(drv.numFree()).toBe(1);
  });

  it('buffer IDs of outstanding buffers are distinct and below the queue size', () => {
    const { l, drv } = setup(8);
    const ids = Array.from({ length: 8 }, () => drv.add([buf(l.dataAddr, 1)]));
    expect(new Set(ids).size).toBe(8);
    expect(ids.every((id) => id >= 0 && id < 8)).toBe(true);
  });
});

describe('PackedDriverQueue.pollUsed (§2.8.22)', () => {
  it('returns null when nothing was used, then the ID and length of a used buffer', () => {
    const { l, drv } = setup();
    expect(drv.pollUsed()).toBeNull();
    const id = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 64, true)]);
    expect(drv.pollUsed()).toBeNull();
    putUsed(l, 0, id, 17);
    expect(drv.pollUsed()).toEqual({ id, len: 17 });
    expect(drv.numFree()).toBe(8);
    expect(drv.pollUsed()).toBeNull();
  });

  it('§2.8.4 the length of a used descriptor without WRITE counts as 0', () => {
    const { l, drv } = setup();
    const id = drv.add([buf(l.dataAddr, 64, true)]);
    putDesc(l, 0, { addr: 0, len: 99, id, flags: usedFlags(true) });
    expect(drv.pollUsed()).toEqual({ id, len: 0 });
  });

  it('§2.8.6 skips the slots of the returned list to find the next used descriptor', () => {
    const { l, drv } = setup();
    const a = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1)]);
    const b = drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, b, 0); // b finished first, written at slot 0, one slot
    putUsed(l, 1, a, 0); // then a at slot 1, three slots
    expect(drv.pollUsed()?.id).toBe(b);
    expect(drv.pollUsed()?.id).toBe(a);
    const c = drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 4, c, 0);
    expect(drv.pollUsed()?.id).toBe(c);
  });

  it('[AVP-VQ-21] §2.8.22 USED_ID_INVALID: the device names a buffer ID that is not outstanding, and the error sticks', () => {
    const { l, drv } = setup();
    drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, 5, 0);
    let code: unknown;
    try {
      drv.pollUsed();
    } catch (e) {
      code = isVirtqError(e) ? e.code : e;
    }
    expect(code).toBe('USED_ID_INVALID');
    expect(() => drv.pollUsed()).toThrow(/USED_ID_INVALID/);
    expect(() => drv.add([buf(l.dataAddr, 1)])).toThrow(/USED_ID_INVALID/);
  });

  it('[AVP-VQ-21] §2.8.22 USED_ID_INVALID: a buffer ID at or above the queue size', () => {
    const { l, drv } = setup();
    drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, 0x8000, 0);
    expect(() => drv.pollUsed()).toThrow(/USED_ID_INVALID/);
  });

  it('[AVP-VQ-8] §2.8.8 with VIRTIO_F_IN_ORDER one used descriptor returns every earlier buffer, in order, written in full', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    const a = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 10, true)]);
    const b = drv.add([buf(l.dataAddr, 1)]);
    const c = drv.add([buf(l.dataAddr, 30, true)]);
    const d = drv.add([buf(l.dataAddr, 30, true)]);
    putUsed(l, 0, c, 5);
    expect(drv.pollUsed()).toEqual({ id: a, len: 10 });
    expect(drv.pollUsed()).toEqual({ id: b, len: 0 });
    expect(drv.pollUsed()).toEqual({ id: c, len: 5 });
    expect(drv.pollUsed()).toBeNull();
    expect(drv.numFree()).toBe(7);
    putUsed(l, 4, d, 30);
    expect(drv.pollUsed()).toEqual({ id: d, len: 30 });
  });
});

describe('PackedDriverQueue notifications (§2.8.10, §2.8.21.2)', () => {
  it('§2.8.21.2 device ENABLE: kick after adding, not when nothing was added', () => {
    const { l, drv } = setup();
    expect(drv.kickNeeded()).toBe(false);
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(true);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('§2.8.21.2 device DISABLE: no kick', () => {
    const { l, drv } = setup();
    writeEventSuppression(l.mem, l.config.deviceAddr, { flags: RING_EVENT_FLAGS_DISABLE, offset: 0, wrap: false });
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('§2.8.10 device DESC with VIRTIO_F_EVENT_IDX: kick only when the named slot is made available', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_EVENT_IDX));
    writeEventSuppression(l.mem, l.config.deviceAddr, { flags: RING_EVENT_FLAGS_DESC, offset: 3, wrap: true });
    drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(false);
    drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1)]); // slots 2 and 3
    expect(drv.kickNeeded()).toBe(true);
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('§2.8.10 setInterruptsEnabled writes DISABLE, ENABLE, or DESC at the next used slot with VIRTIO_F_EVENT_IDX', () => {
    const plain = setup();
    plain.drv.setInterruptsEnabled(false);
    expect(readEventSuppression(plain.l.mem, plain.l.config.driverAddr).flags).toBe(RING_EVENT_FLAGS_DISABLE);
    plain.drv.setInterruptsEnabled(true);
    expect(readEventSuppression(plain.l.mem, plain.l.config.driverAddr).flags).toBe(RING_EVENT_FLAGS_ENABLE);
    const ev = setup(4, featureSet(VIRTIO_F_EVENT_IDX));
    const ids = [0, 1, 2].map(() => ev.drv.add([buf(ev.l.dataAddr, 1)]));
    ids.forEach((id, slot) => putUsed(ev.l, slot, id, 0));
    while (ev.drv.pollUsed());
    const two = ev.drv.add([buf(ev.l.dataAddr, 1), buf(ev.l.dataAddr, 1)]); // slots 3 and 0 (lap 2)
    putUsed(ev.l, 3, two, 0);
    expect(ev.drv.pollUsed()?.id).toBe(two);
    ev.drv.setInterruptsEnabled(true);
    expect(readEventSuppression(ev.l.mem, ev.l.config.driverAddr)).toEqual({ flags: RING_EVENT_FLAGS_DESC, offset: 1, wrap: false });
  });
});

describe('PackedDriverQueue buffer IDs and in-order batches', () => {
  it('§2.8.8 the ID of a batch result not yet handed out by pollUsed() is not given to a new buffer', () => {
    const { l, drv } = setup(2, featureSet(VIRTIO_F_IN_ORDER));
    const a = drv.add([buf(l.dataAddr, 1)]);
    const b = drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, b, 0); // one descriptor for both
    expect(drv.pollUsed()).toEqual({ id: a, len: 0 });
    expect(drv.numFree()).toBe(2); // both slots are free again
    const c = drv.add([buf(l.dataAddr, 1)]);
    expect(c).not.toBe(b);
    expect(() => drv.add([buf(l.dataAddr, 1)])).toThrow(/no free buffer ID/);
    expect(drv.pollUsed()).toEqual({ id: b, len: 0 });
    expect(drv.add([buf(l.dataAddr, 1)])).toBe(b);
  });
});
