// axe-core on every page of the built site, in the light and the dark colour scheme, and with
// the search dialog open: no violation of any rule axe runs by default (WCAG 2 A and AA, among
// them colour contrast of the highlighted code, and its best practices). One browser page
// visits the pages in turn; the colour scheme changes in place, without a reload, and only
// colours change with it (the same DOM), so in dark the colour rules run again, not all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
const SCHEMES = ['light', 'dark'] as const;
/** The rules whose result depends on colours; everything else is the same in both schemes. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/** Every page of dist/ (each index.html, and 404.html), as the path a reader opens. */
function sitePages(dir = 'dist'): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'pagefind' || name === '_astro' || name === 'runner') continue;
    if (statSync(path).isDirectory()) out.push(...sitePages(path));
    else if (name === 'index.html') out.push(`/${relative('dist', dir)}/`.replace(/\/+/g, '/'));
    else if (name === '404.html') out.push('/404.html');
  }
  return out.sort();
}

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface AxeResult {
  violations: { id: string; impact: string; nodes: { target: string[]; failureSummary?: string }[] }[];
}

/**
 * axe's violations on the page as it is now, one line each (rule, impact, a few of the
 * elements): every default rule in light, the colour rules in dark.
 */
async function violations(scheme: (typeof SCHEMES)[number]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const options = { resultTypes: ['violations'], ...(scheme === 'dark' ? { runOnly: { type: 'rule', values: COLOUR_RULES } } : {}) };
  const result = (await page.evaluate(
    (o) => (window as unknown as { axe: { run: (c: Document, o: object) => Promise<unknown> } }).axe.run(document, o),
    options,
  )) as AxeResult;
  return result.violations.map(
    (v) => `${v.id} (${v.impact}, ${v.nodes.length}×): ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`).join(' | ')}`,
  );
}

const pages = sitePages();

describe('axe finds nothing', () => {
  it('on a list of pages that holds every kind', () => {
    for (const p of ['/', '/conformance-matrix/', '/implementation-status/', '/search/', '/print/', '/404.html', '/chapters/block/']) expect(pages).toContain(p);
  });

  for (const path of pages) {
    // The single-page edition holds every chapter: axe needs longer there.
    it(`on ${path}, light and dark`, { timeout: path === '/print/' ? 240_000 : 60_000 }, async () => {
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(server.url + path);
      for (const colorScheme of SCHEMES) {
        await page.emulateMedia({ colorScheme });
        expect(await violations(colorScheme), `${path} (${colorScheme})`).toEqual([]);
      }
    });
  }

  it('with the search dialog open on results, light and dark', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(server.url + '/chapters/block/');
    await page.keyboard.press('/');
    const input = page.locator('#search-dialog input');
    await input.waitFor({ state: 'visible' });
    await input.fill('virtqueue');
    const results = page.locator('#search-dialog .pagefind-ui__result-link');
    await expect.poll(async () => (await results.count()) > 0 && (await results.first().innerText()).trim().length > 0, { timeout: 15_000 }).toBe(true);
    expect(await page.evaluate(() => (document.getElementById('search-dialog') as HTMLDialogElement).open)).toBe(true);
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      expect(await violations(colorScheme), `search dialog (${colorScheme})`).toEqual([]);
    }
  });
});

describe('axe finds nothing on a phone', () => {
  // What depends on the layout: a box that scrolls sideways must be reachable from the keyboard,
  // and targets must be large enough. At 412 px most tables and code blocks scroll.
  const LAYOUT_RULES = ['scrollable-region-focusable', 'target-size'];
  for (const path of pages) {
    it(`on ${path}, 412 px wide`, { timeout: path === '/print/' ? 240_000 : 60_000 }, async () => {
      const phone = await browser.newPage({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true });
      await phone.goto(server.url + path);
      await phone.addScriptTag({ content: AXE });
      const result = (await phone.evaluate(
        (rules) => (window as unknown as { axe: { run: (c: Document, o: object) => Promise<unknown> } }).axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'rule', values: rules } }),
        LAYOUT_RULES,
      )) as AxeResult;
      expect(result.violations.map((v) => `${v.id} (${v.nodes.length}×): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), path).toEqual([]);
      await phone.close();
    });
  }
});
