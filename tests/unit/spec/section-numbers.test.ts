// The check that a rendered heading is the one the spec index numbered.
import { describe, expect, it } from 'vitest';
import { sameHeading } from '../../../src/lib/spec/rehype-section-numbers.ts';

describe('sameHeading', () => {
  it('treats the typographic quotes MDX renders as the plain ones of the source', () => {
    expect(sameHeading('Going live, and the driver\u2019s side of it', "Going live, and the driver's side of it")).toBe(true);
    expect(sameHeading('\u201cquoted\u201d', '"quoted"')).toBe(true);
  });

  it('still tells different headings apart', () => {
    expect(sameHeading('Reset', 'Resets')).toBe(false);
    expect(sameHeading('driver\u2019s', 'drivers')).toBe(false);
  });
});
