// The available and used rings count with free-running 16-bit indices (VIRTIO 1.4 §2.7.6,
// §2.7.8): idx only ever grows and wraps at 65536, and the ring slot is idx modulo the queue
// size. A power-of-2 size divides 65536, so the slot sequence stays unbroken across the wrap.

// #region free-running-index
/** Indices live in 0..65535. */
export const IDX_MODULUS = 0x10000;

/** `idx` moved forward by `n`, wrapped at 65536 (§2.7.13.3). */
export function idxAdd(idx: number, n: number): number {
  return (idx + n) & 0xffff;
}

/** How far `to` is ahead of `from`, in 0..65535: the only meaningful comparison of two indices. */
export function idxDistance(from: number, to: number): number {
  return (to - from) & 0xffff;
}

/**
 * The ring slot an index names: idx modulo the size, which for a split ring is a power of 2
 * (§2.7), so a mask gives it without a division.
 */
export function idxSlot(idx: number, size: number): number {
  return idx & (size - 1);
}
// #endregion free-running-index
