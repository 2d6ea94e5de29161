// What a console device counts for the platform's diagnostics. VIRTIO gives a driver no way to
// learn that its data or its control messages were dropped, so every such case is visible here.
import { CONTROL_ERRORS, type ControlError } from './control-check.ts';

/** Why the device returned a data or control buffer without using its contents. */
export const CONSOLE_DROP_REASONS = [
  'port-not-open', // multiport: the port is absent, not ready, or the guest has not opened it
  'host-closed', // no host output is attached to the port: the output is discarded
  'writable-in-transmitq', // a device-writable buffer on a transmitq (§5.3.6.1)
  'readable-in-receiveq', // a device-readable buffer on a receiveq (§5.3.6.1)
  'empty-receive-buffer', // a receive buffer with no room at all
  'control-buffer-too-small', // a control receiveq buffer shorter than the message waiting
  'port-removed', // a receive buffer the device held for a port that was unplugged
] as const;

export type ConsoleDropReason = (typeof CONSOLE_DROP_REASONS)[number];

// #region stats
export interface ConsoleStats {
  readonly drops: Record<ConsoleDropReason, number>;
  /** Driver control messages ignored, by reason. */
  readonly controlErrors: Record<ControlError, number>;
  lastControlError: ControlError | null;
  /** Driver control messages the device carried out. */
  controlAccepted: number;
  /** Driver control messages longer than the 8-byte header (the rest ignored). */
  controlTrailing: number;
  /** Messages the device placed on the control receiveq. */
  controlSent: number;
  /** Messages dropped because the driver left too many waiting. */
  controlOverflow: number;
  /** Characters written through emerg_wr and passed on. */
  emergencyChars: number;
  /** Writes to emerg_wr not passed on: feature not offered, or no output attached. */
  emergencyIgnored: number;
  /** Driver writes to read-only configuration fields. */
  configWritesIgnored: number;
  /** Host input bytes discarded because the input gate did not admit the port. */
  inputRefused: number;
}
// #endregion stats

function zero<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export function newConsoleStats(): ConsoleStats {
  return {
    drops: zero(CONSOLE_DROP_REASONS),
    controlErrors: zero(CONTROL_ERRORS),
    lastControlError: null,
    controlAccepted: 0,
    controlTrailing: 0,
    controlSent: 0,
    controlOverflow: 0,
    emergencyChars: 0,
    emergencyIgnored: 0,
    configWritesIgnored: 0,
    inputRefused: 0,
  };
}

/** Counts a dropped buffer; returns the used length the device reports for it, 0. */
export function countDrop(stats: ConsoleStats, reason: ConsoleDropReason): number {
  stats.drops[reason]++;
  return 0;
}
