// Properties of the CAN device. (1) Whatever a driver puts on Txq and Controlq (random
// headers, flags, lengths, identifiers, framings, control types), the device never throws and
// never needs a reset; every request with room for a result gets exactly one byte, OK when
// an independent statement of the rules says the frame is valid and NOT_OK otherwise, and the
// bus carries exactly the accepted frames, in order. (2) Whatever the timing of frames and
// receive buffers, a guest receives a subsequence of the bus order, each frame at most once,
// and every frame is accounted for as delivered, held or dropped. (3) With several senders,
// each node's frames leave in its own order and the bus always picks the best identifier.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { type Features, hasFeature } from '../../src/lib/virtio/feature-bits.ts';
import { CanBus } from '../../src/lib/devices/can/bus.ts';
import { CanDevice } from '../../src/lib/devices/can/device.ts';
import { CanDriver } from '../../src/lib/devices/can/driver.ts';
import * as F from '../../src/lib/devices/can/features.ts';
import { arbitrationKey, type CanFrame, formatCanFrame } from '../../src/lib/devices/can/frame.ts';
import { encodeCanControl, encodeCanHeader } from '../../src/lib/devices/can/message.ts';
import { CanTap } from '../../src/lib/devices/can/tap.ts';

const ALL: Features = (1n << 64n) - 1n;
const drop = (...bits: number[]) => bits.reduce((f, b) => f & ~(1n << BigInt(b)), ALL);
const FEATURE_SETS: Features[] = [
  ALL,
  drop(F.VIRTIO_CAN_F_CAN_FD),
  drop(F.VIRTIO_CAN_F_RTR_FRAMES, F.VIRTIO_CAN_F_LATE_TX_ACK),
  drop(F.VIRTIO_CAN_F_CAN_CLASSIC, F.VIRTIO_CAN_F_RTR_FRAMES),
];
const FD_LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

interface Req {
  msgType: number;
  length: number;
  flags: number;
  canId: number;
  sdu: number;
  cut: number;
  writable: number[];
}

/** The rules of §5.20.5.2 and the AVP, written out independently of the device's code. */
function shouldAccept(r: Req, features: Features, started: boolean): boolean {
  const readable = 16 + r.sdu; // however the driver cut it into descriptors
  const fd = (r.flags & 0x4000) !== 0;
  const rtr = (r.flags & 0x2000) !== 0;
  const ext = (r.flags & 0x8000) !== 0;
  if (readable < 16 || r.msgType !== 1 || (r.flags & ~0xe000) !== 0) return false;
  if (fd ? !hasFeature(features, F.VIRTIO_CAN_F_CAN_FD) : !hasFeature(features, F.VIRTIO_CAN_F_CAN_CLASSIC)) return false;
  if (rtr && (fd || !hasFeature(features, F.VIRTIO_CAN_F_RTR_FRAMES))) return false;
  if (fd ? !FD_LENGTHS.includes(r.length) : r.length > 8) return false;
  if (r.canId > (ext ? 0x1fffffff : 0x7ff)) return false;
  if (!rtr && r.sdu < r.length) return false;
  return started;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  msgType: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 0x0101, 0x0201, 0x0202, 0xffff) }),
  length: fc.oneof(fc.nat(9), fc.constantFrom(12, 13, 16, 20, 33, 48, 64, 65, 0xffff)),
  flags: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(0, 0x2000, 0x4000, 0x8000, 0xa000, 0xc000, 0x6000, 0xe000) },
    { weight: 1, arbitrary: fc.nat(0xffffffff).map((x) => x >>> 0) },
  ),
  canId: fc.oneof(fc.nat(0x7ff), fc.nat(0x1fffffff), fc.constantFrom(0x800, 0x20000000, 0xffffffff)),
  sdu: fc.oneof(fc.nat(70), fc.constant(-1)), // -1: the sdu length equals `length` (a careful driver)
  cut: fc.nat(90),
  writable: fc.oneof({ weight: 6, arbitrary: fc.constant([1] as number[]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 2 }) }),
}).map((r) => ({ ...r, sdu: r.sdu < 0 ? Math.min(r.length, 80) : r.sdu }));

type Op = { kind: 'tx'; req: Req } | { kind: 'ctrl'; type: number; len: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: reqArb.map((req) => ({ kind: 'tx' as const, req })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ctrl' as const), type: fc.constantFrom(0x0201, 0x0202, 0x0201, 0x0001, 0x1234), len: fc.constantFrom(2, 2, 1, 0, 5) }) },
);

describe.each(RING_TYPES)('CAN device under malformed requests (%s ring)', (ring) => {
  it('[AVP-CAN-27] [AVP-CAN-7] [AVP-CAN-36] [AVP-CAN-8] [AVP-CAN-9] never throws or needs a reset; answers each request as the rules say; sends exactly what it accepted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FEATURE_SETS), fc.array(opArb, { minLength: 1, maxLength: 12 }), (features, ops) => {
        const bus = new CanBus({ bitrate: 500_000, dataBitrate: 2_000_000 });
        const dev = new CanDevice();
        bus.attach(dev, { name: 'G' });
        const tap = new CanTap();
        bus.attach(tap, { name: 'tap' });
        const lb = new Loopback(dev, { ring, features, memSize: 1 << 18 });
        const drv = new CanDriver(lb);
        drv.start();
        let started = true;
        const expectedOnWire: string[] = [];
        for (const op of ops) {
          if (op.kind === 'ctrl') {
            const raw = encodeCanControl(op.type).subarray(0, Math.min(op.len, 2));
            const bytes = op.len > 2 ? new Uint8Array([...raw, 0, 0, 0].slice(0, op.len)) : raw;
            const res = drv.control(0, { raw: bytes });
            const valid = op.len >= 2 && (op.type === 0x0201 || op.type === 0x0202);
            expect(res).toBe(valid ? 0 : 1);
            if (valid) started = op.type === 0x0201;
            continue;
          }
          const r = op.req;
          const body = new Uint8Array(16 + r.sdu);
          body.set(encodeCanHeader({ msgType: r.msgType, length: r.length, flags: r.flags, canId: r.canId }), 0);
          for (let i = 16; i < body.length; i++) body[i] = (i * 31) & 0xff;
          const parts = [body.subarray(0, r.cut), body.subarray(r.cut)].filter((p) => p.length > 0);
          if (parts.length + r.writable.length === 0) continue;
          const { status } = drv.raw(parts, r.writable);
          if (r.writable.length === 0) {
            expect(status).toBe('unanswered');
            continue;
          }
          const ok = shouldAccept(r, features, started);
          expect(status).toBe(ok ? 0 : 1);
          if (ok) {
            const rtr = (r.flags & 0x2000) !== 0;
            const frame: CanFrame = {
              id: r.canId, extended: (r.flags & 0x8000) !== 0, fd: (r.flags & 0x4000) !== 0, rtr,
              length: r.length, data: rtr ? new Uint8Array(0) : body.slice(16, 16 + r.length),
            };
            expectedOnWire.push(formatCanFrame(frame));
          }
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        }
        expect(lb.error).toBeNull();
        expect(tap.received.map((x) => formatCanFrame(x.frame))).toEqual(expectedOnWire);
      }),
      { numRuns: 120 },
    );
  });
});

type RxOp = { kind: 'frame'; id: number; n: number } | { kind: 'post'; count: number } | { kind: 'read' } | { kind: 'stop-start' };

const rxOpArb: fc.Arbitrary<RxOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('frame' as const), id: fc.nat(0x7ff), n: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('post' as const), count: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'read' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stop-start' as const }) },
);

describe.each(RING_TYPES)('CAN receive ordering (%s ring)', (ring) => {
  it('[AVP-CAN-19] [AVP-CAN-15] a guest receives a subsequence of the bus order, each frame once, and every frame is accounted for', () => {
    fc.assert(
      fc.property(fc.nat(4), fc.array(rxOpArb, { minLength: 1, maxLength: 40 }), (backlog, ops) => {
        const bus = new CanBus();
        const dev = new CanDevice({ rxBacklog: backlog });
        bus.attach(dev);
        const tap = new CanTap();
        bus.attach(tap);
        const lb = new Loopback(dev, { ring, queueSize: 16, memSize: 1 << 18 });
        const drv = new CanDriver(lb);
        drv.autoRepost = false;
        drv.start();
        const sent: string[] = [];
        const got: string[] = [];
        let posted = 0;
        let seq = 0;
        for (const op of ops) {
          if (op.kind === 'frame') {
            // A sequence number in the payload makes every frame distinct.
            const data = [seq & 0xff, seq >> 8, ...Array.from({ length: Math.max(0, op.n - 2) }, () => 0)];
            seq++;
            tap.send({ id: op.id, data });
            sent.push(formatCanFrame({ id: op.id, extended: false, fd: false, rtr: false, length: data.length, data: Uint8Array.from(data) }));
          } else if (op.kind === 'post') {
            const n = Math.min(op.count, 16 - posted);
            drv.postRx(n);
            posted += n;
          } else if (op.kind === 'read') {
            const msgs = drv.receive();
            posted -= msgs.length;
            got.push(...msgs.map((m) => formatCanFrame(m.frame)));
          } else {
            drv.stop();
            drv.start();
          }
        }
        const msgs = drv.receive();
        got.push(...msgs.map((m) => formatCanFrame(m.frame)));
        // A subsequence of what went on the wire, in order, nothing twice.
        let at = 0;
        for (const g of got) {
          while (at < sent.length && sent[at] !== g) at++;
          expect(at).toBeLessThan(sent.length);
          at++;
        }
        expect(new Set(got).size).toBe(got.length);
        const s = dev.stats.rxDropped;
        expect(got.length + dev.rxBacklog + s.overrun + s.stopped).toBe(sent.length);
        expect(dev.rxBacklog).toBeLessThanOrEqual(backlog);
        expect(lb.error).toBeNull();
      }),
      { numRuns: 120 },
    );
  });
});

describe('CAN bus arbitration', () => {
  it('[AVP-CAN-13] [AVP-CAN-14] keeps each node\'s order and always sends the best head frame first', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.record({ id: fc.nat(0x7ff), ext: fc.boolean(), rtr: fc.boolean() }), { maxLength: 6 }), { minLength: 1, maxLength: 4 }), (plans) => {
        const bus = new CanBus({ autoRun: false });
        const taps = plans.map((_, i) => {
          const t = new CanTap();
          bus.attach(t, { name: `n${i}` });
          return t;
        });
        const queues = plans.map((p) => p.map((f, j) => ({ id: f.ext ? f.id << 18 : f.id, extended: f.ext, rtr: f.rtr, length: 0, data: [j] })));
        queues.forEach((q, i) => q.forEach((f) => taps[i].send(f)));
        const heads = queues.map(() => 0);
        const order: { from: number; key: number }[] = [];
        bus.monitor((r) => order.push({ from: Number(r.from.slice(1)), key: arbitrationKey(r.frame) }));
        bus.run();
        expect(order).toHaveLength(queues.reduce((n, q) => n + q.length, 0));
        for (const o of order) {
          // The frame sent is the next of its node, and no other node's next frame beats it.
          const mine = queues[o.from][heads[o.from]];
          expect(mine).toBeDefined();
          for (let i = 0; i < queues.length; i++) {
            const h = queues[i][heads[i]];
            if (h && i !== o.from) expect(arbitrationKey({ ...h, fd: false, data: new Uint8Array(0) })).toBeGreaterThanOrEqual(o.key);
          }
          heads[o.from]++;
        }
      }),
      { numRuns: 100 },
    );
  });
});
