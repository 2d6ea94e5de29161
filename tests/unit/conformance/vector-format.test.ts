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
  memory: { regions: [{ base: '0x0', size: '0x4000' }] },
  queue: { desc: '0x1000', driver: '0x1100', device: '0x1104' },
  steps: [
    { op: 'driver.add', buffers: [{ addr: '0x2000', len: 8, writable: true }], expect: { id: 0 } },
    { op: 'device.pop', expect: { chain: { id: 0, buffers: [{ addr: '0x2000', len: 8, writable: true }] } } },
    { op: 'device.push', id: 0, len: 8 },
    { op: 'driver.poll', expect: { id: 0, len: 8 } },
  ],
};
const file = (cases: unknown[], extra: object = {}) => JSON.stringify({ format: 'avp-virtqueue-vectors', version: 2, cases, ...extra });

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
    expect(parseError(file([good], { version: 3 }))).toBe('v.json: field "version": 3 is not supported; this runner reads version 1 and 2');
  });
  it('names the path of a bad field inside a step', () => {
    const bad = { ...good, steps: [{ op: 'device.pop', expect: { error: 'NO_SUCH_CODE' } }] };
    expect(parseError(file([bad]))).toMatch(/field "cases\[0\]\.steps\[0\]\.expect\.error"/);
  });
  it('names an unknown operation', () => {
    const bad = { ...good, steps: [{ op: 'device.fly' }] };
    expect(parseError(file([bad]))).toMatch(/field "cases\[0\]\.steps\[0\]\.op"/);
  });
  it('rejects unknown fields, odd hex, addresses as numbers and addresses beyond 64 bits', () => {
    expect(parseError(file([{ ...good, colour: 'red' }]))).toMatch(/field "cases\[0\]".*colour/);
    expect(parseError(file([{ ...good, writes: [{ addr: '0x0', hex: 'abc' }] }]))).toMatch(/cases\[0\]\.writes\[0\]\.hex/);
    expect(parseError(file([{ ...good, writes: [{ addr: 0, hex: '00' }] }]))).toMatch(/cases\[0\]\.writes\[0\]\.addr": a 64-bit value/);
    expect(parseError(file([{ ...good, queue: { ...good.queue, desc: '0x1ffffffffffffffff' } }]))).toMatch(/cases\[0\]\.queue\.desc/);
  });
  it('accepts 64-bit addresses above 2^53', () => {
    expect(parseVectorFile('v.json', file([{ ...good, queue: { ...good.queue, desc: '0xffffffffffff0000' } }])).cases[0].queue.desc).toBe('0xffffffffffff0000');
  });
  it('names a start state of the wrong ring, and a non-quiescent start with driver steps', () => {
    expect(parseError(file([{ ...good, start: { lastAvail: 1, usedIdx: 1 } }]))).toMatch(/cases\[0\]\.start": a packed ring starts from nextAvail/);
    expect(parseError(file([{ ...good, start: { nextAvail: 1, availWrap: true, nextUsed: 0, usedWrap: true } }]))).toMatch(/needs a quiescent start/);
    expect(parseError(file([{ ...good, start: { nextAvail: 4, availWrap: true, nextUsed: 4, usedWrap: true } }]))).toMatch(/below the queue size 4/);
  });
  it('needs a step or a setup expectation', () => {
    expect(parseError(file([{ ...good, steps: [] }]))).toMatch(/cases\[0\]\.steps": a case needs at least one step/);
  });
  it('reads a version 1 file as the version 2 file that says the same', () => {
    const v1 = { format: 'avp-virtqueue-vectors', version: 1, cases: [{ ...good, memory: { size: '0x4000' }, writes: [{ addr: 16, hex: '00' }], queue: { desc: 4096, driver: '0x1100', device: '0x1104' } }] };
    const c = parseVectorFile('v1.json', JSON.stringify(v1)).cases[0];
    expect(c.memory).toEqual({ regions: [{ base: '0x0', size: '0x4000' }] });
    expect(c.writes).toEqual([{ addr: '0x10', hex: '00' }]);
    expect(c.queue.desc).toBe('0x1000');
    expect(runCase(c).ok).toBe(true);
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
  it('keeps holes between memory regions: a write into one is a set-up failure', () => {
    const twoRegions = { regions: [{ base: '0x0', size: '0x3000' }, { base: '0x8000', size: '0x1000' }] };
    expect(runCase({ ...good, memory: twoRegions, steps: [{ op: 'memory.expect', addr: '0x8000', hex: '00' }] }).ok).toBe(true);
    expect(runCase({ ...good, memory: twoRegions, writes: [{ addr: '0x4000', hex: '00' }] }).failure).toMatchObject({ op: 'setup' });
  });
  it('repeats a write with a stride', () => {
    const r = runCase({ ...good, writes: [{ addr: '0x3000', hex: 'ab', repeat: 3, stride: 2 }], steps: [{ op: 'memory.expect', addr: '0x3000', hex: 'ab00ab00ab00' }] });
    expect(r).toEqual({ name: 'one buffer', ok: true });
  });
  it('accepts one of a set of errors, or any error, and fails a case that expects an error and gets none', () => {
    const loop = { ...good, ring: 'split' as const, queueSize: 4, queue: { desc: '0x1000', driver: '0x1100', device: '0x1200' } };
    const ringLoop = { writes: [{ addr: '0x1000', hex: '0020000000000000 04000000 0100 0000' }, { addr: '0x1100', hex: '0000 0100 0000' }] };
    expect(runCase({ ...loop, ...ringLoop, steps: [{ op: 'device.pop', expect: { error: ['CHAIN_TOO_LONG', 'DESC_LOOP'] } }] }).ok).toBe(true);
    expect(runCase({ ...loop, ...ringLoop, steps: [{ op: 'device.pop', expect: { error: '*' } }] }).ok).toBe(true);
    const r = runCase({ ...loop, ...ringLoop, steps: [{ op: 'device.pop', expect: { error: ['CHAIN_TOO_LONG', 'HEAD_OUT_OF_RANGE'] } }] });
    expect(r.failure?.message).toMatch(/expected one of CHAIN_TOO_LONG, HEAD_OUT_OF_RANGE, got .*DESC_LOOP/);
    expect(runCase({ ...good, steps: [{ op: 'device.pop', expect: { error: '*' } }] }).failure?.message).toMatch(/expected any error, got \{"empty":true\}/);
  });
  it('checks the queue set-up and the device status', () => {
    const misaligned = { ...good, queue: { desc: '0x1008', driver: '0x1100', device: '0x1104' }, steps: [] };
    expect(runCase({ ...misaligned, setup: { expect: { error: 'RING_MISALIGNED' } }, steps: [{ op: 'device.status', expect: { needsReset: true, error: 'RING_MISALIGNED' } }] }).ok).toBe(true);
    expect(runCase({ ...misaligned, setup: { expect: { ok: true } } }).failure?.message).toMatch(/setup: expected the device to accept the queue, got RING_MISALIGNED/);
    expect(runCase({ ...good, setup: { expect: { ok: true } }, steps: [{ op: 'device.status', expect: { needsReset: false } }] }).ok).toBe(true);
  });
  it('starts the rings where the case says, driver included', () => {
    const start = { nextAvail: 3, availWrap: false, nextUsed: 3, usedWrap: false };
    const steps: VectorCase['steps'] = [...good.steps, { op: 'device.state', expect: { nextAvail: 0, availWrap: true, nextUsed: 0, usedWrap: true } }];
    expect(runCase({ ...good, start, steps })).toEqual({ name: 'one buffer', ok: true });
  });
  it('expects a refused push, with the chain still the device\'s to return', () => {
    const steps: VectorCase['steps'] = [...good.steps.slice(0, 2), { op: 'device.push', id: 0, len: '0x100000000', expect: { refused: true } }, { op: 'device.push', id: 0, len: 8 }, good.steps[3]];
    expect(runCase({ ...good, steps })).toEqual({ name: 'one buffer', ok: true });
    const notRefused = runCase({ ...good, steps: [...good.steps.slice(0, 2), { op: 'device.push', id: 0, len: 8, expect: { refused: true } }] });
    expect(notRefused.failure?.message).toMatch(/expected a refusal, the device took it/);
    const refused = runCase({ ...good, steps: [...good.steps.slice(0, 2), { op: 'device.push', id: 0, len: 9 }] });
    expect(refused.failure?.message).toMatch(/was refused: push: writtenLen 9 is not in 0\.\.8/);
  });
  it('checks memory contents byte for byte', () => {
    const r = runCase({ ...good, steps: [...good.steps, { op: 'memory.expect', addr: '0x1008', hex: '08000000 0000 8280' }] });
    expect(r.ok).toBe(true);
    const r2 = runCase({ ...good, steps: [...good.steps, { op: 'memory.expect', addr: '0x1008', hex: '08000000 0000 8080' }] });
    expect(r2.failure?.message).toMatch(/memory at 0x1008/);
  });
});
