// Reads the code a chapter embeds: a file under src/lib/ or examples/ and an optional region.
// Build-time only (uses node:fs).
import { existsSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { SpecError } from './errors.ts';
import { extractRegion, listRegions } from './regions.ts';

// Chapters show the reference implementation and the examples, nothing else: a chapter
// that embedded a test or a config file would be showing something that is not normative.
export const SOURCE_ROOTS = ['src/lib/', 'examples/'];

export interface EmbeddedSource {
  file: string;
  code: string;
  /** 1-based first and last line of what is shown, for links to the file. */
  lines: [number, number];
  lang: string;
}

export function readSource(root: string, file: string, region?: string, from = '<chapter>', elide: readonly string[] = []): EmbeddedSource {
  const clean = normalize(file).replace(/\\/g, '/');
  if (clean.startsWith('..') || !SOURCE_ROOTS.some((r) => clean.startsWith(r))) {
    throw new SpecError('SOURCE_FILE_MISSING', `${from}: <Source file="${file}"> must name a file under ${SOURCE_ROOTS.join(' or ')}`);
  }
  const path = join(root, clean);
  if (!existsSync(path)) throw new SpecError('SOURCE_FILE_MISSING', `${from}: <Source file="${file}">: no such file`);
  const text = readFileSync(path, 'utf8');
  const code = extractRegion(text, region, clean, elide);
  const span = region ? listRegions(text, clean).get(region)! : [0, text.split('\n').length];
  const ext = clean.split('.').pop() ?? '';
  const lang = { ts: 'ts', mts: 'ts', js: 'js', mjs: 'js', json: 'json', sh: 'sh' }[ext] ?? 'text';
  return { file: clean, code, lines: [span[0] + 1, span[1]], lang };
}
