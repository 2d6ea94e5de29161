// Version 1 virtqueue vectors, read as version 2. Nothing in version 1 is lost: its numbers
// (integers or "0x" strings below 2^53) become 64-bit hex strings where version 2 wants them,
// and its one memory region becomes a list of one.
import type { VectorCaseV1, VectorFileV1, VectorStepV1 } from './vector-schema-v1.ts';
import { VECTOR_VERSION, type VectorCase, type VectorFile, type VectorStep } from './vector-schema.ts';

/** A version 1 number as a version 2 64-bit hex string. */
const hex64 = (v: number | string): string => `0x${(typeof v === 'number' ? v : parseInt(v.slice(2), 16)).toString(16)}`;

function upgradeStep(s: VectorStepV1): VectorStep {
  switch (s.op) {
    case 'driver.add':
      return { ...s, buffers: s.buffers.map((b) => ({ ...b, addr: hex64(b.addr) })) };
    case 'device.pop': {
      const e = s.expect;
      if (!('chain' in e)) return { op: s.op, expect: e };
      return { op: s.op, expect: { chain: { ...e.chain, buffers: e.chain.buffers.map((b) => ({ ...b, addr: hex64(b.addr) })) } } };
    }
    case 'memory.write':
    case 'memory.expect':
      return { ...s, addr: hex64(s.addr) };
    default:
      return s;
  }
}

function upgradeCase(c: VectorCaseV1): VectorCase {
  const { memory, writes, queue, driverIndirectArea, steps, ...rest } = c;
  return {
    ...rest,
    memory: { regions: [{ base: hex64(memory.base ?? 0), size: memory.size }] },
    ...(writes ? { writes: writes.map((w) => ({ addr: hex64(w.addr), hex: w.hex })) } : {}),
    queue: { desc: hex64(queue.desc), driver: hex64(queue.driver), device: hex64(queue.device) },
    ...(driverIndirectArea ? { driverIndirectArea: { addr: hex64(driverIndirectArea.addr), size: driverIndirectArea.size } } : {}),
    steps: steps.map(upgradeStep),
  };
}

// #region upgrade
/** A version 1 file as the version 2 file that says the same. */
export function upgradeVectorFile(v1: VectorFileV1): VectorFile {
  const { $schema, format, description, cases } = v1;
  return { ...($schema ? { $schema } : {}), format, version: VECTOR_VERSION, ...(description ? { description } : {}), cases: cases.map(upgradeCase) };
}
// #endregion upgrade
