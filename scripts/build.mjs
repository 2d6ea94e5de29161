#!/usr/bin/env node
// `npm run build`: the site as of a real test run. Runs the unit suite (unless
// AVP_TEST_RESULTS names a report from a run just made, or the last run's report has the same
// inputs: see test-cache.mjs), joins its results with the spec's requirements, builds the site
// with Astro and indexes it with Pagefind (pages and requirements). When dist/ was built from
// the very same inputs and test reports, it is kept as it is (the key is in dist/.avp-site-key).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { siteInputsKey, unitInputsKey } from './test-cache.mjs';
import { GUEST_RESULTS, writeTraceability, UNIT_RESULTS } from '../src/lib/spec/trace-files.ts';
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

/** The report at `path` was written by a run of exactly the current inputs (its `.key` says so). */
const reportOfThese = (path, key) => existsSync(path) && existsSync(`${path}.key`) && readFileSync(`${path}.key`, 'utf8') === key;

const key = unitInputsKey();
let results = process.env.AVP_TEST_RESULTS;
if (!results) {
  results = UNIT_RESULTS;
  const keyFile = `${UNIT_RESULTS}.key`;
  if (reportOfThese(UNIT_RESULTS, key)) {
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
  // The real-guest run of `npm test` cites requirements too: its report joins in when it was
  // made from these inputs, so the site matches the one `npm test` built.
  if (reportOfThese(GUEST_RESULTS, key)) results += `,${GUEST_RESULTS}`;
}

const SITE_KEY = 'dist/.avp-site-key';
const siteKey = siteInputsKey(process.cwd(), results.split(','), key);
if (process.env.AVP_REBUILD !== '1' && existsSync('dist/index.html') && existsSync(SITE_KEY) && readFileSync(SITE_KEY, 'utf8') === siteKey) {
  console.log('build: dist/ was built from these very inputs and test reports; kept as it is (AVP_REBUILD=1 builds it again)');
  process.exit(0);
}
// A build that stops half-way must not leave the old key beside a changed dist/.
rmSync(SITE_KEY, { force: true });
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
writeFileSync(SITE_KEY, siteKey);
