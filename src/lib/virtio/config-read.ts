// Reading a device's configuration space without tearing (VIRTIO 1.4 §2.5.1): fields wider than
// the transport's accesses, or several fields together, are consistent only if the generation
// counter reads the same before and after. Each transport supplies its two reads.
import { leBytes } from './bytes.ts';

// #region config-read
/**
 * Reads `len` bytes at `offset`, each field with its natural width, and starts again while the
 * generation moves under the reads; gives up after `maxTries` with an error.
 */
export function readConfigConsistently(
  generation: () => number,
  read: (offset: number, width: 1 | 2 | 4) => number,
  offset: number,
  len: number,
  maxTries = 8,
): Uint8Array {
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const before = generation();
    const out = new Uint8Array(len);
    for (let i = 0; i < len; ) {
      const at = offset + i;
      const width: 1 | 2 | 4 = len - i >= 4 && at % 4 === 0 ? 4 : len - i >= 2 && at % 2 === 0 ? 2 : 1;
      out.set(leBytes(read(at, width), width), i);
      i += width;
    }
    if (generation() === before) return out;
  }
  throw new Error(`configuration space kept changing over ${maxTries} reads`);
}
// #endregion config-read
