// Requirement traceability: which tests verify which requirement, and with what result.
// Tests cite requirements in their names, e.g. `it('[AVP-VQ-3] rejects a loop', …)`; a
// describe block's citation applies to every test in it. Pure: the script around it reads
// vitest's JSON report and writes the result for the site build.
import { SpecError } from './errors.ts';
import type { Requirement } from './spec-index.ts';

export type TestStatus = 'passed' | 'failed' | 'skipped';

export interface TestRecord {
  /** Path relative to the repository root. */
  file: string;
  /** Full name: describe titles and the test title. */
  name: string;
  line?: number;
  status: TestStatus;
  /** Requirement IDs the test cites. */
  cites: string[];
}

export type ReqState = 'verified' | 'failing' | 'untested' | 'untestable';

export interface TracedRequirement extends Requirement {
  state: ReqState;
  tests: Omit<TestRecord, 'cites'>[];
}

export interface Traceability {
  generatedAt: string;
  requirements: TracedRequirement[];
  /** Tests that cite no requirement: listed so they can be found, not an error. */
  uncitedTests: number;
  totalTests: number;
}

// #region citation
/** `[AVP-VQ-3]` or `[AVP-VQ-3, AVP-VQ-4]` anywhere in a test's full name. */
const CITATION = /\[(AVP-[A-Z0-9]+-\d+(?:\s*,\s*AVP-[A-Z0-9]+-\d+)*)\]/g;

export function citedIds(name: string): string[] {
  const ids = new Set<string>();
  for (const m of name.matchAll(CITATION)) for (const id of m[1].split(',')) ids.add(id.trim());
  return [...ids];
}
// #endregion citation

interface VitestJson {
  testResults: {
    name: string;
    assertionResults: { fullName: string; status: string; location?: { line: number } }[];
  }[];
}

/** Reads vitest's JSON reporter output into test records. */
export function testsFromVitestJson(json: VitestJson, root: string): TestRecord[] {
  const rel = (p: string) => (p.startsWith(root) ? p.slice(root.length).replace(/^[\\/]/, '') : p).replace(/\\/g, '/');
  return json.testResults.flatMap((file) =>
    file.assertionResults.map((t) => ({
      file: rel(file.name),
      name: t.fullName,
      line: t.location?.line,
      status: (t.status === 'passed' || t.status === 'failed' ? t.status : 'skipped') as TestStatus,
      cites: citedIds(t.fullName),
    })),
  );
}

// #region state
function stateOf(req: Requirement, tests: TestRecord[]): ReqState {
  if (tests.some((t) => t.status === 'failed')) return 'failing';
  if (tests.some((t) => t.status === 'passed')) return 'verified';
  return req.untestable ? 'untestable' : 'untested';
}
// #endregion state

/**
 * Joins requirements and test results. Throws TRACE_UNKNOWN_REQ if a test cites an ID no
 * chapter defines, and TRACE_UNTESTED_MUST if a MUST has no test and no stated reason.
 */
export function buildTraceability(requirements: Map<string, Requirement>, tests: TestRecord[], now = new Date()): Traceability {
  const unknown = tests.flatMap((t) => t.cites.filter((id) => !requirements.has(id)).map((id) => `${t.file}: "${t.name}" cites ${id}`));
  if (unknown.length) {
    throw new SpecError('TRACE_UNKNOWN_REQ', `tests cite requirement IDs that no chapter defines:\n  ${unknown.join('\n  ')}`);
  }
  const byReq = new Map<string, TestRecord[]>();
  for (const t of tests) for (const id of t.cites) byReq.set(id, [...(byReq.get(id) ?? []), t]);
  const traced = [...requirements.values()].map((req) => {
    const mine = byReq.get(req.id) ?? [];
    return { ...req, state: stateOf(req, mine), tests: mine.map(({ cites: _, ...t }) => t) };
  });
  // A skipped test verifies nothing, so a MUST cited only by skipped tests is untested too.
  const untested = traced.filter((r) => r.level === 'MUST' && r.state === 'untested');
  if (untested.length) {
    throw new SpecError(
      'TRACE_UNTESTED_MUST',
      `MUST requirements with no test and no untestable="reason":\n  ${untested.map((r) => `${r.id} (${r.chapter}, §${r.section})`).join('\n  ')}`,
    );
  }
  return {
    generatedAt: now.toISOString(),
    requirements: traced,
    uncitedTests: tests.filter((t) => t.cites.length === 0).length,
    totalTests: tests.length,
  };
}
