// Finding and loading conformance vector files on disk (Node only): used by
// `npm run conformance`, the test suite and the site build's vector export.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseVectorFile } from '../conformance/parse-vector.ts';
import { runCase, type CaseResult } from '../conformance/run-vector.ts';
import type { VectorFile } from '../conformance/vector-schema.ts';

export const VECTORS_DIR = 'tests/conformance/vectors';
/** The published JSON Schema sits beside the vectors; it is not a vector file itself. */
export const SCHEMA_FILE = 'vectors.schema.json';
const SCHEMA_SUFFIX = '.schema.json';

/** Every .json file under the given files or folders, sorted; a missing path is an error. */
export function vectorPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (!existsSync(p)) throw new Error(`no such file or folder: ${p}`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) walk(join(p, f));
    } else if (p.endsWith('.json') && !p.endsWith(SCHEMA_SUFFIX)) out.push(p);
  };
  for (const p of paths) walk(p);
  if (out.length === 0) throw new Error(`no .json vector files in ${paths.join(', ')}`);
  return out;
}

export interface LoadedVectors {
  readonly file: string;
  readonly vectors: VectorFile;
}

export function loadVectorFile(path: string, root = process.cwd()): LoadedVectors {
  const rel = relative(root, path);
  const file = rel && !rel.startsWith('..') ? rel : path;
  return { file, vectors: parseVectorFile(file, readFileSync(path, 'utf8')) };
}

export interface FileResult {
  readonly file: string;
  readonly results: readonly CaseResult[];
}

export function runVectorFile(loaded: LoadedVectors): FileResult {
  return { file: loaded.file, results: loaded.vectors.cases.map(runCase) };
}

/** The shipped vector files with their cases, for the site's /vectors/ export. */
export function shippedVectors(root = process.cwd()): LoadedVectors[] {
  return vectorPaths([join(root, VECTORS_DIR)]).map((p) => loadVectorFile(p, root));
}

/** Error codes a vector file expects somewhere (device pops, driver polls and adds). */
export function expectedCodes(v: VectorFile): string[] {
  const codes = new Set<string>();
  for (const c of v.cases) {
    for (const s of c.steps) {
      const e = 'expect' in s ? s.expect : undefined;
      if (e && typeof e === 'object' && 'error' in e) codes.add(e.error);
    }
  }
  return [...codes].sort();
}
