// The transport vector format: its parser names bad fields, and its runner fails a case on
// the first register value or recorded condition that differs from the vector.
import { describe, expect, it } from 'vitest';
import { parseTransportVectorFile } from '../../../src/lib/conformance/parse-transport-vector.ts';
import { runTransportCase } from '../../../src/lib/conformance/run-transport-vector.ts';
import type { TransportVectorCase } from '../../../src/lib/conformance/transport-vector-schema.ts';

const base: TransportVectorCase = {
  name: 'ids',
  transport: 'mmio',
  device: { model: 'virtio-rng' },
  steps: [
    { op: 'read', register: 'DeviceID', expect: 4 },
    { op: 'recorded', codes: [] },
  ],
};
const file = (cases: unknown[]) => JSON.stringify({ format: 'avp-transport-vectors', version: 1, cases });

describe('transport vectors', () => {
  it('passes a case whose reads return what it expects', () => {
    expect(runTransportCase(base)).toEqual({ name: 'ids', ok: true });
  });

  it('fails on a read that returns another value, naming the register and both values', () => {
    const r = runTransportCase({ ...base, steps: [{ op: 'read', register: 'DeviceID', expect: 5 }] });
    expect(r).toMatchObject({ ok: false, failure: { step: 0, op: 'read', message: 'read of DeviceID: expected 0x5, got 0x4' } });
  });

  it('fails when the recorded conditions differ, listing what was recorded and why', () => {
    const r = runTransportCase({ ...base, steps: [{ op: 'write', register: 'MagicValue', value: 1 }, { op: 'recorded', codes: [] }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.message).toMatch(/recorded: expected \[\], got \[REGISTER_READ_ONLY\]/);
    const twice = runTransportCase({ ...base, steps: [{ op: 'write', register: 'MagicValue', value: 1 }, { op: 'recorded', codes: ['REGISTER_READ_ONLY'] }, { op: 'recorded', codes: ['REGISTER_READ_ONLY'] }] });
    expect(twice).toMatchObject({ ok: false, failure: { step: 2 } });
  });

  it('names an unknown register, an unknown device model and a PCI field that has no upper half', () => {
    expect(runTransportCase({ ...base, steps: [{ op: 'read', register: 'Colour', expect: 0 }] })).toMatchObject({ failure: { message: expect.stringMatching(/no MMIO register "Colour"/) } });
    expect(runTransportCase({ ...base, device: { model: 'virtio-none' } })).toMatchObject({ failure: { op: 'device', message: 'unknown device model "virtio-none"' } });
    expect(runTransportCase({ ...base, transport: 'pci', steps: [{ op: 'read', register: 'device_status.hi', expect: 0 }] })).toMatchObject({ failure: { message: expect.stringMatching(/no PCI register "device_status.hi"/) } });
  });

  it('rejects a file with an unknown error condition or step, naming the field', () => {
    expect(() => parseTransportVectorFile('t.json', file([{ ...base, steps: [{ op: 'recorded', codes: ['NOPE'] }] }]))).toThrow(/t\.json: field "cases\[0\]\.steps\[0\]\.codes\[0\]"/);
    expect(() => parseTransportVectorFile('t.json', file([{ ...base, steps: [{ op: 'poke' }] }]))).toThrow(/field "cases\[0\]\.steps\[0\]\.op"/);
    expect(() => parseTransportVectorFile('t.json', file([{ ...base, transport: 'ccw' }]))).toThrow(/field "cases\[0\]\.transport"/);
  });
});
