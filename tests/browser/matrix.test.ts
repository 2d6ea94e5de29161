// The conformance matrix and the machine-readable exports of the built site: the matrix's
// figures agree with requirements.json (both from the same real test run), filtering and
// sorting work without a reload, and the published vectors and schema are the shipped ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseVectorFile } from '../../src/lib/conformance/parse-vector.ts';
import { vectorJsonSchema } from '../../src/lib/conformance/vector-schema.ts';
import { vectorJsonSchemaV1 } from '../../src/lib/conformance/vector-schema-v1.ts';
import { parseTransportVectorFile } from '../../src/lib/conformance/parse-transport-vector.ts';
import { transportVectorJsonSchema } from '../../src/lib/conformance/transport-vector-schema.ts';
import { shippedDeviceVectors, shippedTransportVectors, shippedVectors } from '../../src/lib/spec/vector-files.ts';
import { parseDeviceVectorFile } from '../../src/lib/conformance/parse-device-vector.ts';
import { deviceVectorJsonSchema } from '../../src/lib/conformance/device-vector-schema.ts';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let page: Page;

interface ReqJson {
  id: string;
  level: 'MUST' | 'SHOULD' | 'MAY';
  chapter: string;
  state: string | null;
  untestable: string | null;
  tests: { name: string; status: string }[];
}

beforeAll(async () => {
  server = await serveDir(resolve('dist'));
  browser = await launchBrowser();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const getJson = async (path: string) => {
  const res = await fetch(server.url + path);
  expect(res.status, path).toBe(200);
  return res.json();
};

describe('conformance matrix', () => {
  it('shows the totals that requirements.json gives, from the same test run', async () => {
    const { requirements } = (await getJson('/requirements.json')) as { requirements: ReqJson[] };
    expect(requirements.length).toBeGreaterThan(0);
    const verified = requirements.filter((r) => r.state === 'verified').length;
    const untestable = requirements.filter((r) => r.untestable).length;
    // Every verified requirement has tests, and all of them passed.
    for (const r of requirements.filter((x) => x.state === 'verified')) {
      expect(r.tests.length, r.id).toBeGreaterThan(0);
      expect(r.tests.every((t) => t.status === 'passed'), r.id).toBe(true);
    }
    await page.goto(`${server.url}/conformance-matrix/`);
    const total = await page.locator('#matrix-total').innerText();
    expect(total).toContain(`${verified} of ${requirements.length} requirements verified`);
    expect(total).toContain(`${untestable} not testable`);
    const must = requirements.filter((r) => r.level === 'MUST');
    expect(total).toContain(`MUST ${must.filter((r) => r.state === 'verified').length}/${must.length}`);
    // One row per chapter, and every requirement not verified is listed with a link to it.
    const chapters = new Set(requirements.map((r) => r.chapter));
    expect(await page.locator('#matrix-table tbody tr').count()).toBe(chapters.size);
    const open = await page.locator('#matrix-open li a').allInnerTexts();
    expect(new Set(open)).toEqual(new Set(requirements.filter((r) => r.state !== 'verified').map((r) => r.id)));
  });

  it('filters by chapter and level and sorts by a column without reloading the page', async () => {
    await page.goto(`${server.url}/conformance-matrix/`);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.selectOption('#filter-chapter', 'block');
    expect(await page.locator('#matrix-table tbody tr:visible').count()).toBe(1);
    const visibleOpen = await page.locator('#matrix-open li:visible').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-chapter')));
    expect(visibleOpen.length).toBeGreaterThan(0);
    expect(new Set(visibleOpen)).toEqual(new Set(['block']));
    await page.selectOption('#filter-level', 'SHOULD');
    const levels = await page.locator('#matrix-open li:visible').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-level')));
    expect(levels.every((l) => l === 'SHOULD')).toBe(true);
    await page.selectOption('#filter-chapter', '');
    await page.selectOption('#filter-level', '');
    await page.locator('#matrix-table [data-sort="MUST"]').click();
    const musts = await page.locator('#matrix-table tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-must'))));
    expect(musts).toEqual([...musts].sort((a, b) => a - b));
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  });
});

describe('actors, kinds, glossary and profiles', () => {
  it('shows every requirement with its actor and kind, and filters them by actor, kind and profile', async () => {
    const { requirements } = (await getJson('/requirements.json')) as { requirements: (ReqJson & { actor: string; kind: string })[] };
    expect(requirements.every((r) => ['device', 'driver', 'platform'].includes(r.actor) && ['restates', 'narrows', 'fills-gap', 'new'].includes(r.kind))).toBe(true);
    await page.goto(`${server.url}/conformance-matrix/`);
    await expect.poll(() => page.locator('#matrix-reqs tbody tr').count()).toBe(requirements.length);
    await page.selectOption('#filter-actor', 'driver');
    const actors = await page.locator('#matrix-reqs tbody tr:visible').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-actor')));
    expect(actors.length).toBe(requirements.filter((r) => r.actor === 'driver').length);
    expect(new Set(actors)).toEqual(new Set(['driver']));
    await page.selectOption('#filter-actor', '');
    await page.selectOption('#filter-kind', 'restates');
    expect(await page.locator('#matrix-reqs tbody tr:visible').count()).toBe(requirements.filter((r) => r.kind === 'restates').length);
    await page.selectOption('#filter-kind', '');
    const profile = (await getJson('/profiles/cluster-rtos.json')) as { requirements: { id: string; level: string; specLevel: string }[] };
    await page.selectOption('#filter-profile', 'cluster-rtos');
    const shown = await page.locator('#matrix-reqs tbody tr:visible td:first-child').allInnerTexts();
    expect(new Set(shown)).toEqual(new Set(profile.requirements.map((r) => r.id)));
  });

  it('lists each profile with its coverage and a download whose levels the profile raised', async () => {
    await page.goto(`${server.url}/conformance-matrix/`);
    expect(await page.locator('#profile-table tbody tr').count()).toBeGreaterThanOrEqual(3);
    const href = await page.locator('#profile-table tr[data-profile="cluster-rtos"] a[download]').getAttribute('href');
    expect(href).toBe('/profiles/cluster-rtos.json');
    const profile = (await getJson(href!)) as { profile: { id: string }; requirements: { id: string; level: string; specLevel: string }[]; excluded: { id: string }[] };
    expect(profile.profile.id).toBe('cluster-rtos');
    // A raised requirement carries the profile's level and keeps the specification's.
    expect(profile.requirements.find((r) => r.id === 'AVP-BLK-37')).toMatchObject({ level: 'MUST', specLevel: 'SHOULD' });
    expect(profile.requirements.some((r) => profile.excluded.some((x) => x.id === r.id))).toBe(false);
  });

  it('links a requirement\'s actor and kind to the glossary, and a defined term in its text to its definition', async () => {
    await page.goto(`${server.url}/chapters/console/`);
    const req = page.locator('#AVP-CON-23');
    await expect.poll(() => req.locator('.req-actor').getAttribute('href')).toBe('/chapters/glossary/#term-platform');
    expect(await req.locator('.req-kind').getAttribute('href')).toBe('/chapters/glossary/#term-new');
    expect(await req.locator('.req-virtio').innerText()).toContain('§5.3.6');
    const term = req.locator('a.term-use').first();
    expect(await term.getAttribute('href')).toBe('/chapters/glossary/#term-production-configuration');
    await page.goto(`${server.url}/chapters/glossary/`);
    expect(await page.locator('#term-production-configuration dfn').innerText()).toBe('production configuration');
    expect(await page.locator('#term-fills-gap').count()).toBe(1);
  });
});

describe('exports', () => {
  it('publishes every shipped vector file unchanged, with an index and the JSON Schema', async () => {
    const index = (await getJson('/vectors/index.json')) as { schema: string; files: { url: string; cases: number }[] };
    const shipped = shippedVectors();
    expect(index.files.map((f) => f.url).sort()).toEqual(shipped.map((f) => `/vectors/${f.file.split('/').pop()}`).sort());
    for (const f of index.files) {
      const text = await (await fetch(server.url + f.url)).text();
      expect(parseVectorFile(f.url, text).cases).toHaveLength(f.cases);
    }
    expect(await getJson(index.schema)).toEqual(vectorJsonSchema());
  });

  it('publishes every shipped device vector file unchanged, with an index and the JSON Schema', async () => {
    const index = (await getJson('/vectors/devices/index.json')) as { schema: string; files: { url: string; cases: number }[] };
    const shipped = shippedDeviceVectors();
    expect(index.files.map((f) => f.url).sort()).toEqual(shipped.map((f) => `/vectors/devices/${f.file.split('/').pop()}`).sort());
    for (const f of index.files) {
      const text = await (await fetch(server.url + f.url)).text();
      expect(parseDeviceVectorFile(f.url, text).cases).toHaveLength(f.cases);
    }
    expect(await getJson(index.schema)).toEqual(deviceVectorJsonSchema());
  });

  it('publishes the transport vectors and every schema, version 1 of the virtqueue format included', async () => {
    const index = (await getJson('/vectors/transport/index.json')) as { schema: string; files: { url: string; cases: number }[] };
    expect(index.files.map((f) => f.url).sort()).toEqual(shippedTransportVectors().map((f) => `/vectors/transport/${f.file.split('/').pop()}`).sort());
    for (const f of index.files) {
      const text = await (await fetch(server.url + f.url)).text();
      expect(parseTransportVectorFile(f.url, text).cases).toHaveLength(f.cases);
    }
    expect(await getJson(index.schema)).toEqual(transportVectorJsonSchema());
    const vq = (await getJson('/vectors/index.json')) as { schemaV1: string };
    expect(await getJson(vq.schemaV1)).toEqual(vectorJsonSchemaV1());
  });

  it('links the matrix, requirements.json and the vectors from the Conformance chapter', async () => {
    await page.goto(`${server.url}/chapters/conformance/`);
    const hrefs = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const target of ['/conformance-matrix/', '/requirements.json', '/vectors/']) expect(hrefs).toContain(target);
    await page.goto(`${server.url}/vectors/`);
    expect(await page.locator('#virtqueue-vectors-table tbody tr').count()).toBe(shippedVectors().length);
    expect(await page.locator('#device-vectors-table tbody tr').count()).toBe(shippedDeviceVectors().length);
    // Every requirement a device vector verifies links to its place in a chapter.
    const links = await page.locator('#device-vectors-table a[href*="#AVP-"]').count();
    expect(links).toBeGreaterThan(0);
    expect(await page.locator('#device-vectors-table a[href="#"]').count()).toBe(0);
  });
});
