// Notification suppression on a split ring (VIRTIO 1.4 §2.7.7, §2.7.10). Each side tells the
// other which notifications it wants in one of two ways. Without VIRTIO_F_EVENT_IDX a single
// flag bit in its own ring says "none, please" (VIRTQ_AVAIL_F_NO_INTERRUPT from the driver,
// VIRTQ_USED_F_NO_NOTIFY from the device). With VIRTIO_F_EVENT_IDX the flags are ignored and a
// 16-bit index at the end of its ring (used_event, avail_event) names the ring entry whose
// writing deserves a notification. The decision is the same on both sides.
import { idxDistance, IDX_MODULUS } from './ring-index.ts';

// #region need-event
/**
 * The event-index rule (§2.7.7.2, §2.7.10.1): the other side asked to hear about the entry at
 * index `event`; this side has just moved its index from `oldIdx` to `newIdx`, writing the
 * entries oldIdx .. newIdx-1. Notify exactly when `event` is one of them. Compared as
 * distances from newIdx so that it holds across the wrap at 65536.
 */
export function needEvent(event: number, newIdx: number, oldIdx: number): boolean {
  // `event` lies in [oldIdx, newIdx) exactly when it is fewer steps behind newIdx than oldIdx is.
  return idxDistance(event + 1, newIdx) < idxDistance(oldIdx, newIdx);
}
// #endregion need-event

// #region event-idx
export interface SuppressionState {
  /** VIRTIO_F_EVENT_IDX was negotiated. */
  readonly eventIdx: boolean;
  /** The other side's ring flags (bit 0: no notifications, please). */
  readonly flags: number;
  /** The other side's event index (used_event or avail_event). */
  readonly event: number;
}

/**
 * Should the side that has just written `advanced` ring entries, ending at `newIdx`, notify
 * the other? Without VIRTIO_F_EVENT_IDX: unless bit 0 of the flags is set (§2.7.7.2,
 * §2.7.10.1). With it: the flags are ignored and the event-index rule decides. `advanced` is
 * counted, not derived from two indices, so a full lap of 65536 entries is not mistaken for
 * none: after a full lap the named entry has certainly been written.
 */
export function shouldNotify(s: SuppressionState, newIdx: number, advanced: number): boolean {
  if (advanced <= 0) return false; // nothing new to tell
  if (!s.eventIdx) return (s.flags & 1) === 0;
  if (advanced >= IDX_MODULUS) return true;
  return needEvent(s.event, newIdx, (newIdx - advanced) & 0xffff);
}
// #endregion event-idx
