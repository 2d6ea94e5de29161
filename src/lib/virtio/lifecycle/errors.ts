// What a transport records when a driver steps outside the device lifecycle or the register
// layout. These are not ring errors (VirtqError covers those): they are about the status byte,
// feature negotiation, queue set-up and register accesses. Nothing here is ever thrown out of a
// transport: each violation is recorded with one code, and its code fixes what the device does.

// #region lifecycle-codes
export const LIFECYCLE_ERROR_CODES = [
  // Register accesses: no effect (a read returns 0, a write is dropped).
  'REGISTER_UNDEFINED', // an offset the register layout does not define (§4.2.2.2, §4.1.4.3)
  'REGISTER_WIDTH', // a width or alignment the register does not allow (§4.2.2.2, §4.1.3.1)
  'REGISTER_READ_ONLY', // a write to a read-only register (§4.2.2.2, §4.1.4.3)
  'REGISTER_WRITE_ONLY', // a read of a write-only register (§4.2.2.2)
  'SELECTOR_NOT_WRITTEN', // DeviceFeatures read or DriverFeatures written before its selector (§4.2.2.2)
  'FEATURE_WORD_UNDEFINED', // non-zero driver feature bits above the 128 this model negotiates (§2.2)
  'STATUS_UNDEFINED_BIT', // a status bit the driver may not set: undefined, device-owned or not negotiated (§2.1)
  'QUEUE_NOT_AVAILABLE', // a set-up access to a queue the device does not have (§4.2.3.2, §4.1.5.1)
  'NOTIFY_QUEUE_INVALID', // a notification for a queue that does not exist or is not enabled (§4.2.2.1)
  'INTERRUPT_ACK_UNDEFINED', // InterruptACK with bits that are not events (§4.2.2.2)
  'CONFIG_OUT_OF_RANGE', // a configuration access past the end of the device's configuration space (§2.5)
  'FEATURE_NOT_NEGOTIATED', // a register of a feature the transport does not offer, e.g. QueueReset (§2.6.1)
  'QUEUE_DISABLE_REFUSED', // PCI: a write of 0 to queue_enable, which the driver must never do (§4.1.4.3)
  'SUSPEND_IGNORED', // SUSPEND set on a device that is not live (§3.4.2)
  'SUSPENDED_ACCESS', // a notification or a configuration write while the device is suspended (§3.4.1, §3.4.2)
  // Sequence violations: refused, and the device sets DEVICE_NEEDS_RESET.
  'STATUS_BIT_CLEARED', // a status write that clears a bit other than by writing 0 (§2.1.1)
  'STATUS_OUT_OF_ORDER', // a status bit set before the step it follows (§3.1.1)
  'STATUS_AFTER_FAILED', // initialization continued after FAILED without a reset (§2.1.1)
  'FEATURES_LOCKED', // driver features written outside DRIVER..FEATURES_OK (§3.1.1 steps 4-5)
  'QUEUE_SETUP_STATE', // queue set-up before FEATURES_OK or after DRIVER_OK (§3.1.1 step 7)
  'QUEUE_ENABLED', // a queue's size or areas changed while it is enabled (§4.2.2.2, §4.1.4.3)
  'QUEUE_SIZE_INVALID', // 0, above the maximum, or not a power of 2 on a split ring (§2.7, §2.8.10.1, §4.2.2.2)
  'QUEUE_LAYOUT_INVALID', // a queue enabled with an area outside guest memory or misaligned (§2.7, §2.8.10.1)
  'CONFIG_WRITE_STATE', // a configuration write before FEATURES_OK (§3.1.1 step 4)
  'NOTIFY_STATE', // an available buffer notification before DRIVER_OK (§3.1.1)
  // Outcomes the device decides.
  'FEATURES_REFUSED', // the device left FEATURES_OK clear: it does not support the accepted set (§2.2.2)
  'DEVICE_ERROR', // the device reported an error and needs a reset (§2.1.2)
] as const;
// #endregion lifecycle-codes

export type LifecycleErrorCode = (typeof LIFECYCLE_ERROR_CODES)[number];

// #region lifecycle-severity
/**
 * What follows a violation. `ignored`: the access has no effect and the device carries on.
 * `needs-reset`: the access has no effect and the device sets DEVICE_NEEDS_RESET, because driver
 * and device no longer agree on where initialization stands. `refused`: the device turned down
 * the driver's feature set. `device`: the device itself failed.
 */
export type LifecycleSeverity = 'ignored' | 'needs-reset' | 'refused' | 'device';

export function severityOf(code: LifecycleErrorCode): LifecycleSeverity {
  switch (code) {
    case 'STATUS_BIT_CLEARED':
    case 'STATUS_OUT_OF_ORDER':
    case 'STATUS_AFTER_FAILED':
    case 'FEATURES_LOCKED':
    case 'QUEUE_SETUP_STATE':
    case 'QUEUE_ENABLED':
    case 'QUEUE_SIZE_INVALID':
    case 'QUEUE_LAYOUT_INVALID':
    case 'CONFIG_WRITE_STATE':
    case 'NOTIFY_STATE':
      return 'needs-reset';
    case 'FEATURES_REFUSED':
      return 'refused';
    case 'DEVICE_ERROR':
      return 'device';
    default:
      return 'ignored';
  }
}
// #endregion lifecycle-severity

/** One recorded violation or outcome. */
export class LifecycleError extends Error {
  readonly code: LifecycleErrorCode;
  readonly severity: LifecycleSeverity;
  constructor(code: LifecycleErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'LifecycleError';
    this.code = code;
    this.severity = severityOf(code);
  }
}

export function isLifecycleError(e: unknown): e is LifecycleError {
  return e instanceof LifecycleError;
}
