// The CAN interference harness (chapter Safety): one guest floods a shared 500 kbit/s bus with
// frames that win arbitration, the other's cyclic frame is timed in model time to the end of
// the wire, with and without the bus's budget table. Also the charge per frame and the bound.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../support/rings.ts';
import { ManualClock } from '../../../src/lib/devices/budget.ts';
import { CanBus } from '../../../src/lib/devices/can/bus.ts';
import { CanDevice } from '../../../src/lib/devices/can/device.ts';
import { CanDriver } from '../../../src/lib/devices/can/driver.ts';
import { CAN_FD_LENGTHS, canFrame, frameBits } from '../../../src/lib/devices/can/frame.ts';
import { CanTap } from '../../../src/lib/devices/can/tap.ts';
import { Loopback } from '../../../src/lib/virtio/loopback.ts';
import {
  CAN_COCKPIT_BUDGETS,
  CAN_GUEST_SHARE_LIMIT,
  canBusShareOk,
  canCockpitScenario,
  canFrameBudgetUs,
  canResponseBoundUs,
  canTxCost,
  runCanInterference,
} from '../../../src/lib/interference/can.ts';

/** The bound the chapter states for the cluster's frame on its 500 kbit/s bus. */
const CHAPTER_BOUND_US = 5539;
const CHARGE_8_BYTES_US = 320;

describe('[AVP-SAFE-21] bus time charged per CAN frame', () => {
  it('is 160 bits, 320 µs, for a classic frame with 8 bytes at 500 kbit/s, and 80 bits for one without data', () => {
    expect(canFrameBudgetUs(500_000, 8, false)).toBe(CHARGE_8_BYTES_US);
    expect(canFrameBudgetUs(500_000, 0, false)).toBe(160);
    expect(canFrameBudgetUs(1_000_000, 8, false)).toBe(160);
    expect(canFrameBudgetUs(125_000, 8, false)).toBe(1280);
  });

  it('is never less than a frame\'s time on the wire with the worst case of stuff bits, whatever its kind', () => {
    for (const bitrate of [125_000, 250_000, 500_000, 1_000_000]) {
      for (const dataBitrate of [null, 2_000_000, 5_000_000]) {
        const bus = new CanBus({ bitrate, dataBitrate });
        const fd = dataBitrate !== null;
        const frames = [
          ...[0, 1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [false, true].map((extended) => canFrame({ id: 0x7f, extended, data: new Uint8Array(n) }))),
          ...[0, 8].map((length) => canFrame({ id: 0x7f, rtr: true, length })),
          ...(fd ? CAN_FD_LENGTHS.flatMap((n) => [false, true].map((extended) => canFrame({ id: 0x7f, extended, fd: true, data: new Uint8Array(n) }))) : []),
        ];
        const cost = canTxCost(bitrate, fd);
        for (const f of frames) {
          // The smallest transmit request that carries the frame: header, data, result byte.
          const charged = cost(16 + f.data.length + 1);
          const b = frameBits(f, false);
          const worstBits = b.nominal + b.data + Math.floor((b.nominal + b.data - 14) / 4);
          expect(charged, `${bitrate} ${JSON.stringify({ ...f, data: f.data.length })}`).toBeGreaterThanOrEqual((worstBits * 1e6) / bitrate);
          expect(charged).toBeGreaterThanOrEqual(bus.frameDuration(f) / 1000);
        }
      }
    }
  });

  it.each(RING_TYPES)('is what a CAN device with that cost charges its guest per frame (%s ring)', (ring) => {
    const clock = new ManualClock();
    const bus = new CanBus({ bitrate: 500_000 });
    const dev = new CanDevice({ budget: { clock, limits: { backendUs: { perSecond: 100_000, burst: 10_000 } }, backendCost: canTxCost(500_000, false) } });
    bus.attach(dev, { name: 'guest' });
    bus.attach(new CanTap(), { name: 'tap' });
    const drv = new CanDriver(new Loopback(dev, { ring }));
    expect(drv.start()).toBe(0);
    for (let i = 0; i < 3; i++) expect(drv.send({ id: 0x100 + i, data: new Uint8Array(8) }).status).toBe(0);
    drv.send({ id: 0x200, data: [1] });
    expect(dev.budget!.stats.backendUs).toBe(3 * CHARGE_8_BYTES_US + canFrameBudgetUs(500_000, 1, false));
    expect(bus.stats.busyNs / 1000).toBeLessThan(dev.budget!.stats.backendUs); // the model bus leaves stuffing out
  });
});

describe('[AVP-SAFE-22] guests\' share of a CAN bus', () => {
  it('is 35 % in the chapter\'s table, within the 50 % limit', () => {
    expect(CAN_GUEST_SHARE_LIMIT).toBe(500_000);
    expect(canBusShareOk([CAN_COCKPIT_BUDGETS.aggressor, CAN_COCKPIT_BUDGETS.victim])).toBe(true);
  });

  it('is refused over 500,000 µs per second, or with a guest that has no bus-time budget', () => {
    const greedy = { ...CAN_COCKPIT_BUDGETS.victim, backendUs: { perSecond: 200_001, burst: 640 } };
    expect(canBusShareOk([CAN_COCKPIT_BUDGETS.aggressor, greedy])).toBe(false);
    expect(canBusShareOk([CAN_COCKPIT_BUDGETS.aggressor, { ...greedy, backendUs: { perSecond: 200_000, burst: 640 } }])).toBe(true);
    expect(canBusShareOk([CAN_COCKPIT_BUDGETS.aggressor, { requests: { perSecond: 100, burst: 1 } }])).toBe(false);
  });
});

describe('[AVP-SAFE-23] response bound of a CAN frame from the budget table', () => {
  const victim = { limits: CAN_COCKPIT_BUDGETS.victim, maxFrameUs: CHARGE_8_BYTES_US };
  const ivi = { limits: CAN_COCKPIT_BUDGETS.aggressor, maxFrameUs: CHARGE_8_BYTES_US };

  it('is (blocking + Σ (burst + frame)) / (1 − Σ rate): 5,539 µs for the cluster behind the IVI', () => {
    expect(canResponseBoundUs(victim, [ivi], CHARGE_8_BYTES_US)).toBe(CHAPTER_BOUND_US);
    // Without a sender of higher priority only the blocking frame and the guest's own frames count.
    expect(canResponseBoundUs(victim, [], CHARGE_8_BYTES_US)).toBe(Math.ceil(((320 + 640 + 320) * 1e6) / 950_000));
  });

  it('is unbounded when a sender that can win arbitration has no bus-time budget, or the rates fill the bus', () => {
    expect(canResponseBoundUs(victim, [{ limits: { requests: { perSecond: 1000, burst: 8 } }, maxFrameUs: 320 }], 320)).toBe(Infinity);
    expect(canResponseBoundUs(victim, [{ limits: { backendUs: { perSecond: 950_000, burst: 100 } }, maxFrameUs: 320 }], 320)).toBe(Infinity);
  });
});

describe.each(RING_TYPES)('%s ring: the cluster\'s cyclic frame while the IVI floods the bus', (ring) => {
  it('[AVP-SAFE-23] [AVP-SAFE-9] with the budget table, every frame is on the wire within the bound and its 10 ms period', () => {
    const r = runCanInterference(canCockpitScenario(true, ring));
    expect(r.summary.judged).toBe(100);
    expect(r.summary.completed).toBe(100);
    expect(r.summary.misses).toBe(0);
    expect(r.summary.maxUs).toBeLessThanOrEqual(CHAPTER_BOUND_US);
    expect(r.summary.maxUs).toBeGreaterThan(4 * 222); // the IVI's initial burst was really in the way
    expect(r.gatewayFromVictim).toBe(100); // the third node received each one
    expect(r.victim.throttled).toBe(0); // the cluster stays within its own row
    expect(r.aggressor.throttled).toBeGreaterThan(0); // the IVI is held back …
    expect(r.aggressor.chargedUs).toBeLessThanOrEqual(300_000 + 2_000 + CHARGE_8_BYTES_US); // … to its share of 1 s, plus burst and one frame
    expect(r.busLoad).toBeLessThan(0.35);
  });

  it('[AVP-SAFE-23] without budgets, the cluster never wins arbitration: every frame misses', () => {
    const r = runCanInterference(canCockpitScenario(false, ring));
    expect(r.summary.judged).toBe(100);
    expect(r.summary.completed).toBe(0);
    expect(r.summary.misses).toBe(100);
    expect(r.summary.maxUs).toBe(Infinity);
    expect(r.victim.onWire).toBe(0);
    expect(r.victim.lostInDriver).toBe(68); // its 64-entry Txq holds 32 requests; the rest had nowhere to go
    expect(r.busLoad).toBe(1);
  });

  it('measures arbitration, not load: an IVI flooding on an identifier that loses to the cluster\'s delays it by one frame at most', () => {
    const sc = canCockpitScenario(false, ring);
    const r = runCanInterference({ ...sc, aggressor: { ...sc.aggressor, id: 0x400 } });
    expect(r.summary.misses).toBe(0);
    expect(r.summary.maxUs).toBeLessThanOrEqual(2 * 222); // the frame on the wire, then its own
    expect(r.busLoad).toBe(1);
  });

  it('is deterministic: the same scenario gives the same samples', () => {
    const sc = { ...canCockpitScenario(true, ring), durationUs: 100_000 };
    expect(runCanInterference(sc).samples).toEqual(runCanInterference(sc).samples);
  });
});
