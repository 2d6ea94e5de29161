// Properties of the RPMB device under malformed requests. Whatever a driver puts in a chain
// (valid writes, writes with flipped bytes, stale counters, random frames, lengths that are
// not whole frames, cut anywhere, with any room for the answer), the device never throws and
// never needs a reset, writes only whole frames within the room given, and changes its
// counter and data exactly when an independent statement of the rules says the request was
// an authentic, current, in-range write.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { RpmbDevice } from '../../src/lib/devices/rpmb/device.ts';
import * as F from '../../src/lib/devices/rpmb/frame.ts';
import { hmacSha256, macEqual } from '../../src/lib/devices/rpmb/hmac.ts';
import { counterRequest, programKeyRequest, readRequest, writeRequest } from '../../src/lib/devices/rpmb/requests.ts';
import { MemoryRpmbStore } from '../../src/lib/devices/rpmb/store.ts';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => 3 * i + 1);
const MAX_WR = 3;
const BLOCKS = 512;

type Shape = 'write' | 'stale' | 'read' | 'counter' | 'key' | 'random';
interface Req {
  shape: Shape;
  blocks: number;
  address: number;
  flips: { at: number; bit: number }[];
  extra: number; // bytes added (or, negative, removed) at the end
  cuts: number[];
  room: number[];
  fill: number;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  shape: fc.constantFrom<Shape>('write', 'write', 'stale', 'read', 'counter', 'key', 'random'),
  blocks: fc.integer({ min: 0, max: 4 }),
  address: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 505, max: 0xffff })),
  flips: fc.oneof({ weight: 3, arbitrary: fc.constant([] as { at: number; bit: number }[]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat(4000), bit: fc.nat(7) }), { minLength: 1, maxLength: 2 }) }),
  extra: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -40, max: 40 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  room: fc.oneof({ weight: 4, arbitrary: fc.constant([512] as number[]) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 1100 }), { maxLength: 3 }) }),
  fill: fc.nat(255),
});

/** The write rules, stated apart from the engine: would these frames be applied now? */
function authentic(bytes: Uint8Array, counter: number): boolean {
  const frames = F.splitFrames(bytes);
  if (!frames) return false;
  const last = F.decodeFrame(frames[frames.length - 1]);
  const ops = frames.length > 1 && last.reqResp === F.VIRTIO_RPMB_REQ_RESULT_READ ? frames.slice(0, -1) : frames;
  if (ops.length < frames.length && last.blockCount !== 1) return false;
  const d = ops.map(F.decodeFrame);
  const n = d[0].blockCount;
  if (d[0].reqResp !== F.VIRTIO_RPMB_REQ_DATA_WRITE || n === 0 || n > MAX_WR || n !== ops.length) return false;
  if (d.some((x) => x.reqResp !== F.VIRTIO_RPMB_REQ_DATA_WRITE)) return false;
  if (d[0].address + n > BLOCKS) return false;
  if (!macEqual(hmacSha256(KEY, F.macInput(ops)), d[d.length - 1].keyMac)) return false;
  return d[0].writeCounter === counter;
}

describe.each(RING_TYPES)('RPMB requests under malformed frames (%s ring)', (ring) => {
  it('[AVP-RPMB-3] [AVP-RPMB-4] [AVP-RPMB-5] [AVP-RPMB-13] [AVP-RPMB-14] [AVP-RPMB-15] never throws or needs a reset, answers in whole frames, and applies exactly the authentic current writes', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 12 }), (reqs) => {
        const store = new MemoryRpmbStore({ capacity: 1, maxWrCnt: MAX_WR, maxRdCnt: 4 });
        const dev = new RpmbDevice({ store });
        const lb = new Loopback(dev, { ring, memSize: 1 << 20 });
        lb.request(0, programKeyRequest(KEY), [512]);
        const shadow = new Uint8Array(BLOCKS * 256);
        let counter = 0;
        for (const r of reqs) {
          const data = new Uint8Array(256 * Math.max(r.blocks, 1)).fill(r.fill);
          const nonce = new Uint8Array(16).fill(r.fill);
          const frames =
            r.shape === 'write' ? writeRequest(KEY, counter, r.address, data)
            : r.shape === 'stale' ? writeRequest(KEY, counter + 1 + (r.fill % 3), r.address, data)
            : r.shape === 'read' ? readRequest(nonce, r.address, r.blocks)
            : r.shape === 'counter' ? counterRequest(nonce)
            : r.shape === 'key' ? programKeyRequest(new Uint8Array(32).fill(r.fill))
            : Array.from({ length: Math.max(r.blocks, 1) }, (_, i) => new Uint8Array(512).map((_, j) => (r.fill * 31 + i * 7 + j * 13) & 0xff));
          let bytes = F.concatBytes(frames);
          for (const f of r.flips) bytes[f.at % bytes.length] ^= 1 << f.bit;
          if (r.extra > 0) bytes = F.concatBytes([bytes, new Uint8Array(r.extra)]);
          if (r.extra < 0) bytes = bytes.subarray(0, bytes.length + r.extra);
          const parts = cut(bytes, r.cuts);
          if (parts.length + r.room.length === 0) continue;
          const applies = authentic(bytes, counter);
          const c = lb.request(0, parts, r.room);
          const room = r.room.reduce((a, b) => a + b, 0);
          expect(c.len % 512).toBe(0);
          expect(c.len).toBeLessThanOrEqual(room - (room % 512));
          if (applies) {
            const d = F.decodeFrame(bytes.subarray(0, 512));
            for (let i = 0; i < d.blockCount; i++) shadow.set(F.decodeFrame(bytes.subarray(512 * i, 512 * (i + 1))).data, (d.address + i) * 256);
            counter++;
          }
          expect(store.counter()).toBe(counter);
        }
        expect(F.toHex(store.read(0, BLOCKS)!) === F.toHex(shadow)).toBe(true);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
      }),
      { numRuns: 40 },
    );
  });
});
