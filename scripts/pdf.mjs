#!/usr/bin/env node
// `npm run pdf`: the single-page edition (dist/print/, so build first) printed by Chromium to
// dist/avp.pdf: A4, page numbers in the footer, a table of contents with page references and
// PDF bookmarks. Chromium has no CSS target-counter(), so the page references take two passes:
// print, find the page on which each chapter starts (pdftotext, page by page), write those
// numbers into the contents, print again, and check that nothing moved (else go round again).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureChromium } from './ensure-chromium.mjs';
import { ensureDebianTool } from './ensure-debian.mjs';
// The browser tests' Chromium launch and static server: the PDF is printed from the site as served.
import { launchBrowser } from '../tests/support/browser.ts';
import { serveDir } from '../tests/support/static-server.ts';
import config from '../astro.config.mjs';

const DIST = resolve('dist');
const OUT = join(DIST, 'avp.pdf');
const MAX_PASSES = 4;

/** The text of each page of a PDF (pdftotext separates pages with a form feed). */
export function pdfPages(pdf, pdftotext = '/usr/bin/pdftotext') {
  const text = execFileSync(pdftotext, ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const pages = text.split('\f');
  if (pages.at(-1)?.trim() === '') pages.pop();
  return pages;
}

/** Text as compared: ligatures undone (NFKC), one space for any run of white space. */
export const normalize = (s) => s.normalize('NFKC').replace(/\s+/g, ' ').trim();

/**
 * The page (1-based) on which each chapter starts: the first page, after the previous
 * chapter's, whose first line is the chapter's heading ("7 Block device"). Each chapter
 * begins on a new page, so its heading is that page's first text.
 */
export function chapterPages(pages, chapters) {
  const found = [];
  let from = 0;
  for (const c of chapters) {
    const heading = normalize(`${c.number} ${c.title}`);
    const at = pages.findIndex((p, i) => i >= from && normalize(p).startsWith(heading));
    if (at < 0) throw new Error(`pdf: no page starts with the heading "${heading}"`);
    found.push(at + 1);
    from = at + 1;
  }
  return found;
}

async function main() {
  if (!existsSync(join(DIST, 'print/index.html'))) throw new Error('dist/print/index.html is missing: run `npm run build` first');
  ensureChromium();
  const pdftotext = ensureDebianTool({ path: '/usr/bin/pdftotext', envVar: 'PDFTOTEXT_PATH', pkg: 'poppler-utils', purpose: "the PDF edition's page references" });
  const started = Date.now();
  const server = await serveDir(DIST);
  const browser = await launchBrowser();
  const work = mkdtempSync(join(tmpdir(), 'avp-pdf-'));
  try {
    const page = await browser.newPage();
    await page.emulateMedia({ media: 'print', colorScheme: 'light' });
    await page.goto(`${server.url}/print/`, { waitUntil: 'load' });
    // Links to the site's other files (vectors, schemas) name the published site, not this server.
    const chapters = await page.evaluate((site) => {
      for (const a of document.querySelectorAll('a[href^="/"]')) a.href = new URL(a.getAttribute('href'), site).href;
      // Room for three digits from the first pass on, so that filling in the numbers moves nothing.
      for (const p of document.querySelectorAll('.print-toc .toc-page')) p.textContent = '000';
      return [...document.querySelectorAll('.print-toc li')].map((li) => ({
        slug: li.querySelector('.toc-page').dataset.chapter,
        number: li.querySelector('.secno').textContent.trim(),
        title: li.querySelector('a').textContent.replace(/^\s*\S+\s*/, ''),
      }));
    }, config.site ?? 'https://example.invalid');
    const print = () =>
      page.pdf({
        format: 'A4',
        margin: { top: '16mm', bottom: '18mm', left: '16mm', right: '16mm' },
        printBackground: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate:
          '<div style="width:100%;font:8pt system-ui,sans-serif;color:#444;text-align:center">' +
          'Automotive Virtual Platform · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>',
        outline: true,
        tagged: true,
      });
    let numbers = chapters.map(() => 0);
    let pdf;
    for (let pass = 1; ; pass++) {
      if (pass > MAX_PASSES) throw new Error(`pdf: the page references did not settle in ${MAX_PASSES} passes`);
      pdf = await print();
      const file = join(work, `pass-${pass}.pdf`);
      writeFileSync(file, pdf);
      const pages = pdfPages(file, pdftotext);
      const found = chapterPages(pages, chapters);
      console.log(`pdf: pass ${pass}: ${pages.length} pages`);
      if (found.every((n, i) => n === numbers[i])) break;
      numbers = found;
      await page.evaluate((nums) => {
        document.querySelectorAll('.print-toc .toc-page').forEach((p, i) => (p.textContent = String(nums[i])));
      }, numbers);
    }
    writeFileSync(OUT, pdf);
    console.log(`pdf: ${OUT}: ${chapters.length} chapters, ${(statSync(OUT).size / 1e6).toFixed(1)} MB, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await browser.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(String(e.stack ?? e));
    process.exit(1);
  });
}
