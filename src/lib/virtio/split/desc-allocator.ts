// The driver's bookkeeping of free descriptor-table entries (VIRTIO 1.4 §2.7.13.1): a buffer
// goes into free entries and they stay the device's until it returns the buffer. Without
// VIRTIO_F_IN_ORDER any free entry will do (a stack, so recently freed entries are reused
// first). With it the driver hands out entries in ring order, starting at 0 and wrapping at
// the end of the table (§2.7.5), which works because they also come back in that order.

// #region desc-alloc
export class DescAllocator {
  private readonly size: number;
  private readonly inOrder: boolean;
  /** Free entries, without VIRTIO_F_IN_ORDER. */
  private readonly stack: number[] = [];
  /** With VIRTIO_F_IN_ORDER: the free entries are `free` consecutive ones starting here. */
  private next = 0;
  private freeCount: number;

  constructor(size: number, inOrder: boolean) {
    this.size = size;
    this.inOrder = inOrder;
    this.freeCount = size;
    if (!inOrder) for (let i = size - 1; i >= 0; i--) this.stack.push(i);
  }

  get free(): number {
    return this.freeCount;
  }

  /** `n` free entries, in the order a chain will link them, or null if fewer are free. */
  alloc(n: number): number[] | null {
    if (n > this.freeCount) return null;
    const out: number[] = [];
    if (this.inOrder) {
      for (let i = 0; i < n; i++) out.push((this.next + i) % this.size);
      this.next = (this.next + n) % this.size;
    } else {
      for (let i = 0; i < n; i++) out.push(this.stack.pop()!);
    }
    this.freeCount -= n;
    return out;
  }

  /** Gives back the entries of one returned buffer; with VIRTIO_F_IN_ORDER, oldest buffer first. */
  release(entries: readonly number[]): void {
    if (!this.inOrder) for (const e of entries) this.stack.push(e);
    this.freeCount += entries.length;
  }
}
// #endregion desc-alloc
