// Device-side errors. The device never trusts the driver: every malformed ring, descriptor or
// chain maps to exactly one code below, is reported, and moves the device to NEEDS_RESET
// (VIRTIO 1.4 §2.1.2) instead of throwing out of the device loop.

// #region codes
export const VIRTQ_ERROR_CODES = [
  'DESC_LOOP', // a chain revisits a descriptor (§2.7.5.1)
  'CHAIN_TOO_LONG', // a chain longer than the queue size or the indirect table (§2.7.5.1, §2.8.18)
  'ADDR_OUT_OF_RANGE', // a buffer, table or ring outside guest memory
  'ADDR_OVERFLOW', // addr + len wraps past 2^64
  'NEXT_OUT_OF_RANGE', // next index >= queue size (or indirect table entries)
  'AVAIL_IDX_JUMP', // avail->idx moved more than the queue size (§2.7.6)
  'HEAD_OUT_OF_RANGE', // a head index on the available ring >= queue size
  'NESTED_INDIRECT', // an INDIRECT descriptor inside an indirect table (§2.7.5.3.1)
  'INDIRECT_NOT_NEGOTIATED', // INDIRECT flag without VIRTIO_F_INDIRECT_DESC (§2.7.5.3.1)
  'INDIRECT_WITH_NEXT', // INDIRECT and NEXT set together (§2.7.5.3.1)
  'INDIRECT_BAD_LENGTH', // indirect table length 0 or not a multiple of 16 (§2.7.5.3.1)
  'WRITE_THEN_READ', // a device-readable descriptor after a device-writable one (§2.7.4.2)
  'BUFFER_ID_OUT_OF_RANGE', // packed ring buffer ID >= queue size (§2.8.16)
  'CHAIN_INCOMPLETE', // packed ring: NEXT points at a descriptor the driver has not made available
  'QUEUE_SIZE_INVALID', // a queue size of 0, above 32768, or not a power of 2 where one is required
  'USED_ID_INVALID', // driver side: the device returned an id it was never given
  'BUFFER_ID_IN_USE', // a buffer ID (packed) or head (split) reused while the device still holds that buffer (§2.8.8, §2.7.13)
  'RING_MISALIGNED', // a ring part not at the alignment its layout requires (§2.7, §2.8.10.1)
] as const;
// #endregion codes

export type VirtqErrorCode = (typeof VIRTQ_ERROR_CODES)[number] | string;

/** A specific, named violation by the driver (or by a test vector). */
export class VirtqError extends Error {
  readonly code: VirtqErrorCode;
  constructor(code: VirtqErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'VirtqError';
    this.code = code;
  }
}

export function isVirtqError(e: unknown): e is VirtqError {
  return e instanceof VirtqError;
}
