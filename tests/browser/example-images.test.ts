// Rich example output in the browser: the GPU, sound and camera chapters' examples print an image
// record, which the page shows as a picture in the output recorded at build, and again after Run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { serveDir } from '../support/static-server.ts';

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

const PICTURES = [
  { chapter: 'gpu', example: 'gpu-compositor', alt: /composed panel/, width: 720 },
  { chapter: 'sound', example: 'sound-chime-mix', alt: /./, width: undefined },
  { chapter: 'media', example: 'camera-reverse', alt: /./, width: undefined },
  { chapter: 'safety', example: 'interference-budget', alt: /latency/, width: undefined },
];

describe('example pictures', () => {
  it.each(PICTURES)('shows the picture of $example at build and after Run', async ({ chapter, example, alt, width: expectedWidth }) => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/chapters/${chapter}/`);
    const fig = page.locator(`figure[data-example="${example}"]`);
    const img = fig.locator('.example-media img.example-image');
    await img.first().waitFor({ state: 'visible' });
    expect(await img.count()).toBe(1);
    const builtSrc = (await img.getAttribute('src')) ?? '';
    expect(builtSrc.startsWith('data:image/svg+xml')).toBe(true);
    expect(await img.getAttribute('alt')).toMatch(alt);
    // The SVG decodes into a picture with a size, not a broken image.
    await expect.poll(() => img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const width = await img.evaluate((i) => (i as HTMLImageElement).naturalWidth);
    if (expectedWidth !== undefined) expect(width).toBe(expectedWidth);
    const text = () => fig.locator('.example-output code').evaluate((c) => c.textContent ?? '');
    const built = await text();
    expect(built).toMatch(/\[image: /);
    expect(built).not.toContain('@avp:image');

    // Run in the browser: the output is cleared, then the same picture comes back.
    const status = fig.locator('.example-status');
    await fig.locator('[data-example-action="run"]').click();
    await expect.poll(() => status.getAttribute('data-kind'), { timeout: 15_000 }).toBe('ok');
    await expect.poll(() => fig.locator('.example-output-label').textContent()).toMatch(/this run/);
    await expect.poll(() => img.count()).toBe(1);
    expect(await img.getAttribute('src')).toBe(builtSrc);
    await expect.poll(() => img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(width);
    expect(await text()).toBe(built);
    await fig.screenshot({ path: `artifacts/screenshots/${example}-picture.png` });

    // Edit and Reset restore the picture recorded at build.
    await fig.locator('[data-example-action="edit"]').click();
    await fig.locator('[data-example-action="reset"]').click();
    await expect.poll(() => fig.locator('.example-output-label').textContent()).toMatch(/recorded at build/);
    await expect.poll(() => img.count()).toBe(1);
    expect(await img.getAttribute('src')).toBe(builtSrc);
    await page.close();
  });
});
