import { describe, expect, it } from 'vitest';
import { extractRegion, listRegions } from '../../../src/lib/spec/regions.ts';
import { SpecError } from '../../../src/lib/spec/errors.ts';

const src = `import x from 'y';
// #region outer
export function a() {
  // #region inner
  return 1;
  // #endregion inner
}
// #endregion outer
/* #region block */
const s = '// #region not-a-marker';
/* #endregion block */
`;

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as SpecError).kind;
  }
  return 'no error';
}

describe('source regions', () => {
  it('extracts a region without any markers, nested ones included', () => {
    expect(extractRegion(src, 'outer')).toBe('export function a() {\n  return 1;\n}');
  });
  it('dedents a nested region', () => {
    expect(extractRegion(src, 'inner')).toBe('return 1;');
  });
  it('reads block-comment markers and ignores marker text inside strings', () => {
    expect(extractRegion(src, 'block')).toBe(`const s = '// #region not-a-marker';`);
    expect([...listRegions(src).keys()].sort()).toEqual(['block', 'inner', 'outer']);
  });
  it('shows the whole file without markers when no region is named', () => {
    const all = extractRegion(src, undefined);
    expect(all).not.toMatch(/#(end)?region (outer|inner|block)/);
    expect(all).toContain('return 1;');
  });
  it('throws REGION_MISSING naming the file, the region and the regions it has', () => {
    expect(() => extractRegion(src, 'nope', 'src/lib/x.ts')).toThrow(/src\/lib\/x\.ts: no region "nope" \(regions: outer, inner, block\)/);
    expect(kindOf(() => extractRegion(src, 'nope'))).toBe('REGION_MISSING');
  });
  it('throws REGION_MALFORMED for an unclosed, unopened or duplicated region', () => {
    expect(kindOf(() => listRegions('// #region a\n'))).toBe('REGION_MALFORMED');
    expect(kindOf(() => listRegions('// #endregion a\n'))).toBe('REGION_MALFORMED');
    expect(kindOf(() => listRegions('// #region a\n// #endregion a\n// #region a\n// #endregion a\n'))).toBe('REGION_MALFORMED');
    expect(() => listRegions('x\n// #region a\n', 'f.ts')).toThrow(/f\.ts:2: region "a" is never closed/);
  });
  it('elides a nested region the chapter shows on its own, leaving one comment at its indentation', () => {
    expect(extractRegion(src, 'outer', 'f.ts', ['inner'])).toBe('export function a() {\n  // … region inner, shown on its own\n}');
    // The region itself is unchanged when shown on its own.
    expect(extractRegion(src, 'inner', 'f.ts')).toBe('return 1;');
  });
  it('refuses to elide a region that is missing or does not lie inside the one shown', () => {
    expect(() => extractRegion(src, 'outer', 'f.ts', ['nope'])).toThrow(/f\.ts: no region "nope" to elide/);
    expect(kindOf(() => extractRegion(src, 'outer', 'f.ts', ['block']))).toBe('REGION_MALFORMED');
    expect(() => extractRegion(src, 'inner', 'f.ts', ['outer'])).toThrow(/region "outer" does not lie inside region "inner"/);
  });
});
