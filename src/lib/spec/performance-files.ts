// Loads the published performance figures from disk. Build-time only (uses node:fs).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from './errors.ts';
import { parsePerformance, type Performance } from './performance.ts';

export const PERFORMANCE_FILE = 'src/content/performance.json';

export function loadPerformance(root = process.cwd()): Performance {
  const path = join(root, PERFORMANCE_FILE);
  if (!existsSync(path)) throw new SpecError('PERFORMANCE_MALFORMED', `${PERFORMANCE_FILE} is missing: run \`npm run bench -- --publish\``);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SpecError('PERFORMANCE_MALFORMED', `${PERFORMANCE_FILE}: ${(e as Error).message}`);
  }
  return parsePerformance(PERFORMANCE_FILE, raw);
}
