// Why the memory device refused a request. Unlike the balloon, virtio-mem has response codes;
// these names say which rule a refusal enforces, so that a platform's log and a test can tell
// an unaligned address from a block plugged twice although both are answered with ERROR.

// #region mem-errors
export const MEM_ERRORS = {
  /** No room for a 10-byte response: the request is not executed (used length 0). */
  NO_RESPONSE_ROOM: { response: null, text: 'fewer than 10 device-writable bytes for the response' },
  /** Fewer than 24 device-readable bytes (§5.15.6: every request is 24 bytes). */
  REQUEST_TOO_SHORT: { response: 'ERROR', text: 'a request shorter than 24 bytes' },
  /** A type VIRTIO 1.4 does not define. */
  UNKNOWN_TYPE: { response: 'ERROR', text: 'a request type other than PLUG, UNPLUG, UNPLUG_ALL and STATE' },
  /** addr not a multiple of block_size (§5.15.6.3.2, §5.15.6.4.2, §5.15.6.6.2). */
  MISALIGNED: { response: 'ERROR', text: 'addr is not aligned to block_size' },
  /** nb_blocks is 0 (same sections). */
  NO_BLOCKS: { response: 'ERROR', text: 'nb_blocks is 0' },
  /** A block outside the usable region, or a range past 2^64 (same sections). */
  OUTSIDE_USABLE: { response: 'ERROR', text: 'a block outside the usable region' },
  /** PLUG of a block already plugged (§5.15.6.3.2). */
  ALREADY_PLUGGED: { response: 'ERROR', text: 'a PLUG request names a plugged block' },
  /** UNPLUG of a block already unplugged (§5.15.6.4.2). */
  ALREADY_UNPLUGGED: { response: 'ERROR', text: 'an UNPLUG request names an unplugged block' },
  /** PLUG that would take plugged_size past requested_size (§5.15: such requests are rejected). */
  OVER_REQUESTED: { response: 'NACK', text: 'a PLUG request past requested_size' },
  /** The host cannot back the blocks now (§5.15.6.3.2 allows BUSY). */
  HOST_BUSY: { response: 'BUSY', text: 'the host cannot back the blocks now' },
} as const;
// #endregion mem-errors

export type MemErrorCode = keyof typeof MEM_ERRORS;
