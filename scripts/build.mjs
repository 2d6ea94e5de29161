#!/usr/bin/env node
// `npm run build`: the site as of a real test run. Runs the unit suite (unless
// AVP_TEST_RESULTS names a report from a run just made, or the last run's report has the same
// inputs: see test-cache.mjs), joins its results with the spec's requirements, builds the site
// with Astro and indexes it with Pagefind (pages and requirements).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { unitInputsKey } from './test-cache.mjs';
import { writeTraceability, UNIT_RESULTS } from '../src/lib/spec/trace-files.ts';
import { bundleRunner } from './bundle-runner.mjs';
import { writeSearchIndex } from './search-index.mjs';
import { checkSourceCitations } from '../src/lib/spec/citation-files.ts';

const env = { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' };
function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(1);
  }
}

let results = process.env.AVP_TEST_RESULTS;
if (!results) {
  results = UNIT_RESULTS;
  const keyFile = `${UNIT_RESULTS}.key`;
  const key = unitInputsKey();
  if (existsSync(UNIT_RESULTS) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
    console.log('build: reusing the unit suite run of these very inputs for the requirement traceability');
  } else {
    mkdirSync('.cache/test-results', { recursive: true });
    console.log('build: running the unit suite for the requirement traceability…');
    // Failing tests do not stop the build: the site shows them failing on their requirements.
    spawnSync('node_modules/.bin/vitest', ['run', '--project', 'unit', '--reporter=dot', '--reporter=json', `--outputFile=${results}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
    if (existsSync(UNIT_RESULTS)) writeFileSync(keyFile, key);
  }
}
try {
  // Every § citation in the code must name a section of VIRTIO 1.4 (chapters: the spec index).
  checkSourceCitations(process.cwd());
  const trace = writeTraceability(process.cwd(), results);
  const states = {};
  for (const r of trace.requirements) states[r.state] = (states[r.state] ?? 0) + 1;
  console.log(`build: ${trace.requirements.length} requirements, ${trace.totalTests} tests:`, states);
} catch (e) {
  console.error(`build: ${e.message}`);
  process.exit(1);
}
run('node_modules/.bin/astro', ['build']);
await bundleRunner();
await writeSearchIndex('dist');
