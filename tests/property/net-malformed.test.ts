// Property: whatever a driver puts on a transmit queue or the control queue of the network
// device (random bytes, headers with random flags and offsets, requests split anywhere),
// the device never throws and never needs a reset; every transmit buffer comes back with
// length 0 and is either sent or counted as dropped; every control request with room for an
// ack is answered with exactly one byte, VIRTIO_NET_OK or VIRTIO_NET_ERR, and the answer is
// OK exactly when the request is well formed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { type Features } from '../../src/lib/virtio/feature-bits.ts';
import { NetDevice } from '../../src/lib/devices/net/device.ts';
import { cable, NetTap } from '../../src/lib/devices/net/backend.ts';
import { encodeNetHdr } from '../../src/lib/devices/net/net-hdr.ts';
import { parseControl, VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../src/lib/devices/net/control.ts';
import * as F from '../../src/lib/devices/net/features.ts';
import { cut } from '../support/cut.ts';

const ALL: Features = (1n << 64n) - 1n;
const drop = (...bits: number[]) => bits.reduce((f, b) => f & ~(1n << BigInt(b)), ALL);
const FEATURE_SETS: Features[] = [
  ALL,
  drop(F.VIRTIO_NET_F_MRG_RXBUF, F.VIRTIO_NET_F_CSUM),
  drop(F.VIRTIO_NET_F_CTRL_RX_EXTRA, F.VIRTIO_NET_F_CTRL_VLAN, F.VIRTIO_NET_F_MQ, F.VIRTIO_NET_F_MAC),
];

/** Cuts `bytes` into pieces at the given fractions (empty pieces are left out). */

const txPacketArb = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .record({
      flags: fc.nat(255),
      gsoType: fc.constantFrom(0, 0, 0, 1, 3, 4, 5, 0x21, 0x80, 0x60),
      csumStart: fc.oneof(fc.nat(80), fc.nat(65535)),
      csumOffset: fc.oneof(fc.nat(20), fc.nat(65535)),
      hdrLen: fc.nat(65535),
      frame: fc.uint8Array({ maxLength: 160 }),
    })
    .map((r) => new Uint8Array([...encodeNetHdr(r), ...r.frame])),
);

const txRequestArb = fc.record({
  bytes: txPacketArb,
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
  writable: fc.array(fc.nat(64), { maxLength: 2 }),
});

const ctrlBytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc
    .record({ cls: fc.nat(10), cmd: fc.nat(7), data: fc.uint8Array({ maxLength: 30 }) })
    .map((r) => new Uint8Array([r.cls, r.cmd, ...r.data])),
  // Plausible MAC tables with counts that may lie.
  fc
    .record({ n1: fc.nat(4), n2: fc.nat(4), body: fc.uint8Array({ maxLength: 60 }) })
    .map((r) => new Uint8Array([1, 0, r.n1, 0, 0, 0, ...r.body.subarray(0, 6 * r.n1), r.n2, 0, 0, 0, ...r.body.subarray(6 * r.n1)])),
);

const ctrlRequestArb = fc.record({
  bytes: ctrlBytesArb,
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  ack: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
});

describe.each(RING_TYPES)('network device under malformed requests (%s ring)', (ring) => {
  it('[AVP-NET-8] [AVP-NET-35] [AVP-NET-36] never throws or needs a reset on any transmit buffer, and accounts for every one', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FEATURE_SETS), fc.array(txRequestArb, { minLength: 1, maxLength: 10 }), (features, reqs) => {
        const dev = new NetDevice({ mac: '52:54:00:00:00:01', mtu: 100, maxQueuePairs: 2 });
        const tap = new NetTap();
        cable(dev, tap);
        const lb = new Loopback(dev, { ring, features });
        for (const r of reqs) {
          const out = cut(r.bytes, r.cuts);
          const inLens = r.writable.filter((n) => n > 0);
          if (out.length === 0 && inLens.length === 0) inLens.push(1);
          const id = lb.submit(1, out, inLens);
          const done = lb.poll(1).find((c) => c.id === id);
          expect(done?.len).toBe(0);
        }
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        const dropped = Object.values(dev.stats.txDrops).reduce((a, b) => a + b, 0);
        expect(dev.stats.txPackets + dropped).toBe(reqs.length);
        expect(tap.received.length).toBe(dev.stats.txPackets);
        for (const f of tap.received) expect(f.length >= 14 && f.length <= 100 + 18).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('[AVP-NET-15] answers every control request OK or ERR, in one byte, never throwing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FEATURE_SETS), fc.array(ctrlRequestArb, { minLength: 1, maxLength: 12 }), (features, reqs) => {
        const dev = new NetDevice({ mac: '52:54:00:00:00:01', maxQueuePairs: 3 });
        const lb = new Loopback(dev, { ring, features });
        const ctrl = dev.controlQueueIndex(lb.features)!;
        for (const r of reqs) {
          const expected = parseControl(r.bytes, lb.features, dev.negotiatedPairs(lb.features)).ok ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
          const c = lb.request(ctrl, cut(r.bytes, r.cuts), r.ack);
          expect(c.len).toBe(1);
          expect(c.data[0]).toBe(expected);
        }
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(dev.stats.ctrlOk + dev.stats.ctrlErr).toBe(reqs.length);
        expect(dev.activePairs).toBeGreaterThanOrEqual(1);
        expect(dev.activePairs).toBeLessThanOrEqual(dev.negotiatedPairs(lb.features));
        // The device still works: a frame to its own address reaches a posted buffer.
        lb.submit(0, [], [1526]);
        const frame = new Uint8Array(60);
        frame.set([0x52, 0x54, 0, 0, 0, 1], 0);
        const r = dev.receive(frame);
        expect(['delivered', 'filtered']).toContain(r);
      }),
      { numRuns: 200 },
    );
  });
});
