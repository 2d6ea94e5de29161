// Section numbers: chapters 1, 2, 3 … across parts in order, and headings under them
// (3.2, 3.2.1, …). One function numbers headings so the page, its table of contents, the
// sidebar and cross-references always agree.
import { PARTS, type ChapterFrontmatter } from './frontmatter.ts';

export interface OrderedChapter<T> {
  slug: string;
  data: ChapterFrontmatter;
  number: number;
  item: T;
}

/** Sorts chapters by part, then order, then slug (so equal orders are still stable). */
export function orderChapters<T>(chapters: { slug: string; data: ChapterFrontmatter; item: T }[]): OrderedChapter<T>[] {
  return [...chapters]
    .sort(
      (a, b) =>
        PARTS.indexOf(a.data.part) - PARTS.indexOf(b.data.part) ||
        a.data.order - b.data.order ||
        a.slug.localeCompare(b.slug),
    )
    .map((c, i) => ({ ...c, number: i + 1 }));
}

// #region number-headings
/**
 * Numbers headings of depths 2..4 under chapter `chapter`. A heading that skips a level
 * (#### right after ##) gets a 0 for the missing one, which shows the mistake on the page.
 */
export function numberHeadings(chapter: number, depths: number[]): string[] {
  const counters = [0, 0, 0]; // for depths 2, 3, 4
  return depths.map((depth) => {
    const level = depth - 2;
    counters[level]++;
    for (let i = level + 1; i < counters.length; i++) counters[i] = 0;
    return [chapter, ...counters.slice(0, level + 1)].join('.');
  });
}
// #endregion number-headings
