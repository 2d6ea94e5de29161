// Properties of the memory device under malformed requests. Whatever a driver puts on the
// guest-request queue (requests of every type and of unknown types, aligned and unaligned
// addresses, addresses below the region, past the usable region or near 2^64, zero and huge
// block counts, junk in the padding, requests cut short or lengthened, the readable part cut
// anywhere, a writable part of any size, itself cut anywhere), with requested_size changed in
// between, the device never throws and never needs a reset, answers each request with exactly
// the response an independent statement of the chapter's rules gives (or, with no room for a
// response, not at all), and its blocks and configuration stay consistent with that statement.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { MemDevice } from '../../src/lib/devices/mem/device.ts';
import * as P from '../../src/lib/devices/mem/protocol.ts';

const MiB = 1 << 20;
const BASE = 0x2_0000_0000n;
const BS = 1 * MiB;
const BLOCKS = 32;
const EXTENT = 4 * MiB;
const HOST_LIMIT = 20; // blocks the host can back at once

interface Req {
  type: number;
  block: number;
  skew: number;
  nb: number;
  junk: boolean;
  extra: number;
  cuts: number[];
  room: number[];
  resize: number | null;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 0, 1, 1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(4, 0x80, 0xffff) }),
  block: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: BLOCKS + 2 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, -0x2_0000, 0x7fff_ffff) }),
  skew: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: BS - 1 }) }),
  nb: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 40, 0xffff) }),
  junk: fc.boolean(),
  extra: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -24, max: 8 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  room: fc.oneof({ weight: 5, arbitrary: fc.constant([10] as number[]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }) }),
  resize: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: BLOCKS }) }),
});

/** The rules, written out apart from the model: the device's state and what a request gets. */
class Shadow {
  plugged = new Set<number>();
  requested = 8; // blocks
  usable = 12;
  fit(req: number): number {
    return req === 0 ? 0 : Math.min(BLOCKS, req + EXTENT / BS);
  }
  resize(req: number): void {
    this.requested = req;
    this.usable = Math.max(this.usable, this.fit(req));
  }
  /** The response type and state for a whole 24-byte request, or the type for a short one. */
  answer(bytes: Uint8Array): { type: number; state: number } {
    if (bytes.length < 24) return { type: P.VIRTIO_MEM_RESP_ERROR, state: 0 };
    const v = new DataView(bytes.buffer, bytes.byteOffset, 24);
    const type = v.getUint16(0, true);
    if (type === 2) {
      this.plugged.clear();
      this.usable = this.fit(this.requested);
      return { type: P.VIRTIO_MEM_RESP_ACK, state: 0 };
    }
    if (type > 3) return { type: P.VIRTIO_MEM_RESP_ERROR, state: 0 };
    const addr = v.getBigUint64(8, true);
    const nb = v.getUint16(16, true);
    if ((addr - BASE) % BigInt(BS) !== 0n || nb === 0 || addr < BASE || addr + BigInt(nb) * BigInt(BS) > BASE + BigInt(this.usable) * BigInt(BS)) return { type: P.VIRTIO_MEM_RESP_ERROR, state: 0 };
    const first = Number((addr - BASE) / BigInt(BS));
    const blocks = Array.from({ length: nb }, (_, i) => first + i);
    const inCount = blocks.filter((b) => this.plugged.has(b)).length;
    if (type === 3) return { type: P.VIRTIO_MEM_RESP_ACK, state: inCount === nb ? 0 : inCount === 0 ? 1 : 2 };
    if (type === 0) {
      if (inCount > 0) return { type: P.VIRTIO_MEM_RESP_ERROR, state: 0 };
      if (this.plugged.size + nb > this.requested) return { type: P.VIRTIO_MEM_RESP_NACK, state: 0 };
      if (this.plugged.size + nb > HOST_LIMIT) return { type: P.VIRTIO_MEM_RESP_BUSY, state: 0 };
      for (const b of blocks) this.plugged.add(b);
      return { type: P.VIRTIO_MEM_RESP_ACK, state: 0 };
    }
    if (inCount < nb) return { type: P.VIRTIO_MEM_RESP_ERROR, state: 0 };
    for (const b of blocks) this.plugged.delete(b);
    return { type: P.VIRTIO_MEM_RESP_ACK, state: 0 };
  }
}

function bytesOf(r: Req): Uint8Array {
  const addr = BigInt.asUintN(64, BASE + BigInt(r.block) * BigInt(BS) + BigInt(r.skew));
  let b = P.encodeMemRequest(r.type, addr, r.nb);
  if (r.junk) {
    b.fill(0xa5, 2, 8);
    b.fill(0x5a, 18, 24);
  }
  if (r.extra > 0) b = Uint8Array.from([...b, ...new Uint8Array(r.extra).fill(0xc3)]);
  if (r.extra < 0) b = b.subarray(0, 24 + r.extra);
  return b;
}

describe.each(RING_TYPES)('memory device under malformed requests (%s ring)', (ring) => {
  it('[AVP-MEM-12] [AVP-MEM-44] [AVP-MEM-45] [AVP-MEM-46] [AVP-MEM-47] [AVP-MEM-48] [AVP-MEM-49] [AVP-MEM-50] [AVP-MEM-51] [AVP-MEM-52] [AVP-MEM-56] never throws or needs a reset and answers every request as the rules say', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 20 }), (reqs) => {
        let held = 0;
        const dev = new MemDevice({
          addr: Number(BASE),
          regionSize: BLOCKS * BS,
          blockSize: BS,
          requestedSize: 8 * BS,
          usableExtent: EXTENT,
          host: { plug: (b) => (held + b <= HOST_LIMIT * BS ? ((held += b), true) : false), unplug: (b) => void (held -= b) },
        });
        const lb = new Loopback(dev, { ring });
        const shadow = new Shadow();
        for (const r of reqs) {
          if (r.resize !== null) {
            dev.setRequestedSize(r.resize * BS);
            shadow.resize(r.resize);
          }
          const bytes = bytesOf(r);
          const parts = cut(bytes, r.cuts);
          if (parts.length + r.room.length === 0) continue;
          const room = r.room.reduce((a, b) => a + b, 0);
          const c = lb.request(0, parts, r.room);
          if (room < 10) {
            expect(c.len).toBe(0);
          } else {
            const want = shadow.answer(bytes);
            const got = P.decodeMemResponse(c.data);
            expect(c.len).toBe(10);
            expect(got.type).toBe(want.type);
            if (want.type === P.VIRTIO_MEM_RESP_ACK && bytes.length >= 24 && new DataView(bytes.buffer, bytes.byteOffset).getUint16(0, true) === 3) expect(got.state).toBe(want.state);
            else expect(got.state).toBe(0);
          }
          expect(dev.pluggedSize).toBe(shadow.plugged.size * BS);
          expect(held).toBe(dev.pluggedSize);
          expect(dev.usableRegionSize).toBe(shadow.usable * BS);
          expect(dev.usableRegionSize).toBeGreaterThanOrEqual(dev.requestedSize);
        }
        for (const b of shadow.plugged) expect(dev.blocks.isPlugged(b)).toBe(true);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
      }),
      { numRuns: 40 },
    );
  });
});
