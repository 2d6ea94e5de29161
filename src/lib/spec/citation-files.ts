// The § citations in the project's code, comments and tests, checked against VIRTIO 1.4's
// sections. Build-time only (uses node:fs). Chapters are checked by the spec index itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SpecError } from './errors.ts';
import { unknownCitations } from './virtio-sections.ts';

/** Where code that may cite VIRTIO lives. */
export const CITING_DIRS = ['src/lib', 'src/components', 'src/pages', 'src/layouts', 'examples', 'bench', 'scripts', 'tests'];

/**
 * Test fixtures of the site build, where a section sign before "1.1.1" is the AVP's own numbering of a made-up
 * chapter (as <Ref> renders it), not a VIRTIO citation.
 */
const OWN_NUMBERING = ['tests/unit/spec/'];

const CODE = /\.(ts|mts|mjs|js|astro|json)$/;

function* files(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (CODE.test(name)) yield path;
  }
}

/** Every citation of a nonexistent VIRTIO section in the code, as "file:line: §n". */
export function findUnknownSourceCitations(root = process.cwd()): string[] {
  const bad: string[] = [];
  for (const dir of CITING_DIRS) {
    for (const path of files(join(root, dir))) {
      const file = relative(root, path).replace(/\\/g, '/');
      if (OWN_NUMBERING.some((p) => file.startsWith(p))) continue;
      bad.push(...unknownCitations(readFileSync(path, 'utf8'), file));
    }
  }
  return bad;
}

/** Fails, listing each place, when code cites a section VIRTIO 1.4 does not have. */
export function checkSourceCitations(root = process.cwd()): void {
  const bad = findUnknownSourceCitations(root);
  if (bad.length) throw new SpecError('VIRTIO_SECTION_UNKNOWN', `code cites sections that VIRTIO 1.4 does not have:\n  ${bad.join('\n  ')}`);
}
