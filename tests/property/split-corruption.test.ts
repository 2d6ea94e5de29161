// Property: whatever a driver writes into the descriptor table, its indirect tables, the
// available ring (idx, entries, flags, used_event) and even the used ring (before or between
// the device's reads), the device side never throws, always returns, never asks guest memory
// for a byte outside it, writes only the used ring, and pop() yields either a chain that obeys
// every rule or an error with a listed code, which then sticks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../src/lib/virtio/chain.ts';
import { VIRTQ_ERROR_CODES } from '../../src/lib/virtio/errors.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../src/lib/virtio/feature-bits.ts';
import {
  availRingBytes,
  SPLIT_DESC_SIZE,
  SplitDeviceQueue,
  SplitDriverQueue,
  usedRingBytes,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from '../../src/lib/virtio/split/index.ts';
import { checkedSplitLayout } from '../support/split-harness.ts';

type Where = 'desc' | 'table' | 'avail' | 'used';
type Mutation =
  | { kind: 'byte'; where: Where; at: number; value: number }
  | { kind: 'desc'; where: 'desc' | 'table'; slot: number; field: 'flags' | 'next' | 'addr' | 'len'; pick: number; bits: number; raw: bigint }
  | { kind: 'avail'; field: 'idx' | 'entry'; slot: number; pick: number; raw: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('byte' as const),
    where: fc.constantFrom<Where>('desc', 'table', 'avail', 'used'),
    at: fc.nat(),
    value: fc.nat(255),
  }),
  fc.record({
    kind: fc.constant('desc' as const),
    where: fc.constantFrom<'desc' | 'table'>('desc', 'desc', 'table'),
    slot: fc.nat(),
    field: fc.constantFrom<'flags' | 'next' | 'addr' | 'len'>('flags', 'flags', 'next', 'next', 'addr', 'len'),
    pick: fc.nat(),
    bits: fc.nat(0xff),
    raw: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
  fc.record({
    kind: fc.constant('avail' as const),
    field: fc.constantFrom<'idx' | 'entry'>('idx', 'entry', 'entry'),
    slot: fc.nat(),
    pick: fc.nat(),
    raw: fc.nat(0xffff),
  }),
);

const stepArb = fc.record({
  pushNow: fc.boolean(),
  pushHeld: fc.nat(3),
  part: fc.nat(),
  notify: fc.nat(3),
  add: fc.option(fc.record({ n: fc.integer({ min: 1, max: 4 }), indirect: fc.boolean(), writableFrom: fc.nat(4) }), { nil: undefined }),
  mutations: fc.array(mutationArb, { maxLength: 2 }),
});

const caseArb = fc.record({
  size: fc.constantFrom(1, 2, 4, 8, 16),
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
  const l = checkedSplitLayout(size, { indirectSize: 512, dataSize: 512 });
  const { mem, config } = l;
  const bytes = mem.regions[0].bytes; // mutations bypass the access log
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // The driver always offers indirect tables, so tables appear whether or not the device negotiated them.
  const drv = new SplitDriverQueue(mem, config, featureSet(VIRTIO_F_INDIRECT_DESC), { indirectArea: l.indirectArea });
  const tryAdd = (a: { n: number; indirect: boolean; writableFrom: number }): void => {
    const n = Math.min(a.n, size);
    const bufs = Array.from({ length: n }, (_, i) => ({ addr: l.dataAddr + 16 * i, len: 16, writable: i >= a.writableFrom }));
    if (drv.numFree() < (a.indirect ? 1 : n)) return;
    try {
      drv.add(bufs, { indirect: a.indirect });
    } catch {
      // The scratch area is full, or the driver saw a corrupted used ring: it adds nothing.
    }
  };
  for (const a of c.adds) tryAdd(a);

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
    w === 'desc'
      ? [config.descAddr, SPLIT_DESC_SIZE * size]
      : w === 'table'
        ? [l.indirectArea.addr, 512]
        : w === 'avail'
          ? [config.driverAddr, availRingBytes(size)]
          : [config.deviceAddr, usedRingBytes(size)];
  const mutate = (m: Mutation): void => {
    if (m.kind === 'avail') {
      if (m.field === 'idx') {
        const cur = view.getUint16(config.driverAddr + 2, true);
        const choices = [cur + 1, cur - 1, cur + size, cur + size + 1, m.raw];
        view.setUint16(config.driverAddr + 2, choices[m.pick % choices.length] & 0xffff, true);
      } else {
        const heads = [0, size - 1, size, size + 1, 0xffff, m.raw % (size + 2)];
        view.setUint16(config.driverAddr + 4 + 2 * (m.slot % size), heads[m.pick % heads.length], true);
      }
      return;
    }
    const [start, len] = regionOf(m.where);
    if (m.kind === 'byte') {
      bytes[start + (m.at % len)] = m.value;
      return;
    }
    const at = start + SPLIT_DESC_SIZE * (m.slot % Math.floor(len / SPLIT_DESC_SIZE));
    if (m.field === 'flags') {
      const flagBits = [VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT];
      let f = flagBits.reduce((acc, b, i) => (m.bits & (1 << i) ? acc | b : acc), 0);
      if (m.bits & 0x80) f |= Number(m.raw & 0xffffn);
      view.setUint16(at + 12, f, true);
    } else if (m.field === 'next') {
      const nexts = [0, 1, size - 1, size, 31, 32, 0xffff, Number(m.raw % BigInt(size + 2))];
      view.setUint16(at + 14, nexts[m.pick % nexts.length], true);
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

  // The driver's own accesses are not judged: the logs are cleared after each of its turns.
  const asDriver = (f: () => void): void => {
    f();
    mem.violations.length = 0;
    mem.writes.length = 0;
  };
  // The device's are: nothing outside guest memory, and writes only into the used ring (§2.7.5.1).
  const usedStart = config.deviceAddr;
  const usedEnd = config.deviceAddr + usedRingBytes(size);
  const judgeDevice = (): void => {
    expect(mem.violations).toEqual([]);
    for (const [addr, len] of mem.writes) {
      expect(addr >= usedStart && addr + len <= usedEnd, `device wrote [${addr}, +${len})`).toBe(true);
    }
    mem.writes.length = 0;
  };

  asDriver(() => {}); // the driver's set-up above is not judged
  const dev = new SplitDeviceQueue(mem, config, features, { maxChainLength: c.maxChain });
  judgeDevice();
  const held: DescriptorChain[] = [];
  const codes = VIRTQ_ERROR_CODES as readonly string[];
  let code: string | null = null;

  const pushOne = (chain: DescriptorChain, part: number): void => {
    const writable = chain.buffers.reduce((n, b) => n + (b.writable ? b.len : 0), 0);
    dev.push(chain, writable === 0 ? 0 : part % (writable + 1));
  };

  for (const s of c.steps) {
    for (const m of s.mutations) mutate(m);
    // The driver keeps going, on top of whatever was corrupted.
    if (s.add) asDriver(() => tryAdd(s.add!));
    const r = dev.pop();
    if (r.kind === 'error') {
      expect(codes).toContain(r.error.code);
      code = String(r.error.code);
      expect(dev.error).toBe(r.error);
      // The error sticks, whatever the driver does next, and the device touches nothing more.
      for (const m of s.mutations) mutate(m);
      expect(dev.pop()).toEqual(r);
      expect(dev.needsNotification()).toBe(false);
      dev.setNotificationsEnabled(true);
      for (const h of held) dev.push(h, 0);
      expect(mem.writes).toEqual([]);
      judgeDevice();
      break;
    }
    if (r.kind === 'chain') {
      const ch = r.chain;
      // A chain that passed every check: §2.7.4.2, §2.7.5, §2.7.5.3.1, §2.7.6.
      expect(ch.id).toBeLessThan(size);
      expect(held.some((h) => h.id === ch.id)).toBe(false);
      expect(ch.descCount).toBeGreaterThanOrEqual(1);
      expect(ch.descCount).toBeLessThanOrEqual(size);
      expect(ch.buffers.length).toBeGreaterThanOrEqual(1);
      expect(ch.buffers.length).toBeLessThanOrEqual(Math.min(size, c.maxChain ?? size));
      const firstWritable = ch.buffers.findIndex((b) => b.writable);
      if (firstWritable >= 0) expect(ch.buffers.slice(firstWritable).every((b) => b.writable)).toBe(true);
      for (const b of ch.buffers) expect(mem.contains(b.addr, b.len)).toBe(true);
      if (s.pushNow && !c.inOrder) pushOne(ch, s.part);
      else held.push(ch);
    }
    // Return some held chains: in order with VIRTIO_F_IN_ORDER, newest first otherwise.
    for (let i = 0; i < s.pushHeld && held.length > 0; i++) pushOne(c.inOrder ? held.shift()! : held.pop()!, s.part + i);
    if (s.notify === 1) dev.needsNotification();
    if (s.notify === 2) dev.setNotificationsEnabled((s.part & 1) === 0);
    judgeDevice();
    // The driver collects what it can; a corrupted used ring may make it give up, which is its business.
    asDriver(() => {
      try {
        while (drv.pollUsed());
      } catch {
        /* USED_ID_INVALID: the driver saw the corruption */
      }
    });
  }
  return code;
}

describe('split ring device side against a hostile driver (property)', () => {
  it('[AVP-VQ-9] [AVP-VQ-10] [AVP-VQ-11] [AVP-VQ-22] never throws, never reads outside guest memory, writes only the used ring, and yields a valid chain or a listed error', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        run(c);
      }),
      { numRuns: 1500 },
    );
  });

  it('[AVP-VQ-13] [AVP-VQ-14] [AVP-VQ-15] [AVP-VQ-16] [AVP-VQ-17] [AVP-VQ-30] [AVP-VQ-28] the corruption reaches every split-ring error code (fixed seed, so the list is stable)', () => {
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
        'AVAIL_IDX_JUMP',
        'BUFFER_ID_IN_USE',
        'CHAIN_TOO_LARGE',
        'CHAIN_TOO_LONG',
        'DESC_LOOP',
        'HEAD_OUT_OF_RANGE',
        'INDIRECT_BAD_LENGTH',
        'INDIRECT_NOT_NEGOTIATED',
        'INDIRECT_WITH_NEXT',
        'NESTED_INDIRECT',
        'NEXT_OUT_OF_RANGE',
        'WRITE_THEN_READ',
      ].sort(),
    );
  });
});
