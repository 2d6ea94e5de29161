import { describe, expect, it } from 'vitest';
import { numberHeadings, orderChapters } from '../../../src/lib/spec/numbering.ts';
import type { ChapterFrontmatter } from '../../../src/lib/spec/frontmatter.ts';

const fm = (part: ChapterFrontmatter['part'], order: number): ChapterFrontmatter => ({
  title: 't', part, order, status: 'draft', summary: 's', reqPrefix: 'X',
});

describe('numbering', () => {
  it('numbers chapters by part, then order, then slug', () => {
    const out = orderChapters([
      { slug: 'conf', data: fm('back', 1), item: 0 },
      { slug: 'blk', data: fm('devices', 2), item: 0 },
      { slug: 'net', data: fm('devices', 1), item: 0 },
      { slug: 'intro', data: fm('front', 1), item: 0 },
      { slug: 'a-vq', data: fm('core', 1), item: 0 },
      { slug: 'b-vq', data: fm('core', 1), item: 0 },
    ]);
    expect(out.map((c) => `${c.number}:${c.slug}`)).toEqual(['1:intro', '2:a-vq', '3:b-vq', '4:net', '5:blk', '6:conf']);
  });
  it('numbers headings 3.1, 3.1.1, 3.1.1.1 and resets deeper counters', () => {
    expect(numberHeadings(3, [2, 3, 3, 4, 2, 3, 2])).toEqual(['3.1', '3.1.1', '3.1.2', '3.1.2.1', '3.2', '3.2.1', '3.3']);
  });
  it('shows a skipped level as 0 rather than hiding it', () => {
    expect(numberHeadings(1, [2, 4])).toEqual(['1.1', '1.1.0.1']);
  });
});
