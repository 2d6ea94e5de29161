// First-fit allocation of guest-physical ranges. A driver needs memory for buffers and for
// indirect tables (VIRTIO 1.4 §2.7.5.3, §2.8.7) that it hands to the device and takes back
// when the device returns them; this is the bookkeeping a guest kernel's allocator would do.

export interface GuestRange {
  /** Guest address of the first byte. */
  readonly addr: number;
  /** Bytes in the range. */
  readonly size: number;
}

// #region range-alloc
export class RangeAllocator {
  /** Free ranges, sorted by address, never adjacent (merged on release). */
  private readonly free: { start: number; len: number }[] = [];
  readonly unit: number;

  /** Hands out pieces of `area` in multiples of `unit` bytes, each aligned to `unit`. */
  constructor(area: GuestRange, unit = 1) {
    this.unit = unit;
    const start = Math.ceil(area.addr / unit) * unit;
    const len = Math.floor((area.addr + area.size - start) / unit) * unit;
    if (len > 0) this.free.push({ start, len });
  }

  /** Rounds a request up to whole units. */
  roundUp(bytes: number): number {
    return Math.max(this.unit, Math.ceil(bytes / this.unit) * this.unit);
  }

  /** The guest address of `bytes` free bytes (rounded up to the unit), or null if none fit. */
  alloc(bytes: number): number | null {
    const want = this.roundUp(bytes);
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.len < want) continue;
      if (r.len === want) this.free.splice(i, 1);
      else this.free[i] = { start: r.start + want, len: r.len - want };
      return r.start;
    }
    return null;
  }

  /** Gives back a range alloc() returned, with the same byte count. */
  release(addr: number, bytes: number): void {
    const len = this.roundUp(bytes);
    let i = 0;
    while (i < this.free.length && this.free[i].start < addr) i++;
    this.free.splice(i, 0, { start: addr, len });
    const next = this.free[i + 1];
    if (next && addr + len === next.start) {
      this.free[i] = { start: addr, len: len + next.len };
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.len === addr) {
      this.free[i - 1] = { start: prev.start, len: prev.len + this.free[i].len };
      this.free.splice(i, 1);
    }
  }

  /** Total free bytes. */
  available(): number {
    return this.free.reduce((n, r) => n + r.len, 0);
  }
}
// #endregion range-alloc
