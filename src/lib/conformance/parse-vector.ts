// Reading a vector file: JSON syntax, then the schema of its version (1 or 2; a version 1
// file is converted to version 2). Every problem names the file and the path of the field, so
// a vendor fixing a hand-written vector knows where to look.
import { VECTOR_FORMAT, VECTOR_VERSION, type VectorFile, vectorFile } from './vector-schema.ts';
import { VECTOR_V1, vectorFileV1 } from './vector-schema-v1.ts';
import { upgradeVectorFile } from './vector-upgrade.ts';

export class VectorFormatError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'VectorFormatError';
    this.file = file;
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '') || '(root)';
}

// #region parse-vector
export function parseVectorFile(file: string, text: string): VectorFile {
  const json = parseJson(file, text);
  if (versionOf(json) === VECTOR_V1) return upgradeVectorFile(checkSchema(file, json, vectorFileV1, VECTOR_FORMAT, [VECTOR_V1]));
  return checkSchema(file, json, vectorFile, VECTOR_FORMAT, [VECTOR_V1, VECTOR_VERSION]);
}

const versionOf = (json: unknown) => (json && typeof json === 'object' ? (json as { version?: unknown }).version : undefined);

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VectorFormatError(file, `not valid JSON: ${(e as Error).message}`);
  }
}

/** JSON, then a format's schema; every problem names the file and the field path. */
export function parseWithSchema<T>(file: string, text: string, schema: import('zod').ZodType<T>, format: string, version: number): T {
  return checkSchema(file, parseJson(file, text), schema, format, [version]);
}

function checkSchema<T>(file: string, json: unknown, schema: import('zod').ZodType<T>, format: string, versions: readonly number[]): T {
  // Say "wrong version" plainly rather than as a literal mismatch deep in a union.
  const head = json as { format?: unknown; version?: unknown } | null;
  if (head && typeof head === 'object' && head.format === format && !versions.includes(head.version as number)) {
    throw new VectorFormatError(file, `field "version": ${JSON.stringify(head.version)} is not supported; this runner reads version ${versions.join(' and ')}`);
  }
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 5).map((i) => describeIssue(json, i));
  const more = r.error.issues.length > 5 ? `; and ${r.error.issues.length - 5} more` : '';
  throw new VectorFormatError(file, problems.join('; ') + more);
}
// #endregion parse-vector

type Issue = import('zod').core.$ZodIssue;

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = json;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** One line per problem; for a union (e.g. the outcomes of a step) the alternative that got furthest. */
function describeIssue(json: unknown, i: Issue, prefix: readonly PropertyKey[] = []): string {
  const path = [...prefix, ...i.path];
  if (i.code === 'invalid_union') {
    // The alternative the author meant is the one whose (wrong) field is actually present.
    const best = i.errors.map((alt) => alt[0]).find((a) => a && a.path.length > 0 && valueAt(json, [...path, ...a.path]) !== undefined);
    if (best) return describeIssue(json, best, path);
  }
  const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
  return `field "${pathOf(path)}": ${i.message}${extra}`;
}

/** Bytes from the hex notation of vectors (spaces and "_" ignored). */
export function hexBytes(hex: string): Uint8Array {
  const digits = hex.replace(/[\s_]/g, '');
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A 32-bit value of a vector (an integer or a "0x" string) as a number. */
export function numOf(v: number | string): number {
  return typeof v === 'number' ? v : parseInt(v.slice(2), 16);
}

/** A 64-bit value of a vector ("0x" string, or a version 1 integer) as a bigint. */
export function bigOf(v: number | string): bigint {
  return typeof v === 'number' ? BigInt(v) : BigInt(v);
}
