// The shipped device vectors, replayed against the reference device models on both ring
// layouts: one test per case, named with the requirement IDs the case lists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../src/lib/conformance/device-registry.ts';
import { deviceVectorJsonSchema } from '../../src/lib/conformance/device-vector-schema.ts';
import { runDeviceCase } from '../../src/lib/conformance/run-device-vector.ts';
import { DEVICE_SCHEMA_FILE, DEVICE_VECTORS_DIR, shippedDeviceVectors } from '../../src/lib/spec/vector-files.ts';

const files = shippedDeviceVectors();

for (const { file, vectors } of files) {
  describe(`[AVP-CONF-5] ${file}`, () => {
    for (const c of vectors.cases) {
      const ids = c.requirements?.length ? `[${c.requirements.join('] [')}] ` : '';
      it(`${ids}${c.name}`, () => {
        const r = runDeviceCase(c);
        expect(r.ok ? 'ok' : `${r.failure.ring} ring, step ${r.failure.step} (${r.failure.op}): ${r.failure.message}`).toBe('ok');
      });
    }
  });
}

describe('the device vector set', () => {
  it('has cases for every model of the registry', () => {
    const used = new Set(files.flatMap((f) => f.vectors.cases.map((c) => c.device.model)));
    expect(DEVICE_MODELS.map((m) => m.model).filter((m) => !used.has(m))).toEqual([]);
  });

  it('ships the JSON Schema generated from the format definition (npm run conformance -- --write-schema)', () => {
    const shipped = JSON.parse(readFileSync(join(DEVICE_VECTORS_DIR, DEVICE_SCHEMA_FILE), 'utf8'));
    expect(shipped).toEqual(deviceVectorJsonSchema());
  });
});
