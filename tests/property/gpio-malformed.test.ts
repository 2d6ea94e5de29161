// Properties of the GPIO device under malformed requests. Whatever a driver puts on the
// requestq (random bytes; messages of every type, cut short or lengthened, for any line, with
// any value; a response buffer of any size, split anywhere) and on the eventq, the device
// never throws and never needs a reset, answers ERR (value 0, zeros after it) for every request
// the chapter says must fail, never reads or changes a line the guest may not use, and a
// well-formed request afterwards still works.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { GpioController } from '../../src/lib/devices/gpio/controller.ts';
import { GpioDevice } from '../../src/lib/devices/gpio/device.ts';

// The rules, written out apart from the model (§5.18.6 and the chapter). The IVI's view of the
// table: line 0 shared input, 1 the cluster's, 2 and 3 the IVI's, 4 nobody's; 5 lines.
const NGPIO = 5;
const IVI_LINES = new Set([0, 2, 3]);
const READ_ONLY = new Set([0]);
const NAMES_SIZE = 'REVERSE'.length + 1 + 1 + 'MUTE'.length + 1 + 'TOUCH'.length + 1 + 1;

/** True when the request must be answered ERR whatever the line's state. */
function mustFail(req: Uint8Array, room: number): boolean {
  if (req.length !== 8) return true;
  const v = new DataView(req.buffer, req.byteOffset, 8);
  const [type, gpio, value] = [v.getUint16(0, true), v.getUint16(2, true), v.getUint32(4, true)];
  if (type === 1) return gpio !== 0 || value !== 0 || room < 1 + NAMES_SIZE;
  if (type < 2 || type > 6 || room < 2 || gpio >= NGPIO || !IVI_LINES.has(gpio)) return true;
  if ((type === 2 || type === 4) && value !== 0) return true;
  if (type === 3 && (value > 2 || (READ_ONLY.has(gpio) && value === 1))) return true;
  if (type === 5 && (value > 1 || READ_ONLY.has(gpio))) return true;
  if (type === 6 && ![0, 1, 2, 3, 4, 8].includes(value)) return true;
  return false;
}

const reqArb = fc.record({
  random: fc.option(fc.uint8Array({ maxLength: 12 }), { freq: 6 }),
  type: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0, 7, 0xffff)),
  gpio: fc.oneof(fc.nat(NGPIO - 1), fc.constantFrom(NGPIO, 0xffff)),
  value: fc.oneof(fc.nat(3), fc.constantFrom(4, 8, 9, 0xffffffff)),
  extra: fc.integer({ min: -3, max: 2 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  room: fc.oneof(fc.constant(2), fc.constant(1 + NAMES_SIZE), fc.nat(40)),
  roomCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  event: fc.option(fc.record({ line: fc.oneof(fc.nat(NGPIO), fc.constant(0xffff)), inLen: fc.nat(2), outExtra: fc.integer({ min: -2, max: 1 }) }), { freq: 3 }),
  drive: fc.option(fc.record({ line: fc.nat(NGPIO - 1), level: fc.constantFrom(0 as const, 1 as const) }), { freq: 3 }),
});

function bytesOf(r: { random: Uint8Array | null; type: number; gpio: number; value: number; extra: number }): Uint8Array {
  if (r.random) return r.random;
  const b = new Uint8Array(Math.max(0, 8 + r.extra));
  const full = new Uint8Array(8);
  const v = new DataView(full.buffer);
  v.setUint16(0, r.type, true);
  v.setUint16(2, r.gpio, true);
  v.setUint32(4, r.value >>> 0, true);
  b.set(full.subarray(0, Math.min(8, b.length)));
  return b;
}

describe.each(RING_TYPES)('GPIO under malformed requests (%s ring)', (ring) => {
  it('[AVP-BUS-11] [AVP-BUS-12] [AVP-BUS-20] [AVP-BUS-21] never throws or needs a reset, fails what must fail, leaves foreign lines alone, and keeps working', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 20 }), (reqs) => {
        const ctl = new GpioController({ lines: [{ name: 'REVERSE', readers: ['cluster', 'ivi'] }, { name: 'LAMP', owner: 'cluster' }, { name: 'MUTE', owner: 'ivi' }, { name: 'TOUCH', owner: 'ivi' }, {}] });
        const cluster = new Loopback(new GpioDevice({ controller: ctl, guest: 'cluster' }), { ring });
        cluster.request(0, [Uint8Array.of(5, 0, 1, 0, 1, 0, 0, 0)], [2]); // the lamp's value 1
        cluster.request(0, [Uint8Array.of(3, 0, 1, 0, 1, 0, 0, 0)], [2]); // and output
        const lb = new Loopback(new GpioDevice({ controller: ctl, guest: 'ivi' }), { ring });
        for (const r of reqs) {
          if (r.drive) ctl.drive(r.drive.line, r.drive.level);
          const req = bytesOf(r);
          const room = r.roomCuts.length ? cut(new Uint8Array(r.room), r.roomCuts).map((p) => p.length) : r.room > 0 ? [r.room] : [];
          const parts = cut(req, r.cuts);
          if (parts.length + room.length > 0) {
            const c = lb.request(0, parts, room);
            const size = req.length === 8 && new DataView(req.buffer, req.byteOffset).getUint16(0, true) === 1 ? 1 + NAMES_SIZE : 2;
            if (mustFail(req, r.room)) {
              expect(c.len).toBe(Math.min(r.room, size));
              if (c.len > 0) expect(c.data[0]).toBe(1);
              expect([...c.data.subarray(1)].every((b) => b === 0)).toBe(true);
            } else {
              expect([0, 1]).toContain(c.data[0]);
              if (c.data[0] === 1) expect([...c.data.subarray(1)].every((b) => b === 0)).toBe(true);
            }
          }
          if (r.event) {
            const ev = new Uint8Array(Math.max(0, 2 + r.event.outExtra));
            ev.set([r.event.line & 0xff, r.event.line >> 8].slice(0, ev.length));
            if (ev.length + r.event.inLen > 0) lb.submit(1, ev.length ? [ev] : [], r.event.inLen ? [r.event.inLen] : []);
            for (const e of lb.poll(1)) if (e.len > 0) expect([0, 1]).toContain(e.data[0]);
          }
          expect([ctl.direction(1), ctl.level(1)]).toEqual([1, 1]); // the cluster's lamp, untouched
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        }
        const ok = lb.request(0, [Uint8Array.of(2, 0, 2, 0, 0, 0, 0, 0)], [2]);
        expect([ok.len, ok.data[0]]).toEqual([2, 0]);
      }),
      { numRuns: 120 },
    );
  });
});
