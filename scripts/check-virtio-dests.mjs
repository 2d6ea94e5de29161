#!/usr/bin/env node
// A maintainer's check of the section links: reads the named destinations of a VIRTIO 1.4 PDF
// (pdfinfo -dests, from Debian's poppler-utils) and checks that every section of
// src/lib/spec/virtio-sections.json has the destination virtioDestination() links to, and
// that the PDF has no numbered heading missing from the list. The PDF is OASIS's, or one
// built from the tag (makepdf.sh in the virtio-spec repository; xelatex from texlive-xetex).
//
//   node scripts/check-virtio-dests.mjs virtio-v1.4-cs01.pdf
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { virtioDestination } from '../src/lib/spec/virtio-links.ts';

const pdf = process.argv[2];
if (!pdf) {
  console.error('usage: node scripts/check-virtio-dests.mjs <VIRTIO 1.4 PDF>');
  process.exit(2);
}
const listing = execFileSync('pdfinfo', ['-dests', pdf], { encoding: 'utf8', maxBuffer: 64 << 20 });
const dests = new Set([...listing.matchAll(/"([^"]+)"\s*$/gm)].map((m) => m[1]));
const sections = Object.keys(JSON.parse(readFileSync(new URL('../src/lib/spec/virtio-sections.json', import.meta.url), 'utf8')).sections);
const wanted = new Set(sections.map(virtioDestination));
const missing = [...wanted].filter((d) => !dests.has(d));
const HEADING = /^(chapter|appendix|section|subsection|subsubsection|paragraph|subparagraph)\./;
const unlisted = [...dests].filter((d) => HEADING.test(d) && !wanted.has(d));
console.log(`${pdf}: ${sections.length - missing.length} of ${sections.length} sections have their destination; ${unlisted.length} numbered headings are not in the list`);
for (const d of missing) console.log(`  missing: ${d}`);
for (const d of unlisted) console.log(`  not in virtio-sections.json: ${d}`);
process.exit(missing.length || unlisted.length ? 1 : 0);
