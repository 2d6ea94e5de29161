// The vector format's parser and runner: malformed files are named by file and field, and a
// vector that expects the wrong thing fails on the step that differs.
import { describe, expect, it } from 'vitest';
import { parseVectorFile, VectorFormatError, hexBytes } from '../../../src/lib/conformance/parse-vector.ts';
import { runCase } from '../../../src/lib/conformance/run-vector.ts';
import type { VectorCase } from '../../../src/lib/conformance/vector-schema.ts';

const good: VectorCase = {
  name: 'one buffer',
  ring: 'packed',
  queueSize: 4,
  features: [],
  memory: { size: '0x4000' },
  queue: { desc: '0x1000', driver: '0x1100', device: '0x1104' },
  steps: [
    { op: 'driver.add', buffers: [{ addr: '0x2000', len: 8, writable: true }], expect: { id: 0 } },
    { op: 'device.pop', expect: { chain: { id: 0, buffers: [{ addr: '0x2000', len: 8, writable: true }] } } },
    { op: 'device.push', id: 0, len: 8 },
    { op: 'driver.poll', expect: { id: 0, len: 8 } },
  ],
};
const file = (cases: unknown[], extra: object = {}) => JSON.stringify({ format: 'avp-virtqueue-vectors', version: 1, cases, ...extra });

function parseError(text: string): string {
  try {
    parseVectorFile('v.json', text);
  } catch (e) {
    expect(e).toBeInstanceOf(VectorFormatError);
    return (e as Error).message;
  }
  throw new Error('parsed without error');
}

describe('parseVectorFile', () => {
  it('accepts a well-formed file', () => {
    expect(parseVectorFile('v.json', file([good])).cases[0].name).toBe('one buffer');
  });
  it('names the file when the JSON does not parse', () => {
    expect(parseError('{"format": ')).toMatch(/^v\.json: not valid JSON/);
  });
  it('says plainly that another format version is not supported', () => {
    expect(parseError(file([good], { version: 2 }))).toBe('v.json: field "version": 2 is not supported; this runner reads version 1');
  });
  it('names the path of a bad field inside a step', () => {
    const bad = { ...good, steps: [{ op: 'device.pop', expect: { error: 'NO_SUCH_CODE' } }] };
    expect(parseError(file([bad]))).toMatch(/field "cases\[0\]\.steps\[0\]\.expect\.error": Invalid option/);
  });
  it('names an unknown operation', () => {
    const bad = { ...good, steps: [{ op: 'device.fly' }] };
    expect(parseError(file([bad]))).toMatch(/field "cases\[0\]\.steps\[0\]\.op"/);
  });
  it('rejects unknown fields, odd hex and addresses beyond 2^53', () => {
    expect(parseError(file([{ ...good, colour: 'red' }]))).toMatch(/field "cases\[0\]".*colour/);
    expect(parseError(file([{ ...good, writes: [{ addr: 0, hex: 'abc' }] }]))).toMatch(/cases\[0\]\.writes\[0\]\.hex/);
    expect(parseError(file([{ ...good, queue: { ...good.queue, desc: '0xffffffffffffffff' } }]))).toMatch(/cases\[0\]\.queue\.desc/);
  });
  it('reads grouped hex', () => {
    expect([...hexBytes('0102 03_04\n05')]).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('runCase', () => {
  it('passes a case whose expectations hold', () => {
    expect(runCase(good)).toEqual({ name: 'one buffer', ok: true });
  });
  it('fails on the first step whose outcome differs, saying what was expected and what came', () => {
    const wrong: VectorCase = { ...good, steps: [...good.steps.slice(0, 3), { op: 'driver.poll', expect: { id: 0, len: 9 } }] };
    const r = runCase(wrong);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ step: 3, op: 'driver.poll' });
    expect(r.failure!.message).toContain('"len":9');
    expect(r.failure!.message).toContain('"len":8');
  });
  it('fails a case that pushes a chain it never popped', () => {
    const r = runCase({ ...good, steps: [{ op: 'device.push', id: 2, len: 0 }] });
    expect(r.failure?.message).toMatch(/no popped chain with id 2/);
  });
  it('reports initial bytes outside the case memory as a set-up failure, not a pass', () => {
    const r = runCase({ ...good, writes: [{ addr: '0x3ffe', hex: '000000' }] });
    expect(r.failure).toMatchObject({ step: -1, op: 'setup' });
  });
  it('checks memory contents byte for byte', () => {
    const r = runCase({ ...good, steps: [...good.steps, { op: 'memory.expect', addr: '0x1008', hex: '08000000 0000 8280' }] });
    expect(r.ok).toBe(true);
    const r2 = runCase({ ...good, steps: [...good.steps, { op: 'memory.expect', addr: '0x1008', hex: '08000000 0000 8080' }] });
    expect(r2.failure?.message).toMatch(/memory at 0x1008/);
  });
});
