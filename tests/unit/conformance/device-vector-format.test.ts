// Reading and running device vectors: errors name the file and the field, and a runner that
// could not fail would be no check at all, so wrong expectations must fail with a clear reason.
import { describe, expect, it } from 'vitest';
import { parseDeviceVectorFile } from '../../../src/lib/conformance/parse-device-vector.ts';
import { runDeviceCase } from '../../../src/lib/conformance/run-device-vector.ts';
import type { DeviceVectorCase } from '../../../src/lib/conformance/device-vector-schema.ts';

const base = (cases: unknown[]) => JSON.stringify({ format: 'avp-device-vectors', version: 1, cases });
const rngCase = (expect: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'fill',
  device: { model: 'virtio-rng', options: { seed: 1 } },
  steps: [{ op: 'request', queue: 0, out: [], in: [8], expect }],
  ...extra,
});

describe('parseDeviceVectorFile', () => {
  it('accepts a well-formed file', () => {
    expect(parseDeviceVectorFile('v.json', base([rngCase({ len: 8 })])).cases).toHaveLength(1);
  });

  it('names an unknown device model and lists the known ones', () => {
    const text = base([{ ...rngCase({ len: 8 }), device: { model: 'virtio-nonesuch' } }]);
    expect(() => parseDeviceVectorFile('v.json', text)).toThrow(/v\.json: field "cases\[0\]\.device\.model": unknown device model "virtio-nonesuch"; known: virtio-blk, virtio-rng/);
  });

  it('names a misspelt or mistyped option', () => {
    const typo = base([{ ...rngCase({ len: 8 }), device: { model: 'virtio-blk', options: { sector: 16 } } }]);
    expect(() => parseDeviceVectorFile('v.json', typo)).toThrow(/field "cases\[0\]\.device\.options\.sectors"|field "cases\[0\]\.device\.options": .*sector/);
    const wrong = base([{ ...rngCase({ len: 8 }), device: { model: 'virtio-blk', options: { sectors: 'many' } } }]);
    expect(() => parseDeviceVectorFile('v.json', wrong)).toThrow(/field "cases\[0\]\.device\.options\.sectors"/);
  });

  it('refuses a request without any buffer, naming the step', () => {
    const empty = base([{ ...rngCase({ len: 0 }), steps: [{ op: 'request', queue: 0, out: [], in: [], expect: { len: 0 } }] }]);
    expect(() => parseDeviceVectorFile('v.json', empty)).toThrow(/field "cases\[0\]\.steps\[0\]\.in": a request needs at least one buffer/);
  });

  it('names a bad step field and a wrong version', () => {
    expect(() => parseDeviceVectorFile('v.json', base([rngCase({ len: -1 })]))).toThrow(/field "cases\[0\]\.steps\[0\]\.expect/);
    expect(() => parseDeviceVectorFile('v.json', JSON.stringify({ format: 'avp-device-vectors', version: 2, cases: [] }))).toThrow(/version.*2 is not supported/);
    expect(() => parseDeviceVectorFile('v.json', base([{ ...rngCase({ len: 8 }), steps: [{ op: 'request', queue: 0, out: ['0g'], in: [], expect: { len: 0 } }] }]))).toThrow(/out\[0\]/);
  });
});

describe('runDeviceCase', () => {
  const run = (c: unknown) => runDeviceCase(c as DeviceVectorCase);

  it('passes on both rings when the device does what the case says', () => {
    const r = run(rngCase({ len: 8 }));
    expect(r.ok && r.rings).toEqual(['split', 'packed']);
  });

  it('fails, naming the ring and step, when the length differs', () => {
    const r = run(rngCase({ len: 9 }));
    expect(!r.ok && r.failure).toMatchObject({ ring: 'split', step: 0, op: 'request' });
    expect(!r.ok && r.failure.message).toMatch(/expected 9 bytes written, got 8/);
  });

  it('fails when data, prefix or suffix differ, and when a completion was expected to wait', () => {
    expect(run(rngCase({ len: 8, data: '0000000000000000' })).ok).toBe(false);
    expect(run(rngCase({ len: 8, prefix: 'ffffffffff' })).ok).toBe(false);
    expect(run(rngCase({ len: 8, suffix: 'ffffffffff' })).ok).toBe(false);
    const pending = run(rngCase({ pending: true }));
    expect(!pending.ok && pending.failure.message).toMatch(/expected the request to stay pending; it completed/);
  });

  it('fails on a queue the device does not have, and on a wrong configuration byte', () => {
    const q = run({ ...rngCase({ len: 8 }), steps: [{ op: 'request', queue: 3, out: [], in: [8], expect: { len: 8 } }] });
    expect(!q.ok && q.failure.message).toMatch(/queue 3: the device has 1 queues/);
    const cfg = run({ name: 'c', device: { model: 'virtio-blk', options: { sectors: 16 } }, steps: [{ op: 'config', offset: 0, expect: '11' }] });
    expect(!cfg.ok && cfg.failure.message).toMatch(/config at 0: expected 11, got 10/);
  });

  it('reports a request the driver cannot offer as a failure, not a crash', () => {
    const huge = run({ ...rngCase({ len: 8 }), steps: [{ op: 'request', queue: 0, out: [], in: Array(300).fill(1), expect: { len: 8 } }] });
    expect(!huge.ok && huge.failure.message).toMatch(/the driver could not offer the request/);
  });

  it('runs only the rings a case names, and honours declined features', () => {
    const flush = { name: 'f', device: { model: 'virtio-blk', options: { sectors: 1 } }, rings: ['packed'], steps: [{ op: 'request', queue: 0, out: ['04000000000000000000000000000000'], in: [1], expect: { len: 1, data: '00' } }] };
    const ok = run(flush);
    expect(ok.ok && ok.rings).toEqual(['packed']);
    expect(run({ ...flush, decline: [9, 11] }).ok).toBe(false); // without FLUSH: UNSUPP (02)
  });
});
