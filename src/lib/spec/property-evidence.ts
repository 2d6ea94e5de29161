// The property tests as evidence (Node only, build time): which fast-check properties the test
// suite runs, how many cases each runs per ring layout, and which requirements each cites. The
// security chapter renders the table from it, so that the counts shown are the counts the
// suite runs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROPERTY_DIR = 'tests/property';

/** The ring layouts a `describe.each(RING_TYPES)` block repeats over (tests/support/rings.ts). */
export const RING_LAYOUTS = ['split', 'packed'] as const;

export interface PropertyEvidence {
  /** Path of the test file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the `it(` call. */
  readonly line: number;
  /** The enclosing describe's title as written (with its `%s`), or '' at top level. */
  readonly describe: string;
  /** The test's title as written. */
  readonly title: string;
  /** The requirement IDs the describe and test titles name, in order, without repeats. */
  readonly requirements: readonly string[];
  /** `numRuns` of the property: cases per run of the test. */
  readonly numRuns: number;
  /** A fixed seed, when the property sets one. */
  readonly seed: number | null;
  /** The ring layouts the test runs on; empty when the property does not run over a ring. */
  readonly layouts: readonly string[];
  /**
   * How many times `it.each` repeats the test per layout: 1 for a plain `it`, the length of a
   * literal array, or null when the table is not a literal (the count depends on code).
   */
  readonly variants: number | null;
  /** True for a file that feeds hostile input: `*-malformed`, `*-corruption` or `*-registers`. */
  readonly hostile: boolean;
}

/** A describe, it or test call that starts a line (so `hsm.describe(…)` in a body is not one). */
const CALL = /^[ \t]*(describe|it|test)(?:\.each\((.*?)\))?\(\s*(['"`])((?:\\.|(?!\3)[\s\S])*?)\3/gm;
const REQ_ID = /AVP-[A-Z]+-\d+/g;

/** Elements of a literal array such as `[true, false]`, or null for anything else. */
function literalLength(table: string): number | null {
  const t = table.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return null;
  const inner = t.slice(1, -1).trim();
  if (inner === '') return 0;
  return inner.split(',').filter((s) => s.trim() !== '').length;
}

function layoutsOf(describeEach: string | undefined, describeTitle: string, file: string): string[] {
  if (describeEach !== undefined && /^(RING_TYPES|RINGS)$/.test(describeEach.trim())) return [...RING_LAYOUTS];
  const named = RING_LAYOUTS.filter((l) => describeTitle.includes(`${l} ring`) || file.includes(`/${l}-`));
  return named.length === 1 ? named : [];
}

/**
 * The properties of one test file: every `it`/`test` whose body up to the next `it`, `test` or
 * `describe` contains a `numRuns`. A test without one is not a property and is left out.
 */
export function scanPropertyFile(file: string, text: string): PropertyEvidence[] {
  const calls = [...text.matchAll(CALL)].map((m) => ({
    kind: m[1],
    each: m[2],
    title: m[4],
    index: m.index,
  }));
  const out: PropertyEvidence[] = [];
  let describe: { title: string; each: string | undefined } = { title: '', each: undefined };
  calls.forEach((c, i) => {
    if (c.kind === 'describe') {
      describe = { title: c.title, each: c.each };
      return;
    }
    const body = text.slice(c.index, i + 1 < calls.length ? calls[i + 1].index : text.length);
    const runs = /numRuns:\s*(\d+)/.exec(body);
    if (!runs) return;
    const seed = /seed:\s*(\d+)/.exec(body);
    const requirements = [...new Set([...describe.title.matchAll(REQ_ID), ...c.title.matchAll(REQ_ID)].map((m) => m[0]))];
    out.push({
      file,
      line: text.slice(0, c.index).split('\n').length,
      describe: describe.title,
      title: c.title,
      requirements,
      numRuns: Number(runs[1]),
      seed: seed ? Number(seed[1]) : null,
      layouts: layoutsOf(describe.each, describe.title, file),
      variants: c.each === undefined ? 1 : literalLength(c.each),
      hostile: /-(malformed|corruption|registers)\.test\.ts$/.test(file),
    });
  });
  return out;
}

/** Cases one full run of the suite checks for a property, or null when `variants` is unknown. */
export function totalCases(p: PropertyEvidence): number | null {
  return p.variants === null ? null : p.numRuns * Math.max(p.layouts.length, 1) * p.variants;
}

/** Every property under tests/property/, file by file in name order. */
export function loadPropertyEvidence(root = process.cwd(), dir = PROPERTY_DIR): PropertyEvidence[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .flatMap((f) => scanPropertyFile(`${dir}/${f}`, readFileSync(join(root, dir, f), 'utf8')));
}
