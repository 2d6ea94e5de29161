// Property: on random descriptor tables (loops, bad next indices, bad addresses, readable after
// writable, indirect tables good and bad, a random chain-length limit), the split device reports
// exactly what a plain one-pass walk reports: the first violation in walk order, checking for a
// revisited descriptor at every step. The device looks for loops only once a walk has failed
// (split/chain-walk.ts, firstRevisit), so this holds it to the simple order it must match.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { featureSet, VIRTIO_F_INDIRECT_DESC } from '../../src/lib/virtio/feature-bits.ts';
import { SplitDeviceQueue, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/lib/virtio/split/index.ts';
import { offer, putDesc, putTableEntry, splitLayout } from '../support/split-harness.ts';

const SIZE = 8;
const NEXT = VIRTQ_DESC_F_NEXT;
const WRITE = VIRTQ_DESC_F_WRITE;
const INDIRECT = VIRTQ_DESC_F_INDIRECT;

interface Desc {
  addr: number;
  len: number;
  flags: number;
  next: number;
}
type Outcome = { code: string; loopAt?: number } | { buffers: { addr: number; len: number; writable: boolean }[] };

const entryArb = (flags: number[]) =>
  fc.record({
    flags: fc.constantFrom(...flags),
    // Indices up to SIZE + 1: some out of range, many revisiting.
    next: fc.nat(SIZE + 1),
    bad: fc.boolean(),
    len: fc.nat(64),
    tableEntries: fc.constantFrom(0, 1, 2, 4, 8, 1.25),
  });
const caseArb = fc.record({
  ring: fc.array(entryArb([0, NEXT, WRITE, NEXT | WRITE, NEXT | WRITE, NEXT, INDIRECT, INDIRECT | NEXT]), { minLength: SIZE, maxLength: SIZE }),
  table: fc.array(entryArb([0, NEXT, WRITE, NEXT | WRITE, NEXT, INDIRECT]), { minLength: SIZE, maxLength: SIZE }),
  head: fc.nat(SIZE - 1),
  limit: fc.integer({ min: 1, max: SIZE }),
});

/** The one-pass walk the device must agree with, over the descriptors as written. */
function reference(ring: Desc[], table: Desc[], tableAddr: number, head: number, limit: number, memSize: number): Outcome {
  const inMemory = (d: Desc) => d.addr + d.len <= memSize;
  const buffers: { addr: number; len: number; writable: boolean }[] = [];
  let readable = 0;
  /** The rules of one buffer, in the device's order; an error code or null. */
  const take = (d: Desc): string | null => {
    if (buffers.length + 1 > limit) return 'CHAIN_TOO_LONG';
    const writable = (d.flags & WRITE) !== 0;
    if (!writable) {
      if (readable !== buffers.length) return 'WRITE_THEN_READ';
      readable++;
    }
    if (!inMemory(d)) return 'ADDR_OUT_OF_RANGE';
    buffers.push({ addr: d.addr, len: d.len, writable });
    return null;
  };
  const seen = new Set([head]);
  let index = head;
  for (;;) {
    const d = ring[index];
    if (d.flags & INDIRECT) {
      if (d.flags & NEXT) return { code: 'INDIRECT_WITH_NEXT' };
      if (d.len === 0 || d.len % 16 !== 0) return { code: 'INDIRECT_BAD_LENGTH' };
      if (!inMemory(d)) return { code: 'ADDR_OUT_OF_RANGE' };
      const entries = d.len / 16;
      const seenInTable = new Set([0]);
      let i = 0;
      for (;;) {
        // Only the table at tableAddr is generated with entries; the rest of memory is zero.
        const e = d.addr === tableAddr ? table[i] : { addr: 0, len: 0, flags: 0, next: 0 };
        if (e.flags & INDIRECT) return { code: 'NESTED_INDIRECT' };
        const err = take(e);
        if (err) return { code: err };
        if (!(e.flags & NEXT)) return { buffers };
        if (e.next >= entries) return { code: 'NEXT_OUT_OF_RANGE' };
        if (seenInTable.has(e.next)) return { code: 'DESC_LOOP', loopAt: e.next };
        seenInTable.add(e.next);
        i = e.next;
      }
    }
    const err = take(d);
    if (err) return { code: err };
    if (!(d.flags & NEXT)) return { buffers };
    if (d.next >= SIZE) return { code: 'NEXT_OUT_OF_RANGE' };
    if (seen.has(d.next)) return { code: 'DESC_LOOP', loopAt: d.next };
    seen.add(d.next);
    index = d.next;
  }
}

describe('split walk order (§2.7.5.2, §2.7.4.2, §2.7.5.3)', () => {
  it('[AVP-VQ-14] reports the same first violation as a one-pass walk that checks for loops at every step', () => {
    fc.assert(
      fc.property(caseArb, ({ ring, table, head, limit }) => {
        const l = splitLayout(SIZE, { indirectSize: 16 * SIZE, dataSize: 128 });
        const tableAddr = l.indirectArea.addr;
        const memSize = l.memSize;
        // A bad address is one that runs past the end of memory by at least one byte.
        const place = (e: (typeof ring)[number], inTable: boolean): Desc => {
          if (!inTable && e.flags & INDIRECT) {
            const len = Math.round(e.tableEntries * 16);
            return { addr: e.bad ? memSize - 8 : tableAddr, len, flags: e.flags, next: e.next };
          }
          return { addr: e.bad ? memSize - e.len + 1 : l.dataAddr, len: e.len, flags: e.flags, next: e.next };
        };
        const ringDescs = ring.map((e) => place(e, false));
        const tableDescs = table.map((e) => place(e, true));
        ringDescs.forEach((d, i) => putDesc(l, i, d));
        tableDescs.forEach((d, i) => putTableEntry(l, tableAddr, i, d));
        const dev = new SplitDeviceQueue(l.mem, l.config, featureSet(VIRTIO_F_INDIRECT_DESC), { maxChainLength: limit });
        offer(l, head);
        const r = dev.pop();
        const expected = reference(ringDescs, tableDescs, tableAddr, head, limit, memSize);
        if ('code' in expected) {
          expect(r.kind === 'error' ? r.error.code : r.kind).toBe(expected.code);
          if (expected.loopAt !== undefined && r.kind === 'error') expect(r.error.message).toMatch(new RegExp(`(descriptor|entry) ${expected.loopAt} appears twice`));
        } else {
          expect(r.kind === 'chain' ? r.chain.buffers : r.kind === 'error' ? r.error.message : r.kind).toEqual(expected.buffers);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
