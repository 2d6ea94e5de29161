// The build step end to end: run a real vitest suite that contains a deliberately broken
// test, read its JSON report as the build does, and see the failure land on its requirement.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildTraceability, testsFromVitestJson } from '../../../src/lib/spec/traceability.ts';
import { buildSpecIndex } from '../../../src/lib/spec/spec-index.ts';

const root = resolve('tests/fixtures/trace');

describe('traceability build step', () => {
  it('shows a deliberately broken test as failing on the requirement it cites', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'avp-trace-')), 'results.json');
    const run = spawnSync(resolve('node_modules/.bin/vitest'), ['run', '--root', root, '--reporter=json', `--outputFile=${out}`], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1); // the fixture suite fails, as it must
    const tests = testsFromVitestJson(JSON.parse(readFileSync(out, 'utf8')), root);
    expect(tests.map((t) => [t.file, t.status])).toEqual([
      ['broken.fixture.ts', 'failed'],
      ['broken.fixture.ts', 'passed'],
      ['broken.fixture.ts', 'passed'],
    ]);
    const index = buildSpecIndex([
      {
        slug: 'fix',
        file: 'fix.mdx',
        data: { title: 'Fixture', part: 'core', order: 1, status: 'draft', summary: 's', reqPrefix: 'FIX' },
        body: '## R\n\n<Req id="AVP-FIX-1" level="MUST" actor="device" kind="new">A</Req>\n\n<Req id="AVP-FIX-2" level="MUST" actor="device" kind="new">B</Req>\n\n<Req id="AVP-FIX-3" level="SHOULD" actor="device" kind="new">C</Req>\n',
      },
    ]);
    const trace = buildTraceability(index.requirements, tests);
    const byId = Object.fromEntries(trace.requirements.map((r) => [r.id, r]));
    expect(byId['AVP-FIX-1'].state).toBe('failing');
    expect(byId['AVP-FIX-1'].tests).toEqual([expect.objectContaining({ status: 'failed', line: 5 })]);
    expect(byId['AVP-FIX-2'].state).toBe('verified');
    // A describe-level citation covers each test inside it, the broken one included.
    expect(byId['AVP-FIX-3'].state).toBe('failing');
    expect(byId['AVP-FIX-3'].tests).toHaveLength(3);
  });
});
