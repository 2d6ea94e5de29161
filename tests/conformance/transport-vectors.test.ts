// The shipped transport vectors, replayed against the reference MMIO and PCI transports: one
// test per case, named with the requirement IDs the case lists; and the set as a whole records
// every error condition of the device lifecycle somewhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTransportCase } from '../../src/lib/conformance/run-transport-vector.ts';
import { transportVectorJsonSchema } from '../../src/lib/conformance/transport-vector-schema.ts';
import { LIFECYCLE_ERROR_CODES } from '../../src/lib/virtio/lifecycle/errors.ts';
import { shippedTransportVectors, TRANSPORT_SCHEMA_FILE, TRANSPORT_VECTORS_DIR } from '../../src/lib/spec/vector-files.ts';

const files = shippedTransportVectors();

for (const { file, vectors } of files) {
  describe(`[AVP-CONF-6] ${file}`, () => {
    for (const c of vectors.cases) {
      const ids = c.requirements?.length ? `[${c.requirements.join('] [')}] ` : '';
      it(`${ids}${c.name}`, () => {
        const r = runTransportCase(c);
        expect(r.ok ? 'ok' : `step ${r.failure.step} (${r.failure.op}): ${r.failure.message}`).toBe('ok');
      });
    }
  });
}

describe('the transport vector set', () => {
  it('records every lifecycle error condition somewhere, and covers both transports', () => {
    const cases = files.flatMap((f) => f.vectors.cases);
    const recorded = new Set(cases.flatMap((c) => c.steps.flatMap((s) => (s.op === 'recorded' ? s.codes : []))));
    expect(LIFECYCLE_ERROR_CODES.filter((code) => !recorded.has(code))).toEqual([]);
    expect(new Set(cases.map((c) => c.transport))).toEqual(new Set(['mmio', 'pci']));
  });

  it('ships the JSON Schema generated from the format definition (npm run conformance -- --write-schema)', () => {
    expect(JSON.parse(readFileSync(join(TRANSPORT_VECTORS_DIR, TRANSPORT_SCHEMA_FILE), 'utf8'))).toEqual(transportVectorJsonSchema());
  });
});
