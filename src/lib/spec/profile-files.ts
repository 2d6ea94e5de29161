// Loads the conformance profiles from disk. Build-time only (uses node:fs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSpecIndex } from './chapter-files.ts';
import { SpecError } from './errors.ts';
import { parseProfiles, type Profile } from './profiles.ts';

export const PROFILES_FILE = 'src/content/profiles.yaml';

export function loadProfiles(root = process.cwd()): Profile[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(join(root, PROFILES_FILE), 'utf8'));
  } catch (e) {
    throw new SpecError('PROFILE_MALFORMED', `${PROFILES_FILE}: ${(e as Error).message}`);
  }
  return parseProfiles(PROFILES_FILE, raw, loadSpecIndex(root));
}
