#!/usr/bin/env node
// Derives the section numbers and titles of a VIRTIO specification release from its LaTeX
// source, and writes them to src/lib/spec/virtio-sections.json. The LaTeX carries no numbers:
// they come from the order of \chapter … \subparagraph headings across main.tex and the files
// it \input's, as LaTeX itself numbers them (secnumdepth 5; \appendix switches chapters to
// letters; the \devicenormative, \drivernormative and \conformance macros make numbered
// headings too). Only numbering facts are kept: a number and a heading title per section.
//
//   node scripts/virtio-sections.mjs <virtio-spec git dir> [tag]
//
// The git dir is a clone (bare or not) of github.com/oasis-tcs/virtio-spec.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [gitDir, tag = 'v1.4-cs01'] = process.argv.slice(2);
if (!gitDir) {
  console.error('usage: node scripts/virtio-sections.mjs <virtio-spec git dir> [tag]');
  process.exit(2);
}

const show = (path) => execFileSync('git', ['-C', gitDir, 'show', `${tag}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
const commit = execFileSync('git', ['-C', gitDir, 'rev-list', '-1', tag], { encoding: 'utf8' }).trim();

// LaTeX sectioning depth: \chapter is 0; secnumdepth 5 numbers down to \subparagraph.
const DEPTH = { chapter: 0, section: 1, subsection: 2, subsubsection: 3, paragraph: 4, subparagraph: 5 };

/** Drops comments (an unescaped % to the end of the line) and verbatim-like environments. */
function clean(text) {
  const noComments = text.replace(/(^|[^\\])%.*$/gm, '$1');
  return noComments.replace(/\\begin\{(lstlisting|verbatim)\}[\s\S]*?\\end\{\1\}/g, '');
}

/** Reads a balanced {…} group starting at text[i] === '{'; returns [content, index after]. */
function group(text, i) {
  if (text[i] !== '{') throw new Error(`expected { at ${i}: ${text.slice(i, i + 40)}`);
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return [text.slice(i + 1, j), j + 1];
  }
  throw new Error(`unbalanced group at ${i}`);
}

/** A heading title as plain text: macros dropped, their arguments kept. */
function plain(title) {
  return title
    .replace(/\\(?:label|index)\{[^}]*\}/g, '')
    .replace(/\\[a-zA-Z]+\*?/g, '')
    .replace(/\\([_&%#$])/g, '$1')
    .replace(/[{}~]/g, (c) => (c === '~' ? ' ' : ''))
    .replace(/\s+/g, ' ')
    .trim();
}

// One token stream: \input{file}, \appendix, a sectioning command (plain, starred, or passed
// as the first argument of one of the normative macros).
const TOKEN = /\\(input|appendix|chapter|section|subsection|subsubsection|paragraph|subparagraph|devicenormative|drivernormative|conformance)\b(\*?)/g;

const counters = [0, 0, 0, 0, 0, 0];
let appendix = false;
const sections = [];

function number(depth) {
  counters[depth]++;
  for (let d = depth + 1; d < counters.length; d++) counters[d] = 0;
  const head = appendix ? String.fromCharCode(64 + counters[0]) : String(counters[0]);
  return [head, ...counters.slice(1, depth + 1)].join('.');
}

function heading(cmd, title) {
  const depth = DEPTH[cmd];
  if (depth === undefined) throw new Error(`unknown sectioning command \\${cmd}`);
  if (depth === 0 && !appendix && counters[0] === 0 && sections.length > 0) throw new Error('chapter numbering broke');
  sections.push({ number: number(depth), title: plain(title) });
}

function walk(path) {
  const text = clean(show(path.endsWith('.tex') ? path : `${path}.tex`));
  for (const m of text.matchAll(TOKEN)) {
    const [, cmd, star] = m;
    let i = m.index + m[0].length;
    while (/\s/.test(text[i])) i++;
    if (cmd === 'appendix') { appendix = true; counters.fill(0); continue; }
    if (cmd === 'input') { walk(group(text, i)[0].trim()); continue; }
    if (cmd === 'devicenormative' || cmd === 'drivernormative' || cmd === 'conformance') {
      // \devicenormative{\subsection}{Title}{label}: skip the macro's own definition lines.
      if (text[i] !== '{') continue;
      const [level, after] = group(text, i);
      const inner = /^\\([a-z]+)$/.exec(level.trim());
      if (!inner) continue; // the \newcommand that defines the macro
      let k = after;
      while (/\s/.test(text[k])) k++;
      const [title] = group(text, k);
      const prefix = cmd === 'devicenormative' ? 'Device Requirements: ' : cmd === 'drivernormative' ? 'Driver Requirements: ' : '';
      heading(inner[1], cmd === 'conformance' ? `Clause ${++clause}: ${title}` : prefix + title);
      continue;
    }
    if (star) continue; // unnumbered
    if (text[i] === '[') i = text.indexOf(']', i) + 1; // optional short title
    while (/\s/.test(text[i])) i++;
    if (text[i] !== '{') continue; // a mention in prose, such as \section alone
    heading(cmd, group(text, i)[0]);
  }
}
let clause = 0;

walk('main.tex');

const out = {
  $comment: 'Generated by scripts/virtio-sections.mjs from the VIRTIO LaTeX source: section numbers and heading titles only.',
  specification: 'VIRTIO 1.4',
  source: { repository: 'https://github.com/oasis-tcs/virtio-spec', tag, commit },
  sections: Object.fromEntries(sections.map((s) => [s.number, s.title])),
};
const target = fileURLToPath(new URL('../src/lib/spec/virtio-sections.json', import.meta.url));
writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
console.log(`${sections.length} sections written to ${target}`);
