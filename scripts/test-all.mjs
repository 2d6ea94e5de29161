#!/usr/bin/env node
// `npm test`: every check, in the order their inputs need. Type-check, the unit/property/
// conformance suite, a site build (which reads that suite's results), then browser tests
// against the built site. Ends with one plain line: `N passed, N failed`.
import { mkdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { unitInputsKey } from './test-cache.mjs';
import { GUEST_RESULTS, UNIT_RESULTS } from '../src/lib/spec/trace-files.ts';
import { ensureChromium } from './ensure-chromium.mjs';
import { ensureDtc } from './ensure-dtc.mjs';

const bin = (name) => `node_modules/.bin/${name}`;
const results = '.cache/test-results';
mkdirSync(results, { recursive: true });

let failedSteps = [];
function step(name, cmd, args) {
  console.log(`\n== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) failedSteps.push(name);
  return r.status === 0;
}

function vitest(project) {
  const out = `${results}/${project}.json`;
  // A report (and key) left by an earlier run must not stand in for this one if it writes none.
  rmSync(out, { force: true });
  rmSync(`${out}.key`, { force: true });
  step(`${project} tests`, bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile=${out}`]);
  if (!existsSync(out)) return { passed: 0, failed: 1 };
  const json = JSON.parse(readFileSync(out, 'utf8'));
  return { passed: json.numPassedTests, failed: json.numFailedTests + (json.numTotalTestSuites && json.success === false && json.numFailedTests === 0 ? 1 : 0) };
}

const totals = { passed: 0, failed: 0 };
const add = (r) => {
  totals.passed += r.passed;
  totals.failed += r.failed;
};

try {
  ensureChromium();
} catch (e) {
  console.error(String(e.message ?? e));
  failedSteps.push('chromium');
}
// The discovery tests call dtc too; installing it here keeps the install out of the test run.
try {
  ensureDtc();
} catch (e) {
  console.error(String(e.message ?? e));
  failedSteps.push('dtc');
}
step('type-check', bin('tsc'), ['--noEmit', '-p', '.']);
// The unit run's report carries the key of its inputs, as `npm run build` writes it, so that an
// `npm start` after `npm test` builds the site without running the unit suite again.
const unitKey = unitInputsKey();
add(vitest('unit'));
if (`${results}/unit.json` === UNIT_RESULTS && existsSync(UNIT_RESULTS)) writeFileSync(`${UNIT_RESULTS}.key`, unitKey);
add(vitest('guest'));
if (existsSync(GUEST_RESULTS)) writeFileSync(`${GUEST_RESULTS}.key`, unitKey);
// The vectors again, through the command-line runner a vendor would use.
step('conformance vectors', 'node', ['scripts/conformance.mjs']);
// The traceability joins both runs: the guest tests cite the requirements they check too.
process.env.AVP_TEST_RESULTS = [UNIT_RESULTS, GUEST_RESULTS].filter(existsSync).join(',');
const built = step('site build (traceability, Astro, Pagefind)', 'npm', ['run', 'build', '--silent']);
// The PDF edition, printed from that build; tests/browser/pdf.test.ts reads it back.
if (built && !failedSteps.includes('chromium')) step('PDF edition', 'npm', ['run', 'pdf', '--silent']);
if (built && !failedSteps.includes('chromium')) add(vitest('browser'));
else totals.failed += 1;

if (failedSteps.length) console.log(`\nFailed steps: ${failedSteps.join(', ')}`);
// A failed step that is not a test (type-check, build) still counts as one failure.
const stepFailures = failedSteps.filter((s) => !s.endsWith('tests')).length;
console.log(`\n${totals.passed} passed, ${totals.failed + stepFailures} failed`);
process.exit(failedSteps.length || totals.failed ? 1 : 0);
