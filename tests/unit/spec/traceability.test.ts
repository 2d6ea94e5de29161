import { describe, expect, it } from 'vitest';
import { buildTraceability, citedIds, type TestRecord } from '../../../src/lib/spec/traceability.ts';
import { buildMatrix } from '../../../src/lib/spec/matrix.ts';
import { buildSpecIndex } from '../../../src/lib/spec/spec-index.ts';
import { SpecError } from '../../../src/lib/spec/errors.ts';

const index = buildSpecIndex([
  {
    slug: 'ch',
    file: 'ch.mdx',
    data: { title: 'Ch', part: 'core', order: 1, status: 'draft', summary: 's', reqPrefix: 'TR' },
    body: `## A

<Req id="AVP-TR-1" level="MUST" actor="device" kind="new">x MUST y</Req>

<Req id="AVP-TR-2" level="MUST" actor="device" kind="new" untestable="needs real silicon">x MUST z</Req>

<Req id="AVP-TR-3" level="SHOULD" actor="device" kind="new">x SHOULD w</Req>
`,
  },
]);

const test = (name: string, status: TestRecord['status'] = 'passed'): TestRecord => ({ file: 't.test.ts', name, status, cites: citedIds(name), line: 3 });

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as SpecError).kind;
  }
  return 'no error';
}

describe('traceability', () => {
  it('reads one or several requirement IDs cited in a test name, describe titles included', () => {
    expect(citedIds('queue [AVP-VQ-1] pops [AVP-VQ-2, AVP-VQ-3]')).toEqual(['AVP-VQ-1', 'AVP-VQ-2', 'AVP-VQ-3']);
    expect(citedIds('mentions AVP-VQ-1 without brackets')).toEqual([]);
  });

  it('marks a requirement verified, failing, untested or untestable from its tests', () => {
    const t = buildTraceability(index.requirements, [test('[AVP-TR-1] a'), test('[AVP-TR-3] b', 'failed'), test('plain')]);
    const state = Object.fromEntries(t.requirements.map((r) => [r.id, r.state]));
    expect(state).toEqual({ 'AVP-TR-1': 'verified', 'AVP-TR-2': 'untestable', 'AVP-TR-3': 'failing' });
    expect(t.uncitedTests).toBe(1);
    expect(t.requirements[0].tests[0]).toMatchObject({ file: 't.test.ts', line: 3, status: 'passed' });
  });

  it('one failing test makes a requirement failing even if others pass', () => {
    const t = buildTraceability(index.requirements, [test('[AVP-TR-1] a'), test('[AVP-TR-1] b', 'failed')]);
    expect(t.requirements.find((r) => r.id === 'AVP-TR-1')!.state).toBe('failing');
  });

  it('fails with TRACE_UNKNOWN_REQ when a test cites an ID no chapter defines, naming the test', () => {
    const run = () => buildTraceability(index.requirements, [test('[AVP-TR-1] a'), test('[AVP-TR-99] typo')]);
    expect(kindOf(run)).toBe('TRACE_UNKNOWN_REQ');
    expect(run).toThrow(/t\.test\.ts: "\[AVP-TR-99\] typo" cites AVP-TR-99/);
  });

  it('fails with TRACE_UNTESTED_MUST for a MUST with no test and no stated reason', () => {
    const run = () => buildTraceability(index.requirements, [test('[AVP-TR-3] b')]);
    expect(kindOf(run)).toBe('TRACE_UNTESTED_MUST');
    expect(run).toThrow(/AVP-TR-1 \(ch, §1\.1\)/);
  });

  it('counts a MUST cited only by skipped tests as untested', () => {
    expect(kindOf(() => buildTraceability(index.requirements, [test('[AVP-TR-1] a', 'skipped')]))).toBe('TRACE_UNTESTED_MUST');
  });

  it('summarises a chapter in the matrix, leaving untestable requirements out of the percentage', () => {
    const t = buildTraceability(index.requirements, [test('[AVP-TR-1] a'), test('[AVP-TR-3] b', 'failed')]);
    const { rows, total } = buildMatrix([{ slug: 'ch', title: 'Ch', number: 1 }], t.requirements);
    expect(rows[0].counts).toEqual({ MUST: { total: 2, verified: 1 }, SHOULD: { total: 1, verified: 0 }, MAY: { total: 0, verified: 0 } });
    expect(rows[0].percent).toBe(50);
    expect(rows[0].open.map((r) => r.id)).toEqual(['AVP-TR-3']);
    expect(total.total).toBe(3);
  });
});
