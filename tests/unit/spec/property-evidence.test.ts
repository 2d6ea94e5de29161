import { describe, expect, it } from 'vitest';
import { loadPropertyEvidence, scanPropertyFile, totalCases } from '../../../src/lib/spec/property-evidence.ts';

const text = `import fc from 'fast-check';
describe.each(RING_TYPES)('thing under malformed input (%s ring)', (ring) => {
  it('[AVP-X-1] [AVP-X-2] never breaks', () => {
    const k = keys.describe('a', 1); // a method call, not a describe block
    fc.assert(fc.property(arb, () => {}), { numRuns: 120 });
  });

  it.each([true, false])('[AVP-X-3] holds with flag %s', (flag) => {
    fc.assert(fc.property(arb, () => {}), {
      numRuns: 30,
    });
  });

  it('[AVP-X-9] is a plain test, not a property', () => {
    expect(1).toBe(1);
  });
});

describe('[AVP-Y-1] split ring corruption', () => {
  it.each(Object.keys(models) as (keyof typeof models)[])('[AVP-Y-2] never breaks a %s model', (m) => {
    fc.assert(fc.property(arb, () => {}), { numRuns: 3000, seed: 20260408 });
  });
});

describe('bus arbitration', () => {
  it(\`[\${x ? 'AVP-Z-1' : 'AVP-Z-2'}] keeps order\`, () => {
    fc.assert(fc.property(arb, () => {}), { numRuns: 7 });
  });
});
`;

describe('property evidence scanner', () => {
  const found = scanPropertyFile('tests/property/thing-malformed.test.ts', text);

  it('finds each property with its numRuns, line and cited requirements, and skips plain tests', () => {
    expect(found.map((p) => [p.line, p.numRuns, p.requirements])).toEqual([
      [3, 120, ['AVP-X-1', 'AVP-X-2']],
      [8, 30, ['AVP-X-3']],
      [20, 3000, ['AVP-Y-1', 'AVP-Y-2']],
      [26, 7, ['AVP-Z-1', 'AVP-Z-2']],
    ]);
    expect(found[2].seed).toBe(20260408);
    expect(found[0].seed).toBeNull();
  });

  it('counts ring layouts and it.each variants, and the cases they multiply to', () => {
    expect(found.map((p) => [p.layouts, p.variants, totalCases(p)])).toEqual([
      [['split', 'packed'], 1, 240],
      [['split', 'packed'], 2, 120],
      [['split'], null, null],
      [[], 1, 7],
    ]);
    expect(found.every((p) => p.hostile)).toBe(true);
    expect(scanPropertyFile('tests/property/thing-delivery.test.ts', text)[0].hostile).toBe(false);
  });

  it('reads the real property tests: every malformed-input file yields at least one property', () => {
    const all = loadPropertyEvidence();
    const files = new Set(all.filter((p) => p.hostile).map((p) => p.file));
    for (const f of ['block', 'net', 'can', 'vsock', 'fs', 'console', 'rpmb', 'gpu', 'media', 'sound', 'input']) {
      expect(files).toContain(`tests/property/${f}-malformed.test.ts`);
    }
    expect(files).toContain('tests/property/split-corruption.test.ts');
    const split = all.find((p) => p.file === 'tests/property/split-corruption.test.ts' && p.requirements.includes('AVP-VQ-9'));
    expect(split?.layouts).toEqual(['split']);
    expect(all.every((p) => p.numRuns > 0 && p.requirements.length > 0)).toBe(true);
  });
});
