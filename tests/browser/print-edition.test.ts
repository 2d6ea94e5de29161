// The single-page edition (/print/) as one document: ids unique across its chapters, every
// cross-reference landing in the page, no script but the theme's, and on paper every code and
// output block printed whole, without the buttons of the chapter pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url + '/print/');
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the single-page edition', () => {
  it('has no id twice', async () => {
    const dupes = await page.evaluate(() => {
      const seen = new Map<string, number>();
      for (const e of Array.from(document.querySelectorAll('[id]'))) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
      return Array.from(seen).filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
    });
    expect(dupes).toEqual([]);
  });

  it('resolves every in-page link, and links to no chapter page', async () => {
    const { total, broken, toChapters, kinds } = await page.evaluate(() => {
      const links = Array.from(document.querySelectorAll<HTMLAnchorElement>('a[href]'));
      const inPage = links.filter((a) => a.getAttribute('href')!.startsWith('#'));
      return {
        total: inPage.length,
        broken: inPage.map((a) => a.getAttribute('href')!).filter((h) => h.length > 1 && !document.getElementById(decodeURIComponent(h.slice(1)))),
        toChapters: links.map((a) => a.href).filter((h) => new URL(h).pathname.startsWith('/chapters/')),
        // The kinds of cross-reference that must all have been made in-page.
        kinds: {
          toc: document.querySelectorAll('.print-toc a[href^="#chapter-"]').length,
          xref: document.querySelectorAll('a.xref[href^="#"]').length,
          glossary: document.querySelectorAll('a.req-actor[href^="#glossary--"]').length,
          permalink: document.querySelectorAll('a.permalink[href*="--"]').length,
        },
      };
    });
    expect(broken).toEqual([]);
    expect(toChapters).toEqual([]);
    expect(total).toBeGreaterThan(1000);
    for (const [kind, n] of Object.entries(kinds)) expect(n, kind).toBeGreaterThan(10);
  });

  it('leads a cross-reference to its target in the right chapter', async () => {
    // A reference to another chapter's section: the target is a heading of that chapter's article.
    const ref = page.locator('a.xref[href*="--"]').first();
    const href = (await ref.getAttribute('href'))!;
    const chapter = href.slice(1).split('--')[0];
    await ref.click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(href);
    expect(await page.evaluate(() => document.querySelector(':target')?.closest('article')?.id)).toBe(`chapter-${chapter}`);
  });

  it('runs no script but the theme bootstrap, and has no buttons', async () => {
    const scripts = await page.evaluate(() => Array.from(document.scripts).map((s) => (s.closest('head') ? 'head' : 'body') + (s.src ? ` ${s.src}` : '')));
    expect(scripts).toEqual(['head']);
    expect(await page.locator('main button, main template, main .example-bar, main .vis-bar').count()).toBe(0);
    expect(await page.locator('main .example').count()).toBeGreaterThan(0);
  });

  it('prints every code and output block whole, wrapped, with no buttons', async () => {
    // About the width of A4 less its margins, where long lines cannot fit unwrapped.
    await page.setViewportSize({ width: 680, height: 900 });
    await page.emulateMedia({ media: 'print' });
    const report = await page.evaluate(() => {
      const pres = Array.from(document.querySelectorAll<HTMLElement>('main pre'));
      return {
        count: pres.length,
        cut: pres.filter((p) => p.scrollWidth > p.clientWidth + 1 || p.scrollHeight > p.clientHeight + 1).map((p) => p.textContent!.slice(0, 60)),
        visibleButtons: Array.from(document.querySelectorAll('button')).filter((b) => b.getClientRects().length > 0).length,
      };
    });
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(report.count).toBeGreaterThan(50);
    expect(report.cut).toEqual([]);
    expect(report.visibleButtons).toBe(0);
  });

  it('prints light even when the reader chose the dark theme', async () => {
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    const screen = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ media: 'print' });
    const paper = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ media: 'screen' });
    await page.evaluate(() => delete document.documentElement.dataset.theme);
    expect(screen).not.toBe('rgb(255, 255, 255)');
    expect(paper).toBe('rgb(255, 255, 255)');
  });
});

describe('the single-page edition on screen', () => {
  it('lays out only the chapters near the viewport, and all of them on paper', async () => {
    const p = await browser.newPage({ viewport: { width: 412, height: 800 } });
    await p.goto(server.url + '/print/');
    const last = p.locator('article.print-chapter').last();
    const rendered = () => last.evaluate((a) => a.querySelector('h1')!.checkVisibility({ contentVisibilityAuto: true }));
    expect(await rendered()).toBe(false);
    await last.evaluate((a) => a.scrollIntoView());
    await expect.poll(rendered).toBe(true);
    await p.emulateMedia({ media: 'print' });
    expect(await p.locator('article.print-chapter').first().evaluate((a) => getComputedStyle(a).contentVisibility)).toBe('visible');
    await p.close();
  });

  it('prints code without token colours, so the whole edition stays under 60,000 elements', async () => {
    const p = await browser.newPage();
    await p.goto(server.url + '/print/');
    expect(await p.locator('pre.shiki [class^="hl-"]').count()).toBe(0);
    expect(await p.locator('pre.shiki .line').count()).toBeGreaterThan(10_000);
    expect(await p.evaluate(() => document.querySelectorAll('*').length)).toBeLessThan(60_000);
    await p.close();
  });

  it('gives every chapter not yet laid out a height no less than its real one, even at 320 px', async () => {
    const p = await browser.newPage({ viewport: { width: 320, height: 640 } });
    await p.goto(server.url + '/print/');
    // Every chapter and listing laid out, to measure the real heights against the estimates.
    await p.addStyleTag({ content: '.print-chapter, .chapter figure.source pre { content-visibility: visible !important; }' });
    const rows = await p.locator('article.print-chapter').evaluateAll((as) =>
      as.map((a) => ({ id: a.id, real: a.getBoundingClientRect().height, estimate: Number(/auto (\d+)px/.exec(a.getAttribute('style') ?? '')?.[1]) })),
    );
    expect(rows.length).toBeGreaterThan(30);
    const under = rows.filter((r) => !(r.estimate >= r.real)).map((r) => `${r.id}: ${Math.round(r.real)} px, estimated ${r.estimate}`);
    expect(under).toEqual([]);
    // And not wildly more: the scroll bar stays roughly right before chapters are laid out.
    const total = (k: 'real' | 'estimate') => rows.reduce((n, r) => n + r[k], 0);
    expect(total('estimate') / total('real')).toBeLessThan(1.6);
    await p.close();
  });
});
