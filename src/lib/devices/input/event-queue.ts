// The eventq side of the input device (VIRTIO 1.4 §5.8.6): events go into driver-supplied
// buffers, one event per buffer, in order. While the driver has no buffer the device holds
// events in a backlog of bounded size, like evdev's per-reader buffer. Frames (the events up
// to and including SYN_REPORT) are admitted whole or not at all, so a reader never sees half
// an update; a frame that finds no room is dropped whole and counted by the device.
import type { VirtqError } from '../../virtio/errors.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';
import { encodeInputEvent, INPUT_EVENT_SIZE, type InputEvent, isSynReport } from './event.ts';

/** What the event path needs from the device while it is running. */
export interface EventContext {
  readonly mem: GuestMemory;
  readonly queue: DeviceQueue | null;
  /** Model time now, in microseconds. */
  readonly now: number;
  notify(): void;
  needsReset(e: VirtqError): void;
  /** A frame's SYN_REPORT was placed: its physical time and the time of placement. */
  placed(t0: number, at: number): void;
  /** An event was placed / a buffer was handed back unused. */
  delivered(): void;
  badBuffer(): void;
}

interface Held {
  readonly event: InputEvent;
  /** When the physical event happened, and the earliest model time it can be placed. */
  readonly t0: number;
  readonly earliest: number;
}

export class EventBacklog {
  /** Events the backlog holds at most. */
  readonly capacity: number;
  private held: Held[] = [];
  maxHeld = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('event backlog: a positive number of events');
    this.capacity = capacity;
  }

  get length(): number {
    return this.held.length;
  }

  // #region offer-frame
  /**
   * A whole frame, ending with SYN_REPORT. Buffers the driver offered make room first; then the
   * frame is admitted if all of it fits behind what is held, and drains into buffers oldest
   * event first. Returns false, changing nothing, if it does not fit.
   */
  offer(frame: readonly InputEvent[], t0: number, earliest: number, ctx: EventContext): 'delivered' | 'queued' | 'overflow' | 'queue-error' {
    if (!this.flush(ctx)) return 'queue-error';
    if (this.held.length + frame.length > this.capacity) return 'overflow';
    for (const event of frame) this.held.push({ event, t0, earliest });
    this.maxHeld = Math.max(this.maxHeld, this.held.length);
    if (!this.flush(ctx)) return 'queue-error';
    return this.held.length === 0 ? 'delivered' : 'queued';
  }
  // #endregion offer-frame

  // #region flush
  /** Moves held events into offered buffers; false if the queue turned out to be broken. */
  flush(ctx: EventContext): boolean {
    const q = ctx.queue;
    if (!q) return true;
    const { pushed, error } = deliverBacklog(ctx.mem, q, this.held, {
      // §5.8.6.1 asks for device-writable buffers of at least 8 bytes. Anything else is
      // handed back unused (used length 0), and the event waits for the next buffer.
      fits: (chain) => holdsWhole(chain, INPUT_EVENT_SIZE),
      encode: (h) => encodeInputEvent(h.event), // one event per buffer, as Linux's driver reads them
      delivered: (h) => {
        ctx.delivered();
        if (isSynReport(h.event)) ctx.placed(h.t0, Math.max(ctx.now, h.earliest));
      },
      rejected: () => ctx.badBuffer(),
    });
    if (error) ctx.needsReset(error);
    if (pushed && q.needsNotification()) ctx.notify();
    return error === null;
  }
  // #endregion flush

  clear(): void {
    this.held = [];
  }
}
