// The site as a reader meets it: home page, sidebar, numbered chapter, requirement
// permalinks, lazy search, the single-page edition and a phone-sized screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

const ARTIFACTS = resolve('artifacts/screenshots');
let browser: Browser;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function newPage(width = 1280): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  return { page, requests };
}

describe('site', () => {
  it('leads from the home page through the sidebar to a numbered chapter', async () => {
    const { page } = await newPage();
    await page.goto(server.url + '/');
    const first = page.locator('nav.sidebar a').first();
    const label = (await first.innerText()).trim();
    expect(label).toMatch(/^1\s+\S/);
    await first.click();
    await page.waitForURL(/\/chapters\/[a-z0-9-]+\/$/);
    expect((await page.locator('main h1').innerText()).trim()).toBe(label);
    // Every numbered heading starts with the chapter number, and the ToC agrees with it.
    const headings = await page.locator('main h2 .secno').allInnerTexts();
    expect(headings.length).toBeGreaterThan(0);
    headings.forEach((n, i) => expect(n).toBe(`1.${i + 1}`));
    const toc = await page.locator('nav.toc li.toc-depth-2 .secno').allInnerTexts();
    expect(toc).toEqual(headings);
    // A heading's permalink is its own anchor.
    const h2 = page.locator('main h2').first();
    const id = await h2.getAttribute('id');
    expect(await h2.locator('a.permalink').getAttribute('href')).toBe(`#${id}`);
    await page.screenshot({ path: `${ARTIFACTS}/chapter.png`, fullPage: false });
    await page.close();
  });

  it('gives every requirement a permalink that targets it', async () => {
    const { page } = await newPage();
    await page.goto(server.url + '/print/');
    const req = page.locator('.req').first();
    const id = (await req.getAttribute('id'))!;
    expect(id).toMatch(/^AVP-[A-Z0-9]+-\d+$/);
    const home = await page.locator(`.req#${id} a.req-id`).getAttribute('href');
    expect(home).toBe(`#${id}`);
    await page.locator(`.req#${id} a.req-id`).click();
    expect(new URL(page.url()).hash).toBe(`#${id}`);
    expect(await page.evaluate(() => document.querySelector(':target')?.id)).toBe(id);
    await page.close();
  });

  it('ships no script at load but the search loader, and loads Pagefind only when asked', async () => {
    const { page, requests } = await newPage();
    await page.goto(server.url + '/print/');
    const href = (await page.locator('.print-toc a').first().getAttribute('href'))!;
    const { page: ch, requests: chRequests } = await newPage();
    await ch.goto(server.url + '/');
    await ch.locator('nav.sidebar a').first().click();
    await ch.waitForLoadState('networkidle');
    expect(chRequests.filter((u) => u.endsWith('.js'))).toEqual([]);
    expect(chRequests.some((u) => u.includes('/pagefind/'))).toBe(false);
    expect(await ch.locator('script[src]').count()).toBe(0);
    expect(href).toMatch(/^#chapter-/);
    await page.close();
    await ch.close();
    expect(requests.some((u) => u.includes('/pagefind/'))).toBe(false);
  });

  it('finds a requirement by its ID through the search dialog, opened with the / key', async () => {
    const { page } = await newPage();
    await page.goto(server.url + '/print/');
    const id = (await page.locator('.req').last().getAttribute('id'))!;
    await page.goto(server.url + '/');
    await page.keyboard.press('/');
    const input = page.locator('#search-dialog input');
    await input.waitFor({ state: 'visible' });
    await input.fill(id);
    // Pagefind first shows placeholder results, then fills them in: wait for the text itself.
    const results = page.locator('#search-dialog .pagefind-ui__results');
    await expect.poll(() => results.innerText(), { timeout: 15_000 }).toContain(id);
    await page.screenshot({ path: `${ARTIFACTS}/search.png` });
    await page.close();
  });

  it('numbers the single-page edition as the chapter pages', async () => {
    const { page } = await newPage();
    await page.goto(server.url + '/print/');
    // textContent: chapters far from the viewport are not rendered on screen, and innerText is empty there.
    const chapters = (await page.locator('article.print-chapter > h1 .secno').allTextContents()).map((t) => t.trim());
    expect(chapters.length).toBeGreaterThan(30);
    expect(chapters).toEqual(chapters.map((_, i) => String(i + 1)));
    const firstH2 = (await page.locator('article.print-chapter').first().locator('h2 .secno').first().textContent())?.trim();
    expect(firstH2).toBe('1.1');
    await page.close();
  });

  it('reads on a phone: no sideways scrolling, contents reachable', async () => {
    const { page } = await newPage(390);
    await page.goto(server.url + '/');
    await page.locator('nav.sidebar a').first().click();
    await page.waitForURL(/\/chapters\//);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator('nav.sidebar summary').isVisible()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/phone.png`, fullPage: false });
    await page.close();
  });

  it('can be driven from the keyboard: skip link first, then the site links', async () => {
    const { page } = await newPage();
    await page.goto(server.url + '/');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#content');
    await page.close();
  });
});
