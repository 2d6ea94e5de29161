// The shipped conformance vectors, replayed against the reference implementation: one test
// per case, named with the requirement IDs the case lists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vectorJsonSchema } from '../../src/lib/conformance/vector-schema.ts';
import { runCase } from '../../src/lib/conformance/run-vector.ts';
import { VIRTQ_ERROR_CODES } from '../../src/lib/virtio/errors.ts';
import { expectedCodes, SCHEMA_FILE, shippedVectors, VECTORS_DIR } from '../../src/lib/spec/vector-files.ts';

const files = shippedVectors();

for (const { file, vectors } of files) {
  describe(`[AVP-CONF-2] ${file}`, () => {
    for (const c of vectors.cases) {
      const ids = c.requirements?.length ? `[${c.requirements.join('] [')}] ` : '';
      it(`${ids}${c.ring}: ${c.name}`, () => {
        const r = runCase(c);
        expect(r.failure ? `step ${r.failure.step} (${r.failure.op}): ${r.failure.message}` : 'ok').toBe('ok');
      });
    }
  });
}

describe('the vector set', () => {
  it('expects every device-side error code somewhere, on each ring type where the code can arise', () => {
    const byRing = { split: new Set<string>(), packed: new Set<string>() };
    for (const { vectors } of files) {
      for (const c of vectors.cases) for (const code of expectedCodes({ ...vectors, cases: [c] })) byRing[c.ring].add(code);
    }
    const all = new Set([...byRing.split, ...byRing.packed]);
    expect(VIRTQ_ERROR_CODES.filter((code) => !all.has(code))).toEqual([]);
    // Codes that exist only for one layout: the split ring has no buffer IDs in descriptors or chains across a wrap, the packed
    // ring no next field, available index or head index.
    const packedOnly = ['BUFFER_ID_OUT_OF_RANGE', 'CHAIN_INCOMPLETE'];
    // NESTED_INDIRECT is split-only too: a packed indirect table ignores the INDIRECT flag in its entries (§2.8.7).
    const splitOnly = ['DESC_LOOP', 'NEXT_OUT_OF_RANGE', 'AVAIL_IDX_JUMP', 'HEAD_OUT_OF_RANGE', 'NESTED_INDIRECT'];
    expect(VIRTQ_ERROR_CODES.filter((c) => !packedOnly.includes(c) && !byRing.split.has(c))).toEqual([]);
    expect(VIRTQ_ERROR_CODES.filter((c) => !splitOnly.includes(c) && !byRing.packed.has(c))).toEqual([]);
  });

  it('covers the normal paths of both ring types', () => {
    const normal = files.flatMap((f) => f.vectors.cases).filter((c) => expectedCodes({ format: 'avp-virtqueue-vectors', version: 2, cases: [c] }).length === 0);
    expect(new Set(normal.map((c) => c.ring))).toEqual(new Set(['split', 'packed']));
  });

  it('ships the JSON Schema generated from the format definition (npm run conformance -- --write-schema)', () => {
    const shipped = JSON.parse(readFileSync(join(VECTORS_DIR, SCHEMA_FILE), 'utf8'));
    expect(shipped).toEqual(vectorJsonSchema());
  });
});
