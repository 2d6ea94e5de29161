// The PDF edition (dist/avp.pdf, made by `npm run pdf` from the built single-page edition):
// read back with poppler's pdftotext, it has the pages the text needs, holds a requirement's
// exact text, numbers its pages, and its contents name the page each chapter starts on.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';

const PDF = 'dist/avp.pdf';
const PRINT = 'dist/print/index.html';
const PDFTOTEXT = process.env.PDFTOTEXT_PATH ?? '/usr/bin/pdftotext';

/** As compared: ligatures undone (NFKC), any run of white space one space. */
const normalize = (s: string) => s.normalize('NFKC').replace(/\s+/g, ' ').trim();
const pdftotext = (...args: string[]) => execFileSync(PDFTOTEXT, ['-enc', 'UTF-8', ...args, PDF, '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });

function pdfPages(): string[] {
  const pages = pdftotext().split('\f');
  if (pages.at(-1)!.trim() === '') pages.pop();
  return pages;
}

describe('the PDF edition', () => {
  it('is there, printed from this build', () => {
    expect(existsSync(PDF), `${PDF} is missing: run \`npm run pdf\` after \`npm run build\``).toBe(true);
    expect(statSync(PDF).mtimeMs, `${PDF} is older than the site: run \`npm run pdf\``).toBeGreaterThanOrEqual(statSync(PRINT).mtimeMs);
    expect(existsSync(PDFTOTEXT), `${PDFTOTEXT} is missing: apt-get install -y poppler-utils`).toBe(true);
  });

  const pages = existsSync(PDF) ? pdfPages() : [];
  const chapters = readdirSync('dist/chapters').length;

  it('has as many pages as its text needs', () => {
    // The floor: the edition's visible text (the HTML less tags, scripts and white space) at
    // 3,500 characters a page, more than the densest page holds (about 3,000 characters
    // other than white space, a page of 10 pt prose with these margins). Fewer pages would
    // mean text was lost: code cut at the right edge or at a scroll height, or a chapter
    // missing. And each chapter starts a page of its own.
    const text = readFileSync(PRINT, 'utf8')
      .replace(/<(script|style|template)\b[\s\S]*?<\/\1>/g, '')
      .replace(/<[^>]+>/g, '')
      .replace(/&[#\w]+;/g, 'x')
      .replace(/\s+/g, '');
    const floor = Math.max(chapters + 1, Math.ceil(text.length / 3500));
    expect(floor).toBeGreaterThan(100);
    expect(pages.length).toBeGreaterThanOrEqual(floor);
  });

  it('holds the exact text of a requirement', () => {
    const req = (JSON.parse(readFileSync('dist/requirements.json', 'utf8')) as { requirements: { id: string; text: string }[] }).requirements.find((r) => r.id === 'AVP-BLK-3')!;
    expect(req.text.length).toBeGreaterThan(40);
    // Compared without white space: pdftotext puts a space where a run of code font ends
    // ("capacity , the sector"), which says nothing about the text.
    const squeeze = (s: string) => normalize(s).replace(/\s+/g, '');
    const all = squeeze(pages.join(' '));
    expect(all.includes(`AVP-BLK-3MUST`), 'the box of AVP-BLK-3').toBe(true);
    expect(all.includes(squeeze(req.text)), `the text of AVP-BLK-3: ${req.text}`).toBe(true);
  });

  it('numbers every page in its footer', () => {
    const unnumbered = pages.map((p, i) => (normalize(p).includes(`page ${i + 1} of ${pages.length}`) ? 0 : i + 1)).filter(Boolean);
    expect(pages.length).toBeGreaterThan(0);
    expect(unnumbered).toEqual([]);
  });

  it('gives in its contents the page on which each chapter starts', () => {
    // The contents, laid out as printed: "12 Block storage ........ 172".
    const contents = pdftotext('-layout', '-f', '1', '-l', '3')
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S.*?)\s{2,}(\d+)\s*$/.exec(l))
      .filter((m) => m !== null);
    expect(contents.map((m) => Number(m[1]))).toEqual(Array.from({ length: chapters }, (_, i) => i + 1));
    let last = 0;
    for (const [, number, title, page] of contents) {
      const n = Number(page);
      expect(n, `${number} ${title}`).toBeGreaterThan(last);
      expect(normalize(pages[n - 1]), `${number} ${title} on page ${n}`).toMatch(new RegExp(`^${number} ${normalize(title).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      last = n;
    }
  });
});
