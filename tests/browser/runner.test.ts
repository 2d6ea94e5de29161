// The Run button's life cycle (a run replaced or reset never reports a timeout of its own) and
// what the reader's browser downloads on first use of a Run button or the visualizer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

/** The example runner's time limit (src/components/runner/example-ui.ts). */
const TIME_LIMIT_MS = 5000;
/** What the first Run, or the first visualizer step, may load: JavaScript and JSON, decoded. */
const FIRST_USE_BUDGET = 250_000;
/** Examples that validate a file against its schema in the browser, and so load zod. */
const VALIDATE_SCHEMAS = new Set(['device-vector-check', 'discovery-cockpit', 'boot-budget']);

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let served: { path: string; bytes: number }[] = [];

const examplePages = readdirSync('dist/chapters').flatMap((slug) =>
  [...readFileSync(`dist/chapters/${slug}/index.html`, 'utf8').matchAll(/data-example="([^"]+)"/g)].map((m) => ({ slug, name: m[1] })),
);

beforeAll(async () => {
  server = await serveDir(resolve('dist'), (path, bytes) => served.push({ path, bytes }));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const status = (fig: Locator) => fig.locator('.example-status');

async function exampleOnPage(page: Page, name: string): Promise<Locator> {
  const { slug } = examplePages.find((e) => e.name === name)!;
  await page.goto(`${server.url}/chapters/${slug}/`);
  return page.locator(`figure[data-example="${name}"]`);
}

describe('example runner', () => {
  it('does not report a timeout after Run is pressed twice', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    const fig = await exampleOnPage(page, examplePages[0].name);
    const run = fig.locator('[data-example-action="run"]');
    await run.click();
    await run.click();
    await expect.poll(() => status(fig).getAttribute('data-kind'), { timeout: 15_000 }).toBe('ok');
    // Past the first run's time limit: its timer must have died with it.
    await page.clock.runFor(TIME_LIMIT_MS + 1000);
    expect(await status(fig).innerText()).toMatch(/^Finished in \d+ ms\.$/);
    await page.close();
  });

  it('does not report a timeout after Reset during a run', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    const fig = await exampleOnPage(page, examplePages[0].name);
    await fig.locator('[data-example-action="edit"]').click();
    await fig.locator('textarea.example-editor').fill(`console.log('waiting');\nawait new Promise((r) => setTimeout(r, 60_000));\n`);
    await fig.locator('[data-example-action="run"]').click();
    await expect.poll(() => fig.locator('.example-output code').innerText(), { timeout: 15_000 }).toContain('waiting');
    await fig.locator('[data-example-action="reset"]').click();
    await expect.poll(() => status(fig).innerText()).toBe('Reset to the original source.');
    await page.clock.runFor(TIME_LIMIT_MS + 1000);
    expect(await status(fig).innerText()).toBe('Reset to the original source.');
    expect(await fig.locator('.example-output code').innerText()).not.toContain('waiting');
    await page.close();
  });

  it('still stops a run that outlives the time limit, after an earlier run was replaced', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    const fig = await exampleOnPage(page, examplePages[0].name);
    await fig.locator('[data-example-action="run"]').click();
    await fig.locator('[data-example-action="edit"]').click();
    await fig.locator('textarea.example-editor').fill(`console.log('spinning');\nawait new Promise(() => {});\n`);
    await fig.locator('[data-example-action="run"]').click();
    await expect.poll(() => fig.locator('.example-output code').innerText(), { timeout: 15_000 }).toContain('spinning');
    await page.clock.runFor(TIME_LIMIT_MS + 1000);
    await expect.poll(() => status(fig).innerText()).toBe('Stopped: the example ran longer than 5 s.');
    await page.close();
  });
});

/** Bytes of JavaScript and JSON served while `act` runs, in a fresh browser context (empty cache). */
async function loadedBy(path: string, act: (page: Page) => Promise<void>): Promise<{ bytes: number; files: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url + path);
  await page.waitForLoadState('networkidle');
  served = [];
  await act(page);
  const files = served.filter((s) => /\.(js|json)$/.test(s.path));
  await context.close();
  return { bytes: files.reduce((n, f) => n + f.bytes, 0), files: files.map((f) => `${f.path} ${f.bytes}`) };
}

describe('JavaScript loaded on first use', () => {
  // One test per example: each loads a fresh page, and together they outgrow one test's time limit.
  const measured = examplePages.filter(({ name }) => !VALIDATE_SCHEMAS.has(name));
  it('measures more than ten examples', () => {
    expect(measured.length).toBeGreaterThan(10);
  });
  for (const { slug, name } of measured) {
    it(`loads under ${FIRST_USE_BUDGET / 1000} KB for the first Run of ${name}`, async () => {
      const { bytes, files } = await loadedBy(`/chapters/${slug}/`, async (page) => {
        const fig = page.locator(`figure[data-example="${name}"]`);
        await fig.locator('[data-example-action="run"]').click();
        await expect.poll(() => fig.locator('.example-status').getAttribute('data-kind'), { timeout: 15_000 }).toBe('ok');
      });
      // The run went through the split library, not the whole of it.
      expect(files.some((f) => f.startsWith('/runner/avp-lib.js')), name).toBe(false);
      expect(bytes, `${name}: ${files.join(', ')}`).toBeLessThan(FIRST_USE_BUDGET);
    });
  }

  it(`loads under ${FIRST_USE_BUDGET / 1000} KB for the first visualizer step`, async () => {
    const slug = readdirSync('dist/chapters').find((s) => readFileSync(`dist/chapters/${s}/index.html`, 'utf8').includes('data-visualizer'))!;
    const { bytes, files } = await loadedBy(`/chapters/${slug}/`, async (page) => {
      const fig = page.locator('[data-visualizer]').first();
      await fig.locator('[data-vis-action="step"]').click();
      await expect.poll(() => fig.locator('.vis-status').innerText()).toMatch(/^Step 1 of \d+$/);
    });
    expect(files.length).toBeGreaterThan(0);
    expect(bytes, files.join(', ')).toBeLessThan(FIRST_USE_BUDGET);
  });
});
