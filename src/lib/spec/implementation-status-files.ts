// Loads the implementation-status table from disk. Build-time only (uses node:fs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSpecIndex } from './chapter-files.ts';
import { SpecError } from './errors.ts';
import { parseImplementationStatus, type ImplementationStatus } from './implementation-status.ts';

export const IMPLEMENTATION_STATUS_FILE = 'src/content/implementation-status.yaml';

export function loadImplementationStatus(root = process.cwd()): ImplementationStatus {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(join(root, IMPLEMENTATION_STATUS_FILE), 'utf8'));
  } catch (e) {
    throw new SpecError('STATUS_MALFORMED', `${IMPLEMENTATION_STATUS_FILE}: ${(e as Error).message}`);
  }
  const slugs = new Set(loadSpecIndex(root).chapters.map((c) => c.slug));
  return parseImplementationStatus(IMPLEMENTATION_STATUS_FILE, raw, slugs);
}
