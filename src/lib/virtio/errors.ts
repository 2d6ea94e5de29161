// Device-side errors. The device never trusts the driver: every malformed ring, descriptor or
// chain maps to exactly one code below, is reported, and moves the device to NEEDS_RESET
// (VIRTIO 1.4 §2.1.2) instead of throwing out of the device loop.

// #region codes
export const VIRTQ_ERROR_CODES = [
  'DESC_LOOP', // a chain revisits a descriptor (split §2.7.5.2; packed §2.8.17)
  'CHAIN_TOO_LONG', // a chain longer than the queue size or the indirect table (split §2.7.5.3.1, §2.7.4.1; packed §2.8.17, §2.8.19)
  'ADDR_OUT_OF_RANGE', // a buffer, table or ring outside guest memory
  'ADDR_OVERFLOW', // addr + len wraps past 2^64
  'NEXT_OUT_OF_RANGE', // next index >= queue size (or indirect table entries)
  'AVAIL_IDX_JUMP', // avail->idx moved more than the queue size (§2.7.6)
  'HEAD_OUT_OF_RANGE', // a head index on the available ring >= queue size
  'NESTED_INDIRECT', // split ring: an INDIRECT descriptor inside an indirect table (§2.7.5.3.1); packed tables ignore the flag (§2.8.7)
  'INDIRECT_NOT_NEGOTIATED', // INDIRECT flag without VIRTIO_F_INDIRECT_DESC (split §2.7.5.3.1; packed §2.8.19)
  'INDIRECT_WITH_NEXT', // INDIRECT and NEXT set together (split §2.7.5.3.1; packed §2.8.19)
  'INDIRECT_BAD_LENGTH', // indirect table length 0 or not a multiple of 16 (split §2.7.5.3; packed §2.8.7)
  'WRITE_THEN_READ', // a device-readable descriptor after a device-writable one (§2.7.4.2)
  'BUFFER_ID_OUT_OF_RANGE', // packed ring Buffer ID >= queue size (Buffer ID: §2.8.13, §2.8.21.1)
  'CHAIN_INCOMPLETE', // packed ring: NEXT points at a descriptor the driver has not made available
  'QUEUE_SIZE_INVALID', // a queue size of 0, above 32768, or not a power of 2 where one is required
  'USED_ID_INVALID', // driver side: the device returned an id it was never given
  'BUFFER_ID_IN_USE', // a buffer ID (packed) or head (split) reused while the device still holds that buffer (Buffer ID: §2.8.13, §2.8.21.1; split head: §2.7.13.1)
  'CHAIN_TOO_LARGE', // a chain's buffers add up to more than 2^32 bytes (split §2.7.5.2; the AVP applies it to packed)
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
