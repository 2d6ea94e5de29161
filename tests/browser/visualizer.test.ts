// The virtqueue visualizer on the Virtqueues chapter: for each ring type, step a vector case
// to its end in the browser and check that every step runs as the vector says, that the
// rings redraw with the changed cells marked, and that Back and Reset replay exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;

// The Virtqueues chapter carries them; any other chapter that embeds one is stepped too.
const pages = readdirSync('dist/chapters').filter((slug) => readFileSync(`dist/chapters/${slug}/index.html`, 'utf8').includes('data-visualizer'));

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('virtqueue visualizer', () => {
  it('is on the Virtqueues chapter, for both ring types', async () => {
    expect(pages).toContain('virtqueues');
    await page.goto(`${server.url}/chapters/virtqueues/`);
    const rings = await page.locator('[data-visualizer]').evaluateAll((els) => els.map((e) => e.getAttribute('data-ring')));
    expect(new Set(rings)).toEqual(new Set(['split', 'packed']));
  });

  it('steps every visualizer to its end, marking what each step changed', async () => {
    for (const slug of pages) {
      await page.goto(`${server.url}/chapters/${slug}/`);
      const figs = page.locator('[data-visualizer]');
      for (let i = 0; i < (await figs.count()); i++) {
        const fig = figs.nth(i);
        const total = await fig.locator('.vis-steps li').count();
        const first = await fig.locator('.vis-tables').innerHTML();
        let changedSteps = 0;
        for (let n = 1; n <= total; n++) {
          await fig.locator('[data-vis-action="step"]').click();
          await expect.poll(() => fig.locator('.vis-status').innerText()).toBe(`Step ${n} of ${total}`);
          const caption = await fig.locator('.vis-caption').innerText();
          expect(caption, `${slug} #${i} step ${n}`).not.toMatch(/differs from the vector|failed:/);
          if ((await fig.locator('td.vis-changed').count()) > 0) changedSteps++;
        }
        expect(await fig.locator('[data-vis-action="step"]').isDisabled()).toBe(true);
        // Adding and returning buffers write guest memory: a good share of the steps mark cells.
        expect(changedSteps).toBeGreaterThan(total / 4);
        const last = await fig.locator('.vis-tables').innerHTML();
        expect(last).not.toBe(first);

        await fig.locator('[data-vis-action="back"]').click();
        await expect.poll(() => fig.locator('.vis-status').innerText()).toBe(`Step ${total - 1} of ${total}`);
        await fig.locator('[data-vis-action="reset"]').click();
        await expect.poll(() => fig.locator('.vis-status').innerText()).toBe(`Step 0 of ${total}`);
        // A replay from the start draws exactly the frame the build rendered.
        expect(await fig.locator('.vis-tables').innerHTML()).toBe(first);
      }
    }
  });

  it('shows the packed ring wrap: AVAIL and USED flip on the second lap', async () => {
    await page.goto(`${server.url}/chapters/virtqueues/`);
    const fig = page.locator('[data-visualizer][data-ring="packed"]').first();
    const total = await fig.locator('.vis-steps li').count();
    const seen = new Set<string>();
    for (let n = 1; n <= total; n++) {
      await fig.locator('[data-vis-action="step"]').click();
      await expect.poll(() => fig.locator('.vis-status').innerText()).toBe(`Step ${n} of ${total}`);
      // Slot 0's AVAIL/USED columns (5th and 6th) as the driver and device take turns.
      const row = await fig.locator('.vis-table').first().locator('tbody tr').first().locator('td').allInnerTexts();
      seen.add(`${row[4]}${row[5]}`);
    }
    // Available then used in lap 1 (10, 11), and in lap 2 (01, 00): the flags invert.
    expect([...seen].sort()).toEqual(['00', '01', '10', '11']);
  });
});
