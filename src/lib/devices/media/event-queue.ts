// The eventq side of a media device (VIRTIO 1.4 §5.22.6.2): events wait here, oldest first,
// until the driver offers a buffer that can hold them. A buffer with a device-readable part,
// or too small for the event at the head, is handed back with used length 0 and the event
// waits for the next one; nothing a driver does here stops the queue. The backlog needs no
// bound of its own: DQBUF events are bounded by the buffers a session may queue, error events
// by its sessions, and V4L2 events by its subscriptions.
import type { VirtqError } from '../../virtio/errors.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';

export interface PendingEvent {
  readonly session: number;
  readonly kind: 'error' | 'dqbuf' | 'event';
  readonly bytes: Uint8Array;
}

export interface EventSink {
  readonly mem: GuestMemory;
  readonly queue: DeviceQueue | null;
  notify(): void;
  needsReset(e: VirtqError): void;
  placed(e: PendingEvent): void;
  badBuffer(): void;
}

// #region event-flush
export class MediaEventQueue {
  private pending: PendingEvent[] = [];

  get length(): number {
    return this.pending.length;
  }

  push(e: PendingEvent, sink: EventSink | null): void {
    this.pending.push(e);
    if (sink) this.flush(sink);
  }

  /** Events of a closed session are never delivered (no event follows the CLOSE). */
  dropSession(session: number): void {
    this.pending = this.pending.filter((e) => e.session !== session);
  }

  clear(): void {
    this.pending = [];
  }

  /** Places held events in available buffers; false if the ring is broken. */
  flush(sink: EventSink): boolean {
    const q = sink.queue;
    if (!q) return true;
    const { pushed, error } = deliverBacklog(sink.mem, q, this.pending, {
      fits: (chain, head) => holdsWhole(chain, head.bytes.length),
      encode: (e) => e.bytes,
      delivered: (e) => sink.placed(e),
      rejected: () => sink.badBuffer(),
    });
    if (error) {
      sink.needsReset(error);
      return false;
    }
    if (pushed && q.needsNotification()) sink.notify();
    return true;
  }
}
// #endregion event-flush
