// Delivering what a device has waiting into the device-writable buffers a driver posts for it:
// events, notifications, received frames. The device cannot make the driver post buffers, so
// messages wait in a backlog, and each time buffers come the backlog drains into them. Every
// device model that does this follows the same rules, kept here once: the oldest message goes
// first and nothing overtakes it; one message per buffer, never split or truncated; a buffer the
// message at the head cannot use goes back with used length 0, so the driver gets it back at
// once; and a broken ring stops the drain. What fits, how a message is encoded and what is
// counted stay with the model.
import type { DescriptorChain } from './chain.ts';
import { readableBuffers, totalLength, writableBuffers } from './chain.ts';
import { ChainWriter } from './chain-io.ts';
import type { VirtqError } from './errors.ts';
import type { GuestMemory } from './memory.ts';
import type { DeviceQueue } from './queue.ts';

// #region event-delivery
/** The model's part of a delivery: its rules and its counters. */
export interface Delivery<T> {
  /** Whether the message can be written into this buffer whole. */
  fits(chain: DescriptorChain, message: T): boolean;
  /**
   * For a message the buffer at hand cannot hold: true to give it up (it leaves the backlog with
   * that buffer, unsent), false or absent to keep it for the next buffer.
   */
  dropWhenUnfit?(message: T): boolean;
  /** The bytes of a message that fits; they are written from the start of the writable part. */
  encode(message: T): Uint8Array;
  /** The message was written and has left the backlog. */
  delivered?(message: T): void;
  /** The buffer went back unused; `dropped`: the message left the backlog with it, unsent. */
  rejected?(chain: DescriptorChain, message: T, dropped: boolean): void;
}

/** `pushed`: a buffer went back to the driver; `error`: the ring broke (the caller asks for a reset). */
export interface DeliveryResult {
  readonly pushed: boolean;
  readonly error: VirtqError | null;
}

// Models drain on every new message and every driver notification: the two results without an
// error are shared, so a drain allocates nothing of its own.
const NOTHING_PUSHED: DeliveryResult = Object.freeze({ pushed: false, error: null });
const PUSHED: DeliveryResult = Object.freeze({ pushed: true, error: null });

/**
 * Moves messages from the front of `backlog` into buffers popped from `q`, one per buffer,
 * while both last. It does not notify the driver: the caller checks `q.needsNotification()`
 * after a push, as after any other, and calls needsReset on an error, both with its own
 * queue index. A ring error leaves the message at the head where it was.
 */
export function deliverBacklog<T>(mem: GuestMemory, q: DeviceQueue, backlog: T[], d: Delivery<T>): DeliveryResult {
  let pushed = false;
  while (backlog.length > 0) {
    const r = q.pop();
    if (r.kind === 'empty') break;
    if (r.kind === 'error') return { pushed, error: r.error };
    pushed = true;
    const message = backlog[0];
    if (!d.fits(r.chain, message)) {
      q.push(r.chain, 0);
      const dropped = d.dropWhenUnfit?.(message) ?? false;
      if (dropped) backlog.shift();
      d.rejected?.(r.chain, message, dropped);
      continue;
    }
    const w = new ChainWriter(mem, r.chain);
    w.write(d.encode(message));
    q.push(r.chain, w.written);
    backlog.shift();
    d.delivered?.(message);
  }
  return pushed ? PUSHED : NOTHING_PUSHED;
}

/**
 * The usual fit test: an event buffer is device-writable only and holds `size` bytes. The
 * device writes nothing into a buffer with a device-readable part.
 */
export function holdsWhole(chain: DescriptorChain, size: number): boolean {
  return readableBuffers(chain).length === 0 && totalLength(writableBuffers(chain)) >= size;
}
// #endregion event-delivery
