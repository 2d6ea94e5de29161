// Reading a chapter page: "On this page" follows the scroll, ¶ anchors work on a touch screen,
// ← and → turn the page (and only when nothing else wants the key), cited VIRTIO sections lead
// to the OASIS text, and code reads without sideways scrolling or per-token styles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';
import { VIRTIO_PDF_URL } from '../../src/lib/spec/virtio-links.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  await page.goto(server.url + path);
  return page;
}
const close = (page: Page) => page.context().close();

/** Dispatches a keydown as the browser would and says whether the page took it. */
function keyTaken(page: Page, selector: string, init: Record<string, string | boolean>): Promise<boolean> {
  return page.locator(selector).first().evaluate((el, init) => {
    const e = new KeyboardEvent('keydown', { ...(init as KeyboardEventInit), bubbles: true, cancelable: true });
    el.dispatchEvent(e);
    return e.defaultPrevented;
  }, init);
}

describe('On this page', () => {
  it('marks the section being read, and follows the scroll both ways', async () => {
    const page = await open('/chapters/block/');
    const current = () => page.locator('nav.toc a[aria-current="true"]').getAttribute('href');
    const ids = await page.locator('main h2[id]').evaluateAll((hs) => hs.map((h) => h.id));
    expect(ids.length).toBeGreaterThan(2);
    await page.locator(`#${ids[2]}`).evaluate((h) => h.scrollIntoView());
    await expect.poll(current).toBe(`#${ids[2]}`);
    await page.locator(`#${ids[1]}`).evaluate((h) => h.scrollIntoView());
    await expect.poll(current).toBe(`#${ids[1]}`);
    // Only one entry is current at a time.
    expect(await page.locator('nav.toc a[aria-current]').count()).toBe(1);
    // Far down the chapter, the aside's list (longer than the screen) scrolls to show it.
    const last = (await page.locator('nav.toc a').last().getAttribute('href'))!;
    await page.locator(last).evaluate((h) => h.scrollIntoView());
    await expect.poll(current).toBe(last);
    const shown = await page.locator('nav.toc a[aria-current]').evaluate((a) => {
      const [r, b] = [a.getBoundingClientRect(), a.closest('.toc-aside > .toc')!.getBoundingClientRect()];
      return { inside: r.top >= b.top && r.bottom <= b.bottom, listScrolls: a.closest('.toc-aside > .toc')!.scrollHeight > b.height };
    });
    expect(shown).toEqual({ inside: true, listScrolls: true });
    await close(page);
  });
});

describe('¶ anchors on a touch screen', () => {
  it('shows them without hover, and a tap leads to the section', async () => {
    const page = await open('/chapters/block/', { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
    expect(await page.evaluate(() => matchMedia('(hover: none)').matches)).toBe(true);
    const heading = page.locator('main h3[id]').nth(1);
    const id = (await heading.getAttribute('id'))!;
    const mark = heading.locator('a.permalink');
    await mark.scrollIntoViewIfNeeded();
    expect(await mark.evaluate((a) => getComputedStyle(a).opacity)).toBe('1');
    const box = (await mark.boundingBox())!;
    expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(24);
    await mark.tap();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe(`#${id}`);
    await close(page);
  });

  it('keeps them out of sight on a screen with a mouse until hovered', async () => {
    const page = await open('/chapters/block/');
    const heading = page.locator('main h3[id]').nth(1);
    const mark = heading.locator('a.permalink');
    expect(await mark.evaluate((a) => getComputedStyle(a).opacity)).toBe('0');
    await heading.hover();
    await expect.poll(() => mark.evaluate((a) => getComputedStyle(a).opacity)).toBe('1');
    await close(page);
  });
});

describe('← and → between chapters', () => {
  it('turns to the next and back to the previous chapter', async () => {
    const page = await open('/chapters/block/');
    const next = (await page.locator('.prev-next a[rel="next"]').getAttribute('href'))!;
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((u) => u.pathname === next);
    const prev = (await page.locator('.prev-next a[rel="prev"]').getAttribute('href'))!;
    expect(prev).toBe('/chapters/block/');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL((u) => u.pathname === prev);
    await close(page);
  });

  it('leaves the keys alone with a modifier, while typing, in a dialog and in a scrolling block', async () => {
    const page = await open('/chapters/block/');
    for (const mod of ['altKey', 'ctrlKey', 'metaKey', 'shiftKey']) {
      expect(await keyTaken(page, 'main p', { key: 'ArrowRight', [mod]: true }), mod).toBe(false);
    }
    expect(await keyTaken(page, 'main pre', { key: 'ArrowRight' })).toBe(false);
    await page.keyboard.press('/');
    const input = page.locator('#search-dialog input');
    await input.waitFor({ state: 'visible' });
    expect(await keyTaken(page, '#search-dialog input', { key: 'ArrowLeft' })).toBe(false);
    expect(await keyTaken(page, 'main p', { key: 'ArrowLeft' })).toBe(false);
    expect(new URL(page.url()).pathname).toBe('/chapters/block/');
    // The control case: once the dialog is closed, the same key on the same paragraph is taken.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate(() => (document.getElementById('search-dialog') as HTMLDialogElement).open)).toBe(false);
    expect(await keyTaken(page, 'main p', { key: 'ArrowLeft' })).toBe(true);
    await close(page);
  });

  it('does nothing on the first chapter for ←', async () => {
    const html = readFileSync('dist/index.html', 'utf8');
    const first = /<nav class="sidebar"[\s\S]*?<a href="(\/chapters\/[^"]+)"/.exec(html)![1];
    const page = await open(first);
    expect(await keyTaken(page, 'main p', { key: 'ArrowLeft' })).toBe(false);
    expect(await keyTaken(page, 'main p', { key: 'ArrowRight' })).toBe(true);
    await close(page);
  });
});

describe('citations of VIRTIO', () => {
  it('link each cited section to its heading in the OASIS text of VIRTIO 1.4 and name the section', async () => {
    const page = await open('/chapters/block/');
    const cites = page.locator('.req-virtio');
    const n = await cites.count();
    expect(n).toBeGreaterThan(5);
    // Every citation's link opens the PDF at the named destination of the very section it names.
    const links = await page.locator('.req-virtio a.virtio-link').evaluateAll((as) =>
      as.map((a) => ({ href: a.getAttribute('href')!, text: a.textContent!.replace(/\s+/g, ' ').trim() })),
    );
    expect(links).toHaveLength(n);
    for (const { href, text } of links) {
      const section = /^§(\S+) /.exec(text)![1];
      expect(href).toBe(`${VIRTIO_PDF_URL}#nameddest=${section.includes('.') ? ['section', 'subsection', 'subsubsection', 'paragraph', 'subparagraph'][section.split('.').length - 2] : 'chapter'}.${section}`);
    }
    // textContent: the box may be off screen, where the browser skips rendering it (innerText would be empty).
    expect((await cites.first().textContent())!.replace(/\s+/g, ' ').trim()).toMatch(/^refines VIRTIO 1\.4 §\d+(\.\d+)* \S/);
    const meta = page.locator('.chapter-meta a.virtio-link');
    expect(await meta.getAttribute('href')).toBe(`${VIRTIO_PDF_URL}#nameddest=section.5.2`);
    expect(await page.locator('.chapter-meta').innerText()).toMatch(/§5\.2 Block Device/);
    await close(page);
  });
});

describe('layout work on a long chapter', () => {
  it('renders code only near the screen, and all of it on paper', async () => {
    const page = await open('/chapters/block/');
    const code = page.locator('main figure.source pre').last();
    const rendered = () => code.evaluate((el) => el.querySelector('code')!.checkVisibility({ contentVisibilityAuto: true }));
    // Far below the first screen, the block is skipped by the browser's rendering (content-visibility).
    expect(await rendered()).toBe(false);
    await code.evaluate((el) => el.scrollIntoView());
    await expect.poll(rendered).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect.poll(rendered).toBe(false);
    // Requirement boxes are not skipped: their links must measure where they are.
    expect(await page.locator('main .req').last().evaluate((el) => getComputedStyle(el).contentVisibility)).toBe('visible');
    await page.emulateMedia({ media: 'print' });
    expect(await code.evaluate((el) => getComputedStyle(el).contentVisibility)).toBe('visible');
    expect(await rendered()).toBe(true);
    await close(page);
  });
});

describe('code on the Block chapter', () => {
  it('carries classes, not per-token styles', () => {
    const html = readFileSync('dist/chapters/block/index.html', 'utf8');
    expect(html).toContain('<pre tabindex="0" class="shiki">');
    expect(html.match(/class="hl-keyword"/g)?.length).toBeGreaterThan(100);
    expect(html.match(/ style="/g) ?? []).toEqual([]);
  });

  it('does not scroll sideways at 1280 px, and a wrapped line hangs deeper than its text', async () => {
    const page = await open('/chapters/block/');
    const { overflowing, blocks, hanging } = await page.evaluate(() => {
      const pres = Array.from(document.querySelectorAll<HTMLElement>('main pre'));
      // An indented line that wraps: where its text starts, and where its last row starts.
      const wrapped = Array.from(document.querySelectorAll<HTMLElement>('main pre.shiki [class*="wrap-"]')).find(
        (l) => l.offsetHeight > 1.5 * parseFloat(getComputedStyle(l).lineHeight) && /^ {2,}\S/.test(l.textContent!),
      );
      let hanging = null;
      if (wrapped) {
        const probe = document.createElement('span');
        probe.textContent = '0'.repeat(10);
        wrapped.after(probe);
        const ch = probe.getBoundingClientRect().width / 10;
        probe.remove();
        const range = document.createRange();
        range.selectNodeContents(wrapped);
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
        const [firstTop, lastTop] = [Math.min(...rects.map((r) => r.top)), Math.max(...rects.map((r) => r.top))];
        const indent = /^ */.exec(wrapped.textContent!)![0].length;
        // Lines keep one spacing whether they wrap or not: the text of every line starts a
        // whole number of rows below the line before (measured on the glyphs themselves).
        const row = parseFloat(getComputedStyle(wrapped).lineHeight);
        const glyphTop = (l: Element) => {
          const r = document.createRange();
          r.selectNodeContents(l);
          return r.getClientRects()[0]?.top;
        };
        const tops = Array.from(wrapped.closest('pre')!.querySelectorAll('.line'), glyphTop).filter((t): t is number => t !== undefined);
        const offRow = tops.slice(1).map((t, i) => (t - tops[i]) / row).filter((n) => Math.abs(n - Math.round(n)) > 0.05).length;
        hanging = {
          textStart: Math.min(...rects.filter((r) => r.top === firstTop).map((r) => r.left)) + indent * ch,
          continuationStart: Math.min(...rects.filter((r) => r.top === lastTop).map((r) => r.left)),
          ch,
          offRow,
        };
      }
      return { overflowing: pres.filter((p) => p.scrollWidth > p.clientWidth + 1).length, blocks: pres.length, hanging };
    });
    expect(blocks).toBeGreaterThan(10);
    expect(overflowing).toBe(0);
    expect(hanging).not.toBeNull();
    expect(hanging!.continuationStart).toBeGreaterThan(hanging!.textStart + hanging!.ch);
    expect(hanging!.offRow).toBe(0);
    await close(page);
  });

  it('lets the keyboard scroll a long example output, which has a name', async () => {
    const page = await open('/chapters/block/');
    const out = page.locator('.example-output pre').first();
    expect(await out.getAttribute('tabindex')).toBe('0');
    expect(await out.getAttribute('role')).toBe('region');
    expect(await out.getAttribute('aria-label')).toMatch(/^Output of the example \S+/);
    expect(await out.evaluate((p) => p.scrollHeight > p.clientHeight)).toBe(true);
    await out.focus();
    await page.keyboard.press('PageDown');
    await expect.poll(() => out.evaluate((p) => p.scrollTop)).toBeGreaterThan(0);
    await close(page);
  });
});

it('has a chapter list to test against', () => expect(readdirSync('dist/chapters').length).toBeGreaterThan(20));
