// How tall a chapter of the single-page edition may be on a phone, estimated at build time from
// its HTML. The edition holds every chapter; on screen each chapter is laid out only near the
// viewport (content-visibility), and a chapter not yet laid out takes this height. It must not
// be less than the real height: a tool that measures inside a chapter not laid out (an
// accessibility checker looking at the size of links) would find its content spilling over the
// next chapter's. So the model is fitted to overestimate at 320 px, the narrowest screen: prose
// by its characters, code by its lines, and every block (paragraph, list item, heading, row,
// requirement box, figure) by a margin of its own. Fitted on the edition of 2026-11-30 (37
// chapters): at 320 px no chapter's real height was more than 0.89 of its estimate, and in all
// the estimate was 1.3x the real height at 320 px, 1.5x at 412 px and 2.1x at 1280 px. The
// print-edition browser test checks the first figure on every build.

/** Pixels per character of prose, per line of code, and per block, at 320 px. */
const PX_PER_PROSE_CHAR = 1;
const PX_PER_CODE_LINE = 28;
const PX_PER_BLOCK = 60;

const PRE = /<pre\b[\s\S]*?<\/pre>/g;
const BLOCK = /<(?:p|li|h[1-6]|tr|figure|pre|img)\b|class="req"/g;

export interface ChapterSize {
  proseChars: number;
  codeLines: number;
  blocks: number;
}

/** What the estimate counts in a chapter's HTML. */
export function chapterSize(html: string): ChapterSize {
  let codeLines = 0;
  for (const pre of html.match(PRE) ?? []) codeLines += pre.split('\n').length;
  const prose = html
    .replace(PRE, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z#0-9]+;/gi, 'x')
    .replace(/\s+/g, '');
  return { proseChars: prose.length, codeLines, blocks: (html.match(BLOCK) ?? []).length };
}

/** The height, in CSS pixels, a chapter not yet laid out takes on screen. */
export function estimatedHeight(html: string): number {
  const s = chapterSize(html);
  return Math.ceil(PX_PER_PROSE_CHAR * s.proseChars + PX_PER_CODE_LINE * s.codeLines + PX_PER_BLOCK * s.blocks);
}
