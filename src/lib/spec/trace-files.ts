// Where traceability lives between the test run and the site build. Build-time only.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSpecIndex } from './chapter-files.ts';
import { buildTraceability, testsFromVitestJson, type Traceability } from './traceability.ts';

export const UNIT_RESULTS = '.cache/test-results/unit.json';
export const TRACE_FILE = '.cache/traceability.json';

/** Reads the unit suite's JSON report, joins it with the spec, writes TRACE_FILE. */
export function writeTraceability(root = process.cwd(), results = UNIT_RESULTS): Traceability {
  const path = join(root, results);
  if (!existsSync(path)) throw new Error(`no test results at ${results}: run the unit tests with the JSON reporter first`);
  const tests = testsFromVitestJson(JSON.parse(readFileSync(path, 'utf8')), root);
  const trace = buildTraceability(loadSpecIndex(root).requirements, tests);
  const out = join(root, TRACE_FILE);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(trace, null, 2));
  return trace;
}

let cached: { mtime: number; trace: Traceability } | undefined;

/** The traceability of the last test run, or null if there has been none. */
export function loadTraceability(root = process.cwd()): Traceability | null {
  const path = join(root, TRACE_FILE);
  if (!existsSync(path)) return null;
  const mtime = statSync(path).mtimeMs;
  if (cached?.mtime !== mtime) cached = { mtime, trace: JSON.parse(readFileSync(path, 'utf8')) as Traceability };
  return cached.trace;
}
