// Runnable examples: examples/<name>.ts, each a program over the public API of src/lib whose
// first line is a `// ` comment describing it. Build-time and CLI only (uses node:*).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from './errors.ts';

export const EXAMPLES_DIR = 'examples';
export const GOLDEN_DIR = 'examples/golden';
/** A runaway example is stopped after this long, at build time and on the command line. */
export const EXAMPLE_TIMEOUT_MS = 10_000;

export interface ExampleInfo {
  name: string;
  file: string;
  description: string;
}

export function listExamples(root: string): ExampleInfo[] {
  return readdirSync(join(root, EXAMPLES_DIR))
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => {
      const file = `${EXAMPLES_DIR}/${f}`;
      const first = readFileSync(join(root, file), 'utf8').split('\n', 1)[0];
      const description = /^\/\/\s*(.+)$/.exec(first)?.[1] ?? '';
      return { name: f.replace(/\.ts$/, ''), file, description };
    });
}

export function findExample(root: string, name: string): ExampleInfo {
  const ex = listExamples(root).find((e) => e.name === name);
  if (!ex) throw new SpecError('EXAMPLE_FAILED', `no example "${name}" in ${EXAMPLES_DIR}/ (npm run example -- --list shows them)`);
  return ex;
}

// #region run-example
/** Runs an example as its own Node process, as the CLI does; returns what it printed. */
export function runExample(root: string, name: string, timeout = EXAMPLE_TIMEOUT_MS): string {
  const ex = findExample(root, name);
  const r = spawnSync(process.execPath, [ex.file], { cwd: root, encoding: 'utf8', timeout });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}`;
    throw new SpecError('EXAMPLE_FAILED', `example ${ex.file} failed (${why}):\n${r.stderr || r.stdout}`);
  }
  return r.stdout;
}
// #endregion run-example

const outputs = new Map<string, string>();

/** The output of an example in this build, run once however many pages show it. */
export function exampleOutput(root: string, name: string): string {
  if (!outputs.has(name)) outputs.set(name, runExample(root, name));
  return outputs.get(name)!;
}

export function goldenPath(root: string, name: string): string {
  return join(root, GOLDEN_DIR, `${name}.txt`);
}

export function readGolden(root: string, name: string): string | null {
  const p = goldenPath(root, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}
