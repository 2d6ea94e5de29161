// What a reader of a documentation site expects, checked on the built site: a readable search
// in both colour schemes, navigation at the top on a phone, anchors clear of the sticky
// header, requirement IDs that search finds first, and the small things (generated text, a
// favicon, a 404 page, the theme toggle, copy buttons, the matrix on a phone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

const requirements = (JSON.parse(readFileSync('dist/requirements.json', 'utf8')) as { requirements: { id: string; url: string; chapter: string }[] }).requirements;
const chapterWithExamples = readdirSync('dist/chapters').find((s) => readFileSync(`dist/chapters/${s}/index.html`, 'utf8').includes('class="source'))!;

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

/** WCAG contrast of an element's text against the first opaque background under it. */
function contrastOf(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg: number[] = [255, 255, 255];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) {
        bg = c.slice(0, 3);
        break;
      }
    }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  });
}

describe('search, in both colour schemes', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`shows the typed query and the results readably, and lays out the search box (${colorScheme})`, async () => {
      const page = await open('/', { colorScheme });
      await page.keyboard.press('/');
      const input = page.locator('#search-dialog input');
      await input.waitFor({ state: 'visible' });
      await input.fill('virtqueue');
      const results = page.locator('#search-dialog .pagefind-ui__result-link');
      await expect.poll(async () => (await results.count()) > 0 && (await results.first().innerText()).trim().length > 0, { timeout: 15_000 }).toBe(true);
      expect(await contrastOf(page, '#search-dialog input')).toBeGreaterThanOrEqual(4.5);
      expect(await contrastOf(page, '#search-dialog .pagefind-ui__result-link')).toBeGreaterThanOrEqual(4.5);
      // The magnifier sits inside the input, vertically within it, and Clear inside its border.
      const box = await page.locator('#search-dialog').evaluate((d) => {
        const form = d.querySelector('.pagefind-ui__form')!;
        const inputBox = d.querySelector('input')!.getBoundingClientRect();
        const icon = getComputedStyle(form, '::before');
        const formBox = form.getBoundingClientRect();
        const iconTop = formBox.top + parseFloat(icon.top);
        const clear = d.querySelector('.pagefind-ui__search-clear')!.getBoundingClientRect();
        return { iconTop, iconBottom: iconTop + parseFloat(icon.height), input: inputBox.toJSON(), clear: clear.toJSON() };
      });
      expect(box.iconTop).toBeGreaterThanOrEqual(box.input.top);
      expect(box.iconBottom).toBeLessThanOrEqual(box.input.bottom);
      expect(box.clear.top).toBeGreaterThanOrEqual(box.input.top);
      expect(box.clear.bottom).toBeLessThanOrEqual(box.input.bottom);
      expect(box.clear.right).toBeLessThanOrEqual(box.input.right);
      await close(page);
    });
  }

  it('labels the search page input, and runs a shared query from ?q=', async () => {
    const page = await open('/search/?q=virtqueue');
    const input = page.locator('main').getByLabel(/Search the specification/);
    await expect.poll(() => input.count()).toBe(1);
    expect(await input.evaluate((e) => e.className)).toContain('pagefind-ui__search-input');
    expect(await input.inputValue()).toBe('virtqueue');
    await expect.poll(() => page.locator('.pagefind-ui__result-link').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await close(page);
  });
});

describe('a search for a requirement ID', () => {
  // An ID that is a prefix of others (AVP-BLK-3 of AVP-BLK-30 …) is the hard case.
  const ids = new Set(requirements.map((r) => r.id));
  const prefixed = requirements.filter((r) => ids.has(`${r.id}0`)).slice(0, 2);
  const cases = [...prefixed, requirements[requirements.length - 1]];

  it('has IDs that are prefixes of others to try', () => expect(prefixed.length).toBeGreaterThan(0));

  for (const req of cases) {
    it(`lists ${req.id} first and leads to its box`, async () => {
      const page = await open('/');
      await page.keyboard.press('/');
      const input = page.locator('#search-dialog input');
      await input.waitFor({ state: 'visible' });
      await input.fill(req.id);
      const first = page.locator('#search-dialog .pagefind-ui__result-title .pagefind-ui__result-link').first();
      await expect.poll(async () => ((await first.count()) ? (await first.innerText()).trim() : ''), { timeout: 15_000 }).toMatch(new RegExp(`^${req.id}\\b(?!-)`));
      expect(await first.getAttribute('href')).toBe(req.url);
      await first.click();
      await page.waitForURL((u) => u.hash === `#${req.id}`);
      await expect.poll(() => page.evaluate(() => document.querySelector(':target')?.id)).toBe(req.id);
      await close(page);
    });
  }
});

describe('on a phone', () => {
  const phone = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

  it('has a Menu button at the top, from anywhere on the page, that shows the chapter list', async () => {
    const page = await open(`/chapters/${chapterWithExamples}/`, phone);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
    const menu = page.locator('#menu-button');
    await expect.poll(() => menu.isVisible()).toBe(true);
    expect((await menu.boundingBox())!.y).toBeLessThan(60);
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    const current = page.locator('nav.sidebar a[aria-current="page"]');
    await expect.poll(() => current.isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-current'))).toBe('page');
    expect(await page.locator('nav.sidebar > details > section a:visible').count()).toBeGreaterThan(10);
    await page.keyboard.press('Escape');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => current.isVisible()).toBe(false);
    await page.screenshot({ path: 'artifacts/screenshots/phone-menu-closed.png' });
    await close(page);
  });

  it('tabs from the header to the chapter list, then into the chapter', async () => {
    const page = await open(`/chapters/${chapterWithExamples}/`, phone);
    const order: string[] = [];
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const a = document.activeElement!;
        return a.closest('header') ? 'header' : a.closest('nav.sidebar') ? 'sidebar' : a.closest('main') ? 'main' : a.closest('footer, .toc-aside') ? 'after' : 'other';
      }));
    }
    const firstMain = order.indexOf('main');
    expect(order.slice(0, 3)).toContain('header');
    expect(order.indexOf('sidebar')).toBeGreaterThan(order.indexOf('header'));
    expect(order.indexOf('sidebar')).toBeLessThan(firstMain);
    expect(order.slice(0, firstMain)).not.toContain('after');
    await close(page);
  });

  for (const width of [390, 1000, 1280]) {
    it(`keeps a linked section and a linked requirement clear of the sticky header (${width} px)`, async () => {
      const req = requirements.find((r) => r.chapter === chapterWithExamples) ?? requirements[0];
      const html = readFileSync(`dist/chapters/${req.chapter}/index.html`, 'utf8');
      const h3 = [...html.matchAll(/<h3 id="([^"]+)"/g)].map((m) => m[1])[1];
      for (const hash of [h3, req.id].filter(Boolean)) {
        const page = await open(`/chapters/${req.chapter}/#${hash}`, { viewport: { width, height: 800 } });
        await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
        const { top, headerBottom } = await page.evaluate((id) => ({
          top: document.getElementById(id)!.getBoundingClientRect().top,
          headerBottom: document.querySelector('.site-header')!.getBoundingClientRect().bottom,
        }), hash);
        expect(top, `#${hash}`).toBeGreaterThanOrEqual(headerBottom);
        await close(page);
      }
    });
  }

  it('offers "On this page" where the aside does not fit', async () => {
    const page = await open(`/chapters/${chapterWithExamples}/`, { viewport: { width: 1000, height: 800 } });
    expect(await page.locator('aside.toc-aside').isVisible()).toBe(false);
    const inline = page.locator('details.toc-inline');
    expect(await inline.isVisible()).toBe(true);
    await inline.locator('summary').click();
    const links = inline.locator('a');
    expect(await links.count()).toBe(await page.locator('nav.toc a').count());
    const href = (await links.nth(1).getAttribute('href'))!;
    await links.nth(1).click();
    expect(new URL(page.url()).hash).toBe(href);
    await close(page);
    const wide = await open(`/chapters/${chapterWithExamples}/`);
    expect(await wide.locator('details.toc-inline').isVisible()).toBe(false);
    await close(wide);
  });

  it('says that the matrix tables scroll sideways, where they do', async () => {
    const page = await open('/conformance-matrix/', phone);
    expect(await page.locator('#matrix-scroll-hint').isVisible()).toBe(true);
    expect(await page.locator('#matrix-table').evaluate((t) => t.scrollWidth > t.clientWidth)).toBe(true);
    await close(page);
    const wide = await open('/conformance-matrix/');
    expect(await wide.locator('#matrix-scroll-hint').isVisible()).toBe(false);
    await close(wide);
  });
});

describe('polish', () => {
  it('puts spaces where generated text joins numbers and words', async () => {
    const home = await open('/');
    expect(await home.locator('.home-stats').innerText()).toMatch(/\(\d+ MUST, \d+ SHOULD, \d+ MAY\)/);
    await close(home);
    const matrix = await open('/conformance-matrix/');
    expect(await matrix.locator('main > p').first().innerText()).toMatch(/tests, of which \d+ cite requirements/);
    await close(matrix);
  });

  it('has a favicon, and no page requests anything that is not there', async () => {
    for (const path of ['/', `/chapters/${chapterWithExamples}/`, '/conformance-matrix/', '/search/', '/print/']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const missing: string[] = [];
      page.on('response', (r) => r.status() >= 400 && missing.push(`${r.status()} ${r.url()}`));
      await page.goto(server.url + path);
      await page.waitForLoadState('networkidle');
      expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');
      // Chromium asks for the icon after load: wait until it has.
      const icon = await page.request.get(`${server.url}/favicon.svg`);
      expect(icon.status()).toBe(200);
      expect(missing, path).toEqual([]);
      await context.close();
    }
  });

  it('has a 404 page that leads back into the specification', async () => {
    expect(existsSync('dist/404.html')).toBe(true);
    const page = await open('/404.html');
    expect(await page.locator('h1').innerText()).toBe('Page not found');
    expect(await page.locator('main a[href="/search/"]').count()).toBe(1);
    expect(await page.locator('main a[href^="/chapters/"]').count()).toBeGreaterThan(5);
    await close(page);
  });

  it('follows the system theme until the reader picks one, and remembers the choice', async () => {
    const page = await open('/', { colorScheme: 'dark' });
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const theme = page.locator('#theme-button');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBeUndefined();
    const dark = await bg();
    expect(dark).not.toBe('rgb(255, 255, 255)');
    await theme.click();
    expect(await theme.innerText()).toContain('light');
    await expect.poll(bg).toBe('rgb(255, 255, 255)');
    await page.reload();
    await expect.poll(bg).toBe('rgb(255, 255, 255)');
    await theme.click();
    expect(await theme.innerText()).toContain('dark');
    await theme.click();
    expect(await theme.innerText()).toContain('system');
    expect(await page.evaluate(() => [document.documentElement.dataset.theme, localStorage.getItem('avp-theme')])).toEqual([undefined, null]);
    await expect.poll(bg).toBe(dark);
    await close(page);
  });

  it('copies a code block with its Copy button', async () => {
    const page = await open(`/chapters/${chapterWithExamples}/`);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const block = page.locator('.source .code-block').first();
    await block.hover();
    await block.locator('.copy-button').click();
    await expect.poll(() => block.locator('.copy-button').innerText()).toBe('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const shown = await block.locator('pre').innerText();
    expect(copied).toBe(shown.replace(/\n$/, ''));
    expect(copied.length).toBeGreaterThan(20);
    await close(page);
  });
});
