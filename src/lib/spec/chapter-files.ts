// Loads every chapter from disk into the spec index. Build-time only (uses node:fs).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SpecError } from './errors.ts';
import { parseFrontmatter } from './frontmatter.ts';
import { buildSpecIndex, type ChapterInput, type SpecIndex } from './spec-index.ts';

export const CHAPTERS_DIR = 'src/content/chapters';

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/** Splits an MDX file into its validated frontmatter and its body. */
export function readChapter(root: string, path: string): ChapterInput {
  const file = relative(root, path);
  const text = readFileSync(path, 'utf8');
  const m = FRONTMATTER.exec(text);
  if (!m) throw new SpecError('FRONTMATTER', `${file}: no frontmatter (a --- block at the top)`);
  let raw: unknown;
  try {
    raw = parseYaml(m[1]);
  } catch (e) {
    throw new SpecError('FRONTMATTER', `${file}: frontmatter is not valid YAML: ${(e as Error).message}`);
  }
  // Keep the frontmatter lines as blank lines so line numbers in errors match the file.
  const body = '\n'.repeat(m[0].split('\n').length - 1) + text.slice(m[0].length);
  return { slug: slugOf(path), file, data: parseFrontmatter(file, raw), body };
}

export function slugOf(path: string): string {
  return path.replace(/\\/g, '/').split('/').pop()!.replace(/\.mdx?$/, '');
}

export function chapterPaths(root: string): string[] {
  const dir = join(root, CHAPTERS_DIR);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.mdx')) : [];
  // A spec without chapters is a checkout or path mistake, not an empty book.
  if (files.length === 0) throw new SpecError('CHAPTER_MALFORMED', `no chapters: ${CHAPTERS_DIR}/ has no .mdx files under ${root}`);
  return files.sort().map((f) => join(dir, f));
}

let cache: { key: string; index: SpecIndex } | undefined;

/** The spec index for the chapters on disk, recomputed only when a chapter file changes. */
export function loadSpecIndex(root = process.cwd()): SpecIndex {
  const paths = chapterPaths(root);
  const key = paths.map((p) => `${p}:${statSync(p).mtimeMs}`).join('|');
  if (cache?.key !== key) cache = { key, index: buildSpecIndex(paths.map((p) => readChapter(root, p))) };
  return cache.index;
}
