import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../../src/lib/virtio/chain.ts';
import { VIRTQ_ERROR_CODES } from '../../../src/lib/virtio/errors.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import {
  readAvailEvent,
  readUsedFlags,
  SplitDeviceQueue,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  writeAvailFlags,
  writeAvailIdx,
  writeUsedEvent,
} from '../../../src/lib/virtio/split/index.ts';
import { checkedSplitLayout, offer, putDesc, putTableEntry, splitLayout, type SplitLayout, usedElem, usedIdx } from '../../support/split-harness.ts';

const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;
const INDIRECT = VIRTQ_DESC_F_INDIRECT;
const INDIRECT_FEATURE = featureSet(VIRTIO_F_INDIRECT_DESC);

function setup(size = 8, features = 0n, opts: { maxChainLength?: number } = {}): { l: SplitLayout; dev: SplitDeviceQueue } {
  const l = splitLayout(size);
  return { l, dev: new SplitDeviceQueue(l.mem, l.config, features, opts) };
}

function popChain(dev: SplitDeviceQueue): DescriptorChain {
  const r = dev.pop();
  if (r.kind !== 'chain') throw new Error(`expected a chain, got ${r.kind}${r.kind === 'error' ? ` ${r.error.code}` : ''}`);
  return r.chain;
}

function popCode(dev: SplitDeviceQueue): string {
  const r = dev.pop();
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  expect(VIRTQ_ERROR_CODES as readonly string[]).toContain(r.error.code);
  expect(dev.error).toBe(r.error);
  return String(r.error.code);
}

describe('SplitDeviceQueue.pop: reading the available ring', () => {
  it('[AVP-VQ-1] §2.7.6 nothing is available while avail idx equals the device’s index', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 8 });
    expect(dev.pop()).toEqual({ kind: 'empty' });
  });

  it('[AVP-VQ-1] §2.7.5 a single descriptor is a one-element buffer whose ID is its head index', () => {
    const { l, dev } = setup();
    putDesc(l, 5, { addr: l.dataAddr, len: 64, flags: WRITE });
    offer(l, 5);
    expect(popChain(dev)).toEqual({ id: 5, descCount: 1, buffers: [{ addr: l.dataAddr, len: 64, writable: true }] });
    expect(dev.pop().kind).toBe('empty');
  });

  it('[AVP-VQ-1] §2.7.5 a chain follows next in any order through the table', () => {
    const { l, dev } = setup();
    putDesc(l, 6, { addr: l.dataAddr, len: 10, flags: NEXT, next: 2 });
    putDesc(l, 2, { addr: l.dataAddr + 16, len: 20, flags: NEXT | WRITE, next: 7 });
    putDesc(l, 7, { addr: l.dataAddr + 48, len: 30, flags: WRITE, next: 6 }); // next ignored without NEXT
    offer(l, 6);
    const c = popChain(dev);
    expect(c.id).toBe(6);
    expect(c.descCount).toBe(3);
    expect(c.buffers.map((b) => [b.addr - l.dataAddr, b.len, b.writable])).toEqual([
      [0, 10, false],
      [16, 20, true],
      [48, 30, true],
    ]);
  });

  it('[AVP-VQ-1] §2.7.6 heads are taken in available-ring order, one per pop', () => {
    const { l, dev } = setup();
    for (const h of [3, 1, 4]) putDesc(l, h, { addr: l.dataAddr + h, len: 1 });
    offer(l, 3, 1, 4);
    expect([popChain(dev).id, popChain(dev).id, popChain(dev).id]).toEqual([3, 1, 4]);
    expect(dev.pop().kind).toBe('empty');
    expect(dev.ringState()).toEqual({ lastAvail: 3, usedIdx: 0 });
  });

  it('[AVP-VQ-5] §2.7.5.3 an indirect table is a chain of its own; the WRITE flag of its descriptor is ignored', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    putTableEntry(l, t, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 2 });
    putTableEntry(l, t, 2, { addr: l.dataAddr + 4, len: 8, flags: NEXT, next: 1 });
    putTableEntry(l, t, 1, { addr: l.dataAddr + 12, len: 12, flags: WRITE });
    putDesc(l, 3, { addr: t, len: 48, flags: INDIRECT | WRITE });
    offer(l, 3);
    expect(popChain(dev)).toEqual({
      id: 3,
      descCount: 1,
      buffers: [
        { addr: l.dataAddr, len: 4, writable: false },
        { addr: l.dataAddr + 4, len: 8, writable: false },
        { addr: l.dataAddr + 12, len: 12, writable: true },
      ],
    });
  });

  it('[AVP-VQ-5] §2.7.5.3.2 ordinary descriptors followed by one indirect descriptor form one buffer', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    putTableEntry(l, t, 0, { addr: l.dataAddr + 100, len: 5, flags: WRITE });
    putDesc(l, 0, { addr: l.dataAddr, len: 3, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: t, len: 16, flags: INDIRECT });
    offer(l, 0);
    const c = popChain(dev);
    expect(c.descCount).toBe(2);
    expect(c.buffers).toEqual([
      { addr: l.dataAddr, len: 3, writable: false },
      { addr: l.dataAddr + 100, len: 5, writable: true },
    ]);
  });

  it('[AVP-VQ-5] §2.7.5.3 a table may hold more entries than the chain visits, and more than the queue size', () => {
    const { l, dev } = setup(2, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    putTableEntry(l, t, 0, { addr: l.dataAddr, len: 4 });
    putDesc(l, 0, { addr: t, len: 16 * 64, flags: INDIRECT });
    offer(l, 0);
    expect(popChain(dev).buffers).toHaveLength(1);
  });

  it('[AVP-VQ-1] exactly queue-size entries may be pending at once', () => {
    const { l, dev } = setup(4);
    for (let i = 0; i < 4; i++) putDesc(l, i, { addr: l.dataAddr, len: 1 });
    offer(l, 0, 1, 2, 3);
    expect([0, 1, 2, 3].map(() => popChain(dev).id)).toEqual([0, 1, 2, 3]);
  });
});

describe('SplitDeviceQueue.pop: driver errors, one test per code', () => {
  it('[AVP-VQ-14] §2.7.5.2 DESC_LOOP: a chain that returns to a descriptor it passed', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, flags: NEXT, next: 0 });
    offer(l, 0);
    expect(popCode(dev)).toBe('DESC_LOOP');
  });

  it('[AVP-VQ-14] §2.7.5.2 DESC_LOOP: a descriptor whose next is itself, and a loop inside an indirect table', () => {
    const a = setup();
    putDesc(a.l, 3, { addr: a.l.dataAddr, len: 4, flags: NEXT, next: 3 });
    offer(a.l, 3);
    expect(popCode(a.dev)).toBe('DESC_LOOP');
    const b = setup(8, INDIRECT_FEATURE);
    const t = b.l.indirectArea.addr;
    putTableEntry(b.l, t, 0, { addr: b.l.dataAddr, len: 4, flags: NEXT, next: 1 });
    putTableEntry(b.l, t, 1, { addr: b.l.dataAddr, len: 4, flags: NEXT, next: 0 });
    putDesc(b.l, 0, { addr: t, len: 32, flags: INDIRECT });
    offer(b.l, 0);
    expect(popCode(b.dev)).toBe('DESC_LOOP');
  });

  it('[AVP-VQ-14] [AVP-VQ-19] §2.7.4.1 CHAIN_TOO_LONG: a chain longer than the limit the device set', () => {
    const { l, dev } = setup(8, 0n, { maxChainLength: 2 });
    putDesc(l, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, flags: NEXT, next: 2 });
    putDesc(l, 2, { addr: l.dataAddr, len: 4 });
    offer(l, 0);
    expect(popCode(dev)).toBe('CHAIN_TOO_LONG');
  });

  it('[AVP-VQ-19] a chain exactly as long as the limit is accepted', () => {
    const { l, dev } = setup(8, 0n, { maxChainLength: 2 });
    putDesc(l, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4 });
    offer(l, 0);
    expect(popChain(dev).buffers).toHaveLength(2);
  });

  it('[AVP-VQ-14] §2.7.5.3.1 CHAIN_TOO_LONG: a chain in an indirect table longer than the queue size', () => {
    const { l, dev } = setup(4, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    for (let i = 0; i < 5; i++) putTableEntry(l, t, i, { addr: l.dataAddr, len: 4, flags: i < 4 ? NEXT : 0, next: i + 1 });
    putDesc(l, 0, { addr: t, len: 80, flags: INDIRECT });
    offer(l, 0);
    expect(popCode(dev)).toBe('CHAIN_TOO_LONG');
  });

  it('[AVP-VQ-14] §2.7.5.3.1 CHAIN_TOO_LONG counts the ordinary descriptors before the table too', () => {
    const { l, dev } = setup(4, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    for (let i = 0; i < 3; i++) putTableEntry(l, t, i, { addr: l.dataAddr, len: 4, flags: i < 2 ? NEXT : 0, next: i + 1 });
    putDesc(l, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, flags: NEXT, next: 2 });
    putDesc(l, 2, { addr: t, len: 48, flags: INDIRECT });
    offer(l, 0);
    expect(popCode(dev)).toBe('CHAIN_TOO_LONG');
  });

  it('[AVP-VQ-13] §2.7.5 ADDR_OUT_OF_RANGE: a buffer that ends outside guest memory', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.memSize - 4, len: 8 });
    offer(l, 0);
    expect(popCode(dev)).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-VQ-13] §2.7.5.3 ADDR_OUT_OF_RANGE: an indirect table outside guest memory', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putDesc(l, 0, { addr: l.memSize - 16, len: 32, flags: INDIRECT });
    offer(l, 0);
    expect(popCode(dev)).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-VQ-13] ADDR_OVERFLOW: addr + len wraps past 2^64, in the table, as a table, and in a table', () => {
    const a = setup();
    putDesc(a.l, 0, { addr: (1n << 64n) - 8n, len: 16 });
    offer(a.l, 0);
    expect(popCode(a.dev)).toBe('ADDR_OVERFLOW');
    const b = setup(8, INDIRECT_FEATURE);
    putDesc(b.l, 0, { addr: (1n << 64n) - 16n, len: 32, flags: INDIRECT });
    offer(b.l, 0);
    expect(popCode(b.dev)).toBe('ADDR_OVERFLOW');
    const c = setup(8, INDIRECT_FEATURE);
    putTableEntry(c.l, c.l.indirectArea.addr, 0, { addr: (1n << 64n) - 1n, len: 2 });
    putDesc(c.l, 0, { addr: c.l.indirectArea.addr, len: 16, flags: INDIRECT });
    offer(c.l, 0);
    expect(popCode(c.dev)).toBe('ADDR_OVERFLOW');
  });

  it('[AVP-VQ-14] §2.7.5 NEXT_OUT_OF_RANGE: next at or beyond the queue size', () => {
    const { l, dev } = setup(8);
    putDesc(l, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 8 });
    offer(l, 0);
    expect(popCode(dev)).toBe('NEXT_OUT_OF_RANGE');
  });

  it('[AVP-VQ-14] §2.7.5.3 NEXT_OUT_OF_RANGE: next beyond the entries of an indirect table', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    putTableEntry(l, t, 0, { addr: l.dataAddr, len: 4, flags: NEXT, next: 2 });
    putTableEntry(l, t, 2, { addr: l.dataAddr, len: 4 }); // present in memory, but not in the table
    putDesc(l, 0, { addr: t, len: 32, flags: INDIRECT });
    offer(l, 0);
    expect(popCode(dev)).toBe('NEXT_OUT_OF_RANGE');
  });

  it('[AVP-VQ-15] §2.7.6.1 AVAIL_IDX_JUMP: avail idx more than the queue size ahead', () => {
    const { l, dev } = setup(4);
    for (let i = 0; i < 4; i++) putDesc(l, i, { addr: l.dataAddr, len: 1 });
    writeAvailIdx(l.mem, l.config, 5);
    expect(popCode(dev)).toBe('AVAIL_IDX_JUMP');
  });

  it('[AVP-VQ-15] §2.7.6.1 AVAIL_IDX_JUMP: avail idx moved backwards', () => {
    const { l, dev } = setup(4);
    for (let i = 0; i < 4; i++) putDesc(l, i, { addr: l.dataAddr, len: 1 });
    offer(l, 0, 1);
    popChain(dev);
    popChain(dev);
    writeAvailIdx(l.mem, l.config, 1);
    expect(popCode(dev)).toBe('AVAIL_IDX_JUMP');
  });

  it('[AVP-VQ-15] §2.7.6.1 reads avail idx again only after taking every entry it saw, then finds a jump', () => {
    const { l, dev } = setup(4);
    for (let i = 0; i < 4; i++) putDesc(l, i, { addr: l.dataAddr, len: 1 });
    offer(l, 0, 1, 2);
    expect(popChain(dev).id).toBe(0);
    // The idx moves backwards after the device read it: the two entries it saw are still published.
    writeAvailIdx(l.mem, l.config, 1);
    expect(popChain(dev).id).toBe(1);
    expect(popChain(dev).id).toBe(2);
    // Caught up, it reads idx again: 1 is behind the 3 entries taken, a distance of 65534.
    expect(popCode(dev)).toBe('AVAIL_IDX_JUMP');
  });

  it('[AVP-VQ-15] §2.7.6 HEAD_OUT_OF_RANGE: an available entry naming a descriptor beyond the table', () => {
    const { l, dev } = setup(8);
    offer(l, 8);
    expect(popCode(dev)).toBe('HEAD_OUT_OF_RANGE');
  });

  it('[AVP-VQ-16] §2.7.5.3.1 NESTED_INDIRECT: an indirect table entry with INDIRECT set', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    putTableEntry(l, t, 0, { addr: t + 64, len: 16, flags: INDIRECT });
    putDesc(l, 0, { addr: t, len: 16, flags: INDIRECT });
    offer(l, 0);
    expect(popCode(dev)).toBe('NESTED_INDIRECT');
  });

  it('[AVP-VQ-16] §2.7.5.3.1 INDIRECT_NOT_NEGOTIATED: INDIRECT without VIRTIO_F_INDIRECT_DESC', () => {
    const { l, dev } = setup(8, 0n);
    putTableEntry(l, l.indirectArea.addr, 0, { addr: l.dataAddr, len: 4 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 16, flags: INDIRECT });
    offer(l, 0);
    expect(popCode(dev)).toBe('INDIRECT_NOT_NEGOTIATED');
  });

  it('[AVP-VQ-16] §2.7.5.3.1 INDIRECT_WITH_NEXT: INDIRECT and NEXT on one descriptor', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putTableEntry(l, l.indirectArea.addr, 0, { addr: l.dataAddr, len: 4 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 16, flags: INDIRECT | NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4 });
    offer(l, 0);
    expect(popCode(dev)).toBe('INDIRECT_WITH_NEXT');
  });

  it('[AVP-VQ-16] §2.7.5.3 INDIRECT_BAD_LENGTH: table length 0 or not a multiple of 16', () => {
    for (const len of [0, 8, 24]) {
      const { l, dev } = setup(8, INDIRECT_FEATURE);
      putDesc(l, 0, { addr: l.indirectArea.addr, len, flags: INDIRECT });
      offer(l, 0);
      expect(popCode(dev)).toBe('INDIRECT_BAD_LENGTH');
    }
  });

  it('[AVP-VQ-17] §2.7.4.2 WRITE_THEN_READ: in the table, in an indirect table, and across the two', () => {
    const a = setup();
    putDesc(a.l, 0, { addr: a.l.dataAddr, len: 4, flags: NEXT | WRITE, next: 1 });
    putDesc(a.l, 1, { addr: a.l.dataAddr, len: 4 });
    offer(a.l, 0);
    expect(popCode(a.dev)).toBe('WRITE_THEN_READ');
    const b = setup(8, INDIRECT_FEATURE);
    const t = b.l.indirectArea.addr;
    putTableEntry(b.l, t, 0, { addr: b.l.dataAddr, len: 4, flags: WRITE | NEXT, next: 1 });
    putTableEntry(b.l, t, 1, { addr: b.l.dataAddr, len: 4 });
    putDesc(b.l, 0, { addr: t, len: 32, flags: INDIRECT });
    offer(b.l, 0);
    expect(popCode(b.dev)).toBe('WRITE_THEN_READ');
    const c = setup(8, INDIRECT_FEATURE);
    putTableEntry(c.l, c.l.indirectArea.addr, 0, { addr: c.l.dataAddr, len: 4 });
    putDesc(c.l, 0, { addr: c.l.dataAddr, len: 4, flags: WRITE | NEXT, next: 1 });
    putDesc(c.l, 1, { addr: c.l.indirectArea.addr, len: 16, flags: INDIRECT });
    offer(c.l, 0);
    expect(popCode(c.dev)).toBe('WRITE_THEN_READ');
  });

  it('[AVP-VQ-30] §2.7.13.1 BUFFER_ID_IN_USE: a head made available again while the device holds it', () => {
    const { l, dev } = setup();
    putDesc(l, 2, { addr: l.dataAddr, len: 4 });
    offer(l, 2, 2);
    const first = popChain(dev);
    expect(popCode(dev)).toBe('BUFFER_ID_IN_USE');
    expect(first.id).toBe(2);
  });

  it('[AVP-VQ-30] a head the device has returned may be made available again', () => {
    const { l, dev } = setup();
    putDesc(l, 2, { addr: l.dataAddr, len: 4 });
    offer(l, 2);
    dev.push(popChain(dev), 0);
    offer(l, 2);
    expect(popChain(dev).id).toBe(2);
  });

  it('[AVP-VQ-10] once an error is recorded pop() keeps returning it, and push() and the notification calls do nothing', () => {
    const l = checkedSplitLayout(8);
    const dev = new SplitDeviceQueue(l.mem, l.config, 0n);
    putDesc(l, 0, { addr: l.dataAddr, len: 4, flags: WRITE });
    offer(l, 0, 9);
    const good = popChain(dev);
    const r1 = dev.pop();
    // The driver repairs the entry: too late, the queue needs a reset.
    l.mem.writeU16(l.config.driverAddr + 4 + 2, 0);
    const r2 = dev.pop();
    expect(r1.kind).toBe('error');
    expect(r2).toEqual(r1);
    expect(dev.error?.code).toBe('HEAD_OUT_OF_RANGE');
    l.mem.writes.length = 0;
    dev.push(good, 4);
    dev.setNotificationsEnabled(false);
    expect(dev.needsNotification()).toBe(false);
    expect(l.mem.writes).toEqual([]);
    expect(usedIdx(l)).toBe(0);
  });
});

describe('SplitDeviceQueue.push: the used ring (§2.7.8)', () => {
  it('[AVP-VQ-1] §2.7.8 a used element carries the head index and the bytes written; used idx then moves', () => {
    const l = checkedSplitLayout(8);
    const dev = new SplitDeviceQueue(l.mem, l.config, 0n);
    putDesc(l, 6, { addr: l.dataAddr, len: 4, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr + 4, len: 100, flags: WRITE });
    offer(l, 6);
    const c = popChain(dev);
    l.mem.writes.length = 0;
    dev.push(c, 42);
    expect(usedElem(l, 0)).toEqual({ id: 6, len: 42 });
    expect(usedIdx(l)).toBe(1);
    // §2.7.8.2: the element (id, len) is written before idx.
    const used = l.config.deviceAddr;
    expect(l.mem.writes).toEqual([
      [used + 4, 4],
      [used + 8, 4],
      [used + 2, 2],
    ]);
  });

  it('[AVP-VQ-1] completions go into the used ring in completion order', () => {
    const { l, dev } = setup();
    for (const h of [0, 1, 2]) putDesc(l, h, { addr: l.dataAddr, len: 4, flags: WRITE });
    offer(l, 0, 1, 2);
    const [a, b, c] = [popChain(dev), popChain(dev), popChain(dev)];
    dev.push(c, 3);
    dev.push(a, 1);
    dev.push(b, 2);
    expect([0, 1, 2].map((s) => usedElem(l, s))).toEqual([
      { id: 2, len: 3 },
      { id: 0, len: 1 },
      { id: 1, len: 2 },
    ]);
    expect(usedIdx(l)).toBe(3);
  });

  it('[AVP-VQ-20] push() of a chain not outstanding, or with a length beyond its writable part, is a device bug and throws', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 3, flags: NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, flags: WRITE });
    offer(l, 0);
    const c = popChain(dev);
    expect(() => dev.push(c, 5)).toThrow(RangeError);
    expect(() => dev.push(c, -1)).toThrow(RangeError);
    expect(usedIdx(l)).toBe(0);
    dev.push(c, 4);
    expect(() => dev.push(c, 4)).toThrow(/not an outstanding chain/);
    expect(dev.error).toBeNull();
  });

  it('[AVP-VQ-8] §2.7.9 with VIRTIO_F_IN_ORDER push() must follow the order chains were taken', () => {
    const { l, dev } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    putDesc(l, 0, { addr: l.dataAddr, len: 4 });
    putDesc(l, 1, { addr: l.dataAddr, len: 4 });
    offer(l, 0, 1);
    const [a, b] = [popChain(dev), popChain(dev)];
    expect(() => dev.push(b, 0)).toThrow(/IN_ORDER/);
    dev.push(a, 0);
    dev.push(b, 0);
    expect(dev.outstandingCount).toBe(0);
  });

  it('[AVP-VQ-25] §2.7.9 pushBatch with VIRTIO_F_IN_ORDER writes one element for a run, with the last head, and moves idx by the run', () => {
    const { l, dev } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    putDesc(l, 0, { addr: l.dataAddr, len: 8, flags: WRITE });
    putDesc(l, 1, { addr: l.dataAddr, len: 8, flags: NEXT, next: 2 });
    putDesc(l, 2, { addr: l.dataAddr, len: 8, flags: WRITE });
    putDesc(l, 3, { addr: l.dataAddr, len: 8, flags: WRITE });
    offer(l, 0, 1, 3);
    const cs = [popChain(dev), popChain(dev), popChain(dev)];
    dev.pushBatch(cs.map((chain) => ({ chain, writtenLen: chain.id === 3 ? 5 : 8 })));
    expect(usedElem(l, 0)).toEqual({ id: 3, len: 5 });
    expect(usedElem(l, 1)).toEqual({ id: 0, len: 0 }); // skipped: never written
    expect(usedIdx(l)).toBe(3);
    // The next element goes at the entry after the batch.
    putDesc(l, 4, { addr: l.dataAddr, len: 8 });
    offer(l, 4);
    dev.push(popChain(dev), 0);
    expect(usedElem(l, 3)).toEqual({ id: 4, len: 0 });
    expect(usedIdx(l)).toBe(4);
  });

  it('[AVP-VQ-25] §2.7.9 a chain not written in full ends an in-order run and gets its own element', () => {
    const { l, dev } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    for (let i = 0; i < 3; i++) putDesc(l, i, { addr: l.dataAddr, len: 8, flags: WRITE });
    offer(l, 0, 1, 2);
    const cs = [popChain(dev), popChain(dev), popChain(dev)];
    dev.pushBatch([
      { chain: cs[0], writtenLen: 8 },
      { chain: cs[1], writtenLen: 2 },
      { chain: cs[2], writtenLen: 8 },
    ]);
    expect(usedElem(l, 0)).toEqual({ id: 1, len: 2 }); // run [0, 1]
    expect(usedElem(l, 2)).toEqual({ id: 2, len: 8 }); // run [2]
    expect(usedIdx(l)).toBe(3);
  });

  it('[AVP-VQ-1] pushBatch without VIRTIO_F_IN_ORDER writes one element per chain, in the order given', () => {
    const { l, dev } = setup(8);
    for (let i = 0; i < 3; i++) putDesc(l, i, { addr: l.dataAddr, len: 8, flags: WRITE });
    offer(l, 0, 1, 2);
    const cs = [popChain(dev), popChain(dev), popChain(dev)];
    dev.pushBatch([cs[2], cs[0], cs[1]].map((chain) => ({ chain, writtenLen: 8 })));
    expect([0, 1, 2].map((s) => usedElem(l, s).id)).toEqual([2, 0, 1]);
  });
});

describe('SplitDeviceQueue notifications (§2.7.7, §2.7.10)', () => {
  function withChains(features: bigint, n: number) {
    const s = setup(8, features);
    for (let i = 0; i < n; i++) putDesc(s.l, i, { addr: s.l.dataAddr, len: 4 });
    offer(s.l, ...Array.from({ length: n }, (_, i) => i));
    const cs = Array.from({ length: n }, () => popChain(s.dev));
    return { ...s, cs };
  }

  it('[AVP-VQ-6] §2.7.7.2 flags 0: notify after used elements were written, not when none were', () => {
    const { dev, cs } = withChains(0n, 2);
    expect(dev.needsNotification()).toBe(false);
    dev.push(cs[0], 0);
    expect(dev.needsNotification()).toBe(true);
    expect(dev.needsNotification()).toBe(false);
  });

  it('[AVP-VQ-7] §2.7.7.2 VIRTQ_AVAIL_F_NO_INTERRUPT: no notification; used_event is ignored', () => {
    const { l, dev, cs } = withChains(0n, 1);
    writeAvailFlags(l.mem, l.config, VIRTQ_AVAIL_F_NO_INTERRUPT);
    writeUsedEvent(l.mem, l.config, 0);
    dev.push(cs[0], 0);
    expect(dev.needsNotification()).toBe(false);
  });

  it('[AVP-VQ-6] [AVP-VQ-7] §2.7.7.2 VIRTIO_F_EVENT_IDX: notify when used idx passes used_event, whatever the flags say', () => {
    const { l, dev, cs } = withChains(featureSet(VIRTIO_F_EVENT_IDX), 3);
    writeAvailFlags(l.mem, l.config, VIRTQ_AVAIL_F_NO_INTERRUPT);
    writeUsedEvent(l.mem, l.config, 2);
    dev.push(cs[0], 0);
    dev.push(cs[1], 0);
    expect(dev.needsNotification()).toBe(false);
    dev.push(cs[2], 0);
    expect(dev.needsNotification()).toBe(true);
  });

  it('[AVP-VQ-6] §2.7.9 an in-order batch that jumps over used_event still notifies', () => {
    const { l, dev, cs } = withChains(featureSet(VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER), 3);
    writeUsedEvent(l.mem, l.config, 1);
    dev.pushBatch(cs.map((chain) => ({ chain, writtenLen: 0 })));
    expect(usedIdx(l)).toBe(3);
    expect(dev.needsNotification()).toBe(true);
  });

  it('§2.7.10.2 setNotificationsEnabled: NO_NOTIFY on and off without VIRTIO_F_EVENT_IDX', () => {
    const { l, dev } = withChains(0n, 0);
    dev.setNotificationsEnabled(false);
    expect(readUsedFlags(l.mem, l.config)).toBe(VIRTQ_USED_F_NO_NOTIFY);
    dev.setNotificationsEnabled(true);
    expect(readUsedFlags(l.mem, l.config)).toBe(0);
  });

  it('§2.7.10.2 with VIRTIO_F_EVENT_IDX flags stay 0 and avail_event names the next entry (on) or one half a lap ahead (off)', () => {
    const { l, dev } = withChains(featureSet(VIRTIO_F_EVENT_IDX), 3);
    dev.setNotificationsEnabled(true);
    expect(readUsedFlags(l.mem, l.config)).toBe(0);
    expect(readAvailEvent(l.mem, l.config)).toBe(3);
    dev.setNotificationsEnabled(false);
    expect(readUsedFlags(l.mem, l.config)).toBe(0);
    expect(readAvailEvent(l.mem, l.config)).toBe(3 + 32768);
  });
});
