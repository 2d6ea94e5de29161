// The implementation-status page of the built site: one row per category and one column per
// implementation, as the data file has them; every cell that is not "unknown" leads to a source
// link, and every unknown cell to its note; the JSON export and the navigation link agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadImplementationStatus } from '../../src/lib/spec/implementation-status-files.ts';
import { IMPLEMENTATION_IDS } from '../../src/lib/spec/implementation-status.ts';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;
const data = loadImplementationStatus();

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('implementation status page', () => {
  it('renders every category as a row and every implementation as a column, with scoped headers', async () => {
    await page.goto(`${server.url}/implementation-status/`);
    const cols = await page.locator('#status-table thead th[scope="col"][data-impl]').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-impl')));
    expect(cols).toEqual([...IMPLEMENTATION_IDS]);
    const rows = await page.locator('#status-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-category')));
    expect(rows).toEqual(data.categories.map((c) => c.id));
    expect(await page.locator('#status-table tbody th[scope="row"]').count()).toBe(data.categories.length);
    // Every cell shows the status the data file gives it.
    const cells = await page.locator('#status-table tbody td').evaluateAll((tds) =>
      tds.map((td) => [td.closest('tr')!.getAttribute('data-category'), td.getAttribute('data-impl'), td.getAttribute('data-status')]),
    );
    expect(cells).toEqual(data.categories.flatMap((c) => IMPLEMENTATION_IDS.map((id) => [c.id, id, c.cells[id].status])));
    // The legend explains every mark used in the table.
    expect(await page.locator('#status-legend dt').count()).toBeGreaterThanOrEqual(5);
  });

  it('gives every cell a note, with a source link unless the cell is unknown, and an unknown cell its reason', async () => {
    await page.goto(`${server.url}/implementation-status/`);
    const notes = await page.locator('#status-table tbody td').evaluateAll((tds) =>
      tds.map((td) => {
        const href = td.querySelector('sup a')?.getAttribute('href') ?? '';
        const li = document.getElementById(href.slice(1));
        return {
          status: td.getAttribute('data-status'),
          inNote: li ? [li.getAttribute('data-category'), li.getAttribute('data-impl')] : null,
          at: [td.closest('tr')!.getAttribute('data-category'), td.getAttribute('data-impl')],
          sources: li ? Array.from(li.querySelectorAll('a.status-source'), (a) => a.getAttribute('href')) : [],
          text: li?.querySelector('.status-note')?.textContent?.trim() ?? '',
        };
      }),
    );
    expect(notes).toHaveLength(data.categories.length * IMPLEMENTATION_IDS.length);
    for (const n of notes) {
      expect(n.inNote, `${n.at}`).toEqual(n.at);
      if (n.status === 'unknown') expect(n.text.length, `${n.at}`).toBeGreaterThan(0);
      else {
        expect(n.sources.length, `${n.at}`).toBeGreaterThan(0);
        for (const href of n.sources) expect(href, `${n.at}`).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(blob|tree)\/[\w.-]+\//);
      }
    }
  });

  it('is linked from the site navigation and the Xvisor chapter, and exported as JSON', async () => {
    await page.goto(`${server.url}/chapters/xvisor/`);
    expect(await page.locator('.site-nav a[href="/implementation-status/"]').count()).toBe(1);
    await page.locator('#content a[href="/implementation-status/"]').first().click();
    await page.waitForURL(/\/implementation-status\/$/);
    const res = await fetch(`${server.url}/implementation-status.json`);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { categories: { id: string; cells: Record<string, { status: string; sources: { url: string }[] }> }[] };
    expect(json.categories.map((c) => c.id)).toEqual(data.categories.map((c) => c.id));
    for (const c of json.categories) {
      expect(Object.keys(c.cells)).toEqual([...IMPLEMENTATION_IDS]);
      for (const [id, cell] of Object.entries(c.cells)) if (cell.status !== 'unknown') expect(cell.sources.length, `${c.id}/${id}`).toBeGreaterThan(0);
    }
  });
});
