// Properties of the sound device under malformed requests. (1) Whatever a driver puts on the
// controlq (any code, any fields, cut anywhere, any response room), the device never needs a
// reset, answers every request that has room for a status with exactly the status an
// independent statement of the rules gives, and hands back the others with used length 0.
// (2) Whatever I/O messages a driver offers on the txq while the clock runs (good, cut, short,
// for the wrong stream, with odd writable parts), every message comes back exactly once, with
// OK only for well-formed ones, after its frames were played, and the device never needs a reset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { SND_CONTROLQ, SND_TXQ } from '../../src/lib/devices/sound/config.ts';
import { SoundDevice } from '../../src/lib/devices/sound/device.ts';
import { SoundDriver } from '../../src/lib/devices/sound/driver.ts';
import * as P from '../../src/lib/devices/sound/protocol.ts';
import { infotainmentTopology } from '../../src/lib/devices/sound/topology.ts';

const OK = P.VIRTIO_SND_S_OK;
const BAD = P.VIRTIO_SND_S_BAD_MSG;
const NOTSUPP = P.VIRTIO_SND_S_NOT_SUPP;

interface Ctl {
  code: number;
  fields: number[];
  len: number; // readable bytes kept (the rest cut off)
  room: number; // writable bytes
  cuts: number[];
}

const CODES = [0x0001, 0x0002, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0200, 0x0300, 0x0306, 0x1000, 0x8000, 0xffffffff];
const ctlArb: fc.Arbitrary<Ctl> = fc.record({
  code: fc.constantFrom(...CODES),
  fields: fc.array(fc.oneof({ weight: 4, arbitrary: fc.nat(4) }, { weight: 1, arbitrary: fc.constantFrom(24, 32, 33, 0xffffffff) }), { minLength: 3, maxLength: 3 }),
  len: fc.oneof({ weight: 4, arbitrary: fc.constant(16) }, { weight: 1, arbitrary: fc.nat(20) }),
  room: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(4, 4 + 32, 4 + 3 * 33) }, { weight: 1, arbitrary: fc.nat(140) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
});

/** The controlq rules for the infotainment topology (1 jack, 3 streams, 2 maps), apart from the device's code. Streams stay idle. */
function expected(c: Ctl, bytes: Uint8Array): number {
  const f = (i: number) => P.u32At(bytes, 4 + 4 * i);
  if (bytes.length < 4) return BAD;
  const info: Record<number, [number, number]> = { 0x0001: [1, 24], 0x0100: [3, 32], 0x0200: [2, 24] };
  if (info[c.code]) {
    if (bytes.length < 16) return BAD;
    const [total, size] = info[c.code];
    if (f(0)! + f(1)! > total) return BAD;
    if (f(2)! < size || c.room < 4 + f(1)! * f(2)!) return BAD;
    return OK;
  }
  if (c.code === 0x0002) return bytes.length < 16 ? BAD : f(0)! >= 1 ? BAD : NOTSUPP;
  if (c.code >= 0x0101 && c.code <= 0x0105) {
    if (bytes.length < 8 || f(0)! >= 3) return BAD;
    if (c.code === 0x0101) return BAD; // 16 bytes at most here: SET_PARAMS is 24, so it is short
    return BAD; // idle streams accept nothing but SET_PARAMS
  }
  return NOTSUPP;
}

describe.each(RING_TYPES)('sound controlq under malformed requests (%s ring)', (ring) => {
  it('[AVP-SND-10] [AVP-SND-11] [AVP-SND-3] [AVP-SND-4] [AVP-SND-12] [AVP-SND-13] answers each request with the status the rules give, never needing a reset', () => {
    fc.assert(
      fc.property(fc.array(ctlArb, { minLength: 1, maxLength: 12 }), (reqs) => {
        const dev = new SoundDevice({ topology: infotainmentTopology() });
        const lb = new Loopback(dev, { ring, memSize: 1 << 18 });
        for (const c of reqs) {
          const bytes = P.le32(c.code, ...c.fields).subarray(0, c.len);
          const parts = cut(bytes, c.cuts);
          if (parts.length + (c.room ? 1 : 0) === 0) continue;
          const r = lb.request(SND_CONTROLQ, parts, c.room ? [c.room] : []);
          if (c.room < 4) {
            expect(r.len).toBe(0);
            continue;
          }
          expect(P.u32At(r.data, 0)).toBe(expected(c, bytes));
          expect(r.len).toBe(P.u32At(r.data, 0) === OK && c.code !== 0x0002 ? 4 + c.fields[1] * c.fields[2] : 4);
        }
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

interface Io {
  stream: number;
  frames: number;
  extra: number; // odd bytes after the frames
  headerLen: number;
  writable: readonly number[];
  cuts: number[];
  advanceUs: number;
}

const ioArb: fc.Arbitrary<Io> = fc.record({
  stream: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 0xffffffff) }),
  frames: fc.nat(300),
  extra: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  headerLen: fc.oneof({ weight: 6, arbitrary: fc.constant(4) }, { weight: 1, arbitrary: fc.nat(3) }),
  writable: fc.oneof({ weight: 5, arbitrary: fc.constant([8] as number[]) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
  advanceUs: fc.nat(8_000),
});

describe.each(RING_TYPES)('sound txq under malformed messages (%s ring)', (ring) => {
  it('[AVP-SND-21] [AVP-SND-24] [AVP-SND-25] [AVP-SND-26] completes every message once, OK only for good ones once played', () => {
    fc.assert(
      fc.property(fc.array(ioArb, { minLength: 1, maxLength: 20 }), (msgs) => {
        const dev = new SoundDevice({ topology: infotainmentTopology() });
        const lb = new Loopback(dev, { ring, memSize: 1 << 19, queueSize: 64 });
        const drv = new SoundDriver(lb);
        const params = { bufferBytes: 3840, periodBytes: 960, features: 0, channels: 2, format: 5, rate: 7 };
        expect([drv.setParams(0, params), drv.pcm('PREPARE', 0), drv.pcm('START', 0)]).toEqual([OK, OK, OK]);
        let played = 0;
        dev.connect(0, { write: (s) => void (played += s.length / 2) });
        const sent = new Map<number, { good: boolean; bytes: number; room: number }>();
        let offered = 0;
        let completed = 0;
        let goodBytes = 0; // bytes of good messages offered
        const collect = () => {
          for (const c of lb.poll(SND_TXQ)) {
            // Tokens are reused once returned, so each completion must match one message in flight.
            const m = sent.get(c.id);
            expect(m).toBeDefined();
            if (!m) return;
            sent.delete(c.id);
            completed++;
            const room = m.room;
            if (room < 8) {
              expect(c.len).toBe(0);
              continue;
            }
            expect(c.len).toBe(room);
            const status = P.u32At(c.data, room - 8);
            if (!m.good) expect(status).toBe(P.VIRTIO_SND_S_IO_ERR);
            else {
              expect(status).toBe(OK);
              // Completed only once all frames offered up to it were played.
              expect(played * 4).toBeGreaterThanOrEqual(m.bytes);
            }
          }
        };
        for (const m of msgs) {
          if (sent.size >= 60) break;
          const data = new Uint8Array(m.frames * 4 + m.extra);
          const header = P.le32(m.stream).subarray(0, m.headerLen);
          const bytes = Uint8Array.from([...header, ...data]);
          const parts = cut(bytes, m.cuts);
          const room = m.writable.reduce((a, b) => a + b, 0);
          if (parts.length + m.writable.length === 0) continue;
          // Judged on the byte stream, as the device sees it: a cut header runs into the frames.
          const payload = bytes.length - 4;
          const good = P.u32At(bytes, 0) === 0 && payload % 4 === 0 && room === 8 && dev.queuedBytes(0) + payload <= params.bufferBytes;
          if (good) goodBytes += payload;
          const id = lb.submit(SND_TXQ, parts, m.writable);
          expect(sent.has(id)).toBe(false);
          sent.set(id, { good, bytes: goodBytes, room });
          offered++;
          collect();
          dev.advance(m.advanceUs);
          collect();
        }
        dev.advance(100_000);
        collect();
        expect(sent.size).toBe(0);
        expect(completed).toBe(offered);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
