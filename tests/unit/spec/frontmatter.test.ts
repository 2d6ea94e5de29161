import { describe, expect, it } from 'vitest';
import { parseFrontmatter } from '../../../src/lib/spec/frontmatter.ts';
import { SpecError } from '../../../src/lib/spec/errors.ts';

const good = { title: 'Block', part: 'devices', order: 1, status: 'draft', summary: 'Storage.', reqPrefix: 'BLK', virtioDeviceId: 2, virtioSections: ['5.2'] };

describe('chapter frontmatter', () => {
  it('accepts a complete frontmatter', () => {
    expect(parseFrontmatter('block.mdx', good).reqPrefix).toBe('BLK');
  });
  it('names the file and a missing field', () => {
    const { title: _, ...noTitle } = good;
    expect(() => parseFrontmatter('block.mdx', noTitle)).toThrow(/block\.mdx: bad frontmatter: field "title"/);
  });
  it('names a field of the wrong type or value', () => {
    expect(() => parseFrontmatter('a.mdx', { ...good, part: 'middle' })).toThrow(/field "part"/);
    expect(() => parseFrontmatter('a.mdx', { ...good, order: 1.5 })).toThrow(/field "order"/);
    expect(() => parseFrontmatter('a.mdx', { ...good, virtioSections: ['5.x'] })).toThrow(/field "virtioSections.0"/);
    expect(() => parseFrontmatter('a.mdx', { ...good, reqPrefix: 'blk' })).toThrow(/field "reqPrefix"/);
  });
  it('rejects an unknown field by name, so a typo is not silently ignored', () => {
    expect(() => parseFrontmatter('a.mdx', { ...good, staus: 'draft' })).toThrow(/staus/);
  });
  it('throws a SpecError of kind FRONTMATTER', () => {
    try {
      parseFrontmatter('a.mdx', {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      expect((e as SpecError).kind).toBe('FRONTMATTER');
    }
  });
});
