// Properties of the RTC device under malformed requests. Whatever a driver puts on the requestq
// (random bytes; well-formed requests of every type, truncated, lengthened, with junk in a
// reserved byte, an undefined flag bit, a bad clock ID or hw_counter, or an unknown msg_type;
// the device-readable part cut anywhere; a device-writable part of any size, itself cut
// anywhere), the device never throws and never needs a reset, answers every request with a
// status an independent statement of the chapter's rules allows, writes an error as the 8-byte
// head alone (or what fits of it), and a well-formed request after them still works.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { bit } from '../../src/lib/virtio/feature-bits.ts';
import * as P from '../../src/lib/devices/rtc/protocol.ts';
import { RtcDevice } from '../../src/lib/devices/rtc/device.ts';
import { GptpTime, GuestCounter, HostTaiClock, Timebase } from '../../src/lib/devices/rtc/timebase.ts';

const TAI_AT_ZERO = 1_775_606_437_000_000_000n;
const RESIDUAL_NS = 200n;
const TAI_UTC_NS = 37_000_000_000n;

// The rules, written out apart from the model (VIRTIO 1.4 §5.23.6 and the chapter): request
// and response sizes, head included, by msg_type; where the clock_id and the flags sit; which
// bytes are reserved. The default clocks: TAI (0), UTC (1), monotonic (2, the only alarm).
const SIZES = new Map<number, { req: number; resp: number }>([
  [0x0001, { req: 16, resp: 16 }], // READ
  [0x0002, { req: 16, resp: 24 }], // READ_CROSS
  [0x1000, { req: 8, resp: 16 }], // CFG
  [0x1001, { req: 16, resp: 16 }], // CLOCK_CAP
  [0x1002, { req: 16, resp: 16 }], // CROSS_CAP
  [0x1003, { req: 16, resp: 24 }], // READ_ALARM
  [0x1004, { req: 24, resp: 8 }], // SET_ALARM
  [0x1005, { req: 16, resp: 8 }], // SET_ALARM_ENABLED
]);
const ALARM_TYPES = new Set([0x1003, 0x1004, 0x1005]);
const RESERVED: Record<number, [number, number][]> = {
  0x0001: [[2, 8], [10, 16]],
  0x0002: [[2, 8], [11, 16]],
  0x1000: [[2, 8]],
  0x1001: [[2, 8], [10, 16]],
  0x1002: [[2, 8], [11, 16]],
  0x1003: [[2, 8], [10, 16]],
  0x1004: [[2, 8], [19, 24]],
  0x1005: [[2, 8], [11, 16]],
};
const NUM_CLOCKS = 3;
const ALARM_CLOCK = 2;
const ARM_VCT = 0;
const X86_TSC = 1;

/**
 * The statuses the chapter allows for `req` with `room` writable bytes: a set of error statuses
 * (any one of them may be answered when a request has several faults, as the chapter gives no
 * order among them), or the empty set for a request the device must execute (status OK).
 */
function allowed(req: Uint8Array, room: number, alarm: boolean): Set<number> {
  const faults = new Set<number>();
  if (req.length < 8) return faults.add(P.VIRTIO_RTC_S_EINVAL); // [AVP-RTC-5] shorter than any head
  const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
  const type = v.getUint16(0, true);
  const size = SIZES.get(type);
  if (!size) return faults.add(P.VIRTIO_RTC_S_EOPNOTSUPP); // [AVP-RTC-4]
  if (room < size.resp) faults.add(P.VIRTIO_RTC_S_EINVAL); // [AVP-RTC-5]
  if (req.length < size.req) return faults.add(P.VIRTIO_RTC_S_EINVAL); // [AVP-RTC-5]; nothing more can be read
  for (const [from, to] of RESERVED[type]) for (let i = from; i < to; i++) if (req[i] !== 0) faults.add(P.VIRTIO_RTC_S_EINVAL);
  if (ALARM_TYPES.has(type) && !alarm) faults.add(P.VIRTIO_RTC_S_ENODEV); // [AVP-RTC-17]
  if (type === 0x1000) return faults;
  const clock = v.getUint16(type === 0x1004 ? 16 : 8, true);
  if (clock >= NUM_CLOCKS) faults.add(P.VIRTIO_RTC_S_ENODEV); // [AVP-RTC-3]
  if (type === 0x0002 || type === 0x1002) {
    const hw = req[10];
    if (hw === 0xff) faults.add(P.VIRTIO_RTC_S_EINVAL); // [AVP-RTC-5] COUNTER_INVALID
    else if (hw !== ARM_VCT && hw !== X86_TSC) faults.add(P.VIRTIO_RTC_S_EOPNOTSUPP); // [AVP-RTC-4]
    else if (type === 0x0002 && hw !== ARM_VCT) faults.add(P.VIRTIO_RTC_S_EOPNOTSUPP); // [AVP-RTC-9] no CROSS_CAP for the TSC here
  }
  if (ALARM_TYPES.has(type)) {
    if (clock < NUM_CLOCKS && clock !== ALARM_CLOCK) faults.add(P.VIRTIO_RTC_S_ENODEV); // [AVP-RTC-17]
    if (type !== 0x1003 && (req[type === 0x1004 ? 18 : 10] & ~1) !== 0) faults.add(P.VIRTIO_RTC_S_EINVAL); // [AVP-RTC-5]
  }
  return faults;
}

interface Req {
  mode: 'formed' | 'random';
  type: number;
  clock: number;
  hw: number;
  flags: number;
  time: bigint;
  /** A byte to spoil: index and value (0 leaves the request alone). */
  junk: { at: number; value: number } | null;
  extra: number;
  random: Uint8Array;
  cuts: number[];
  /** null: exactly the response's size. */
  room: number[] | null;
  roomCuts: number[];
  advance: number;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  mode: fc.oneof({ weight: 5, arbitrary: fc.constant('formed' as const) }, { weight: 1, arbitrary: fc.constant('random' as const) }),
  type: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...SIZES.keys()) },
    { weight: 1, arbitrary: fc.constantFrom(0x0000, 0x0003, 0x0fff, 0x1006, 0x2000, 0xffff) },
    { weight: 1, arbitrary: fc.nat(0xffff) },
  ),
  clock: fc.oneof({ weight: 5, arbitrary: fc.nat(NUM_CLOCKS - 1) }, { weight: 1, arbitrary: fc.constantFrom(NUM_CLOCKS, 0x100, 0xffff) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  hw: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(ARM_VCT, X86_TSC) }, { weight: 1, arbitrary: fc.constantFrom(2, 0x7f, 0xfe, 0xff) }),
  flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.nat(0xff) }),
  time: fc.bigInt({ min: 0n, max: 4_000_000n }),
  junk: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.record({ at: fc.nat(23), value: fc.integer({ min: 1, max: 0xff }) }) }),
  extra: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -24, max: 12 }) }),
  random: fc.uint8Array({ maxLength: 32 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  room: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 32 }), { maxLength: 3 }) }),
  roomCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  advance: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(2_000_000) }),
});

function bytesOf(r: Req): Uint8Array {
  if (r.mode === 'random') return r.random;
  const size = SIZES.get(r.type)?.req ?? 16;
  let b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(0, r.type, true);
  if (size > 8) v.setUint16(r.type === 0x1004 ? 16 : 8, r.clock, true);
  if (r.type === 0x0002 || r.type === 0x1002) b[10] = r.hw;
  if (r.type === 0x1004) {
    v.setBigUint64(8, r.time, true);
    b[18] = r.flags;
  }
  if (r.type === 0x1005) b[10] = r.flags;
  if (r.junk) b[r.junk.at % size] = r.junk.value;
  if (r.extra > 0) {
    const longer = new Uint8Array(size + r.extra).fill(0xa5);
    longer.set(b);
    b = longer;
  }
  if (r.extra < 0) b = b.subarray(0, Math.max(0, size + r.extra));
  return b;
}

/** `total` writable bytes split at fractional cut points. */
function split(total: number, cuts: number[]): number[] {
  return cut(new Uint8Array(total), cuts).map((p) => p.length);
}

describe.each(RING_TYPES)('RTC requestq under malformed requests (%s ring)', (ring) => {
  it('[AVP-RTC-3] [AVP-RTC-4] [AVP-RTC-5] [AVP-RTC-6] [AVP-RTC-7] [AVP-RTC-17] never throws or needs a reset, answers each request with an allowed status, the head alone for an error, and keeps working', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(reqArb, { minLength: 1, maxLength: 16 }), (alarm, reqs) => {
        const base = new Timebase();
        const host = new HostTaiClock(new GptpTime(base, TAI_AT_ZERO));
        host.discipline(RESIDUAL_NS);
        const vct = new GuestCounter(base, { id: ARM_VCT, hz: 25_000_000, offset: 1_000n });
        const dev = new RtcDevice({ timebase: base, host, counters: [vct] });
        const lb = new Loopback(dev, { ring, features: alarm ? undefined : ~bit(P.VIRTIO_RTC_F_ALARM) & ((1n << 64n) - 1n) });
        expect(lb.queues.length).toBe(alarm ? 2 : 1);
        for (const r of reqs) {
          if (r.advance) base.advance(r.advance);
          const req = bytesOf(r);
          const parts = cut(req, r.cuts);
          const total = r.room ? r.room.reduce((a, b) => a + b, 0) : (SIZES.get(r.type)?.resp ?? 8);
          const room = r.room ? (r.roomCuts.length ? split(total, r.roomCuts) : r.room) : split(total, r.roomCuts);
          if (parts.length + room.length === 0) continue;
          const c = lb.request(P.RTC_REQUESTQ, parts, room);
          const faults = allowed(req, total, alarm);
          if (faults.size === 0) {
            // executed: the whole response, status OK
            const resp = SIZES.get(new DataView(req.buffer, req.byteOffset).getUint16(0, true))!.resp;
            expect(c.len).toBe(resp);
            expect(c.data[0]).toBe(P.VIRTIO_RTC_S_OK);
            expect([...c.data.subarray(1, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
          } else {
            // [AVP-RTC-6]: the head alone, or what fits of it; nothing without room
            expect(c.len).toBe(Math.min(total, 8));
            if (c.len > 0) expect(faults, `status ${c.data[0]} for ${Buffer.from(req).toString('hex')} with ${total} bytes of room`).toContain(c.data[0]);
            expect([...c.data.subarray(1, c.len)]).toEqual(new Array(Math.max(0, c.len - 1)).fill(0));
          }
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
          expect(lb.error).toBeNull();
        }
        // A well-formed request after them still works: CFG, and reads of each clock.
        const cfg = lb.request(P.RTC_REQUESTQ, [P.encodeRequest(P.VIRTIO_RTC_REQ_CFG)], [16]);
        expect([cfg.len, cfg.data[0], cfg.data[8] | (cfg.data[9] << 8)]).toEqual([16, P.VIRTIO_RTC_S_OK, NUM_CLOCKS]);
        const read = (clockId: number) => {
          const c = lb.request(P.RTC_REQUESTQ, [P.encodeRequest(P.VIRTIO_RTC_REQ_READ, { clockId })], [16]);
          expect([c.len, c.data[0]]).toEqual([16, P.VIRTIO_RTC_S_OK]);
          return new DataView(c.data.buffer, c.data.byteOffset).getBigUint64(8, true);
        };
        expect(read(0)).toBe(TAI_AT_ZERO + base.ns + RESIDUAL_NS);
        expect(read(1)).toBe(TAI_AT_ZERO + base.ns + RESIDUAL_NS - TAI_UTC_NS);
        expect(read(2)).toBe(base.ns);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
