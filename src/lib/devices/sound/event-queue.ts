// The eventq side of the sound device (VIRTIO 1.4 §5.14.6): jack and PCM notifications, one
// 8-byte virtio_snd_event per driver buffer, in order. While the driver has no buffer the
// device holds events in a bounded backlog; when it is full, the newest event is dropped and
// counted (the oldest ones describe what the driver has not yet heard of). A buffer with a
// device-readable part or fewer than 8 writable bytes is handed back unused.
import type { VirtqError } from '../../virtio/errors.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';
import { encodeEvent, SND_EVENT_SIZE, type SndEvent } from './protocol.ts';

export interface EventSink {
  readonly mem: GuestMemory;
  readonly queue: DeviceQueue | null;
  notify(): void;
  needsReset(e: VirtqError): void;
  delivered(): void;
  badBuffer(): void;
}

// #region event-backlog
export class SoundEventBacklog {
  readonly capacity: number;
  private held: SndEvent[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('event backlog: a positive number of events');
    this.capacity = capacity;
  }

  get length(): number {
    return this.held.length;
  }

  /** Queues an event and delivers what buffers allow; false if the backlog was full. */
  offer(e: SndEvent, sink: EventSink): boolean {
    if (this.held.length >= this.capacity) {
      this.flush(sink);
      if (this.held.length >= this.capacity) return false;
    }
    this.held.push(e);
    this.flush(sink);
    return true;
  }

  flush(sink: EventSink): void {
    const q = sink.queue;
    if (!q) return;
    const { pushed, error } = deliverBacklog(sink.mem, q, this.held, {
      fits: (chain) => holdsWhole(chain, SND_EVENT_SIZE),
      encode: encodeEvent,
      delivered: () => sink.delivered(),
      rejected: () => sink.badBuffer(),
    });
    if (error) return sink.needsReset(error);
    if (pushed && q.needsNotification()) sink.notify();
  }
  clear(): void {
    this.held = [];
  }
}
// #endregion event-backlog
