import { describe, expect, it } from 'vitest';
import { isVirtqError } from '../../../src/lib/virtio/errors.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import {
  descAddrOf,
  readAvailEntry,
  readAvailFlags,
  readAvailIdx,
  readSplitDesc,
  readUsedEvent,
  SplitDriverQueue,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  writeAvailEvent,
  writeUsedElem,
  writeUsedFlags,
  writeUsedIdx,
} from '../../../src/lib/virtio/split/index.ts';
import { checkedSplitLayout, getDesc, splitLayout, type SplitLayout } from '../../support/split-harness.ts';

const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;

function setup(size = 8, features = 0n): { l: SplitLayout; drv: SplitDriverQueue } {
  const l = splitLayout(size);
  return { l, drv: new SplitDriverQueue(l.mem, l.config, features, { indirectArea: l.indirectArea }) };
}

/** What a device does to return buffers: elements from used entry `from`, then used idx. */
function putUsed(l: SplitLayout, from: number, elems: [id: number, len: number][], advance = elems.length): void {
  elems.forEach(([id, len], i) => writeUsedElem(l.mem, l.config, (from + i) % l.config.size, { id, len }));
  writeUsedIdx(l.mem, l.config, (from + advance) & 0xffff);
}

function codeOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return isVirtqError(e) ? e.code : e;
  }
  return undefined;
}

const buf = (addr: number, len: number, writable = false) => ({ addr, len, writable });

describe('SplitDriverQueue: setting up the ring', () => {
  it('§2.7.10.1 zeroes all three parts: both idx, both flags and both event indices start at 0', () => {
    const l = splitLayout(4);
    l.mem.write(0, new Uint8Array(l.memSize).fill(0xff));
    new SplitDriverQueue(l.mem, l.config, 0n);
    expect([...l.mem.read(l.config.descAddr, 64)].every((b) => b === 0)).toBe(true);
    expect([...l.mem.read(l.config.driverAddr, 6 + 2 * 4)].every((b) => b === 0)).toBe(true);
    expect([...l.mem.read(l.config.deviceAddr, 6 + 8 * 4)].every((b) => b === 0)).toBe(true);
  });
});

describe('SplitDriverQueue.add (§2.7.13)', () => {
  it('§2.7.13.1 one element: its descriptor, then the head in the next available entry, then avail idx', () => {
    const l = checkedSplitLayout(8);
    const drv = new SplitDriverQueue(l.mem, l.config, 0n);
    l.mem.writes.length = 0;
    const head = drv.add([buf(l.dataAddr, 64, true)]);
    expect(getDesc(l, head)).toEqual({ addr: BigInt(l.dataAddr), len: 64, flags: WRITE, next: 0 });
    expect(readAvailEntry(l.mem, l.config, 0)).toBe(head);
    expect(readAvailIdx(l.mem, l.config)).toBe(1);
    // §2.7.13.3: moving idx is the last write: it is what publishes the buffer.
    expect(l.mem.writes.at(-1)).toEqual([l.config.driverAddr + 2, 2]);
    expect(drv.numFree()).toBe(7);
  });

  it('§2.7.13.1 a chain sets NEXT and next on all but the last element, readable parts first', () => {
    const { l, drv } = setup();
    const head = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr + 8, 2), buf(l.dataAddr + 16, 3, true)]);
    const d0 = getDesc(l, head);
    const d1 = getDesc(l, d0.next);
    const d2 = getDesc(l, d1.next);
    expect([d0.flags, d1.flags, d2.flags]).toEqual([NEXT, NEXT, WRITE]);
    expect([d0.len, d1.len, d2.len]).toEqual([1, 2, 3]);
    expect(new Set([head, d0.next, d1.next]).size).toBe(3);
    expect(drv.numFree()).toBe(5);
  });

  it('[AVP-VQ-8] §2.7.5.2 with VIRTIO_F_IN_ORDER descriptors go in table order, next = x + 1, wrapping to 0', () => {
    const { l, drv } = setup(4, featureSet(VIRTIO_F_IN_ORDER));
    expect(drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1)])).toBe(0);
    putUsed(l, 0, [[0, 0]]);
    expect(drv.pollUsed()).toEqual({ id: 0, len: 0 });
    expect(drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1)])).toBe(3);
    expect(getDesc(l, 3)).toMatchObject({ flags: NEXT, next: 0 });
    expect(getDesc(l, 0)).toMatchObject({ flags: 0 });
  });

  it('§2.7.5.3 an indirect buffer takes one descriptor naming a table whose entries are linked 0 → 1 → …', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_INDIRECT_DESC));
    const head = drv.add([buf(l.dataAddr, 4), buf(l.dataAddr + 4, 12, true), buf(l.dataAddr + 16, 2, true)], { indirect: true });
    const d = getDesc(l, head);
    expect(d.flags).toBe(VIRTQ_DESC_F_INDIRECT);
    expect(d.len).toBe(48);
    const table = Number(d.addr);
    expect(table % 16).toBe(0);
    const entries = [0, 1, 2].map((i) => readSplitDesc(l.mem, descAddrOf(table, i)));
    expect(entries.map((e) => [e.len, e.flags, e.next])).toEqual([
      [4, NEXT, 1],
      [12, NEXT | WRITE, 2],
      [2, WRITE, 0],
    ]);
    expect(drv.numFree()).toBe(7);
  });

  it('§2.7.5.3 indirect table space is reused once the buffer is returned', () => {
    const l = splitLayout(8, { indirectSize: 64 });
    const drv = new SplitDriverQueue(l.mem, l.config, featureSet(VIRTIO_F_INDIRECT_DESC), { indirectArea: l.indirectArea });
    const bufs = Array.from({ length: 4 }, (_, i) => buf(l.dataAddr + i, 1));
    const a = drv.add(bufs, { indirect: true });
    expect(() => drv.add(bufs, { indirect: true })).toThrow(/indirect table/);
    putUsed(l, 0, [[a, 0]]);
    expect(drv.pollUsed()).toEqual({ id: a, len: 0 });
    expect(() => drv.add(bufs, { indirect: true })).not.toThrow();
  });

  it('§2.7.5.3.1 refuses indirect without VIRTIO_F_INDIRECT_DESC or without a scratch area', () => {
    const { l, drv } = setup(8, 0n);
    expect(() => drv.add([buf(l.dataAddr, 1)], { indirect: true })).toThrow(/VIRTIO_F_INDIRECT_DESC/);
    const bare = new SplitDriverQueue(l.mem, l.config, featureSet(VIRTIO_F_INDIRECT_DESC));
    expect(() => bare.add([buf(l.dataAddr, 1)], { indirect: true })).toThrow(/indirectArea/);
  });

  it('§2.7.4.2 §2.7.13.1 refuses a buffer that does not fit, is longer than the queue, is empty, or puts writable before readable', () => {
    const { l, drv } = setup(4);
    drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1), buf(l.dataAddr, 1)]);
    expect(() => drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 1)])).toThrow(/free/);
    expect(() => drv.add(Array.from({ length: 5 }, () => buf(l.dataAddr, 1)))).toThrow(RangeError);
    expect(() => drv.add([])).toThrow(RangeError);
    expect(() => drv.add([buf(l.dataAddr, 1, true), buf(l.dataAddr, 1)])).toThrow(/precede/);
    expect(() => drv.add([buf(-1, 1)])).toThrow(RangeError);
    expect(drv.numFree()).toBe(1);
  });

  it('§2.7.13.3 avail idx wraps at 65536 and the ring slot follows it', () => {
    const { l, drv } = setup(2);
    for (let i = 0; i < 65537; i++) {
      const head = drv.add([buf(l.dataAddr, 1)]);
      putUsed(l, i & 0xffff, [[head, 0]]);
      expect(drv.pollUsed()).toEqual({ id: head, len: 0 });
    }
    expect(readAvailIdx(l.mem, l.config)).toBe(1);
    expect(drv.ringState()).toEqual({ availIdx: 1, lastUsed: 1 });
  });
});

describe('SplitDriverQueue.pollUsed (§2.7.8, §2.7.14)', () => {
  it('returns null until used idx moves, then the head and length of the used element', () => {
    const { l, drv } = setup();
    const a = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 8, true)]);
    const b = drv.add([buf(l.dataAddr, 8, true)]);
    expect(drv.pollUsed()).toBeNull();
    putUsed(l, 0, [
      [b, 3],
      [a, 7],
    ]);
    expect(drv.pollUsed()).toEqual({ id: b, len: 3 });
    expect(drv.pollUsed()).toEqual({ id: a, len: 7 });
    expect(drv.pollUsed()).toBeNull();
    expect(drv.numFree()).toBe(8);
  });

  it('[AVP-VQ-21] USED_ID_INVALID: a head the device does not hold, and the error sticks', () => {
    const { l, drv } = setup();
    drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, [[5, 0]]);
    expect(codeOf(() => drv.pollUsed())).toBe('USED_ID_INVALID');
    expect(() => drv.pollUsed()).toThrow(/USED_ID_INVALID/);
    expect(() => drv.add([buf(l.dataAddr, 1)])).toThrow(/USED_ID_INVALID/);
  });

  it('[AVP-VQ-21] USED_ID_INVALID: a head at or above the queue size, and a non-head descriptor of a chain', () => {
    const a = setup();
    a.drv.add([buf(a.l.dataAddr, 1)]);
    putUsed(a.l, 0, [[0x10000, 0]]);
    expect(codeOf(() => a.drv.pollUsed())).toBe('USED_ID_INVALID');
    const b = setup();
    const head = b.drv.add([buf(b.l.dataAddr, 1), buf(b.l.dataAddr, 1)]);
    putUsed(b.l, 0, [[getDesc(b.l, head).next, 0]]);
    expect(codeOf(() => b.drv.pollUsed())).toBe('USED_ID_INVALID');
  });

  it('[AVP-VQ-21] USED_ID_INVALID: used idx moved past the buffers the device holds', () => {
    const { l, drv } = setup();
    const a = drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, [[a, 0]], 2);
    expect(codeOf(() => drv.pollUsed())).toBe('USED_ID_INVALID');
  });

  it('[AVP-VQ-8] §2.7.9 with VIRTIO_F_IN_ORDER one used element returns every earlier buffer, in order, written in full', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    const a = drv.add([buf(l.dataAddr, 1), buf(l.dataAddr, 10, true)]);
    const b = drv.add([buf(l.dataAddr, 1)]);
    const c = drv.add([buf(l.dataAddr, 30, true)]);
    const d = drv.add([buf(l.dataAddr, 30, true)]);
    putUsed(l, 0, [[c, 5]], 3);
    expect(drv.pollUsed()).toEqual({ id: a, len: 10 });
    expect(drv.numFree()).toBe(5); // descriptors come free as results are handed out
    expect(drv.pollUsed()).toEqual({ id: b, len: 0 });
    expect(drv.pollUsed()).toEqual({ id: c, len: 5 });
    expect(drv.pollUsed()).toBeNull();
    expect(drv.numFree()).toBe(7);
    putUsed(l, 3, [[d, 30]]);
    expect(drv.pollUsed()).toEqual({ id: d, len: 30 });
  });

  it('[AVP-VQ-21] §2.7.9 USED_ID_INVALID: an in-order element standing for more buffers than used idx moved', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    drv.add([buf(l.dataAddr, 1)]);
    const b = drv.add([buf(l.dataAddr, 1)]);
    putUsed(l, 0, [[b, 0]], 1);
    expect(codeOf(() => drv.pollUsed())).toBe('USED_ID_INVALID');
  });
});

describe('SplitDriverQueue notifications (§2.7.7, §2.7.10)', () => {
  it('§2.7.10.1 used flags 0: kick after adding, not when nothing was added', () => {
    const { l, drv } = setup();
    expect(drv.kickNeeded()).toBe(false);
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(true);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('§2.7.10.1 VIRTQ_USED_F_NO_NOTIFY: no kick', () => {
    const { l, drv } = setup();
    writeUsedFlags(l.mem, l.config, VIRTQ_USED_F_NO_NOTIFY);
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('§2.7.10.1 VIRTIO_F_EVENT_IDX: kick only when avail idx passes avail_event; flags ignored', () => {
    const { l, drv } = setup(8, featureSet(VIRTIO_F_EVENT_IDX));
    writeUsedFlags(l.mem, l.config, VIRTQ_USED_F_NO_NOTIFY);
    writeAvailEvent(l.mem, l.config, 2);
    drv.add([buf(l.dataAddr, 1)]);
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(false);
    drv.add([buf(l.dataAddr, 1)]); // entry 2
    expect(drv.kickNeeded()).toBe(true);
    drv.add([buf(l.dataAddr, 1)]);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('§2.7.7.1 setInterruptsEnabled: NO_INTERRUPT without VIRTIO_F_EVENT_IDX; used_event at the next used entry with it', () => {
    const plain = setup();
    plain.drv.setInterruptsEnabled(false);
    expect(readAvailFlags(plain.l.mem, plain.l.config)).toBe(VIRTQ_AVAIL_F_NO_INTERRUPT);
    plain.drv.setInterruptsEnabled(true);
    expect(readAvailFlags(plain.l.mem, plain.l.config)).toBe(0);
    const ev = setup(4, featureSet(VIRTIO_F_EVENT_IDX));
    const a = ev.drv.add([buf(ev.l.dataAddr, 1)]);
    putUsed(ev.l, 0, [[a, 0]]);
    expect(ev.drv.pollUsed()?.id).toBe(a);
    ev.drv.setInterruptsEnabled(true);
    expect(readAvailFlags(ev.l.mem, ev.l.config)).toBe(0);
    expect(readUsedEvent(ev.l.mem, ev.l.config)).toBe(1);
    ev.drv.setInterruptsEnabled(false);
    expect(readAvailFlags(ev.l.mem, ev.l.config)).toBe(0);
    expect(readUsedEvent(ev.l.mem, ev.l.config)).toBe(1 + 32768);
  });
});
