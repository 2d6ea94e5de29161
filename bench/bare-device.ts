// The bench's baseline: a device loop over the same ring layouts with no checks at all. It reads
// each descriptor (address, length, flags, next or id), follows the chain as a trusting device
// would, and writes the used entry, straight through a DataView. Nothing here is safe against a
// malicious driver; it exists only so the checked path's cost can be stated as a ratio to it,
// which is steadier across machines than nanoseconds.
import type { GuestMemory, QueueConfig } from '../src/lib/index.ts';

const NEXT = 1;
const INDIRECT = 4;
const PACKED_AVAIL = 1 << 7;
const PACKED_USED = 1 << 15;

/** A bare device for a ring in the first (and only) region of `mem`, which starts at 0. */
function viewOf(mem: GuestMemory): DataView {
  const r = mem.regions[0];
  return new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
}

export class BareSplitDevice {
  private lastAvail = 0;
  private usedIdx = 0;
  /** Sum of what was read, so the reads cannot be optimised away. */
  sink = 0;
  private readonly v: DataView;
  private readonly c: QueueConfig;
  constructor(mem: GuestMemory, config: QueueConfig) {
    this.v = viewOf(mem);
    this.c = config;
  }
  /** Takes and returns every available chain; returns how many. */
  run(): number {
    const { v, c } = this;
    const availIdx = v.getUint16(c.driverAddr + 2, true);
    let n = 0;
    while (this.lastAvail !== availIdx) {
      const head = v.getUint16(c.driverAddr + 4 + 2 * (this.lastAvail % c.size), true);
      let table = c.descAddr;
      let i = head;
      for (;;) {
        const d = table + 16 * i;
        const lo = v.getUint32(d, true);
        const hi = v.getUint32(d + 4, true);
        const len = v.getUint32(d + 8, true);
        const flags = v.getUint16(d + 12, true);
        const next = v.getUint16(d + 14, true);
        if (flags & INDIRECT) {
          table = hi * 0x1_0000_0000 + lo;
          i = 0;
          continue;
        }
        this.sink += lo + len;
        if (!(flags & NEXT)) break;
        i = next;
      }
      const at = c.deviceAddr + 4 + 8 * (this.usedIdx % c.size);
      v.setUint32(at, head, true);
      v.setUint32(at + 4, 0, true);
      this.usedIdx = (this.usedIdx + 1) & 0xffff;
      this.lastAvail = (this.lastAvail + 1) & 0xffff;
      n++;
    }
    v.setUint16(c.deviceAddr + 2, this.usedIdx, true);
    return n;
  }
}

export class BarePackedDevice {
  private next = 0;
  private wrap = true;
  private used = 0;
  private usedWrap = true;
  sink = 0;
  private readonly v: DataView;
  private readonly c: QueueConfig;
  constructor(mem: GuestMemory, config: QueueConfig) {
    this.v = viewOf(mem);
    this.c = config;
  }
  run(): number {
    const { v, c } = this;
    let n = 0;
    for (;;) {
      const flags = v.getUint16(c.descAddr + 16 * this.next + 14, true);
      if (((flags & PACKED_AVAIL) !== 0) !== this.wrap || ((flags & PACKED_USED) !== 0) === this.wrap) break;
      let slots = 0;
      let id = 0;
      for (;;) {
        const d = c.descAddr + 16 * this.next;
        const lo = v.getUint32(d, true);
        const hi = v.getUint32(d + 4, true);
        const len = v.getUint32(d + 8, true);
        id = v.getUint16(d + 12, true);
        const f = v.getUint16(d + 14, true);
        slots++;
        if (++this.next === c.size) {
          this.next = 0;
          this.wrap = !this.wrap;
        }
        if (f & INDIRECT) {
          // Every entry read whole, as the split loop reads its table's entries: address, length
          // and flags (a packed table entry's ID is reserved, and there is no next).
          const table = hi * 0x1_0000_0000 + lo;
          for (let e = 0; e < len / 16; e++) {
            const t = table + 16 * e;
            this.sink += v.getUint32(t, true) + v.getUint32(t + 4, true) + v.getUint32(t + 8, true) + v.getUint16(t + 14, true);
          }
          break;
        }
        this.sink += lo + len;
        if (!(f & NEXT)) break;
      }
      const at = c.descAddr + 16 * this.used;
      v.setUint32(at + 8, 0, true);
      v.setUint16(at + 12, id, true);
      v.setUint16(at + 14, this.usedWrap ? PACKED_AVAIL | PACKED_USED : 0, true);
      this.used += slots;
      if (this.used >= c.size) {
        this.used -= c.size;
        this.usedWrap = !this.usedWrap;
      }
      n++;
    }
    return n;
  }
}
