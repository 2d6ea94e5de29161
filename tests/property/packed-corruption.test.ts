// Property: whatever a driver writes into the descriptor ring, its indirect tables and its
// event suppression structure (before or between the device's reads), the device side never
// throws, always returns, never asks guest memory for a byte outside it, writes only the ring
// and its own suppression structure, and pop() yields either a chain that obeys every rule or
// an error with a listed code, which then sticks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../src/lib/virtio/chain.ts';
import { VIRTQ_ERROR_CODES } from '../../src/lib/virtio/errors.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../src/lib/virtio/feature-bits.ts';
import {
  EVENT_SUPPRESS_SIZE,
  PACKED_DESC_SIZE,
  PackedDeviceQueue,
  PackedDriverQueue,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
} from '../../src/lib/virtio/packed/index.ts';
import { checkedPackedLayout } from '../support/packed-harness.ts';

type Where = 'ring' | 'table' | 'event';
type Mutation =
  | { kind: 'byte'; where: Where; at: number; value: number }
  | { kind: 'desc'; where: 'ring' | 'table'; slot: number; field: 'flags' | 'id' | 'addr' | 'len'; pick: number; bits: number; raw: bigint };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('byte' as const),
    where: fc.constantFrom<Where>('ring', 'table', 'event'),
    at: fc.nat(),
    value: fc.nat(255),
  }),
  fc.record({
    kind: fc.constant('desc' as const),
    where: fc.constantFrom<'ring' | 'table'>('ring', 'ring', 'table'),
    slot: fc.nat(),
    field: fc.constantFrom<'flags' | 'id' | 'addr' | 'len'>('flags', 'flags', 'id', 'addr', 'len'),
    pick: fc.nat(),
    bits: fc.nat(0xff),
    raw: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
);

const stepArb = fc.record({
  pushNow: fc.boolean(),
  pushHeld: fc.nat(3),
  part: fc.nat(),
  notify: fc.nat(3),
  mutations: fc.array(mutationArb, { maxLength: 2 }),
});

const caseArb = fc.record({
  size: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 16 })),
  indirect: fc.boolean(),
  inOrder: fc.boolean(),
  eventIdx: fc.boolean(),
  maxChain: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
  // A valid start: the driver adds some buffers, direct or indirect.
  adds: fc.array(fc.record({ n: fc.integer({ min: 1, max: 4 }), indirect: fc.boolean(), writableFrom: fc.nat(4) }), { maxLength: 8 }),
  mutations: fc.array(mutationArb, { maxLength: 12 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 24 }),
});

const U64 = 1n << 64n;

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/** Runs one case; returns the error code the device reported, if any. */
function run(c: Case): string | null {
  const { size } = c;
  const features = featureSet(
    ...(c.indirect ? [VIRTIO_F_INDIRECT_DESC] : []),
    ...(c.inOrder ? [VIRTIO_F_IN_ORDER] : []),
    ...(c.eventIdx ? [VIRTIO_F_EVENT_IDX] : []),
  );
  const l = checkedPackedLayout(size, { indirectSize: 512, dataSize: 512 });
  const { mem, config } = l;
  const bytes = mem.regions[0].bytes; // mutations bypass the access log

  const drv = new PackedDriverQueue(mem, config, featureSet(VIRTIO_F_INDIRECT_DESC), { indirectArea: l.indirectArea });
  for (const a of c.adds) {
    const n = Math.min(a.n, size);
    const bufs = Array.from({ length: n }, (_, i) => ({ addr: l.dataAddr + 16 * i, len: 16, writable: i >= a.writableFrom }));
    if (drv.numFree() < (a.indirect ? 1 : n)) break;
    drv.add(bufs, { indirect: a.indirect });
  }

  const interesting = [
    l.dataAddr,
    l.dataAddr + 500,
    l.indirectArea.addr,
    l.indirectArea.addr + 496,
    config.descAddr,
    l.memSize - 1,
    l.memSize,
    0,
    Number.MAX_SAFE_INTEGER,
  ];
  const lens = [0, 1, 8, 16, 24, 32, 48, 64, 512, 0xffff_ffff];
  const regionOf = (w: Where): [number, number] =>
    w === 'ring' ? [config.descAddr, PACKED_DESC_SIZE * size] : w === 'table' ? [l.indirectArea.addr, 512] : [config.driverAddr, EVENT_SUPPRESS_SIZE];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mutate = (m: Mutation): void => {
    const [start, len] = regionOf(m.where);
    if (m.kind === 'byte') {
      bytes[start + (m.at % len)] = m.value;
      return;
    }
    const at = start + PACKED_DESC_SIZE * (m.slot % Math.floor(len / PACKED_DESC_SIZE));
    if (m.field === 'flags') {
      let f: number;
      if (m.bits & 0x40) {
        // Looks available in one lap or the other: the most dangerous kind of stale slot.
        f = (m.bits & 0x20 ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED) | (m.bits & 1 ? VIRTQ_DESC_F_NEXT : 0);
        f |= (m.bits & 2 ? VIRTQ_DESC_F_WRITE : 0) | (m.bits & 0x10 ? VIRTQ_DESC_F_INDIRECT : 0);
      } else {
        const flagBits = [VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED];
        f = flagBits.reduce((acc, b, i) => (m.bits & (1 << i) ? acc | b : acc), 0);
        if (m.bits & 0x80) f |= Number(m.raw & 0xffffn);
      }
      view.setUint16(at + 14, f, true);
    } else if (m.field === 'id') {
      const ids = [0, size - 1, size, size + 1, 0xffff, Number(m.raw % BigInt(size + 2))];
      view.setUint16(at + 12, ids[m.pick % ids.length], true);
    } else if (m.field === 'addr') {
      const pick = m.pick % (interesting.length + 2);
      const addr = pick < interesting.length ? BigInt(interesting[pick]) : pick === interesting.length ? U64 - BigInt(m.bits) - 1n : m.raw;
      view.setBigUint64(at, addr, true);
    } else {
      const pick = m.pick % (lens.length + 1);
      view.setUint32(at + 8, pick < lens.length ? lens[pick] : Number(m.raw & 0xffff_ffffn), true);
    }
  };
  for (const m of c.mutations) mutate(m);

  mem.writes.length = 0;
  const dev = new PackedDeviceQueue(mem, config, features, { maxChainLength: c.maxChain });
  const held: DescriptorChain[] = [];
  let heldSlots = 0;
  const codes = VIRTQ_ERROR_CODES as readonly string[];
  let code: string | null = null;

  const pushOne = (chain: DescriptorChain, part: number): void => {
    const writable = chain.buffers.reduce((n, b) => n + (b.writable ? b.len : 0), 0);
    dev.push(chain, writable === 0 ? 0 : part % (writable + 1));
    heldSlots -= chain.descCount;
  };

  for (const s of c.steps) {
    for (const m of s.mutations) mutate(m);
    const r = dev.pop();
    if (r.kind === 'error') {
      expect(codes).toContain(r.error.code);
      code = String(r.error.code);
      expect(dev.error).toBe(r.error);
      // The error sticks, whatever the driver does next.
      for (const m of s.mutations) mutate(m);
      expect(dev.pop()).toEqual(r);
      expect(() => dev.needsNotification()).not.toThrow();
      break;
    }
    if (r.kind === 'chain') {
      const ch = r.chain;
      // A chain that passed every check: §2.8.5, §2.8.17, §2.8.22.
      expect(ch.id).toBeLessThan(size);
      expect(held.some((h) => h.id === ch.id)).toBe(false);
      expect(ch.descCount).toBeGreaterThanOrEqual(1);
      expect(ch.buffers.length).toBeGreaterThanOrEqual(1);
      expect(ch.buffers.length).toBeLessThanOrEqual(Math.min(size, c.maxChain ?? size));
      expect(ch.descCount).toBeLessThanOrEqual(ch.buffers.length);
      const firstWritable = ch.buffers.findIndex((b) => b.writable);
      if (firstWritable >= 0) expect(ch.buffers.slice(firstWritable).every((b) => b.writable)).toBe(true);
      for (const b of ch.buffers) expect(mem.contains(b.addr, b.len)).toBe(true);
      heldSlots += ch.descCount;
      expect(heldSlots).toBeLessThanOrEqual(size);
      if (s.pushNow && !c.inOrder) pushOne(ch, s.part);
      else held.push(ch);
    }
    // Return some held buffers: in order with VIRTIO_F_IN_ORDER, newest first otherwise.
    for (let i = 0; i < s.pushHeld && held.length > 0; i++) pushOne(c.inOrder ? held.shift()! : held.pop()!, s.part + i);
    if (s.notify === 1) dev.needsNotification();
    if (s.notify === 2) dev.setNotificationsEnabled((s.part & 1) === 0);
  }

  expect(mem.violations).toEqual([]);
  // The device wrote only used descriptors into the ring and its own suppression structure.
  const ringEnd = config.descAddr + PACKED_DESC_SIZE * size;
  for (const [addr, len] of mem.writes) {
    const inRing = addr >= config.descAddr && addr + len <= ringEnd;
    const inDeviceArea = addr >= config.deviceAddr && addr + len <= config.deviceAddr + EVENT_SUPPRESS_SIZE;
    expect(inRing || inDeviceArea, `device wrote [${addr}, +${len})`).toBe(true);
  }
  return code;
}

describe('packed ring device side against a hostile driver (property)', () => {
  it('[AVP-VQ-9] [AVP-VQ-10] [AVP-VQ-11] [AVP-VQ-22] never throws, never reads or writes outside its areas, and yields a valid chain or a listed error', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        run(c);
      }),
      { numRuns: 1500 },
    );
  });

  // NESTED_INDIRECT is not in the list: a packed table ignores INDIRECT in its entries (§2.8.7).
  it('[AVP-VQ-13] [AVP-VQ-14] [AVP-VQ-16] [AVP-VQ-17] [AVP-VQ-18] [AVP-VQ-30] [AVP-VQ-27] [AVP-VQ-28] the corruption reaches every ring-level error code of the packed ring (fixed seed, so the list is stable)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(caseArb, (c) => {
        const code = run(c);
        if (code) seen.add(code);
      }),
      { numRuns: 3000, seed: 20260408 },
    );
    expect([...seen].sort()).toEqual(
      [
        'ADDR_OUT_OF_RANGE',
        'ADDR_OVERFLOW',
        'BUFFER_ID_IN_USE',
        'BUFFER_ID_OUT_OF_RANGE',
        'CHAIN_INCOMPLETE',
        'CHAIN_TOO_LARGE',
        'CHAIN_TOO_LONG',
        'INDIRECT_BAD_LENGTH',
        'INDIRECT_NOT_NEGOTIATED',
        'INDIRECT_WITH_NEXT',
        'WRITE_THEN_READ',
      ].sort(),
    );
  });
});
