// Event suppression (VIRTIO 1.4 §2.8.10, §2.8.14). Each side publishes one 4-byte structure
// saying which notifications it wants from the other: all (ENABLE), none (DISABLE), or, with
// VIRTIO_F_EVENT_IDX, only the one for a given ring slot in a given lap (DESC). The device
// reads the driver's structure before a used buffer notification; the driver reads the
// device's before an available buffer notification. The decision is the same on both sides.
import type { GuestMemory } from '../memory.ts';
import {
  EVENT_FLAGS_MASK,
  EVENT_OFF_DESC,
  EVENT_OFF_FLAGS,
  EVENT_OFFSET_MASK,
  EVENT_WRAP_BIT,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
} from './layout.ts';

// #region suppression-struct
export interface EventSuppression {
  /** desc_event_flags: ENABLE, DISABLE, DESC (or the reserved 3). */
  readonly flags: number;
  /** desc_event_off: a ring slot, meaningful with DESC. */
  readonly offset: number;
  /** desc_event_wrap: the wrap counter of the lap that slot belongs to. */
  readonly wrap: boolean;
}

export function readEventSuppression(mem: GuestMemory, addr: number): EventSuppression {
  return readEventSuppressionInto(mem, addr, { flags: 0, offset: 0, wrap: false });
}

/** The same, into `out`: a device reads the driver's structure after every batch, allocating nothing. */
export function readEventSuppressionInto(mem: GuestMemory, addr: number, out: { -readonly [K in keyof EventSuppression]: EventSuppression[K] }): EventSuppression {
  const desc = mem.readU16(addr + EVENT_OFF_DESC);
  out.flags = mem.readU16(addr + EVENT_OFF_FLAGS) & EVENT_FLAGS_MASK;
  out.offset = desc & EVENT_OFFSET_MASK;
  out.wrap = (desc >> EVENT_WRAP_BIT) !== 0;
  return out;
}

/** Writes the slot first and the flags last, so a reader never sees DESC with a stale slot. */
export function writeEventSuppression(mem: GuestMemory, addr: number, s: EventSuppression): void {
  mem.writeU16(addr + EVENT_OFF_DESC, (s.offset & EVENT_OFFSET_MASK) | (s.wrap ? 1 << EVENT_WRAP_BIT : 0));
  // The 14 reserved bits are written as zero (§2.8.14).
  mem.writeU16(addr + EVENT_OFF_FLAGS, s.flags & EVENT_FLAGS_MASK);
}
// #endregion suppression-struct

// #region suppression-decision
/**
 * Should the side that has just moved its ring position forward notify the other?
 *
 * @param s the other side's suppression structure
 * @param start the linear position (RingPosition.linear) at the previous decision
 * @param advanced how many slots the position moved since then
 * @param eventIdx whether VIRTIO_F_EVENT_IDX was negotiated
 *
 * DESC asks for a notification only when the named slot of the named lap is reached; with
 * chains and in-order batches some slots are passed without being written, so "reached"
 * means the slot lies in [start, start + advanced), compared over two laps. DESC without
 * VIRTIO_F_EVENT_IDX, the reserved value 3, and an offset outside the ring are read as
 * ENABLE: when in doubt, a spurious notification is harmless and a lost one is not.
 */
export function shouldNotify(s: EventSuppression, size: number, start: number, advanced: number, eventIdx: boolean): boolean {
  if (advanced <= 0) return false; // nothing new to tell
  if (s.flags === RING_EVENT_FLAGS_DISABLE) return false;
  if (s.flags === RING_EVENT_FLAGS_ENABLE || s.flags !== RING_EVENT_FLAGS_DESC) return true;
  if (!eventIdx || s.offset >= size) return true;
  const span = 2 * size;
  if (advanced >= span) return true;
  const target = s.offset + (s.wrap ? 0 : size);
  return (target - start + span) % span < advanced;
}
// #endregion suppression-decision
