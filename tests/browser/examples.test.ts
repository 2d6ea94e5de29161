// Every embedded example, on every chapter, run in the reader's browser: its output must match
// what the build recorded from Node. One is edited, one runs away, one throws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

const chapterPages = readdirSync('dist/chapters').filter((slug) =>
  readFileSync(`dist/chapters/${slug}/index.html`, 'utf8').includes('data-example='),
);

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function runAndWait(fig: Locator, timeout = 15_000): Promise<string> {
  const status = fig.locator('.example-status');
  await status.evaluate((s) => s.removeAttribute('data-kind'));
  await fig.locator('[data-example-action="run"]').click();
  await expect.poll(async () => status.getAttribute('data-kind'), { timeout }).toMatch(/^(ok|error)$/);
  return (await status.innerText()).trim();
}

const builtOutput = (fig: Locator) => fig.locator('template.example-built-output').evaluate((t) => (t as HTMLTemplateElement).content.textContent ?? '');
const shownOutput = (fig: Locator) => fig.locator('.example-output code').evaluate((c) => c.textContent ?? '');

describe('examples in the browser', () => {
  it('has chapters with examples to run', () => {
    expect(chapterPages.length).toBeGreaterThan(0);
  });

  it('runs every example on every chapter and prints what Node printed at build', async () => {
    const page = await browser.newPage();
    let ran = 0;
    for (const slug of chapterPages) {
      await page.goto(`${server.url}/chapters/${slug}/`);
      const figs = page.locator('figure[data-example]');
      for (let i = 0; i < (await figs.count()); i++) {
        const fig = figs.nth(i);
        const name = await fig.getAttribute('data-example');
        const status = await runAndWait(fig);
        expect(status, `${slug}: ${name}`).toMatch(/^Finished in \d+ ms\.$/);
        expect(await shownOutput(fig), `${slug}: ${name}`).toBe(await builtOutput(fig));
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(0);
    await page.close();
  });

  it('runs an edited example, and Reset restores the original', async () => {
    const page: Page = await browser.newPage();
    await page.goto(`${server.url}/chapters/${chapterPages[0]}/`);
    const fig = page.locator('figure[data-example]').first();
    await fig.locator('[data-example-action="edit"]').click();
    const editor = fig.locator('textarea.example-editor');
    await editor.fill(`${await editor.inputValue()}\nconsole.log('edited by the reader', 6 * 7);\n`);
    expect(await runAndWait(fig)).toMatch(/^Finished/);
    const out = await shownOutput(fig);
    expect(out.endsWith('edited by the reader 42\n')).toBe(true);
    expect(out.startsWith(await builtOutput(fig))).toBe(true);
    await fig.locator('[data-example-action="reset"]').click();
    await expect.poll(() => editor.count()).toBe(0);
    expect(await shownOutput(fig)).toBe(await builtOutput(fig));
    await page.close();
  });

  it('shows an error thrown by an edited example', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/chapters/${chapterPages[0]}/`);
    const fig = page.locator('figure[data-example]').first();
    await fig.locator('[data-example-action="edit"]').click();
    await fig.locator('textarea.example-editor').fill(`console.log('before');\nthrow new RangeError('queue size 0');\n`);
    expect(await runAndWait(fig)).toBe('Error: RangeError: queue size 0');
    expect(await shownOutput(fig)).toBe('before\n');
    await page.close();
  });

  it('stops a runaway example at the time limit and says so', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/chapters/${chapterPages[0]}/`);
    const fig = page.locator('figure[data-example]').first();
    await fig.locator('[data-example-action="edit"]').click();
    await fig.locator('textarea.example-editor').fill(`console.log('spinning');\nwhile (true) {}\n`);
    expect(await runAndWait(fig, 20_000)).toBe('Stopped: the example ran longer than 5 s.');
    await page.close();
  });
});
