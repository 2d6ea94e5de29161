// What a guest is told when a call into the TEE ends: a GlobalPlatform TEE Client API result
// code and the origin of that code, the pair a guest's TEE driver already hands to its client
// library (the TEEC_* values below are the GlobalPlatform TEE Client API's). The relay refuses a
// request for one of the named reasons in RELAY_ERRORS; each maps to one code and origin, so a
// guest learns what kind of mistake it made and nothing about other guests.

// #region teec-codes
export const TEEC_SUCCESS = 0x00000000;
export const TEEC_ERROR_GENERIC = 0xffff0000;
export const TEEC_ERROR_ACCESS_DENIED = 0xffff0001;
export const TEEC_ERROR_ACCESS_CONFLICT = 0xffff0003;
export const TEEC_ERROR_BAD_PARAMETERS = 0xffff0006;
export const TEEC_ERROR_BAD_STATE = 0xffff0007;
export const TEEC_ERROR_ITEM_NOT_FOUND = 0xffff0008;
export const TEEC_ERROR_NOT_SUPPORTED = 0xffff000a;
export const TEEC_ERROR_OUT_OF_MEMORY = 0xffff000c;
export const TEEC_ERROR_BUSY = 0xffff000d;
export const TEEC_ERROR_SHORT_BUFFER = 0xffff0010;
export const TEEC_ERROR_TARGET_DEAD = 0xffff3024;

/** Where a result code comes from. */
export const TEEC_ORIGIN_API = 1;
export const TEEC_ORIGIN_COMMS = 2; // the path between the guest and the TEE: here, the relay
export const TEEC_ORIGIN_TEE = 3;
export const TEEC_ORIGIN_TRUSTED_APP = 4;
// #endregion teec-codes

// #region relay-errors
/**
 * Every reason the relay refuses a request, with the code and origin the guest gets. A refusal
 * always has origin COMMS: the TEE never saw the request. Naming another guest's session or
 * handle and naming one that does not exist get the same answer, so that a guest cannot use
 * the relay to learn which identifiers other guests hold; the relay's log tells them apart.
 */
export const RELAY_ERRORS = {
  'not-attached': TEEC_ERROR_BAD_STATE, // the channel's guest has no TEE access (never attached, or destroyed)
  'vm-id-mismatch': TEEC_ERROR_BAD_PARAMETERS, // the request names a source VM ID other than the caller's
  'bad-op': TEEC_ERROR_NOT_SUPPORTED, // an operation the relay does not define
  'bad-field': TEEC_ERROR_BAD_PARAMETERS, // a field missing, of the wrong type, or outside its range
  'bad-param': TEEC_ERROR_BAD_PARAMETERS, // more than four parameters, or one of an undefined type
  'bad-range': TEEC_ERROR_BAD_PARAMETERS, // a shared-memory range empty, too large, or not wholly the caller's memory
  'memref-out-of-bounds': TEEC_ERROR_BAD_PARAMETERS, // a memory reference reaching past its region
  'session-limit': TEEC_ERROR_OUT_OF_MEMORY, // the guest holds its maximum of sessions
  'shm-count-limit': TEEC_ERROR_OUT_OF_MEMORY, // the guest holds its maximum of shared regions
  'shm-bytes-limit': TEEC_ERROR_OUT_OF_MEMORY, // the region would take the guest past its shared bytes
  'ids-exhausted': TEEC_ERROR_OUT_OF_MEMORY, // no identifier left that was never given out
  'unknown-session': TEEC_ERROR_ITEM_NOT_FOUND, // no live session has this identifier
  'foreign-session': TEEC_ERROR_ITEM_NOT_FOUND, // the session is another guest's
  'unknown-handle': TEEC_ERROR_ITEM_NOT_FOUND, // no live shared region has this handle
  'foreign-handle': TEEC_ERROR_ITEM_NOT_FOUND, // the region is another guest's
  'ended-session': TEEC_ERROR_TARGET_DEAD, // the caller's session, ended by a TEE failure
  'ended-handle': TEEC_ERROR_TARGET_DEAD, // the caller's region, revoked by a TEE failure
  'tee-down': TEEC_ERROR_TARGET_DEAD, // the TEE has failed and is not running again yet
  'tee-failed': TEEC_ERROR_TARGET_DEAD, // the TEE failed while it served this very request
} as const;
// #endregion relay-errors

export type RelayErrorName = keyof typeof RELAY_ERRORS;
export const RELAY_ERROR_NAMES = Object.keys(RELAY_ERRORS) as RelayErrorName[];

/** A TEEC code as the eight hex digits the GlobalPlatform headers use, for logs and examples. */
export function teecName(code: number): string {
  const names: Record<number, string> = {
    [TEEC_SUCCESS]: 'SUCCESS',
    [TEEC_ERROR_GENERIC]: 'GENERIC',
    [TEEC_ERROR_ACCESS_DENIED]: 'ACCESS_DENIED',
    [TEEC_ERROR_ACCESS_CONFLICT]: 'ACCESS_CONFLICT',
    [TEEC_ERROR_BAD_PARAMETERS]: 'BAD_PARAMETERS',
    [TEEC_ERROR_BAD_STATE]: 'BAD_STATE',
    [TEEC_ERROR_ITEM_NOT_FOUND]: 'ITEM_NOT_FOUND',
    [TEEC_ERROR_NOT_SUPPORTED]: 'NOT_SUPPORTED',
    [TEEC_ERROR_OUT_OF_MEMORY]: 'OUT_OF_MEMORY',
    [TEEC_ERROR_BUSY]: 'BUSY',
    [TEEC_ERROR_SHORT_BUFFER]: 'SHORT_BUFFER',
    [TEEC_ERROR_TARGET_DEAD]: 'TARGET_DEAD',
  };
  return names[code] ?? `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/** An origin by name: API, COMMS (the relay), TEE or TA. */
export function originName(origin: number): string {
  return ({ [TEEC_ORIGIN_API]: 'API', [TEEC_ORIGIN_COMMS]: 'COMMS', [TEEC_ORIGIN_TEE]: 'TEE', [TEEC_ORIGIN_TRUSTED_APP]: 'TA' } as Record<number, string>)[origin] ?? String(origin);
}
