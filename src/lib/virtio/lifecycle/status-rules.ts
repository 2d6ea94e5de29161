// The device status byte as a state machine (VIRTIO 1.4 §2.1, §3.1.1, §2.4). The driver only
// ever adds bits, in a fixed order, until it writes 0 to reset the device; the device owns
// DEVICE_NEEDS_RESET and decides whether FEATURES_OK sticks. Pure functions: the transports
// (MMIO, PCI) apply them to their registers.
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FAILED, FEATURES_OK } from '../status.ts';
import type { LifecycleErrorCode } from './errors.ts';

/** §2.1: SUSPEND (16), meaningful only with VIRTIO_F_SUSPEND (43) negotiated (§3.4). */
export const SUSPEND = 16;
/** The bits a driver sets; DEVICE_NEEDS_RESET is the device's, SUSPEND needs VIRTIO_F_SUSPEND, 32 is undefined. */
export const DRIVER_STATUS_BITS = ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK | FAILED;

// #region phases
/** Where initialization stands, read off the status byte (§3.1.1, §3.4). */
export type Phase = 'reset' | 'acknowledged' | 'driver' | 'features-ok' | 'live' | 'suspended' | 'failed';

export function phaseOf(status: number): Phase {
  if (status & FAILED) return 'failed';
  if (status & SUSPEND) return 'suspended';
  if (status & DRIVER_OK) return 'live';
  if (status & FEATURES_OK) return 'features-ok';
  if (status & DRIVER) return 'driver';
  if (status & ACKNOWLEDGE) return 'acknowledged';
  return 'reset';
}

/** What the driver may do in a given status, beyond writing the status itself. */
export interface DriverPermissions {
  /** Write driver feature bits: after DRIVER, before FEATURES_OK (§3.1.1 steps 4-5). */
  readonly writeFeatures: boolean;
  /** Size, place and enable queues: after FEATURES_OK, before DRIVER_OK (§3.1.1 step 7). */
  readonly setUpQueues: boolean;
  /** Write the device configuration space: only once features are settled (§3.1.1 step 4). */
  readonly writeConfig: boolean;
  /** Send available buffer notifications: only once the device is live (§3.1.1). */
  readonly notify: boolean;
}

export function driverMay(status: number): DriverPermissions {
  // A driver that gave up, or a device that needs a reset, accepts nothing but the reset.
  const stopped = (status & (FAILED | DEVICE_NEEDS_RESET)) !== 0;
  const has = (bit: number) => (status & bit) !== 0 && !stopped;
  // A suspended device (§3.4) takes no configuration writes and no notifications either.
  const suspended = (status & SUSPEND) !== 0;
  return {
    writeFeatures: has(DRIVER) && !(status & FEATURES_OK),
    setUpQueues: has(FEATURES_OK) && !(status & DRIVER_OK) && !suspended,
    writeConfig: has(FEATURES_OK) && !suspended,
    notify: has(DRIVER_OK) && !suspended,
  };
}
// #endregion phases

export interface StatusProblem {
  readonly code: LifecycleErrorCode;
  readonly message: string;
}

/** The outcome of a non-zero status write, before the device looks at the features. */
export interface StatusWrite {
  /** The status to present; equal to the current one when the write is refused. */
  readonly next: number;
  /** FEATURES_OK is newly set: the device must now accept or refuse the features (§2.2.2). */
  readonly featuresOkRequested: boolean;
  /** DRIVER_OK is newly set: the device goes live. */
  readonly driverOkRequested: boolean;
  /** SUSPEND is newly set on a live device with VIRTIO_F_SUSPEND: the device suspends (§3.4). */
  readonly suspendRequested: boolean;
  /** DRIVER_OK is set again on a suspended device: the device resumes (§3.4). */
  readonly resumeRequested: boolean;
  /** Bits that were dropped (ignored) and the refusal, if any, in the order found. */
  readonly problems: readonly StatusProblem[];
}

const NAMES: Record<number, string> = {
  [ACKNOWLEDGE]: 'ACKNOWLEDGE',
  [DRIVER]: 'DRIVER',
  [FEATURES_OK]: 'FEATURES_OK',
  [DRIVER_OK]: 'DRIVER_OK',
  [FAILED]: 'FAILED',
};

/** Human-readable names of the bits of a status value, e.g. "ACKNOWLEDGE|DRIVER". */
export function statusNames(status: number): string {
  const all: Record<number, string> = { ...NAMES, [DEVICE_NEEDS_RESET]: 'DEVICE_NEEDS_RESET', [SUSPEND]: 'SUSPEND', 32: 'bit5' };
  const names = [1, 2, 8, 4, 16, 32, 64, 128].filter((b) => status & b).map((b) => all[b]);
  return names.length > 0 ? names.join('|') : '0';
}

// #region status-write
/**
 * Checks a non-zero value the driver writes to the status (writing 0 is a reset, §2.4). The
 * driver may only add bits (§2.1.1), each after the one before it (§3.1.1); DRIVER_OK needs a
 * FEATURES_OK the device has already kept. FAILED may be added at any time.
 */
export function checkStatusWrite(current: number, value: number, opts: { suspendNegotiated?: boolean } = {}): StatusWrite {
  const problems: StatusProblem[] = [];
  const none = { featuresOkRequested: false, driverOkRequested: false, suspendRequested: false, resumeRequested: false };
  const refuse = (code: LifecycleErrorCode, message: string): StatusWrite => {
    problems.push({ code, message });
    return { next: current, ...none, problems };
  };

  // #region suspend-write
  // §3.4: with VIRTIO_F_SUSPEND the driver suspends a live device by adding SUSPEND (the device
  // then clears DRIVER_OK itself) and resumes it by adding DRIVER_OK again (the device then
  // clears SUSPEND). SUSPEND on a device that is not live is ignored, as §3.4.2 requires.
  if (opts.suspendNegotiated && current & SUSPEND) {
    // Suspended: DRIVER_OK (resume) and FAILED are the only bits the driver can still add.
    const cleared = (current & (DRIVER_STATUS_BITS | SUSPEND)) & ~value;
    if (cleared !== 0) return refuse('STATUS_BIT_CLEARED', `write of ${statusNames(value)} clears ${statusNames(cleared)} while suspended`);
    const added = value & ~current & (DRIVER_STATUS_BITS | SUSPEND);
    if (added & FAILED) return { next: current | FAILED, ...none, problems };
    return { next: current, ...none, resumeRequested: (added & DRIVER_OK) !== 0, problems };
  }
  if (opts.suspendNegotiated && value & SUSPEND) {
    const live = (current & DRIVER_OK) !== 0 && (current & (FAILED | DEVICE_NEEDS_RESET)) === 0;
    if (!live) {
      problems.push({ code: 'SUSPEND_IGNORED', message: `SUSPEND set in status ${statusNames(current)}: only a live device can be suspended` });
      value &= ~SUSPEND;
    } else {
      const cleared = (current & DRIVER_STATUS_BITS) & ~value;
      if (cleared !== 0) return refuse('STATUS_BIT_CLEARED', `write of ${statusNames(value)} clears ${statusNames(cleared)}`);
      return { next: current, ...none, suspendRequested: true, problems };
    }
  }
  // #endregion suspend-write

  // Bits the driver does not own are dropped, not acted on (§2.1).
  const foreign = value & ~DRIVER_STATUS_BITS & ~DEVICE_NEEDS_RESET;
  if (foreign !== 0) problems.push({ code: 'STATUS_UNDEFINED_BIT', message: `bits 0x${foreign.toString(16)} are not driver status bits` });
  if (value & DEVICE_NEEDS_RESET & ~current) {
    problems.push({ code: 'STATUS_UNDEFINED_BIT', message: 'DEVICE_NEEDS_RESET is set by the device only' });
  }
  const had = current & DRIVER_STATUS_BITS;
  const want = value & DRIVER_STATUS_BITS;

  // §2.1.1: the driver never clears a bit; only a write of 0 goes back.
  const cleared = had & ~want;
  if (cleared !== 0) return refuse('STATUS_BIT_CLEARED', `write of ${statusNames(value)} clears ${statusNames(cleared)}`);

  const added = want & ~had;
  const steps = added & ~FAILED;
  if (steps !== 0) {
    // §2.1.1: after FAILED the driver must reset before initializing again.
    if (current & FAILED) return refuse('STATUS_AFTER_FAILED', `${statusNames(steps)} set after FAILED without a reset`);
    if (current & DEVICE_NEEDS_RESET) return refuse('STATUS_OUT_OF_ORDER', `${statusNames(steps)} set while the device needs a reset`);
    // §3.1.1: ACKNOWLEDGE, then DRIVER, then FEATURES_OK (kept by the device), then DRIVER_OK.
    const after = had | added;
    if (added & DRIVER && !(after & ACKNOWLEDGE)) return refuse('STATUS_OUT_OF_ORDER', 'DRIVER set without ACKNOWLEDGE');
    if (added & FEATURES_OK && !(after & DRIVER)) return refuse('STATUS_OUT_OF_ORDER', 'FEATURES_OK set without DRIVER');
    if (added & DRIVER_OK && !(had & FEATURES_OK)) {
      return refuse('STATUS_OUT_OF_ORDER', 'DRIVER_OK set before the device kept FEATURES_OK');
    }
  }
  return {
    next: current | added,
    featuresOkRequested: (added & FEATURES_OK) !== 0,
    driverOkRequested: (added & DRIVER_OK) !== 0,
    suspendRequested: false,
    resumeRequested: false,
    problems,
  };
}
// #endregion status-write
