#!/usr/bin/env node
// Scaffolds a chapter that builds at once: `npm run new:chapter -- <slug> [--part devices] [--prefix ABC]`.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scaffoldChapter } from '../src/lib/spec/scaffold.ts';

const args = process.argv.slice(2);
const slug = args.find((a) => !a.startsWith('--'));
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
try {
  const { file, text } = scaffoldChapter(slug, { part: opt('part'), prefix: opt('prefix') });
  const path = join(process.cwd(), file);
  if (existsSync(path)) throw new Error(`${file} already exists`);
  writeFileSync(path, text);
  console.log(`Created ${file}. Run \`npm run dev\` and open /chapters/${slug}/ to see it.`);
} catch (e) {
  console.error(`new:chapter: ${e.message}`);
  process.exit(1);
}
