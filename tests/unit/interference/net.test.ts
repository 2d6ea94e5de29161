// The network interference harness (chapter Safety): one guest streams full-size frames through
// a virtual switch's 100 Mbit/s uplink, the other's periodic small frame is timed in model time
// to its last bit on the uplink, with and without the switch's budget table.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../support/rings.ts';
import { ManualClock } from '../../../src/lib/devices/budget.ts';
import { cable, NetTap } from '../../../src/lib/devices/net/backend.ts';
import { NetDevice } from '../../../src/lib/devices/net/device.ts';
import { NetDriver } from '../../../src/lib/devices/net/driver.ts';
import { buildFrame } from '../../../src/lib/devices/net/ethernet.ts';
import { Loopback } from '../../../src/lib/virtio/loopback.ts';
import { interferenceBoundUs } from '../../../src/lib/interference/harness.ts';
import { ethernetWireNs, NET_COCKPIT_BUDGETS, netCockpitScenario, netTxCost, runNetInterference } from '../../../src/lib/interference/net.ts';

/** The bound the chapter states for the cluster's frames on the 100 Mbit/s uplink. */
const CHAPTER_BOUND_US = 838;

describe('[AVP-SAFE-24] link time charged per frame', () => {
  it('counts padding to 60 bytes and 24 bytes of FCS, preamble and gap: 123.04 µs for 1514 bytes at 100 Mbit/s', () => {
    expect(ethernetWireNs(1514, 100)).toBe(123_040);
    expect(ethernetWireNs(1514, 1000)).toBe(12_304);
    expect(ethernetWireNs(60, 100)).toBe(6_720);
    expect(ethernetWireNs(14, 100)).toBe(6_720); // a runt is padded on the wire
    expect(ethernetWireNs(128, 100)).toBe(12_160);
  });

  it.each(RING_TYPES)('is what a network device with that cost charges, never less than the frame\'s time on the link (%s ring)', (ring) => {
    const clock = new ManualClock();
    const dev = new NetDevice({ mac: '52:54:00:00:00:0a', budget: { clock, limits: { backendUs: { perSecond: 500_000, burst: 100_000 } }, backendCost: netTxCost(100) } });
    cable(dev, new NetTap());
    const drv = new NetDriver(new Loopback(dev, { ring }));
    let charged = 0;
    for (const payload of [0, 46, 100, 1000, 1500]) {
      const frame = buildFrame({ dst: '02:00:00:00:00:01', src: '52:54:00:00:00:0a', ethertype: 0x88b5, payload: new Uint8Array(payload) });
      drv.send(frame);
      const now = dev.budget!.stats.backendUs;
      expect(now - charged, `${frame.length} bytes`).toBeGreaterThanOrEqual(ethernetWireNs(frame.length, 100) / 1000);
      expect(now - charged).toBeLessThanOrEqual(Math.ceil(ethernetWireNs(frame.length + drv.hdrSize, 100) / 1000));
      charged = now;
    }
    expect(dev.stats.txPackets).toBe(5);
  });
});

describe('[AVP-SAFE-25] latency bound of a shared uplink from the budget table', () => {
  it('is Σ (burst + largest frame\'s charge): 838 µs for the chapter\'s table', () => {
    const cost = netTxCost(100);
    expect(Math.ceil(cost(12 + 1514))).toBe(124);
    expect(Math.ceil(cost(12 + 128))).toBe(14);
    expect(interferenceBoundUs([
      { limits: NET_COCKPIT_BUDGETS.aggressor, maxCostUs: 124 },
      { limits: NET_COCKPIT_BUDGETS.victim, maxCostUs: 14 },
    ])).toBe(CHAPTER_BOUND_US);
  });
});

describe.each(RING_TYPES)('%s ring: the cluster\'s periodic frame while the IVI streams through the uplink', (ring) => {
  it('[AVP-SAFE-25] [AVP-SAFE-9] [AVP-SAFE-14] with the budget table, every frame leaves the uplink within the bound and its 1 ms period, none dropped', () => {
    const r = runNetInterference(netCockpitScenario(true, ring));
    expect(r.summary.judged).toBe(100);
    expect(r.summary.completed).toBe(100);
    expect(r.summary.misses).toBe(0);
    expect(r.summary.maxUs).toBeLessThanOrEqual(CHAPTER_BOUND_US);
    expect(r.summary.maxUs).toBeGreaterThan(4 * 123.04); // the IVI's initial burst was really in the way
    expect(r.txDrops).toBe(0);
    expect(r.victim.throttled).toBe(0); // the cluster stays within its own row
    expect(r.aggressor.throttled).toBeGreaterThan(0); // the IVI is held back …
    expect(r.aggressor.chargedUs).toBeLessThanOrEqual(500_000 * 0.1 + 500 + 124); // … to its share of 100 ms, plus burst and one frame
    expect(r.linkLoad).toBeLessThan(0.6);
  });

  it('[AVP-SAFE-25] without budgets, every frame of the cluster waits behind about 256 of the IVI\'s and misses', () => {
    const r = runNetInterference(netCockpitScenario(false, ring));
    expect(r.summary.misses).toBe(100);
    expect(r.summary.p50Us).toBeGreaterThan(255 * 123.04);
    // At most the IVI's 256 frames and the cluster's own earlier ones (about 32 ms of them) ahead.
    expect(r.summary.maxUs).toBeLessThanOrEqual(256 * 123.04 + 33 * 12.16);
    expect(r.aggressor.throttled).toBe(0);
    expect(r.linkLoad).toBe(1);
  });

  it('is deterministic: the same scenario gives the same samples', () => {
    const sc = { ...netCockpitScenario(true, ring), durationUs: 20_000 };
    expect(runNetInterference(sc).samples).toEqual(runNetInterference(sc).samples);
  });
});
