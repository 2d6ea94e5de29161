// Properties of the SCMI device under malformed commands. Whatever a driver puts on the cmdq
// (random bytes; commands of every protocol and message with a wrong message type, reserved
// header bits, parameters cut short or lengthened, random parameter values, unknown protocols
// and messages; the device-readable part cut anywhere; a device-writable part of any size, cut
// anywhere), with or without the eventq, the device never throws and never needs a reset,
// hands back unused exactly the chains it cannot answer, echoes the header, writes an error as
// the header and status alone, answers the status an independent statement of the chapter's
// rules gives where those rules fix it, and a well-formed command after them still works.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { ModelClock } from '../../src/lib/virtio/model-clock.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { bit } from '../../src/lib/virtio/feature-bits.ts';
import { ScmiDevice } from '../../src/lib/devices/scmi/device.ts';
import { ScmiPlatform } from '../../src/lib/devices/scmi/platform.ts';
import { VEHICLE_AGENTS, vehicleSensorTable } from '../../src/lib/devices/scmi/vehicle.ts';

// The rules, written out apart from the model (VIRTIO 1.4 §5.17.6.1 and the chapter): the
// parameter size of every implemented message by protocol, which messages ask for P2A messages,
// which take a sensor ID first, and the statuses.
const SUCCESS = 0;
const NOT_SUPPORTED = -1;
const INVALID_PARAMETERS = -2;
const DENIED = -3;
const NOT_FOUND = -4;
const COMMS_ERROR = -7;
const PROTOCOL_ERROR = -10;
const PARAMS: Record<number, Record<number, number>> = {
  0x10: { 0: 0, 1: 0, 2: 4, 3: 0, 4: 0, 5: 0, 6: 4, 7: 4 },
  0x15: { 0: 0, 1: 0, 2: 4, 3: 4, 4: 8, 5: 16, 6: 8, 7: 8, 8: 8, 9: 4, 0xa: 8, 0xb: 8 },
};
const P2A_MESSAGES = new Set([0x4, 0x5, 0xb]);
const TAKES_SENSOR = new Set([0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xb]);
/** The infotainment guest's view: speed, accelerometer, gyroscope (all read-only), cabin temperature (configure). */
const SENSORS = 4;
const READ_ONLY = new Set([0, 1, 2]);
const READING_BYTES = [16, 48, 48, 16];

/** The status the rules fix for a command answered at all, or null where the sensor's state or the room decides. */
function expected(msg: Uint8Array, room: number, p2a: boolean): number | null {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const h = v.getUint32(0, true);
  const id = h & 0xff;
  const type = (h >>> 8) & 3;
  const proto = (h >>> 10) & 0xff;
  if (type !== 0 || h >>> 28 !== 0) return PROTOCOL_ERROR;
  const sizes = PARAMS[proto];
  if (!sizes) return NOT_SUPPORTED;
  if (sizes[id] === undefined) return NOT_SUPPORTED;
  if (msg.length - 4 !== sizes[id]) return PROTOCOL_ERROR;
  if (proto === 0x10) return null;
  const word = (i: number) => v.getUint32(4 + 4 * i, true);
  if (!p2a && (P2A_MESSAGES.has(id) || (id === 0x6 && (word(1) & 1) !== 0))) return NOT_SUPPORTED;
  if (id === 0x3 && word(0) >= SENSORS) return INVALID_PARAMETERS;
  if (!TAKES_SENSOR.has(id)) return null;
  const sensor = word(0);
  if (sensor >= SENSORS) return NOT_FOUND;
  if (id === 0xa) {
    if (word(1) & 0x1fc) return INVALID_PARAMETERS;
    if (READ_ONLY.has(sensor) && word(1) >>> 16 !== 0) return DENIED; // asks for an update interval (seconds not 0)
  }
  if (id === 0x6 && word(1) === 0) return READING_BYTES[sensor] <= room - 8 ? SUCCESS : COMMS_ERROR;
  return null;
}

interface Cmd {
  mode: 'formed' | 'random';
  proto: number;
  id: number;
  type: number;
  reserved: number;
  token: number;
  words: number[];
  extra: number;
  random: Uint8Array;
  cuts: number[];
  room: number[];
  roomCuts: number[];
  advance: number;
}

const word = fc.oneof({ weight: 4, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.constantFrom(0x3, 0x11, 0x1fc, 0x10003, 0xffff_ffff) }, { weight: 1, arbitrary: fc.nat(0xffff_ffff) });
const cmdArb: fc.Arbitrary<Cmd> = fc.record({
  mode: fc.oneof({ weight: 6, arbitrary: fc.constant('formed' as const) }, { weight: 1, arbitrary: fc.constant('random' as const) }),
  proto: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0x10, 0x15) }, { weight: 1, arbitrary: fc.nat(0xff) }),
  id: fc.oneof({ weight: 6, arbitrary: fc.nat(0xb) }, { weight: 1, arbitrary: fc.nat(0xff) }),
  type: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) }),
  reserved: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(0xf) }),
  token: fc.nat(0x3ff),
  words: fc.array(word, { minLength: 4, maxLength: 4 }),
  extra: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }),
  random: fc.uint8Array({ maxLength: 24 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  room: fc.oneof({ weight: 4, arbitrary: fc.constant<number[]>([136]) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 3 }) }),
  roomCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  advance: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3_000) }),
});

function bytesOf(c: Cmd): Uint8Array {
  if (c.mode === 'random') return c.random;
  const size = PARAMS[c.proto]?.[c.id] ?? 4;
  const n = Math.max(0, size + c.extra);
  const b = new Uint8Array(4 + n);
  const v = new DataView(b.buffer);
  v.setUint32(0, ((c.id & 0xff) | (c.type << 8) | (c.proto << 10) | (c.token << 18) | (c.reserved << 28)) >>> 0, true);
  for (let i = 0; i * 4 < n; i++) {
    const w = new Uint8Array(4);
    new DataView(w.buffer).setUint32(0, c.words[i % 4] >>> 0, true);
    b.set(w.subarray(0, Math.min(4, n - i * 4)), 4 + i * 4);
  }
  return b;
}

function split(total: number, cuts: number[]): number[] {
  return cut(new Uint8Array(total), cuts).map((p) => p.length);
}

describe.each(RING_TYPES)('SCMI cmdq under malformed commands (%s ring)', (ring) => {
  it('[AVP-SENS-7] [AVP-SENS-8] [AVP-SENS-9] [AVP-SENS-10] [AVP-SENS-11] [AVP-SENS-14] [AVP-SENS-15] [AVP-SENS-20] [AVP-SENS-35] never throws or needs a reset, echoes the header, answers the status the rules fix, and keeps working', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(cmdArb, { minLength: 1, maxLength: 16 }), (p2a, cmds) => {
        const clock = new ModelClock();
        const platform = new ScmiPlatform({ clock, sensors: vehicleSensorTable(), agents: VEHICLE_AGENTS });
        const dev = new ScmiDevice({ platform, agent: 'ivi' });
        const lb = new Loopback(dev, { ring, features: p2a ? undefined : ~bit(0) & ((1n << 64n) - 1n) });
        clock.advance(60_000); // every sensor has a fresh sample
        let unused = 0;
        for (const c of cmds) {
          if (c.advance) clock.advance(c.advance);
          const msg = bytesOf(c);
          const parts = cut(msg, c.cuts);
          const total = c.room.reduce((a, b) => a + b, 0);
          const room = c.roomCuts.length && total > 0 ? split(total, c.roomCuts) : c.room;
          if (parts.length + room.length === 0) continue;
          const before = dev.config.size; // the device has no configuration to change
          const done = lb.request(0, parts, room);
          expect(dev.config.size).toBe(before);
          if (msg.length < 4 || total < 8) {
            // [AVP-SENS-9]: handed back unused
            expect(done.len).toBe(0);
            unused++;
            continue;
          }
          const v = new DataView(done.data.buffer, done.data.byteOffset);
          expect(done.len).toBeGreaterThanOrEqual(8);
          expect(done.len).toBeLessThanOrEqual(total);
          expect(v.getUint32(0, true)).toBe(new DataView(msg.buffer, msg.byteOffset).getUint32(0, true)); // [AVP-SENS-7]
          const status = v.getInt32(4, true);
          if (status !== SUCCESS) expect(done.len).toBe(8); // [AVP-SENS-8]
          const want = expected(msg, total, p2a);
          if (want !== null) expect(status, `for ${Buffer.from(msg).toString('hex')} with ${total} bytes of room`).toBe(want);
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
          expect(lb.error).toBeNull();
        }
        expect(dev.stats.noHeader + dev.stats.noRoom).toBe(unused);
        // A well-formed command after them still works: the sensor protocol's version, and a read.
        const version = lb.request(0, [Uint8Array.of(0x00, 0x54, 0x00, 0x00)], [136]);
        expect([version.len, new DataView(version.data.buffer).getUint32(8, true)]).toEqual([12, 0x30000]);
        // The commands may have switched the speed off in this guest's view: on again, then read.
        const on = lb.request(0, [Uint8Array.of(0x0a, 0x54, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0)], [136]);
        expect([on.len, new DataView(on.data.buffer).getInt32(4, true)]).toEqual([8, SUCCESS]);
        const read = lb.request(0, [Uint8Array.of(0x06, 0x54, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)], [136]);
        expect([read.len, new DataView(read.data.buffer).getInt32(4, true)]).toEqual([24, SUCCESS]);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
