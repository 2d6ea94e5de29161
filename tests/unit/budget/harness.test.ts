// The interference harness: one guest floods a shared block back end, the other's latency is
// measured in model time, with and without the budget table (chapter Safety).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../support/rings.ts';
import { blockRequestCost, COCKPIT_BUDGETS, cockpitScenario, interferenceBoundUs, runBlockInterference } from '../../../src/lib/interference/harness.ts';

const TIMING = cockpitScenario(true).backend;
const ROWS = [
  { limits: COCKPIT_BUDGETS.aggressor, maxCostUs: blockRequestCost(TIMING, 128 * 512) },
  { limits: COCKPIT_BUDGETS.victim, maxCostUs: blockRequestCost(TIMING, 8 * 512) },
];
/** The bound the chapter states for its cockpit case. */
const CHAPTER_BOUND_US = 3448;

describe('[AVP-SAFE-3] interference bound from the budget table', () => {
  it('is the sum of each guest\'s burst and largest request, 3448 µs for the cockpit table', () => {
    expect(interferenceBoundUs(ROWS)).toBe(CHAPTER_BOUND_US);
  });

  it('[AVP-SAFE-2] is unbounded when shares of back-end time add up to more than 100 %, or a guest has no time budget', () => {
    const greedy = { ...COCKPIT_BUDGETS.victim, backendUs: { perSecond: 700_000, burst: 1000 } };
    expect(interferenceBoundUs([ROWS[0], { ...ROWS[1], limits: greedy }])).toBe(Infinity);
    expect(interferenceBoundUs([ROWS[0], { ...ROWS[1], limits: { requests: { perSecond: 10, burst: 1 } } }])).toBe(Infinity);
  });
});

describe.each(RING_TYPES)('%s ring: cluster reads while the IVI floods the shared disk', (ring) => {
  it('[AVP-SAFE-3] [AVP-SAFE-9] with the budget table, every cluster read is served within the stated bound', () => {
    const r = runBlockInterference(cockpitScenario(true, ring));
    expect(r.victim.completed).toBe(r.victim.submitted);
    expect(r.maxLatencyUs).toBeLessThanOrEqual(CHAPTER_BOUND_US);
    expect(r.victim.throttled).toBe(0); // the cluster stays within its own row
    expect(r.aggressor.throttled).toBeGreaterThan(0); // the IVI is held back …
    expect(r.backendUs.aggressor).toBeLessThanOrEqual(400_000 * 0.1 + 2_000 + 404); // … to its share of 100 ms, plus burst and one request
  });

  it('[AVP-SAFE-3] without budgets, the cluster waits behind the IVI\'s writes far past the bound', () => {
    const r = runBlockInterference(cockpitScenario(false, ring));
    expect(r.maxLatencyUs).toBeGreaterThan(CHAPTER_BOUND_US);
    expect(r.meanLatencyUs).toBeGreaterThan(10_000);
    expect(r.aggressor.throttled).toBe(0);
  });

  it('is deterministic: the same scenario gives the same samples', () => {
    const a = runBlockInterference(cockpitScenario(true, ring));
    const b = runBlockInterference(cockpitScenario(true, ring));
    expect(b.samples).toEqual(a.samples);
  });
});
