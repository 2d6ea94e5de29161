#!/usr/bin/env node
// `npm run example -- <name>` runs examples/<name>.ts; `--list` lists them;
// `<name> --bless` records its current output as the golden file the doc tests check.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { findExample, goldenPath, listExamples, runExample } from '../src/lib/spec/examples.ts';

const root = process.cwd();
const args = process.argv.slice(2);
try {
  if (args.length === 0 || args.includes('--list')) {
    const all = listExamples(root);
    const width = Math.max(...all.map((e) => e.name.length));
    for (const e of all) console.log(`${e.name.padEnd(width)}  ${e.description}`);
    if (args.length === 0) console.log('\nRun one with: npm run example -- <name>');
  } else {
    const name = args.find((a) => !a.startsWith('--'));
    findExample(root, name);
    const out = runExample(root, name);
    process.stdout.write(out);
    if (args.includes('--bless')) {
      const p = goldenPath(root, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, out);
      console.error(`example: recorded ${p}`);
    }
  }
} catch (e) {
  console.error(`example: ${e.message}`);
  process.exit(1);
}
