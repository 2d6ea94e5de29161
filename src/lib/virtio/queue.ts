// The two faces of a virtqueue that the rest of the code is written against. Split
// (VIRTIO 1.4 §2.7) and packed (§2.8) rings both implement them, so a device model, a
// transport or a test driver never needs to know which layout was negotiated.
import type { DescriptorChain } from './chain.ts';
import type { VirtqError } from './errors.ts';
import type { PackedRingState, SplitRingState } from './ring-state.ts';

// #region queue-config
/** Where the driver placed the queue, in the vocabulary of §2.6. */
export interface QueueConfig {
  /** Number of descriptors (queue size). */
  readonly size: number;
  /** Descriptor area: the descriptor table (split) or descriptor ring (packed). */
  readonly descAddr: number;
  /** Driver area: the available ring (split) or driver event suppression (packed). */
  readonly driverAddr: number;
  /** Device area: the used ring (split) or device event suppression (packed). */
  readonly deviceAddr: number;
}
// #endregion queue-config

// #region device-queue
export type PopResult =
  | { readonly kind: 'chain'; readonly chain: DescriptorChain }
  | { readonly kind: 'empty' }
  | { readonly kind: 'error'; readonly error: VirtqError };

/** The result of a pop() that found nothing new: one object, shared. */
export const EMPTY: PopResult = Object.freeze({ kind: 'empty' });

/** The device side. It never throws on anything the driver wrote. */
export interface DeviceQueue {
  readonly size: number;
  /** The next available chain, validated; or empty; or the error that broke the queue. */
  pop(): PopResult;
  /** Returns a chain to the driver with the number of bytes the device wrote into it. */
  push(chain: DescriptorChain, writtenLen: number): void;
  /** After pushes: must the device send a used buffer notification now? */
  needsNotification(): boolean;
  /** Asks the driver to send (true) or stop sending (false) available buffer notifications. */
  setNotificationsEnabled(on: boolean): void;
  /** The first fatal error; once set, the queue yields nothing else until reset. */
  readonly error: VirtqError | null;
  /** Where the device stands, to stop the queue and start it again from there. */
  ringState(): SplitRingState | PackedRingState;
}
// #endregion device-queue

// #region driver-queue
export interface DriverBuffer {
  readonly addr: number;
  readonly len: number;
  readonly writable: boolean;
}

export interface UsedBuffer {
  /** The token add() returned for this buffer. */
  readonly id: number;
  /** Bytes the device wrote. */
  readonly len: number;
}

/** The driver side, as a guest driver would run it. */
export interface DriverQueue {
  readonly size: number;
  /** Makes a buffer (readable parts first) available; returns its token. Throws if full. */
  add(buffers: readonly DriverBuffer[], opts?: { indirect?: boolean }): number;
  /** After adds: must the driver notify the device now? */
  kickNeeded(): boolean;
  /** The next used buffer, or null. */
  pollUsed(): UsedBuffer | null;
  /** Asks the device to send (true) or stop sending (false) used buffer notifications. */
  setInterruptsEnabled(on: boolean): void;
  /** Descriptors still free. */
  numFree(): number;
}
// #endregion driver-queue
