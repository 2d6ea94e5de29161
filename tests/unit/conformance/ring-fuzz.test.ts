// The engine of `npm run fuzz`, run briefly: a few thousand seeded cases per ring layout here, a
// million each in `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import { fuzzCase, fuzzRange, Rng } from '../../../src/lib/conformance/ring-fuzz.ts';

const CASES = 3000;

describe('ring fuzzing (npm run fuzz)', () => {
  for (const ring of ['split', 'packed'] as const) {
    it(`[AVP-VQ-9] [AVP-VQ-11] [AVP-VQ-22] ${ring}: ${CASES} malformed rings, no uncontrolled failure, no buffer outside memory, no write outside the device's areas`, () => {
      const outcomes = new Map<string, number>();
      const finding = fuzzRange(ring, 1, CASES, (how) => outcomes.set(how, (outcomes.get(how) ?? 0) + 1));
      expect(finding).toBeNull();
      // The generator reaches deep checks, not only the first one: many different errors, and
      // cases the device gets through whole.
      expect(outcomes.size).toBeGreaterThanOrEqual(10);
      expect(outcomes.get('chains') ?? 0).toBeGreaterThan(CASES / 100);
    });
  }

  it('a seed replays the same case', () => {
    const a: string[] = [];
    const b: string[] = [];
    fuzzRange('packed', 77, 200, (h) => a.push(h));
    fuzzRange('packed', 77, 200, (h) => b.push(h));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(3);
    expect(fuzzCase(12345, 'split')).toBeNull();
  });

  it('the seeded generator is uniform enough to reach every branch it chooses between', () => {
    const r = new Rng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[r.below(4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(9_000);
  });
});
