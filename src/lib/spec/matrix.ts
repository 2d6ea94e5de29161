// The conformance matrix: per chapter and for the whole spec, how many requirements of each
// level there are and how many passing tests verify.
import type { Level } from './mdx-scan.ts';
import type { TracedRequirement } from './traceability.ts';

export interface MatrixRow {
  chapter: string;
  title: string;
  number: number;
  counts: Record<Level, { total: number; verified: number }>;
  total: number;
  verified: number;
  untestable: number;
  /** verified / (total - untestable), as a percentage; 100 when nothing is testable. */
  percent: number;
  open: TracedRequirement[];
}

const empty = () => ({ MUST: { total: 0, verified: 0 }, SHOULD: { total: 0, verified: 0 }, MAY: { total: 0, verified: 0 } });

// #region row
export function matrixRow(chapter: { slug: string; title: string; number: number }, reqs: TracedRequirement[]): MatrixRow {
  const counts = empty();
  for (const r of reqs) {
    counts[r.level].total++;
    if (r.state === 'verified') counts[r.level].verified++;
  }
  const verified = reqs.filter((r) => r.state === 'verified').length;
  const untestable = reqs.filter((r) => r.state === 'untestable').length;
  const testable = reqs.length - untestable;
  return {
    chapter: chapter.slug,
    title: chapter.title,
    number: chapter.number,
    counts,
    total: reqs.length,
    verified,
    untestable,
    percent: testable ? Math.round((1000 * verified) / testable) / 10 : 100,
    open: reqs.filter((r) => r.state === 'untested' || r.state === 'failing'),
  };
}
// #endregion row

export function buildMatrix(chapters: { slug: string; title: string; number: number }[], reqs: TracedRequirement[]) {
  const rows = chapters.map((c) => matrixRow(c, reqs.filter((r) => r.chapter === c.slug))).filter((r) => r.total > 0);
  const total = matrixRow({ slug: '', title: 'Whole specification', number: 0 }, reqs);
  return { rows, total };
}
