// Where traceability lives between the test run and the site build. Build-time only.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { loadSpecIndex } from './chapter-files.ts';
import { buildTraceability, testsFromVitestJson, type Traceability } from './traceability.ts';

export const UNIT_RESULTS = '.cache/test-results/unit.json';
/** The report of the real-guest project (`npm test` runs it after the unit suite). */
export const GUEST_RESULTS = '.cache/test-results/guest.json';
export const TRACE_FILE = '.cache/traceability.json';

/**
 * Reads the JSON reports of test runs (one path, or several separated by commas, such as the
 * unit and the guest project), joins them with the spec, writes TRACE_FILE.
 */
export function writeTraceability(root = process.cwd(), results = UNIT_RESULTS): Traceability {
  const tests = results.split(',').flatMap((file) => {
    const path = isAbsolute(file) ? file : join(root, file);
    if (!existsSync(path)) throw new Error(`no test results at ${file}: run the tests with the JSON reporter first`);
    return testsFromVitestJson(JSON.parse(readFileSync(path, 'utf8')), root);
  });
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
