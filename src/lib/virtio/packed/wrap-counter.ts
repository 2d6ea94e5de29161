// Ring wrap counters (VIRTIO 1.4 §2.8.1). Each side keeps a one-bit counter per position it
// walks, starting at 1 and flipping every time that position passes the last ring slot. The
// AVAIL and USED flag bits of a descriptor are read against such a counter: that is the only
// way either side can tell a fresh descriptor from one left over from the previous lap.
import * as layout from './layout.ts';

// Own copies of the layout's constants, read for every descriptor: why, see ../chain-rules.ts.
const { VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } = layout;

// #region ring-position
/** A slot index together with the wrap counter that belongs to it. */
export class RingPosition {
  index = 0;
  /** §2.8.1: every wrap counter starts at 1. */
  wrap = true;

  /** Moves forward `n` slots, flipping the wrap counter each time the end is passed. */
  advance(n: number, size: number): void {
    this.index += n;
    while (this.index >= size) {
      this.index -= size;
      this.wrap = !this.wrap;
    }
  }

  clone(): RingPosition {
    const p = new RingPosition();
    p.index = this.index;
    p.wrap = this.wrap;
    return p;
  }

  /**
   * The position as one number in [0, 2 * size): two laps tell apart every (index, wrap) pair,
   * which is what event suppression compares (§2.8.10).
   */
  linear(size: number): number {
    return this.index + (this.wrap ? 0 : size);
  }
}
// #endregion ring-position

// #region availability
/**
 * The flags the driver gives a descriptor it makes available: AVAIL equal to its wrap counter,
 * USED the inverse (§2.8.1).
 */
export function availFlags(wrap: boolean): number {
  return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/** The flags the device gives a descriptor it marks used: AVAIL and USED both equal to its counter. */
export function usedFlags(wrap: boolean): number {
  return wrap ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;
}

/** Available in the lap whose counter is `wrap`: AVAIL matches it and USED does not. */
export function isAvailable(flags: number, wrap: boolean): boolean {
  const avail = (flags & VIRTQ_DESC_F_AVAIL) !== 0;
  const used = (flags & VIRTQ_DESC_F_USED) !== 0;
  return avail === wrap && used !== wrap;
}

/** Used in the lap whose counter is `wrap`: AVAIL and USED both match it. */
export function isUsed(flags: number, wrap: boolean): boolean {
  const avail = (flags & VIRTQ_DESC_F_AVAIL) !== 0;
  const used = (flags & VIRTQ_DESC_F_USED) !== 0;
  return avail === wrap && used === wrap;
}
// #endregion availability
