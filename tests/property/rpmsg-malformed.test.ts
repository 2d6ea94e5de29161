// Properties of the rpmsg device under malformed input. Whatever a driver puts on the transmit
// queue (random bytes; messages to the echo service, to a service it was not granted, to no
// endpoint or to the name service, with a len too long or too short, a source of
// RPMSG_ADDR_ANY, bytes past the buffer size, payloads of every size, cut anywhere over
// descriptors, with or without a device-writable part) and whatever receive buffers it posts
// (any size, split anywhere, some with a device-readable part), while model time runs and the
// vehicle-signals service publishes: the device never throws and never needs a reset, hands
// every transmit buffer back with used length 0, counts each refusal under the name an
// independent statement of the chapter's rules gives, writes only whole messages (used length
// exactly 16 + len, never more than 512), and in the end delivers every echo reply it owes, in
// order and intact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { ModelClock } from '../../src/lib/virtio/model-clock.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import * as R from '../../src/lib/devices/rpmsg/index.ts';

const ECHO = 1024;
const SIGNALS = 1025;
const DIAG = 1026; // running, but not granted to this guest
const ANY = 0xffff_ffff;

// The rules, written out apart from the model (the chapter's requirements AVP-CORE-10 to -15,
// in the order the chapter gives them).
function expectedOutcome(b: Uint8Array): 'ok' | R.RpmsgLinkError {
  if (b.length < 16) return 'SHORT_MESSAGE';
  if (b.length > 512) return 'MSG_TOO_LONG';
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const src = v.getUint32(0, true);
  const dst = v.getUint32(4, true);
  const len = v.getUint16(12, true);
  if (len > b.length - 16) return 'LEN_EXCEEDS_BUFFER';
  if (src === ANY || src === 53) return 'BAD_SOURCE';
  if (dst === 53) return len === 40 ? 'ok' : 'NS_BAD_SIZE';
  if (dst === ECHO || dst === SIGNALS) return 'ok';
  if (dst === DIAG) return 'ACCESS_DENIED';
  return 'UNKNOWN_DESTINATION';
}

type Action =
  | { kind: 'tx'; mode: 'formed' | 'random'; dst: number; src: number; payload: number; lenDelta: number; extra: number; random: Uint8Array; cuts: number[]; writable: number }
  | { kind: 'rx'; size: number; cuts: number[]; readable: boolean }
  | { kind: 'advance'; us: number };

const txArb = fc.record({
  kind: fc.constant('tx' as const),
  mode: fc.oneof({ weight: 5, arbitrary: fc.constant('formed' as const) }, { weight: 1, arbitrary: fc.constant('random' as const) }),
  dst: fc.oneof({ weight: 5, arbitrary: fc.constant(ECHO) }, { weight: 1, arbitrary: fc.constantFrom(SIGNALS, DIAG, 53, 1027, 0, ANY) }, { weight: 1, arbitrary: fc.nat() }),
  src: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1024, max: 1100 }) }, { weight: 1, arbitrary: fc.constantFrom(ANY, 0, 53) }),
  payload: fc.oneof({ weight: 4, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: fc.constantFrom(0, 39, 40, 41, 495, 496, 497, 600) }),
  lenDelta: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  extra: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -20, max: 8 }) }),
  random: fc.uint8Array({ maxLength: 80 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  writable: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) }),
});
const rxArb = fc.record({ kind: fc.constant('rx' as const), size: fc.oneof({ weight: 3, arbitrary: fc.constant(512) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 600 }) }), cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }), readable: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) });
const advanceArb = fc.record({ kind: fc.constant('advance' as const), us: fc.nat(20_000) });
const actionArb: fc.Arbitrary<Action> = fc.oneof({ weight: 4, arbitrary: txArb }, { weight: 3, arbitrary: rxArb }, { weight: 1, arbitrary: advanceArb });

function bytesOf(a: Extract<Action, { kind: 'tx' }>): Uint8Array {
  if (a.mode === 'random') return a.random;
  const payload = Uint8Array.from({ length: a.payload }, (_, i) => (i * 31 + a.src) & 0xff);
  const m = new Uint8Array(16 + a.payload);
  const v = new DataView(m.buffer);
  v.setUint32(0, a.src >>> 0, true);
  v.setUint32(4, a.dst >>> 0, true);
  v.setUint16(12, (a.payload + a.lenDelta) & 0xffff, true);
  m.set(payload, 16);
  if (a.extra > 0) return Uint8Array.from([...m, ...new Uint8Array(a.extra).fill(0xee)]);
  return a.extra < 0 ? m.subarray(0, Math.max(0, m.length + a.extra)) : m;
}

function setUp(ring: (typeof RING_TYPES)[number]) {
  const clock = new ModelClock();
  const table = R.buildResourceTable([R.rpmsgVdev({ vring0: R.FW_RSC_ADDR_ANY, vring1: R.FW_RSC_ADDR_ANY })]);
  const image: R.FirmwareImage = { name: 'island', code: new Uint8Array([1]), resourceTable: table, services: [() => new R.EchoService(), () => new R.VehicleSignalsService(), () => new R.EchoService('diag')], bootUs: 0 };
  const platform = new R.CorePlatform({ clock, cores: [R.coreConfig({ id: 'island', owner: 'platform', memory: { windows: [], peripherals: [] }, approved: [R.imageDigest(image)], links: [{ guest: 'g', services: ['rpmsg-client-sample', 'vehicle-signals'], backlog: 4096 }] })] });
  platform.load('platform', 'island', image);
  platform.start('platform', 'island');
  const dev = platform.link('g', 'island')!;
  const lb = new Loopback(dev, { ring, queueSize: 64, memSize: 1 << 21 });
  return { clock, platform, dev, lb };
}

describe.each(RING_TYPES)('rpmsg device under malformed input (%s ring)', (ring) => {
  it('[AVP-CORE-5] [AVP-CORE-6] [AVP-CORE-9] [AVP-CORE-10] [AVP-CORE-11] [AVP-CORE-12] [AVP-CORE-13] [AVP-CORE-14] [AVP-CORE-15] [AVP-CORE-16] [AVP-CORE-44] refuses by name, never throws or needs a reset, and writes only whole messages', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 24 }), (actions) => {
        const { clock, dev, lb } = setUp(ring);
        const owedEchoes: string[] = [];
        const gotEchoes: string[] = [];
        let rxCompletions = 0;
        const lastSeq = new Map<number, number>(); // per subscriber endpoint
        const rxSizes = new Map<number, number>();
        const check = (c: { id: number; len: number; data: Uint8Array }) => {
          rxCompletions++;
          if (c.len === 0) return;
          // whole messages only: used length exactly header + len, within the buffer and 512
          expect(c.len).toBeGreaterThanOrEqual(16);
          const h = R.decodeHeader(c.data);
          expect(c.len).toBe(16 + h.len);
          expect(c.len).toBeLessThanOrEqual(Math.min(512, rxSizes.get(c.id)!));
          expect([h.reserved, h.flags]).toEqual([0, 0]);
          const body = c.data.subarray(16);
          if (h.dst === 53) expect(['rpmsg-client-sample', 'vehicle-signals']).toContain(R.decodeNs(body).name);
          else if (h.src === ECHO) gotEchoes.push(Buffer.from(body).toString('hex') + `>${h.dst}`);
          else {
            expect(h.src).toBe(SIGNALS);
            const s = R.decodeSample(body)!;
            expect(s.seq).toBeGreaterThan(lastSeq.get(h.dst) ?? -1);
            lastSeq.set(h.dst, s.seq);
          }
        };
        const postRx = (size: number, cuts: number[], readable: boolean) => {
          if (lb.queues[0].numFree() < 4) return;
          const lens = cut(new Uint8Array(size), cuts).map((p) => p.length);
          const id = lb.submit(R.RPMSG_RX_QUEUE, readable ? [new Uint8Array(2)] : [], lens);
          rxSizes.set(id, readable ? 0 : size);
        };
        for (let i = 0; i < 4; i++) postRx(512, [], false);
        for (const c of lb.poll(R.RPMSG_RX_QUEUE)) check(c);
        for (const a of actions) {
          if (a.kind === 'advance') clock.advance(a.us);
          else if (a.kind === 'rx') postRx(a.size, a.cuts, a.readable);
          else {
            const b = bytesOf(a);
            const parts = cut(b, a.cuts);
            const want = expectedOutcome(b);
            // refusals of the guest's message; BAD_RX_BUFFER may come with a reply
            const refusals = () => new Map([...dev.stats.errors].filter(([e]) => e !== 'BAD_RX_BUFFER'));
            const before = refusals();
            const toCore = dev.stats.toCore;
            // a chain needs one buffer at least: an empty message goes as an empty writable one
            const done = lb.request(R.RPMSG_TX_QUEUE, parts, a.writable || parts.length === 0 ? [a.writable || 1] : []);
            expect(done.len).toBe(0);
            if (want === 'ok') {
              expect(refusals()).toEqual(before);
              expect(dev.stats.toCore).toBe(toCore + 1);
              const v = new DataView(b.buffer, b.byteOffset, b.length);
              if (v.getUint32(4, true) === ECHO) owedEchoes.push(Buffer.from(b.subarray(16, 16 + v.getUint16(12, true))).toString('hex') + `>${v.getUint32(0, true)}`);
            } else {
              expect(dev.errors(want), `${want} for ${Buffer.from(b).toString('hex')}`).toBe((before.get(want) ?? 0) + 1);
              expect(dev.stats.toCore).toBe(toCore);
            }
          }
          for (const c of lb.poll(R.RPMSG_RX_QUEUE)) check(c);
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
          expect(lb.error).toBeNull();
        }
        // Enough good buffers: everything owed arrives, whole and in order.
        for (let i = 0; i < 200 && dev.pending > 0; i++) {
          postRx(512, [], false);
          for (const c of lb.poll(R.RPMSG_RX_QUEUE)) check(c);
        }
        expect(dev.pending).toBe(0);
        expect(gotEchoes).toEqual(owedEchoes);
        expect(rxCompletions).toBe(dev.stats.toGuest + dev.errors('BAD_RX_BUFFER'));
        expect(dev.stats.refused.size).toBe(0);
        // and a well-formed message still works
        postRx(512, [], false);
        expect(lb.request(R.RPMSG_TX_QUEUE, [R.encodeMessage(1024, ECHO, new TextEncoder().encode('still here'))], []).len).toBe(0);
        const last = lb.poll(R.RPMSG_RX_QUEUE).filter((c) => c.len > 0 && R.decodeHeader(c.data).src === ECHO);
        expect(new TextDecoder().decode(last.at(-1)!.data.subarray(16))).toBe('still here');
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 120 },
    );
  });
});
