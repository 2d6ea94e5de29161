// The key of a unit-suite run: a hash of everything that can change its results (the code,
// the tests, the examples and the chapters they are checked against, the dependencies and the
// test configuration). `npm run build` reuses the last run's report when the key is the same,
// so a second `npm start` on an unchanged tree does not run the whole suite again.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const INPUTS = ['src', 'tests', 'examples', 'scripts', 'package-lock.json', 'vitest.config.ts', 'tsconfig.json'];

function* files(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    yield* files(join(path, name));
  }
}

/** Hashes every file under `inputs` (paths relative to `root`), path and contents, in a fixed order. */
function hashFiles(h, root, inputs) {
  for (const input of inputs) {
    for (const file of files(join(root, input))) {
      h.update(relative(root, file).replace(/\\/g, '/'));
      h.update('\0');
      h.update(readFileSync(file));
      h.update('\0');
    }
  }
}

/** A hex digest of every input file's path and contents, in a fixed order. */
export function unitInputsKey(root = process.cwd()) {
  const h = createHash('sha256');
  hashFiles(h, root, INPUTS);
  return h.digest('hex');
}

/** What the site build reads besides the unit-suite inputs: its configuration and static files. */
const SITE_INPUTS = ['astro.config.mjs', 'public'];

/**
 * The key of a built site (`dist/`): the unit-suite inputs (code, chapters, scripts, the
 * dependencies), the site's own configuration and static files, and the test reports whose
 * results the traceability shows, in the order given. `npm run build` skips the Astro build,
 * the runner bundle and Pagefind when `dist/` was built under the same key. `unitKey` is the
 * unit-suite key when the caller has it already, so the inputs are not read twice.
 */
export function siteInputsKey(root = process.cwd(), reports = [], unitKey = unitInputsKey(root)) {
  const h = createHash('sha256');
  h.update(`unit ${unitKey}\0`);
  hashFiles(h, root, SITE_INPUTS);
  for (const report of reports) {
    h.update(`report ${report}\0`);
    h.update(readFileSync(resolve(root, report))); // a report may be named by an absolute path
    h.update('\0');
  }
  return h.digest('hex');
}
