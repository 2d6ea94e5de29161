// Where a queue stands, as one side keeps it: enough to stop a queue and start it again
// elsewhere (vhost-user's GET_VRING_BASE and SET_VRING_BASE), or to begin a conformance vector
// next to an index wrap instead of 65,536 steps before it.

// #region ring-state
/** Split ring (§2.7): the device's free-running 16-bit indices. */
export interface SplitRingState {
  /** The next available-ring entry the device reads (last_avail_idx). */
  readonly lastAvail: number;
  /** The next used-ring entry the device writes: the used idx the driver sees. */
  readonly usedIdx: number;
}

/** Packed ring (§2.8.1): the device's two positions, each with its wrap counter. */
export interface PackedRingState {
  readonly nextAvail: number;
  readonly availWrap: boolean;
  readonly nextUsed: number;
  /** The Device Ring Wrap Counter. */
  readonly usedWrap: boolean;
}
// #endregion ring-state

const u16 = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;

/** Checks a split start state: both indices 16-bit, at most a queue's worth apart. */
export function checkSplitRingState(s: SplitRingState, size: number): void {
  if (!u16(s.lastAvail) || !u16(s.usedIdx)) throw new RangeError(`split ring state: lastAvail ${s.lastAvail} and usedIdx ${s.usedIdx} must be 16-bit indices`);
  if (((s.lastAvail - s.usedIdx) & 0xffff) > size) {
    throw new RangeError(`split ring state: lastAvail ${s.lastAvail} is more than the queue size ${size} ahead of usedIdx ${s.usedIdx}`);
  }
}

/** Checks a packed start state: slots inside the ring, the used position at most a lap behind. */
export function checkPackedRingState(s: PackedRingState, size: number): void {
  for (const [k, v] of [['nextAvail', s.nextAvail], ['nextUsed', s.nextUsed]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= size) throw new RangeError(`packed ring state: ${k} ${v} is not a slot of a ring of ${size}`);
  }
  if (typeof s.availWrap !== 'boolean' || typeof s.usedWrap !== 'boolean') throw new RangeError('packed ring state: availWrap and usedWrap must be booleans');
}

/** Slots between the used and the available position of a packed state, in [0, 2·size). */
export function packedInFlight(s: PackedRingState, size: number): number {
  const lin = (i: number, w: boolean) => i + (w ? 0 : size);
  return (lin(s.nextAvail, s.availWrap) - lin(s.nextUsed, s.usedWrap) + 2 * size) % (2 * size);
}
