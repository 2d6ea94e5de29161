import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../../src/lib/virtio/chain.ts';
import { VIRTQ_ERROR_CODES } from '../../../src/lib/virtio/errors.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import {
  PackedDeviceQueue,
  readEventSuppression,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  writeEventSuppression,
} from '../../../src/lib/virtio/packed/index.ts';
import { avail, getDesc, packedLayout, putDesc, putTableEntry, type PackedLayout } from '../../support/packed-harness.ts';

const A = avail(true);
const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;
const INDIRECT = VIRTQ_DESC_F_INDIRECT;
const INDIRECT_FEATURE = featureSet(VIRTIO_F_INDIRECT_DESC);

function setup(size = 8, features = 0n, opts: { maxChainLength?: number } = {}): { l: PackedLayout; dev: PackedDeviceQueue } {
  const l = packedLayout(size);
  return { l, dev: new PackedDeviceQueue(l.mem, l.config, features, opts) };
}

function popChain(dev: PackedDeviceQueue): DescriptorChain {
  const r = dev.pop();
  if (r.kind !== 'chain') throw new Error(`expected a chain, got ${r.kind}${r.kind === 'error' ? ` ${r.error.code}` : ''}`);
  return r.chain;
}

function popCode(dev: PackedDeviceQueue): string {
  const r = dev.pop();
  if (r.kind !== 'error') throw new Error(`expected an error, got ${r.kind}`);
  expect(VIRTQ_ERROR_CODES as readonly string[]).toContain(r.error.code);
  return String(r.error.code);
}

describe('PackedDeviceQueue.pop: reading available descriptors', () => {
  it('[AVP-VQ-3] §2.8.15 a zero-initialized ring has nothing available', () => {
    const { dev } = setup();
    expect(dev.pop()).toEqual({ kind: 'empty' });
  });

  it('[AVP-VQ-3] §2.8.1 a descriptor whose AVAIL bit does not match the wrap counter is not available', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 8, id: 0, flags: avail(false) });
    expect(dev.pop().kind).toBe('empty');
    putDesc(l, 0, { addr: l.dataAddr, len: 8, id: 0, flags: VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED });
    expect(dev.pop().kind).toBe('empty');
  });

  it('[AVP-VQ-3] §2.8.5 a single descriptor is a one-element buffer with its buffer ID', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 64, id: 5, flags: A | WRITE });
    expect(popChain(dev)).toEqual({ id: 5, descCount: 1, buffers: [{ addr: l.dataAddr, len: 64, writable: true }] });
    expect(dev.pop().kind).toBe('empty');
  });

  it('[AVP-VQ-3] §2.8.6 a NEXT-linked list takes its buffer ID from the last descriptor and counts every slot', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 10, id: 7, flags: A | NEXT });
    putDesc(l, 1, { addr: l.dataAddr + 16, len: 20, id: 7, flags: A | NEXT | WRITE });
    putDesc(l, 2, { addr: l.dataAddr + 48, len: 30, id: 3, flags: A | WRITE });
    const c = popChain(dev);
    expect(c.id).toBe(3);
    expect(c.descCount).toBe(3);
    expect(c.buffers.map((b) => [b.len, b.writable])).toEqual([
      [10, false],
      [20, true],
      [30, true],
    ]);
  });

  it('[AVP-VQ-5] §2.8.7 an indirect descriptor takes one slot; table IDs and flags other than WRITE are ignored', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    const t = l.indirectArea.addr;
    putTableEntry(l, t, { addr: l.dataAddr, len: 4, flags: NEXT | VIRTQ_DESC_F_AVAIL, id: 99 });
    putTableEntry(l, t + 16, { addr: l.dataAddr + 4, len: 12, flags: WRITE | VIRTQ_DESC_F_USED });
    putDesc(l, 0, { addr: t, len: 32, id: 2, flags: A | INDIRECT | WRITE });
    const c = popChain(dev);
    expect(c).toEqual({
      id: 2,
      descCount: 1,
      buffers: [
        { addr: l.dataAddr, len: 4, writable: false },
        { addr: l.dataAddr + 4, len: 12, writable: true },
      ],
    });
  });

  it('[AVP-VQ-5] §2.8.5 direct and indirect buffers may be mixed in one ring', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putTableEntry(l, l.indirectArea.addr, { addr: l.dataAddr, len: 4, flags: 0 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 16, id: 0, flags: A | INDIRECT });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 1, flags: A });
    expect(popChain(dev).id).toBe(0);
    expect(popChain(dev).id).toBe(1);
  });
});

describe('PackedDeviceQueue.pop: driver errors, one test per code', () => {
  it('[AVP-VQ-18] §2.8.22 BUFFER_ID_OUT_OF_RANGE: a buffer ID equal to the queue size', () => {
    const { l, dev } = setup(8);
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 8, flags: A });
    expect(popCode(dev)).toBe('BUFFER_ID_OUT_OF_RANGE');
  });

  it('[AVP-VQ-18] §2.8.7 BUFFER_ID_OUT_OF_RANGE: on the ring descriptor of an indirect buffer', () => {
    const { l, dev } = setup(4, INDIRECT_FEATURE);
    putTableEntry(l, l.indirectArea.addr, { addr: l.dataAddr, len: 4, flags: 0 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 16, id: 0xffff, flags: A | INDIRECT });
    expect(popCode(dev)).toBe('BUFFER_ID_OUT_OF_RANGE');
  });

  it('[AVP-VQ-30] §2.8.22 BUFFER_ID_IN_USE: a buffer ID reused while the device still holds it', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 1, flags: A });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 1, flags: A });
    const first = popChain(dev);
    expect(popCode(dev)).toBe('BUFFER_ID_IN_USE');
    // A returned ID may be reused: that is the ordinary case, checked in the pair tests.
    expect(first.id).toBe(1);
  });

  it('[AVP-VQ-14] §2.8.17 CHAIN_INCOMPLETE: NEXT into a slot the driver has not made available', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A | NEXT });
    expect(popCode(dev)).toBe('CHAIN_INCOMPLETE');
  });

  it('[AVP-VQ-14] §2.8.1 CHAIN_INCOMPLETE: a list that crosses the end of the ring without the flipped wrap counter', () => {
    const { l, dev } = setup(4);
    for (let i = 0; i < 3; i++) putDesc(l, i, { addr: l.dataAddr, len: 4, id: i, flags: A });
    const taken = [popChain(dev), popChain(dev), popChain(dev)];
    expect(taken.map((c) => c.id)).toEqual([0, 1, 2]);
    for (const c of taken) dev.push(c, 0);
    // Slot 3 (lap 1) continues into slot 0, which is still marked for lap 1: it should carry
    // lap 2's flags (AVAIL clear, USED set).
    putDesc(l, 3, { addr: l.dataAddr, len: 4, id: 0, flags: A | NEXT });
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    expect(popCode(dev)).toBe('CHAIN_INCOMPLETE');
  });

  it('[AVP-VQ-14] §2.8.16 CHAIN_INCOMPLETE: a list that runs into slots the device has not returned', () => {
    const { l, dev } = setup(4);
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    popChain(dev);
    // Slots 1..3 and then slot 0 again, whose buffer the device still holds (lap 2 flags, as
    // a driver that ignores the rule would write them).
    for (let i = 1; i < 4; i++) putDesc(l, i, { addr: l.dataAddr, len: 4, id: 1, flags: A | NEXT });
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 1, flags: avail(false) });
    expect(popCode(dev)).toBe('CHAIN_INCOMPLETE');
  });

  it('[AVP-VQ-9] §2.8.16 a ring whose every slot the device holds reads as empty, even if the driver republishes a held slot', () => {
    const { l, dev } = setup(2);
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 1, flags: A | NEXT });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 1, flags: A });
    expect(popChain(dev).descCount).toBe(2);
    // Slot 0 rewritten with lap-2 flags and a free ID before the device returned it.
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: avail(false) });
    expect(dev.pop()).toEqual({ kind: 'empty' });
    expect(dev.outstandingCount).toBe(1);
  });

  it('[AVP-VQ-14] §2.8.17 CHAIN_TOO_LONG: every slot carries NEXT, so the list would exceed the queue size', () => {
    const { l, dev } = setup(4);
    for (let i = 0; i < 4; i++) putDesc(l, i, { addr: l.dataAddr, len: 4, id: 0, flags: A | NEXT });
    expect(popCode(dev)).toBe('CHAIN_TOO_LONG');
  });

  it('[AVP-VQ-14] §2.8.17 CHAIN_TOO_LONG: an indirect table with more entries than the queue size', () => {
    const { l, dev } = setup(4, INDIRECT_FEATURE);
    for (let i = 0; i < 5; i++) putTableEntry(l, l.indirectArea.addr + 16 * i, { addr: l.dataAddr, len: 4, flags: 0 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 80, id: 0, flags: A | INDIRECT });
    expect(popCode(dev)).toBe('CHAIN_TOO_LONG');
  });

  it('[AVP-VQ-14] [AVP-VQ-19] §2.8.18 CHAIN_TOO_LONG: a list longer than the limit the device set', () => {
    const { l, dev } = setup(8, 0n, { maxChainLength: 2 });
    for (let i = 0; i < 2; i++) putDesc(l, i, { addr: l.dataAddr, len: 4, id: 0, flags: A | NEXT });
    putDesc(l, 2, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    expect(popCode(dev)).toBe('CHAIN_TOO_LONG');
  });

  it('[AVP-VQ-13] §2.8.15 ADDR_OUT_OF_RANGE: a buffer outside guest memory', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.memSize - 4, len: 8, id: 0, flags: A });
    expect(popCode(dev)).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-VQ-13] §2.8.7 ADDR_OUT_OF_RANGE: an indirect table outside guest memory', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putDesc(l, 0, { addr: l.memSize, len: 16, id: 0, flags: A | INDIRECT });
    expect(popCode(dev)).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-VQ-13] ADDR_OVERFLOW: addr + len wraps past 2^64, in the ring and in a table', () => {
    const a = setup();
    putDesc(a.l, 0, { addr: (1n << 64n) - 8n, len: 16, id: 0, flags: A });
    expect(popCode(a.dev)).toBe('ADDR_OVERFLOW');
    const b = setup(8, INDIRECT_FEATURE);
    putDesc(b.l, 0, { addr: (1n << 64n) - 16n, len: 32, id: 0, flags: A | INDIRECT });
    expect(popCode(b.dev)).toBe('ADDR_OVERFLOW');
  });

  it('[AVP-VQ-27] §2.8.7 ignores INDIRECT and NEXT in an indirect table entry: each entry is one ordinary element', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putTableEntry(l, l.indirectArea.addr, { addr: l.indirectArea.addr + 64, len: 16, flags: INDIRECT });
    putTableEntry(l, l.indirectArea.addr + 16, { addr: l.dataAddr, len: 8, flags: NEXT | WRITE });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 32, id: 0, flags: A | INDIRECT });
    expect(popChain(dev).buffers).toEqual([
      { addr: l.indirectArea.addr + 64, len: 16, writable: false },
      { addr: l.dataAddr, len: 8, writable: true },
    ]);
  });

  it('[AVP-VQ-16] §2.8.19 INDIRECT_NOT_NEGOTIATED: INDIRECT without VIRTIO_F_INDIRECT_DESC', () => {
    const { l, dev } = setup(8, 0n);
    putTableEntry(l, l.indirectArea.addr, { addr: l.dataAddr, len: 4, flags: 0 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 16, id: 0, flags: A | INDIRECT });
    expect(popCode(dev)).toBe('INDIRECT_NOT_NEGOTIATED');
  });

  it('[AVP-VQ-16] §2.8.19 INDIRECT_WITH_NEXT: INDIRECT and NEXT on one descriptor', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putTableEntry(l, l.indirectArea.addr, { addr: l.dataAddr, len: 4, flags: 0 });
    putDesc(l, 0, { addr: l.indirectArea.addr, len: 16, id: 0, flags: A | INDIRECT | NEXT });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    expect(popCode(dev)).toBe('INDIRECT_WITH_NEXT');
  });

  it('[AVP-VQ-16] §2.8.19 INDIRECT_WITH_NEXT: an INDIRECT descriptor further down a NEXT-linked list', () => {
    const { l, dev } = setup(8, INDIRECT_FEATURE);
    putTableEntry(l, l.indirectArea.addr, { addr: l.dataAddr, len: 4, flags: 0 });
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A | NEXT });
    putDesc(l, 1, { addr: l.indirectArea.addr, len: 16, id: 0, flags: A | INDIRECT });
    expect(popCode(dev)).toBe('INDIRECT_WITH_NEXT');
  });

  it('[AVP-VQ-16] §2.8.7 INDIRECT_BAD_LENGTH: table length 0 or not a multiple of 16', () => {
    for (const len of [0, 24, 8]) {
      const { l, dev } = setup(8, INDIRECT_FEATURE);
      putDesc(l, 0, { addr: l.indirectArea.addr, len, id: 0, flags: A | INDIRECT });
      expect(popCode(dev)).toBe('INDIRECT_BAD_LENGTH');
    }
  });

  it('[AVP-VQ-17] §2.8.17 WRITE_THEN_READ: a device-readable element after a device-writable one, in the ring and in a table', () => {
    const a = setup();
    putDesc(a.l, 0, { addr: a.l.dataAddr, len: 4, id: 0, flags: A | NEXT | WRITE });
    putDesc(a.l, 1, { addr: a.l.dataAddr, len: 4, id: 0, flags: A });
    expect(popCode(a.dev)).toBe('WRITE_THEN_READ');
    const b = setup(8, INDIRECT_FEATURE);
    putTableEntry(b.l, b.l.indirectArea.addr, { addr: b.l.dataAddr, len: 4, flags: WRITE });
    putTableEntry(b.l, b.l.indirectArea.addr + 16, { addr: b.l.dataAddr, len: 4, flags: 0 });
    putDesc(b.l, 0, { addr: b.l.indirectArea.addr, len: 32, id: 0, flags: A | INDIRECT });
    expect(popCode(b.dev)).toBe('WRITE_THEN_READ');
  });

  it('[AVP-VQ-10] once an error is recorded pop() keeps returning it and push() does nothing', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    const good = popChain(dev);
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 9, flags: A });
    const r1 = dev.pop();
    // The driver repairs the descriptor: too late, the queue needs a reset.
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 1, flags: A });
    const r2 = dev.pop();
    expect(r1.kind).toBe('error');
    expect(r2).toEqual(r1);
    expect(dev.error?.code).toBe('BUFFER_ID_OUT_OF_RANGE');
    const before = getDesc(l, 0);
    dev.push(good, 0);
    expect(getDesc(l, 0)).toEqual(before);
  });
});

describe('PackedDeviceQueue.push: writing used descriptors (§2.8.1, §2.8.3, §2.8.6)', () => {
  it('[AVP-VQ-3] §2.8.1 the used descriptor carries the ID, the written length, AVAIL=USED=device wrap counter and WRITE', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 6, flags: A | NEXT });
    putDesc(l, 1, { addr: l.dataAddr + 4, len: 100, id: 6, flags: A | WRITE });
    const c = popChain(dev);
    dev.push(c, 42);
    const d = getDesc(l, 0);
    expect(d.id).toBe(6);
    expect(d.len).toBe(42);
    expect(d.flags).toBe(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED | WRITE);
  });

  it('§2.8.3 WRITE is clear in a used descriptor when the device wrote nothing', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    dev.push(popChain(dev), 0);
    expect(getDesc(l, 0).flags).toBe(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
  });

  it('[AVP-VQ-3] §2.8.6 out-of-order completion: used descriptors go in completion order, each skipping its list length', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A | NEXT });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 0, flags: A | WRITE });
    putDesc(l, 2, { addr: l.dataAddr, len: 4, id: 1, flags: A | WRITE });
    putDesc(l, 3, { addr: l.dataAddr, len: 4, id: 2, flags: A | WRITE });
    const [a, b, c] = [popChain(dev), popChain(dev), popChain(dev)];
    dev.push(c, 3);
    dev.push(a, 1);
    dev.push(b, 2);
    // c at slot 0 (1 slot), a at slot 1 (2 slots), b at slot 3.
    expect([0, 1, 3].map((s) => [getDesc(l, s).id, getDesc(l, s).len])).toEqual([
      [2, 3],
      [0, 1],
      [1, 2],
    ]);
  });

  it('[AVP-VQ-20] push() of a chain that is not outstanding, or with a length beyond its writable part, is a device bug and throws', () => {
    const { l, dev } = setup();
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A | WRITE });
    const c = popChain(dev);
    expect(() => dev.push(c, 5)).toThrow(RangeError);
    dev.push(c, 4);
    expect(() => dev.push(c, 4)).toThrow(/not an outstanding chain/);
    expect(dev.error).toBeNull();
  });

  it('[AVP-VQ-8] §2.8.8 with VIRTIO_F_IN_ORDER push() must follow the order buffers were taken', () => {
    const { l, dev } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    putDesc(l, 0, { addr: l.dataAddr, len: 4, id: 0, flags: A });
    putDesc(l, 1, { addr: l.dataAddr, len: 4, id: 1, flags: A });
    const [a, b] = [popChain(dev), popChain(dev)];
    expect(() => dev.push(b, 0)).toThrow(/IN_ORDER/);
    dev.push(a, 0);
    dev.push(b, 0);
    expect(dev.outstandingCount).toBe(0);
  });

  it('[AVP-VQ-25] §2.8.8 pushBatch with VIRTIO_F_IN_ORDER writes one used descriptor for a run, with the last ID, at the first slot', () => {
    const { l, dev } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    putDesc(l, 0, { addr: l.dataAddr, len: 8, id: 4, flags: A | WRITE });
    putDesc(l, 1, { addr: l.dataAddr, len: 8, id: 5, flags: A | NEXT });
    putDesc(l, 2, { addr: l.dataAddr, len: 8, id: 5, flags: A | WRITE });
    putDesc(l, 3, { addr: l.dataAddr, len: 8, id: 6, flags: A | WRITE });
    const cs = [popChain(dev), popChain(dev), popChain(dev)];
    dev.pushBatch(cs.map((chain) => ({ chain, writtenLen: chain.id === 6 ? 3 : 8 })));
    expect(getDesc(l, 0)).toMatchObject({ id: 6, len: 3 });
    // Slots 1..3 were skipped: they still hold the driver's available descriptors.
    expect(getDesc(l, 1).flags & VIRTQ_DESC_F_USED).toBe(0);
    expect(getDesc(l, 3).id).toBe(6);
    expect(getDesc(l, 3).flags).toBe(A | WRITE);
    // The next used descriptor goes at slot 4.
    putDesc(l, 4, { addr: l.dataAddr, len: 8, id: 0, flags: A });
    dev.push(popChain(dev), 0);
    expect(getDesc(l, 4).flags).toBe(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
  });

  it('[AVP-VQ-25] §2.8.8 a buffer not written in full ends an in-order run and gets its own used descriptor', () => {
    const { l, dev } = setup(8, featureSet(VIRTIO_F_IN_ORDER));
    for (let i = 0; i < 3; i++) putDesc(l, i, { addr: l.dataAddr, len: 8, id: i, flags: A | WRITE });
    const cs = [popChain(dev), popChain(dev), popChain(dev)];
    dev.pushBatch([
      { chain: cs[0], writtenLen: 8 },
      { chain: cs[1], writtenLen: 2 },
      { chain: cs[2], writtenLen: 8 },
    ]);
    expect(getDesc(l, 0)).toMatchObject({ id: 1, len: 2 }); // run [0, 1]
    expect(getDesc(l, 2)).toMatchObject({ id: 2, len: 8 }); // run [2]
  });

  it('pushBatch without VIRTIO_F_IN_ORDER writes every used descriptor', () => {
    const { l, dev } = setup(8);
    for (let i = 0; i < 3; i++) putDesc(l, i, { addr: l.dataAddr, len: 8, id: i, flags: A | WRITE });
    const cs = [popChain(dev), popChain(dev), popChain(dev)];
    dev.pushBatch([cs[2], cs[0], cs[1]].map((chain) => ({ chain, writtenLen: 8 })));
    expect([0, 1, 2].map((s) => getDesc(l, s).id)).toEqual([2, 0, 1]);
  });
});

describe('PackedDeviceQueue notifications (§2.8.10)', () => {
  function withUsed(features: bigint, n: number) {
    const s = setup(8, features);
    for (let i = 0; i < n; i++) putDesc(s.l, i, { addr: s.l.dataAddr, len: 4, id: i, flags: A });
    const cs = Array.from({ length: n }, () => popChain(s.dev));
    return { ...s, cs };
  }

  it('[AVP-VQ-6] §2.8.10 driver ENABLE: notify after used descriptors were written, not when none were', () => {
    const { l, dev, cs } = withUsed(0n, 2);
    writeEventSuppression(l.mem, l.config.driverAddr, { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false });
    expect(dev.needsNotification()).toBe(false);
    dev.push(cs[0], 0);
    expect(dev.needsNotification()).toBe(true);
    expect(dev.needsNotification()).toBe(false);
  });

  it('[AVP-VQ-7] §2.8.10 driver DISABLE: never notify', () => {
    const { l, dev, cs } = withUsed(0n, 1);
    writeEventSuppression(l.mem, l.config.driverAddr, { flags: RING_EVENT_FLAGS_DISABLE, offset: 0, wrap: false });
    dev.push(cs[0], 0);
    expect(dev.needsNotification()).toBe(false);
  });

  it('[AVP-VQ-6] [AVP-VQ-7] §2.8.10 driver DESC with VIRTIO_F_EVENT_IDX: notify only once the named slot is used', () => {
    const { l, dev, cs } = withUsed(featureSet(VIRTIO_F_EVENT_IDX), 3);
    writeEventSuppression(l.mem, l.config.driverAddr, { flags: RING_EVENT_FLAGS_DESC, offset: 2, wrap: true });
    dev.push(cs[0], 0);
    dev.push(cs[1], 0);
    expect(dev.needsNotification()).toBe(false);
    dev.push(cs[2], 0);
    expect(dev.needsNotification()).toBe(true);
  });

  it('[AVP-VQ-6] §2.8.10 driver DESC without VIRTIO_F_EVENT_IDX reads as ENABLE', () => {
    const { l, dev, cs } = withUsed(0n, 1);
    writeEventSuppression(l.mem, l.config.driverAddr, { flags: RING_EVENT_FLAGS_DESC, offset: 5, wrap: true });
    dev.push(cs[0], 0);
    expect(dev.needsNotification()).toBe(true);
  });

  it('§2.8.10 setNotificationsEnabled writes DISABLE, ENABLE, or DESC at the next slot to read with VIRTIO_F_EVENT_IDX', () => {
    const plain = withUsed(0n, 0);
    plain.dev.setNotificationsEnabled(false);
    expect(readEventSuppression(plain.l.mem, plain.l.config.deviceAddr).flags).toBe(RING_EVENT_FLAGS_DISABLE);
    plain.dev.setNotificationsEnabled(true);
    expect(readEventSuppression(plain.l.mem, plain.l.config.deviceAddr).flags).toBe(RING_EVENT_FLAGS_ENABLE);
    const ev = withUsed(featureSet(VIRTIO_F_EVENT_IDX), 3);
    ev.dev.setNotificationsEnabled(true);
    expect(readEventSuppression(ev.l.mem, ev.l.config.deviceAddr)).toEqual({ flags: RING_EVENT_FLAGS_DESC, offset: 3, wrap: true });
  });
});
