// Properties of the balloon device under malformed requests. Whatever a driver puts on the
// inflateq, deflateq, statsq and reporting_vq (well-formed frame numbers, frames past the guest's
// memory or in a protected range, repeats, pages in or not in the balloon, random bytes, lengths
// that are not whole entries, device-writable buffers where none belong, the readable part cut
// anywhere; reports of aligned and unaligned ranges), the device never throws and never needs a
// reset, uses every buffer with length 0, and holds exactly the pages, statistics and reported
// page count that an independent statement of the chapter's rules gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { BalloonDevice } from '../../src/lib/devices/balloon/device.ts';
import { balloonQueues, encodePfns, encodeStats } from '../../src/lib/devices/balloon/protocol.ts';

const GUEST_PAGES = 0x400;
const PROTECTED = { first: 0x300, count: 0x20 };
const KNOWN_TAGS = 10; // tags 0 to 9
const REPORT_BASE = 0x10_0000; // reports go to the upper MiB of 2 MiB, clear of the rings

type Shape = 'inflate' | 'deflate' | 'stats' | 'report';
interface Req {
  shape: Shape;
  pfns: number[];
  /** Bytes added (positive) or removed (negative) at the end of the request. */
  extra: number;
  random: Uint8Array | null;
  writable: number[];
  cuts: number[];
  stats: [number, bigint][];
  report: { page: number; pages: number; skew: number; readable: boolean }[];
}

const pfnArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0x100, max: 0x120 }) }, { weight: 1, arbitrary: fc.integer({ min: 0x2f8, max: 0x328 }) }, { weight: 1, arbitrary: fc.constantFrom(GUEST_PAGES - 1, GUEST_PAGES, 0xffff_ffff) });

const reqArb: fc.Arbitrary<Req> = fc.record({
  shape: fc.constantFrom<Shape>('inflate', 'inflate', 'deflate', 'deflate', 'stats', 'report'),
  pfns: fc.array(pfnArb, { minLength: 0, maxLength: 6 }),
  extra: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
  random: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) }),
  writable: fc.oneof({ weight: 6, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 2 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  stats: fc.array(fc.tuple(fc.oneof(fc.nat(KNOWN_TAGS + 2), fc.constant(0xffff)), fc.bigInt({ min: 0n, max: 1n << 40n })), { maxLength: 5 }),
  report: fc.array(fc.record({ page: fc.integer({ min: 0, max: 0x1f }), pages: fc.integer({ min: 1, max: 3 }), skew: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xfff }) }), readable: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }), { minLength: 1, maxLength: 3 }),
});

/** The inflate and deflate rules, stated apart from the device: the pages taken, or null. */
function accepted(op: 'inflate' | 'deflate', bytes: Uint8Array, writable: boolean, inBalloon: Set<number>): number[] | null {
  if (writable || bytes.length === 0 || bytes.length % 4 !== 0) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seen = new Set<number>();
  for (let i = 0; i < bytes.length; i += 4) {
    const p = v.getUint32(i, true);
    if (p >= GUEST_PAGES || (p >= PROTECTED.first && p < PROTECTED.first + PROTECTED.count) || seen.has(p)) return null;
    if (op === 'inflate' ? inBalloon.has(p) : !inBalloon.has(p)) return null;
    seen.add(p);
  }
  return [...seen];
}

/** The statistics rules: the known tags of a readable whole buffer without repeats, or null. */
function statsOf(bytes: Uint8Array, writable: boolean): Map<number, bigint> | null {
  if (writable || bytes.length % 10 !== 0) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = new Map<number, bigint>();
  for (let i = 0; i < bytes.length; i += 10) {
    const tag = v.getUint16(i, true);
    if (tag >= KNOWN_TAGS) continue;
    if (m.has(tag)) return null;
    m.set(tag, v.getBigUint64(i + 2, true));
  }
  return m;
}

describe.each(RING_TYPES)('balloon under malformed requests (%s ring)', (ring) => {
  it('[AVP-MEM-5] [AVP-MEM-6] [AVP-MEM-7] [AVP-MEM-8] [AVP-MEM-9] [AVP-MEM-10] [AVP-MEM-12] [AVP-MEM-22] [AVP-MEM-33] never throws or needs a reset, uses every buffer with length 0, and holds exactly what the rules allow', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 14 }), (reqs) => {
        const dev = new BalloonDevice({ guestPages: GUEST_PAGES, protectedRanges: [PROTECTED] });
        const lb = new Loopback(dev, { ring, memSize: 2 << 20 });
        const q = new Map(balloonQueues(lb.features).map((r, i) => [r, i]));
        const shadow = new Set<number>();
        let stats = new Map<number, bigint>();
        let reported = 0;
        lb.submit(q.get('statsq')!, [encodeStats([])], []); // the standing buffer of §5.5.5
        for (const r of reqs) {
          if (r.shape === 'report') {
            const bufs = r.report.map((x) => ({ addr: REPORT_BASE + x.page * 0x1000 + x.skew, len: x.pages * 0x1000, writable: !x.readable })).sort((a, b) => Number(a.writable) - Number(b.writable));
            const pageList = bufs.flatMap((b) => Array.from({ length: b.len / 0x1000 }, (_, i) => Math.floor(b.addr / 0x1000) + i));
            const ok = bufs.every((b) => b.writable && b.addr % 0x1000 === 0) && pageList.every((p) => !shadow.has(p));
            const rq = q.get('reporting_vq')!;
            lb.queues[rq].add(bufs);
            lb.kick(rq);
            const used = lb.queues[rq].pollUsed();
            expect(used?.len).toBe(0);
            if (ok) reported += bufs.reduce((n, b) => n + b.len / 0x1000, 0);
            continue;
          }
          let bytes = r.random ?? (r.shape === 'stats' ? encodeStats(r.stats) : encodePfns(r.pfns));
          if (r.extra > 0) bytes = Uint8Array.from([...bytes, ...new Uint8Array(r.extra).fill(0x5a)]);
          if (r.extra < 0) bytes = bytes.subarray(0, Math.max(0, bytes.length + r.extra));
          const parts = cut(bytes, r.cuts);
          if (parts.length + r.writable.length === 0) continue;
          if (r.shape === 'stats') {
            const sq = q.get('statsq')!;
            expect(dev.requestStats()).toBe(true);
            expect(lb.poll(sq).map((c) => c.len)).toEqual([0]);
            lb.submit(sq, parts, r.writable);
            stats = statsOf(bytes, r.writable.length > 0) ?? stats;
            expect(Object.fromEntries(dev.stats)).toEqual(Object.fromEntries(stats));
            continue;
          }
          const take = accepted(r.shape, bytes, r.writable.length > 0, shadow);
          const c = lb.request(q.get(r.shape === 'inflate' ? 'inflateq' : 'deflateq')!, parts, r.writable);
          expect(c.len).toBe(0);
          for (const p of take ?? []) r.shape === 'inflate' ? shadow.add(p) : shadow.delete(p);
          expect(dev.pagesInBalloon).toBe(shadow.size);
        }
        for (const p of shadow) expect(dev.has(p)).toBe(true);
        expect(dev.counters.reportedPages).toBe(reported);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
      }),
      { numRuns: 40 },
    );
  });
});
