// The key under which `npm run build` reuses a unit-suite run: the same inputs give the same
// key, and a change to any input file (or a new one) gives another, so a stale report is never
// shown as the traceability of changed code.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { siteInputsKey, unitInputsKey } from '../../../scripts/test-cache.mjs';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'avp-key-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the unit-suite run key', () => {
  it('is stable for the same inputs and changes with any of them', () => {
    const root = tree({ 'src/a.ts': 'a', 'tests/a.test.ts': 't', 'package-lock.json': '{}', 'README.md': 'r' });
    const k = unitInputsKey(root);
    expect(unitInputsKey(root)).toBe(k);
    writeFileSync(join(root, 'README.md'), 'not an input');
    expect(unitInputsKey(root)).toBe(k);
    writeFileSync(join(root, 'src/a.ts'), 'b');
    const k2 = unitInputsKey(root);
    expect(k2).not.toBe(k);
    mkdirSync(join(root, 'examples'));
    writeFileSync(join(root, 'examples/new.ts'), 'x');
    expect(unitInputsKey(root)).not.toBe(k2);
  });
});

describe('the built-site key', () => {
  it('changes with the site configuration, static files and the test reports shown', () => {
    const root = tree({ 'src/a.ts': 'a', 'astro.config.mjs': 'c', 'public/favicon.svg': 'f', 'r/unit.json': '{"n":1}', 'r/guest.json': '{}' });
    const k = siteInputsKey(root, ['r/unit.json']);
    expect(siteInputsKey(root, ['r/unit.json'])).toBe(k);
    expect(siteInputsKey(root, ['r/unit.json', 'r/guest.json'])).not.toBe(k);
    writeFileSync(join(root, 'r/unit.json'), '{"n":2}');
    const k2 = siteInputsKey(root, ['r/unit.json']);
    expect(k2).not.toBe(k);
    writeFileSync(join(root, 'public/favicon.svg'), 'g');
    const k3 = siteInputsKey(root, ['r/unit.json']);
    expect(k3).not.toBe(k2);
    writeFileSync(join(root, 'astro.config.mjs'), 'd');
    const k4 = siteInputsKey(root, ['r/unit.json']);
    expect(k4).not.toBe(k3);
    writeFileSync(join(root, 'src/a.ts'), 'b');
    expect(siteInputsKey(root, ['r/unit.json'])).not.toBe(k4);
  });

  it('reads a report named by an absolute path as well as a relative one', () => {
    const root = tree({ 'src/a.ts': 'a', 'r/unit.json': '{"n":1}' });
    expect(siteInputsKey(root, [join(root, 'r/unit.json')])).not.toBe(siteInputsKey(root, []));
  });

  it('names a missing test report rather than hashing around it', () => {
    const root = tree({ 'src/a.ts': 'a' });
    expect(() => siteInputsKey(root, ['r/none.json'])).toThrow(/none\.json/);
  });
});
