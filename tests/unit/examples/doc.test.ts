// Doc tests: every example runs from the command line and prints exactly its golden output,
// which is what its chapter shows; examples use only the public API.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { listExamples, readGolden, runExample } from '../../../src/lib/spec/examples.ts';
import { loadSpecIndex } from '../../../src/lib/spec/chapter-files.ts';
import { linkImports } from '../../../src/components/runner/link-imports.ts';
import { SpecError } from '../../../src/lib/spec/errors.ts';

const root = process.cwd();
const examples = listExamples(root);

describe('examples', () => {
  it('exist, each with a one-line description', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) expect(e.description, e.file).toMatch(/\S.{10,}/);
  });

  for (const ex of examples) {
    it(`${ex.name} prints its golden output`, () => {
      const golden = readGolden(root, ex.name);
      expect(golden, `examples/golden/${ex.name}.txt is missing: record it with npm run example -- ${ex.name} --bless`).not.toBeNull();
      expect(runExample(root, ex.name)).toBe(golden);
    });

    it(`${ex.name} imports only the public API`, () => {
      const imports = [...readFileSync(resolve(root, ex.file), 'utf8').matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
      expect(imports.length).toBeGreaterThan(0);
      for (const spec of imports) expect(spec).toBe('../src/lib/index.ts');
    });
  }

  it('has no golden file without an example', () => {
    const names = new Set(examples.map((e) => e.name));
    for (const f of readdirSync(resolve(root, 'examples/golden'))) expect(names.has(f.replace(/\.txt$/, '')), f).toBe(true);
  });

  it('every chapter that shows code has at least one runnable example, and every example is shown', () => {
    const index = loadSpecIndex(root);
    for (const ch of index.chapters) {
      if (ch.scan.sources.length > 0) expect(ch.scan.examples.length, `${ch.file} shows code but no <Example>`).toBeGreaterThan(0);
      for (const e of ch.scan.examples) expect(examples.map((x) => x.name), `${ch.file}: <Example name="${e.name}">`).toContain(e.name);
    }
    const shown = new Set(index.chapters.flatMap((c) => c.scan.examples.map((e) => e.name)));
    for (const e of examples) expect(shown.has(e.name), `${e.file} is in no chapter`).toBe(true);
  });
});

describe('example runner', () => {
  const fixtures = resolve('tests/fixtures/examples-root');

  it('fails with EXAMPLE_FAILED and the example\'s own error when it throws', () => {
    expect(() => runExample(fixtures, 'boom')).toThrow(/examples\/boom\.ts failed \(exit 1\):[\s\S]*descriptor table at 0x0 is not mapped/);
    try {
      runExample(fixtures, 'boom');
    } catch (e) {
      expect((e as SpecError).kind).toBe('EXAMPLE_FAILED');
    }
  });

  it('stops a runaway example at its time limit', () => {
    expect(() => runExample(fixtures, 'spin', 300)).toThrow(/examples\/spin\.ts failed \(spawnSync .* ETIMEDOUT\)/);
  });

  it('names an unknown example and how to list them', () => {
    expect(() => runExample(fixtures, 'nope')).toThrow(/no example "nope" in examples\/ \(npm run example -- --list/);
  });

  it('links the public API import to the browser bundle and refuses any other import', () => {
    const js = `import { GuestMemory } from '../src/lib/index.ts';\nconst m = await import("../src/lib/index.ts");`;
    expect(linkImports(js, 'http://x/runner/avp-lib.js')).toBe(
      `import { GuestMemory } from 'http://x/runner/avp-lib.js';\nconst m = await import("http://x/runner/avp-lib.js");`,
    );
    expect(() => linkImports(`import fs from 'node:fs';`, 'u')).toThrow(/only the public API .* not "node:fs"/);
  });
});
