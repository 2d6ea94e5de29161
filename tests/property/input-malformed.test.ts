// Properties of the input device under malformed buffers. (1) Whatever a driver puts on the
// statusq (any bytes, cut anywhere, with or without device-writable parts), the device never
// throws and never needs a reset, returns every buffer with used length 0, and accepts exactly
// the status events an independent statement of the rules accepts, its LED state following
// them. (2) Whatever buffers a driver offers on the eventq (device-readable parts, short or
// split writable parts) while frames arrive, the device never needs a reset, hands back
// unusable buffers with used length 0, fills usable ones with exactly one event each, and the
// events the driver receives are, in order, a prefix of what the source produced; with a
// bounded backlog, whole frames are lost and counted, never parts of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import * as C from '../../src/lib/devices/input/codes.ts';
import { INPUT_EVENTQ, INPUT_STATUSQ, InputDevice } from '../../src/lib/devices/input/device.ts';
import { decodeInputEvent, encodeInputEvent, formatEvent, type InputEvent, SYN } from '../../src/lib/devices/input/event.ts';
import { keyboardProfile, steeringKeysProfile } from '../../src/lib/devices/input/profile.ts';

interface StatusBuf {
  type: number;
  code: number;
  value: number;
  /** Readable bytes: fewer than 8 truncates the event, more appends junk. */
  len: number;
  cuts: number[];
  writable: number[];
}

const statusArb: fc.Arbitrary<StatusBuf> = fc.record({
  type: fc.oneof({ weight: 4, arbitrary: fc.constant(C.EV_LED) }, { weight: 1, arbitrary: fc.constantFrom(C.EV_REP, C.EV_KEY, C.EV_SND, C.EV_SYN, 0xffff) }),
  code: fc.oneof({ weight: 4, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  value: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }) }),
  len: fc.oneof({ weight: 4, arbitrary: fc.constant(8) }, { weight: 1, arbitrary: fc.nat(20) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  writable: fc.oneof({ weight: 5, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 2 }) }),
});

/** The statusq rules, written out apart from the device's code: a keyboard with three LEDs and EV_REP. */
function accepted(b: StatusBuf): boolean {
  if (b.writable.length > 0 || b.len < 8) return false;
  if (b.type === C.EV_LED) return b.code <= 2 && (b.value === 0 || b.value === 1);
  if (b.type === C.EV_REP) return b.code <= 1 && b.value >= 0;
  return false;
}

describe.each(RING_TYPES)('input statusq under malformed buffers (%s ring)', (ring) => {
  it('[AVP-INPUT-24] [AVP-INPUT-25] [AVP-INPUT-26] [AVP-INPUT-27] never throws or needs a reset, uses nothing, and accepts exactly the valid events', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { minLength: 1, maxLength: 16 }), (bufs) => {
        const dev = new InputDevice({ profile: keyboardProfile() });
        const lb = new Loopback(dev, { ring, memSize: 1 << 18 });
        const leds = new Map<number, boolean>();
        let ok = 0;
        for (const b of bufs) {
          const ev = encodeInputEvent({ type: b.type, code: b.code, value: b.value });
          const bytes = new Uint8Array(b.len);
          bytes.set(ev.subarray(0, Math.min(8, b.len)));
          bytes.fill(0xa5, 8);
          const parts = cut(bytes, b.cuts);
          if (parts.length + b.writable.length === 0) continue;
          const c = lb.request(INPUT_STATUSQ, parts, b.writable);
          expect(c.len).toBe(0);
          if (accepted(b)) {
            ok++;
            if (b.type === C.EV_LED) leds.set(b.code, b.value === 1);
          }
        }
        expect(dev.stats.statusAccepted).toBe(ok);
        expect(dev.leds).toEqual(leds);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
      }),
      { numRuns: 150 },
    );
  });
});

type EvOp = { kind: 'frame'; keys: number[] } | { kind: 'buffer'; readable: number; writable: number[] } | { kind: 'read' };

const WHEEL = [C.KEY_VOLUMEUP, C.KEY_VOLUMEDOWN, C.KEY_OK, C.KEY_PHONE];

const evOpArb: fc.Arbitrary<EvOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('frame' as const), keys: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('buffer' as const),
      readable: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) }),
      writable: fc.oneof({ weight: 4, arbitrary: fc.constant([8] as number[]) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }) }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'read' as const }) },
);

describe.each(RING_TYPES)('input eventq under malformed buffers (%s ring)', (ring) => {
  it('[AVP-INPUT-21] [AVP-INPUT-13] [AVP-INPUT-16] [AVP-INPUT-17] [AVP-INPUT-27] hands back unusable buffers, one event per usable one, in order, whole frames only', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 24 }), fc.array(evOpArb, { minLength: 1, maxLength: 40 }), (backlog, ops) => {
        const dev = new InputDevice({ profile: steeringKeysProfile(), backlog });
        const lb = new Loopback(dev, { ring, queueSize: 64, memSize: 1 << 18 });
        const down = new Set<number>();
        const admitted: string[][] = []; // frames the device took, as the source made them
        const got: InputEvent[] = [];
        let offered = 0;
        let lost = false; // after a loss the device rewrites frames, so the stream is compared up to it
        const shapes = new Map<number, { readable: number; writable: number[] }>();
        const collect = () => {
          for (const c of lb.poll(INPUT_EVENTQ)) {
            const s = shapes.get(c.id)!;
            shapes.delete(c.id);
            offered--;
            const usable = s.readable === 0 && s.writable.reduce((a, b) => a + b, 0) >= 8;
            expect(c.len).toBe(usable ? 8 : 0);
            if (usable) got.push(decodeInputEvent(c.data));
          }
        };
        for (const op of ops) {
          if (op.kind === 'frame') {
            // Toggle each key: the source's frames are always valid evdev.
            const evs = [...new Set(op.keys)].map((k) => {
              const code = WHEEL[k];
              const value = down.has(code) ? 0 : 1;
              if (value) down.add(code);
              else down.delete(code);
              return { type: C.EV_KEY, code, value };
            });
            const resyncs = dev.stats.resyncFrames;
            const r = dev.inject(evs);
            expect(['delivered', 'queued', 'overflow', 'empty']).toContain(r); // empty: a frame that only undoes a lost one
            if (r === 'overflow' || r === 'empty' || dev.stats.resyncFrames !== resyncs) lost = true;
            else if (!lost) admitted.push([...evs, SYN].map(formatEvent));
          } else if (op.kind === 'buffer') {
            if (offered >= 60 || op.readable + op.writable.length === 0) continue;
            const id = lb.submit(INPUT_EVENTQ, op.readable ? [new Uint8Array(op.readable)] : [], op.writable);
            shapes.set(id, op);
            offered++;
          } else collect();
        }
        collect();
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(dev.held).toBeLessThanOrEqual(backlog);
        // Up to the first loss (after which the device rewrites frames to resync), what the
        // driver receives is, event for event, a prefix of the admitted frames.
        const stream = admitted.flat();
        const mine = got.map(formatEvent);
        expect(mine.slice(0, stream.length)).toEqual(stream.slice(0, Math.min(mine.length, stream.length)));
        if (!lost) expect(mine.length + dev.held).toBe(stream.length);
        expect(dev.stats.eventsDelivered).toBe(got.length);
        // Whole frames only: what was delivered and what is held always add up to whole frames.
        const syns = (mine.filter((e) => e === 'EV_SYN SYN_REPORT 0').length);
        expect(dev.stats.framesDelivered).toBe(syns);
      }),
      { numRuns: 120 },
    );
  });
});
