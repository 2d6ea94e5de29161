// Finding and loading conformance vector files on disk (Node only): used by
// `npm run conformance`, the test suite and the site build's vector export.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseVectorFile, VectorFormatError } from '../conformance/parse-vector.ts';
import { parseDeviceVectorFile } from '../conformance/parse-device-vector.ts';
import { runCase } from '../conformance/run-vector.ts';
import { runDeviceCase } from '../conformance/run-device-vector.ts';
import { DEVICE_VECTOR_FORMAT, type DeviceVectorFile } from '../conformance/device-vector-schema.ts';
import { VECTOR_FORMAT, type VectorFile } from '../conformance/vector-schema.ts';
import { TRANSPORT_VECTOR_FORMAT, type TransportVectorFile } from '../conformance/transport-vector-schema.ts';
import { parseTransportVectorFile } from '../conformance/parse-transport-vector.ts';
import { runTransportCase } from '../conformance/run-transport-vector.ts';

export const VECTORS_DIR = 'tests/conformance/vectors';
export const DEVICE_VECTORS_DIR = 'tests/conformance/device-vectors';
export const DEVICE_SCHEMA_FILE = 'device-vectors.schema.json';
export const TRANSPORT_VECTORS_DIR = 'tests/conformance/transport-vectors';
export const TRANSPORT_SCHEMA_FILE = 'transport-vectors.schema.json';
/** The published JSON Schema sits beside the vectors; it is not a vector file itself. */
export const SCHEMA_FILE = 'vectors.schema.json';
/** The schema of version 1, for tools that still read version 1 files. */
export const SCHEMA_FILE_V1 = 'vectors-v1.schema.json';
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

/** A path as reports show it: relative to `root` when it lies below it. */
function displayPath(path: string, root: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export function loadVectorFile(path: string, root = process.cwd()): LoadedVectors {
  const file = displayPath(path, root);
  return { file, vectors: parseVectorFile(file, readFileSync(path, 'utf8')) };
}

/** The shipped vector files with their cases, for the site's /vectors/ export. */
export function shippedVectors(root = process.cwd()): LoadedVectors[] {
  return vectorPaths([join(root, VECTORS_DIR)]).map((p) => loadVectorFile(p, root));
}

/** Error codes a vector file expects somewhere (device pops, driver polls and adds). */
export function expectedCodes(v: VectorFile): string[] {
  const codes = new Set<string>();
  // Only an expectation of exactly one code shows that the code arises; a set or "*" does not.
  const note = (e: unknown) => {
    if (e && typeof e === 'object' && 'error' in e && typeof e.error === 'string' && e.error !== '*') codes.add(e.error);
  };
  for (const c of v.cases) {
    note(c.setup?.expect);
    for (const s of c.steps) note('expect' in s ? s.expect : undefined);
  }
  return [...codes].sort();
}

// #region any-vector-file
export type AnyLoadedVectors =
  | ({ readonly kind: 'virtqueue' } & LoadedVectors)
  | { readonly kind: 'device'; readonly file: string; readonly vectors: DeviceVectorFile }
  | { readonly kind: 'transport'; readonly file: string; readonly vectors: TransportVectorFile };

/** One line per case for the CLI: the case name and, if it failed, where and why. */
export interface CaseLine {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** Loads a vector file of either format, chosen by its "format" field. */
export function loadAnyVectorFile(path: string, root = process.cwd()): AnyLoadedVectors {
  const file = displayPath(path, root);
  const text = readFileSync(path, 'utf8');
  let format: unknown;
  try {
    format = (JSON.parse(text) as { format?: unknown } | null)?.format;
  } catch {
    format = VECTOR_FORMAT; // let the parser report the JSON error
  }
  if (format === DEVICE_VECTOR_FORMAT) return { kind: 'device', file, vectors: parseDeviceVectorFile(file, text) };
  if (format === TRANSPORT_VECTOR_FORMAT) return { kind: 'transport', file, vectors: parseTransportVectorFile(file, text) };
  if (format === VECTOR_FORMAT || format === undefined) return { kind: 'virtqueue', file, vectors: parseVectorFile(file, text) };
  throw new VectorFormatError(file, `field "format": ${JSON.stringify(format)} is not a vector format; expected "${VECTOR_FORMAT}", "${DEVICE_VECTOR_FORMAT}" or "${TRANSPORT_VECTOR_FORMAT}"`);
}

export function runAnyVectorFile(loaded: AnyLoadedVectors): CaseLine[] {
  if (loaded.kind === 'virtqueue') {
    return loaded.vectors.cases.map(runCase).map((r) => (r.ok || !r.failure ? { name: r.name, ok: r.ok } : { name: r.name, ok: false, detail: `step ${r.failure.step} (${r.failure.op}): ${r.failure.message}` }));
  }
  if (loaded.kind === 'transport') {
    return loaded.vectors.cases.map(runTransportCase).map((r) => (r.ok ? { name: r.name, ok: true } : { name: r.name, ok: false, detail: `step ${r.failure.step} (${r.failure.op}): ${r.failure.message}` }));
  }
  return loaded.vectors.cases.map(runDeviceCase).map((r) =>
    r.ok ? { name: `${r.name} [${r.rings.join(', ')}]`, ok: true } : { name: r.name, ok: false, detail: `${r.failure.ring} ring, step ${r.failure.step} (${r.failure.op}): ${r.failure.message}` },
  );
}

/** The shipped device vector files, for the test suite and the site. */
export function shippedDeviceVectors(root = process.cwd()): { file: string; vectors: DeviceVectorFile }[] {
  return vectorPaths([join(root, DEVICE_VECTORS_DIR)]).map((p) => {
    const v = loadAnyVectorFile(p, root);
    if (v.kind !== 'device') throw new VectorFormatError(v.file, `field "format": expected "${DEVICE_VECTOR_FORMAT}" in ${DEVICE_VECTORS_DIR}`);
    return v;
  });
}
/** The shipped transport vector files, for the test suite and the site. */
export function shippedTransportVectors(root = process.cwd()): { file: string; vectors: TransportVectorFile }[] {
  return vectorPaths([join(root, TRANSPORT_VECTORS_DIR)]).map((p) => {
    const v = loadAnyVectorFile(p, root);
    if (v.kind !== 'transport') throw new VectorFormatError(v.file, `field "format": expected "${TRANSPORT_VECTOR_FORMAT}" in ${TRANSPORT_VECTORS_DIR}`);
    return v;
  });
}
// #endregion any-vector-file
