// Driver-side scratch memory for indirect tables (VIRTIO 1.4 §2.8.7). The driver may put a
// table "anywhere in memory"; this hands out pieces of one guest range the caller reserved,
// first fit, in 16-byte units (one packed descriptor), and takes them back when the device
// returns the buffer.
import { PACKED_DESC_SIZE } from './layout.ts';

export interface IndirectArea {
  /** Guest address of the first byte. */
  readonly addr: number;
  /** Bytes available for tables. */
  readonly size: number;
}

// #region indirect-alloc
export class IndirectAllocator {
  /** Free ranges, sorted by address, never adjacent (merged on free). */
  private readonly free: { start: number; len: number }[] = [];

  constructor(area: IndirectArea) {
    // Tables start on a descriptor boundary: round the start up and the length down.
    const start = Math.ceil(area.addr / PACKED_DESC_SIZE) * PACKED_DESC_SIZE;
    const len = Math.floor((area.addr + area.size - start) / PACKED_DESC_SIZE) * PACKED_DESC_SIZE;
    if (len > 0) this.free.push({ start, len });
  }

  /** The guest address of `bytes` free bytes (a multiple of 16), or null if none are left. */
  alloc(bytes: number): number | null {
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.len < bytes) continue;
      const addr = r.start;
      if (r.len === bytes) this.free.splice(i, 1);
      else this.free[i] = { start: r.start + bytes, len: r.len - bytes };
      return addr;
    }
    return null;
  }

  release(addr: number, bytes: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i].start < addr) i++;
    this.free.splice(i, 0, { start: addr, len: bytes });
    // Merge with the next range, then with the previous one.
    const next = this.free[i + 1];
    if (next && addr + bytes === next.start) {
      this.free[i] = { start: addr, len: bytes + next.len };
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
// #endregion indirect-alloc
