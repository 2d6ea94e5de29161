// The Performance page of the built site: the last published bench and fuzzing figures as charts,
// with the machine, the date and the Node version they were measured with, and reachable from the
// chapters that cite it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadPerformance } from '../../src/lib/spec/performance-files.ts';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;
const perf = loadPerformance();

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('performance page', () => {
  it('states where and when the figures were measured', async () => {
    await page.goto(`${server.url}/performance/`);
    await expect.poll(() => page.locator('#perf-node').innerText()).toBe(`Node ${perf.bench.node}`);
    expect(await page.locator('#perf-date').innerText()).toBe(perf.bench.date.slice(0, 10));
    expect(await page.locator('#perf-machine').innerText()).toContain(`${perf.bench.machine.cores} ×`);
  });

  it('draws the ratio, cost, allocation and fuzzing charts, one bar per bench row', async () => {
    await page.goto(`${server.url}/performance/`);
    const charts = page.locator('figure svg.perf-chart[role="img"]');
    await expect.poll(() => charts.count()).toBe(3 + (perf.fuzz ? 2 : 0));
    const labels = await charts.evaluateAll((svgs) => svgs.map((s) => s.getAttribute('aria-label')));
    expect(labels.slice(0, 3)).toEqual(['Checked device side over the bare loop, in times', 'Cost per descriptor, in ns', 'Heap allocated per chain, pop and push, in bytes']);
    // The ratio chart has a bar per row, drawn with a width that grows with the ratio.
    const widths = await charts.first().locator('rect.perf-bar').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
    expect(widths).toHaveLength(perf.bench.rows.length);
    const ratios = perf.bench.rows.map((r) => r.ratio);
    const widest = ratios.indexOf(Math.max(...ratios));
    expect(Math.max(...widths)).toBe(widths[widest]);
    // And the table beside it says the same.
    expect(await page.locator('#perf-rows tbody tr').count()).toBe(perf.bench.rows.length);
    if (perf.fuzz) expect(await page.locator('#perf-fuzz').innerText()).toContain(perf.fuzz.results.split.done.toLocaleString('en-US'));
  });

  it('is linked from the home page and the Virtqueues and Conformance chapters', async () => {
    for (const path of ['/', '/chapters/virtqueues/', '/chapters/conformance/']) {
      await page.goto(`${server.url}${path}`);
      await expect.poll(() => page.locator('a[href^="/performance/"]').count(), { message: path }).toBeGreaterThan(0);
    }
  });
});
