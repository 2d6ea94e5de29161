// Properties of the I2C adapter under malformed requests. Whatever a driver puts on the
// requestq (random bytes; headers with any address field, any flags, FAIL_NEXT chains of any
// length; data where there should be none; buffers of any size split anywhere), the device
// never throws and never needs a reset, answers every request with its status as the last byte
// of a fully written device-writable part, fails what the chapter says must fail, fails the rest
// of a group after its first failure, never reads a part the guest does not own, and a
// well-formed register read afterwards still works.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { I2cBus } from '../../src/lib/devices/i2c/bus.ts';
import { I2cAdapterDevice } from '../../src/lib/devices/i2c/device.ts';
import { TemperatureSensor } from '../../src/lib/devices/i2c/targets.ts';

// The rules apart from the model (§5.16.6 and the chapter): the guest owns 7-bit 0x48 only;
// 0x49 is on the bus and nobody's.
const OWN = 0x48 << 1;
const FOREIGN = 0x49 << 1;

/** True when the request must fail on its own (before any bus activity). */
function mustFail(out: Uint8Array, room: number): boolean {
  if (room < 1 || out.length < 8) return true;
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const addr = v.getUint16(0, true);
  const flags = v.getUint32(4, true);
  const read = (flags & 2) !== 0;
  if (flags & ~3) return true;
  if (read ? out.length > 8 : room > 1) return true;
  return addr !== OWN; // any other field is a bad address or not the guest's
}

const reqArb = fc.record({
  random: fc.option(fc.uint8Array({ maxLength: 12 }), { freq: 8 }),
  addr: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(OWN, FOREIGN) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  flags: fc.oneof({ weight: 6, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constantFrom(4, 0x80000000, 0xffffffff) }),
  write: fc.uint8Array({ maxLength: 4 }),
  readLen: fc.nat(4),
  extraRoom: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 2 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  roomCuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
});

describe.each(RING_TYPES)('I2C under malformed requests (%s ring)', (ring) => {
  it('[AVP-BUS-25] [AVP-BUS-26] [AVP-BUS-27] [AVP-BUS-31] [AVP-BUS-33] [AVP-BUS-34] never throws or needs a reset, fails what must fail and the rest of its group, and keeps working', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 16 }), (reqs) => {
        const bus = new I2cBus({ owners: { ivi: { addresses: [0x48] }, cluster: { addresses: [] } } });
        const own = new TemperatureSensor(20);
        const foreign = new TemperatureSensor(40);
        bus.attach(0x48, own).attach(0x49, foreign);
        const lb = new Loopback(new I2cAdapterDevice({ bus, guest: 'ivi' }), { ring });
        const sent: { id: number; must: boolean; room: number; groupEnd: boolean }[] = [];
        for (const r of reqs) {
          let out: Uint8Array;
          let room: number;
          if (r.random) {
            out = r.random;
            room = Math.max(0, r.readLen + r.extraRoom + 1);
          } else {
            const read = (r.flags & 2) !== 0;
            const h = new Uint8Array(8);
            const v = new DataView(h.buffer);
            v.setUint16(0, r.addr, true);
            v.setUint32(4, r.flags >>> 0, true);
            out = read ? h : Uint8Array.from([...h, ...r.write]);
            room = Math.max(0, (read ? r.readLen : 0) + 1 + r.extraRoom);
          }
          const parts = cut(out, r.cuts);
          const inLens = room > 0 ? (r.roomCuts.length ? cut(new Uint8Array(room), r.roomCuts).map((p) => p.length) : [room]) : [];
          if (parts.length + inLens.length === 0) continue;
          const id = lb.submit(0, parts, inLens);
          const groupEnd = out.length < 8 || (new DataView(out.buffer, out.byteOffset).getUint32(4, true) & 1) === 0;
          sent.push({ id, must: mustFail(out, room), room, groupEnd });
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        }
        // Close any open group, then a well-formed register read.
        const close = lb.submit(0, [Uint8Array.of(OWN, 0, 0, 0, 0, 0, 0, 0)], [1]);
        sent.push({ id: close, must: false, room: 1, groupEnd: true });
        const done = new Map(lb.poll(0).map((c) => [c.id, c]));
        let failedInGroup = false;
        for (const s of sent) {
          const c = done.get(s.id)!;
          expect(c, `request ${s.id} was answered`).toBeDefined();
          expect(c.len).toBe(s.room);
          if (c.len > 0) {
            const status = c.data[c.len - 1];
            if (s.must || failedInGroup) expect(status).toBe(1);
            if (status === 1) expect([...c.data.subarray(0, c.len - 1)].every((b) => b === 0)).toBe(true);
            if (status === 1 && !s.groupEnd) failedInGroup = true;
          } else if (!s.groupEnd) failedInGroup = true;
          if (s.groupEnd) failedInGroup = false;
        }
        expect(foreign.reads).toBe(0);
        // Write the pointer (FAIL_NEXT), then read the temperature: 20 °C is 0x1400.
        lb.submit(0, [Uint8Array.of(OWN, 0, 0, 0, 1, 0, 0, 0), Uint8Array.of(0)], [1]);
        lb.submit(0, [Uint8Array.of(OWN, 0, 0, 0, 2, 0, 0, 0)], [2, 1]);
        const [w, rd] = lb.poll(0);
        expect([w.data[0], rd.len, ...rd.data]).toEqual([0, 3, 0x14, 0x00, 0]);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 120 },
    );
  });
});
