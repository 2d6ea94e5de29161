// The receive side of a CAN device (VIRTIO 1.4 §5.20.5.3): frames from the bus go into the
// driver's Rxq buffers in bus order. When the driver has no buffer ready, the device holds a
// bounded backlog, like the receive FIFO of a real controller. When that is full, one frame is
// dropped and counted: by default the oldest held one, because most CAN traffic is cyclic
// signals, where a newer frame supersedes an older one; a platform may choose to drop the newest
// instead for a bus whose traffic is a sequence in which the first frames matter. Frames are never
// reordered or duplicated, whatever the driver does.
import type { VirtqError } from '../../virtio/errors.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';
import type { CanRxResult } from './bus.ts';
import type { CanFrame } from './frame.ts';
import { CAN_MSG_HEADER_SIZE, encodeCanRx } from './message.ts';

/** What the receive path needs from the device while it is running. */
export interface RxContext {
  readonly mem: GuestMemory;
  readonly queue: DeviceQueue | null;
  /** The largest sdu the driver can be sent: 64 with VIRTIO_CAN_F_CAN_FD, else 8. */
  readonly maxSdu: number;
  notify(): void;
  needsReset(e: VirtqError): void;
  /** A frame was dropped because the backlog was full. */
  overrun(): void;
}

/** Which frame a full backlog gives up. */
export const CAN_RX_OVERFLOW_POLICIES = ['drop-oldest', 'drop-newest'] as const;
export type CanRxOverflowPolicy = (typeof CAN_RX_OVERFLOW_POLICIES)[number];

export interface CanRxStats {
  /** Frames written into a receive buffer. */
  delivered: number;
  /** Frames dropped because the backlog was full. */
  overruns: number;
  /** Receive buffers returned with used length 0: too small for the largest frame, or device-readable. */
  badBuffers: number;
  /** The deepest the backlog has been. */
  maxBacklog: number;
}

export class CanRxPath {
  readonly capacity: number;
  readonly stats: CanRxStats = { delivered: 0, overruns: 0, badBuffers: 0, maxBacklog: 0 };
  private backlog: CanFrame[] = [];

  readonly policy: CanRxOverflowPolicy;

  /** `capacity`: frames held while the driver has no buffer (0 drops at once). */
  constructor(capacity: number, policy: CanRxOverflowPolicy = 'drop-oldest') {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('rx backlog: a non-negative integer');
    if (!CAN_RX_OVERFLOW_POLICIES.includes(policy)) throw new RangeError(`rx overflow policy: one of ${CAN_RX_OVERFLOW_POLICIES.join(', ')}`);
    this.capacity = capacity;
    this.policy = policy;
  }

  /** Frames held for the driver. */
  get held(): number {
    return this.backlog.length;
  }

  // #region rx-offer
  /**
   * A frame for the driver. It joins the end of the backlog and the backlog then drains into
   * whatever buffers the driver has offered, oldest frame first, so a frame never overtakes one
   * that arrived before it. A full backlog first gives up a frame, as its policy says.
   */
  offer(frame: CanFrame, ctx: RxContext): CanRxResult {
    // Buffers the driver offered without a notification make room first.
    if (!this.flush(ctx)) return 'queue-error';
    if (this.capacity > 0 && this.backlog.length >= this.capacity) {
      this.dropped(ctx);
      if (this.policy === 'drop-newest') return 'overrun';
      this.backlog.shift(); // drop-oldest: the new frame takes the place the oldest leaves
    }
    this.backlog.push(frame);
    if (!this.flush(ctx)) return 'queue-error';
    if (this.backlog.length === 0) return 'delivered'; // it was last, so everything before it went too
    if (this.backlog.length > this.capacity) {
      // No backlog at all (capacity 0): a frame that found no buffer is lost at once.
      this.backlog.pop();
      this.dropped(ctx);
      return 'overrun';
    }
    this.stats.maxBacklog = Math.max(this.stats.maxBacklog, this.backlog.length);
    return 'queued';
  }
  // #endregion rx-offer

  // #region rx-flush
  /** Moves held frames into offered buffers; false if the queue turned out to be broken. */
  flush(ctx: RxContext): boolean {
    const q = ctx.queue;
    if (!q) return true;
    const need = CAN_MSG_HEADER_SIZE + ctx.maxSdu;
    const { pushed, error } = deliverBacklog(ctx.mem, q, this.backlog, {
      // §5.20.4.1 asks the driver for buffers that hold any frame; one that cannot is
      // handed back unused, so the driver sees it, and the frame waits for the next one.
      fits: (chain) => holdsWhole(chain, need),
      encode: encodeCanRx,
      delivered: () => this.stats.delivered++,
      rejected: () => this.stats.badBuffers++,
    });
    if (error) ctx.needsReset(error);
    if (pushed && q.needsNotification()) ctx.notify();
    return error === null;
  }
  // #endregion rx-flush

  private dropped(ctx: RxContext): void {
    this.stats.overruns++;
    ctx.overrun();
  }

  /** A reset: held frames are forgotten. */
  clear(): void {
    this.backlog = [];
  }
}
