// Guest physical memory as the device sees it: one or more regions, little-endian, and every
// access bounds-checked. An access that leaves a region is an ADDR_OUT_OF_RANGE error, never a
// wrap-around or a silent zero (VIRTIO 1.4 §2.7.5.1, §2.8.15: the device must not touch memory the
// driver did not give it).
import { VirtqError } from './errors.ts';

/** 2^64: guest addresses are u64 on every transport. */
export const ADDR_LIMIT = 1n << 64n;

/** 2^32, to join the two 32-bit halves of a u64 address read from a ring. */
const HIGH_WORD = 0x1_0000_0000;
/**
 * High words at or above this put an address at 2^53 or beyond. Every region lies below 2^53
 * (its base is a safe integer), so such an address is outside guest memory whatever its length:
 * the device rejects it without ever forming an imprecise number.
 */
const HIGH_WORD_LIMIT = 0x20_0000;
/**
 * How far into a region a table may start and still be read through the region's view: 2 MiB
 * short of 2^31, more than a table walk reaches (65536 split entries, or 32768 packed ones).
 */
const FAR_TABLE_OFFSET = 2 ** 31 - 2 ** 21;

export interface MemoryRegion {
  /** Guest physical address of the first byte (an IOVA, for memory seen through an IOMMU). */
  readonly base: number;
  readonly bytes: Uint8Array;
  /** The device may read it; default true (an IOMMU mapping may say otherwise). */
  readonly readable?: boolean;
  /** The device may write it; default true (an IOMMU mapping may say otherwise). */
  readonly writable?: boolean;
}

/** What an access needs of a region: bits of MemoryRegion's readable and writable. */
export const READ = 1;
export const WRITE = 2;
export const READ_WRITE = 3;
export type Access = typeof READ | typeof WRITE | typeof READ_WRITE;

// #region check-range
/**
 * Validates that [addr, addr + len) is a range a driver may legally name: it must not wrap
 * past 2^64. Used on raw u64 descriptor addresses before they are narrowed to numbers.
 */
export function checkAddrRange(addr: bigint, len: number): void {
  if (addr < 0n || addr + BigInt(len) > ADDR_LIMIT) {
    throw new VirtqError('ADDR_OVERFLOW', `addr 0x${addr.toString(16)} + len ${len} overflows 64 bits`);
  }
}
// #endregion check-range

/** The u64 a ring holds as two 32-bit halves, as a BigInt: for messages and the rare path past 2^53. */
export function joinU64(high: number, low: number): bigint {
  return (BigInt(high) << 32n) | BigInt(low);
}

export class GuestMemory {
  #regions: readonly MemoryRegion[] = [];
  private views: DataView[] = [];
  /** Where each region starts and ends, as plain numbers: all of guest memory lies below 2^53. */
  private starts = new Float64Array(0);
  private ends = new Float64Array(0);
  /** READ | WRITE, as each region allows. */
  private access = new Uint8Array(0);
  /**
   * The first region's bounds and access again, as plain fields: most guests have one region
   * (and rings and buffers usually lie in the first), so a check usually needs no search.
   */
  private firstStart = 0;
  private firstEnd = 0;
  private firstAccess = 0;

  constructor(regions: MemoryRegion[]) {
    this.replaceRegions(regions);
  }

  get regions(): readonly MemoryRegion[] {
    return this.#regions;
  }

  /**
   * Changes of the address space as the device sees it (an IOMMU mapping made or removed). Plain
   * guest memory never changes: 0. A device queue that cached views of its rings checks them again
   * when this moves.
   */
  get generation(): number {
    return 0;
  }

  /** Sets the regions, checked as the constructor checks them (for memory whose map changes). */
  protected replaceRegions(regions: readonly MemoryRegion[]): void {
    const sorted = [...regions].sort((a, b) => a.base - b.base);
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i];
      if (!Number.isSafeInteger(r.base) || r.base < 0) throw new RangeError(`region base ${r.base} is not a valid address`);
      if (!Number.isSafeInteger(r.base + r.bytes.length)) throw new RangeError(`region at 0x${r.base.toString(16)} ends beyond 2^53`);
      const prev = sorted[i - 1];
      if (prev && prev.base + prev.bytes.length > r.base) {
        throw new RangeError(`memory regions at 0x${prev.base.toString(16)} and 0x${r.base.toString(16)} overlap`);
      }
    }
    this.#regions = sorted;
    this.views = sorted.map((r) => new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength));
    this.starts = Float64Array.from(sorted, (r) => r.base);
    this.ends = Float64Array.from(sorted, (r) => r.base + r.bytes.length);
    this.access = Uint8Array.from(sorted, (r) => (r.readable === false ? 0 : READ) | (r.writable === false ? 0 : WRITE));
    // With no regions at all, an end below every start: no range matches.
    this.firstStart = sorted.length > 0 ? this.starts[0] : 0;
    this.firstEnd = sorted.length > 0 ? this.ends[0] : -1;
    this.firstAccess = sorted.length > 0 ? this.access[0] : 0;
  }

  /** One zero-filled region of `size` bytes at guest address `base`. */
  static create(size: number, base = 0): GuestMemory {
    return new GuestMemory([{ base, bytes: new Uint8Array(size) }]);
  }

  // #region locate
  /**
   * The region holding all of [addr, addr + len) and allowing the access `need` (READ, WRITE, or
   * 0 for any), or -1. A range that straddles two regions is rejected too: a device would
   * otherwise read across a hole in the guest's physical map. Plain number arithmetic is exact
   * here: a match lies below 2^53, and a larger or fractional address, or a negative or
   * fractional length, matches nothing.
   */
  private regionOf(addr: number, len: number, need: number): number {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || len < 0) return -1;
    for (let i = 0; i < this.starts.length; i++) {
      if (addr >= this.starts[i] && addr + len <= this.ends[i]) return (this.access[i] & need) === need ? i : -1;
    }
    return -1;
  }

  /** The region holding [addr, addr + len) for the access `need`, or the VirtqError saying why there is none. */
  private locate(addr: number, len: number, need: number): number {
    const i = this.regionOf(addr, len, need);
    if (i < 0) this.outside(addr, len, need);
    return i;
  }

  /** The error for a range the device may not access: a bad length, a wrap past 2^64, or a hole. */
  private outside(addr: number | bigint, len: number, need: number, what = ''): never {
    if (len < 0 || !Number.isInteger(len)) throw new VirtqError('ADDR_OUT_OF_RANGE', `bad length ${len}`);
    // A fraction, a negative number or NaN is no address at all (and has no u64 to report).
    if (typeof addr === 'number' && !(Number.isInteger(addr) && addr >= 0)) throw new VirtqError('ADDR_OUT_OF_RANGE', `bad address ${addr}`);
    this.fault(typeof addr === 'bigint' ? addr : BigInt(addr), len, (need & WRITE) !== 0, what);
  }

  /**
   * The error for an access to [addr, addr + len) that guest memory does not allow: ADDR_OVERFLOW
   * if the range wraps past 2^64, else ADDR_OUT_OF_RANGE. `what` names the range in the message.
   * Memory behind an IOMMU reports the access as a fault first (TranslatedMemory).
   */
  fault(addr: bigint, len: number, _write: boolean, what: string): never {
    checkAddrRange(addr, len);
    throw new VirtqError('ADDR_OUT_OF_RANGE', `${what ? `${what} ` : ''}[0x${addr.toString(16)}, +${len}) is outside guest memory`);
  }
  // #endregion locate

  // #region region-access
  /**
   * For a structure of several fields: the region holding all of [addr, addr + len), checked
   * once, so that the fields are then read from view(region) at addr - start(region) without a
   * check each. Throws the VirtqError readU8..writeU64 would.
   */
  regionAt(addr: number, len: number, need: Access = READ): number {
    // The first region without a search, as in containsU64: an indirect table is found here.
    if (addr >= this.firstStart && addr + len <= this.firstEnd && (this.firstAccess & need) === need && Number.isInteger(addr) && Number.isInteger(len) && len >= 0) {
      return 0;
    }
    return this.locate(addr, len, need);
  }
  view(region: number): DataView {
    return this.views[region];
  }
  start(region: number): number {
    return this.starts[region];
  }

  /**
   * For a table at [addr, addr + len) in `region` (regionAt), which a walk reads a bounded part
   * of (an indirect table): the view to read it through, and with tableOffset its byte offset
   * there. Offsets stay below 2^31, where the engine keeps them as 32-bit integers (a larger one
   * is a double, converted at every read), so a table lying further into a large region (a
   * guest with gigabytes in one region) gets a view of its own.
   */
  tableView(region: number, addr: number, len: number): DataView {
    return addr - this.starts[region] > FAR_TABLE_OFFSET ? this.area(addr, len) : this.views[region];
  }
  tableOffset(region: number, addr: number): number {
    const offset = addr - this.starts[region];
    return offset > FAR_TABLE_OFFSET ? 0 : offset | 0;
  }
  // #endregion region-access

  // #region area
  /**
   * A DataView over exactly [addr, addr + len), checked once here. A ring's areas stay where the
   * driver put them until the queue is reset, so the device checks each once at setup and reads
   * its fields through such a view; the view's own bounds (a RangeError, which would be a bug in
   * the reference code, never a driver's doing) keep every access inside the area.
   */
  area(addr: number, len: number, need: Access = READ): DataView {
    const i = this.locate(addr, len, need);
    const r = this.#regions[i];
    return new DataView(r.bytes.buffer, r.bytes.byteOffset + (addr - this.starts[i]), len);
  }
  // #endregion area

  // #region contains-u64
  /**
   * True if every byte of [addr, addr + len) is guest memory, for an address a ring holds as
   * two 32-bit halves. Never throws: the caller names the error (see checkBuffer).
   */
  containsU64(high: number, low: number, len: number, need: Access = READ): boolean {
    // The three values are 32-bit fields of a ring, integers by construction: unlike
    // regionOf, nothing here needs to rule out fractions or negative lengths.
    if (high >= HIGH_WORD_LIMIT) return false;
    const addr = high * HIGH_WORD + low;
    if (addr >= this.firstStart && addr + len <= this.firstEnd) return (this.firstAccess & need) === need;
    return this.inLaterRegion(addr, addr + len, need);
  }

  /** The search past the first region, kept apart so that containsU64 stays small enough to inline. */
  private inLaterRegion(addr: number, end: number, need: Access): boolean {
    for (let i = 1; i < this.starts.length; i++) {
      if (addr >= this.starts[i] && end <= this.ends[i]) return (this.access[i] & need) === need;
    }
    return false;
  }
  // #endregion contains-u64

  /** True if every byte of [addr, addr + len) is guest memory. Never throws. */
  contains(addr: number | bigint, len: number): boolean {
    if (typeof addr === 'bigint') return addr >= 0n && addr < 1n << 53n && this.regionOf(Number(addr), len, 0) >= 0;
    return this.regionOf(addr, len, 0) >= 0;
  }

  readU8(addr: number): number {
    const i = this.locate(addr, 1, READ);
    return this.views[i].getUint8(addr - this.starts[i]);
  }
  readU16(addr: number): number {
    const i = this.locate(addr, 2, READ);
    return this.views[i].getUint16(addr - this.starts[i], true);
  }
  readU32(addr: number): number {
    const i = this.locate(addr, 4, READ);
    return this.views[i].getUint32(addr - this.starts[i], true);
  }
  readU64(addr: number): bigint {
    const i = this.locate(addr, 8, READ);
    return this.views[i].getBigUint64(addr - this.starts[i], true);
  }
  writeU8(addr: number, v: number): void {
    const i = this.locate(addr, 1, WRITE);
    this.views[i].setUint8(addr - this.starts[i], v);
  }
  writeU16(addr: number, v: number): void {
    const i = this.locate(addr, 2, WRITE);
    this.views[i].setUint16(addr - this.starts[i], v, true);
  }
  writeU32(addr: number, v: number): void {
    const i = this.locate(addr, 4, WRITE);
    this.views[i].setUint32(addr - this.starts[i], v >>> 0, true);
  }
  writeU64(addr: number, v: bigint): void {
    const i = this.locate(addr, 8, WRITE);
    this.views[i].setBigUint64(addr - this.starts[i], BigInt.asUintN(64, v), true);
  }

  /** A copy of [addr, addr + len). */
  read(addr: number | bigint, len: number): Uint8Array {
    const at = this.byteOffset(addr, len, READ);
    return this.#regions[at.region].bytes.slice(at.offset, at.offset + len);
  }

  write(addr: number | bigint, data: Uint8Array): void {
    const at = this.byteOffset(addr, data.length, WRITE);
    this.#regions[at.region].bytes.set(data, at.offset);
  }

  private byteOffset(addr: number | bigint, len: number, need: number): { region: number; offset: number } {
    const a = typeof addr === 'bigint' ? (addr >= 0n && addr < 1n << 53n ? Number(addr) : -1) : addr;
    const i = this.regionOf(a, len, need);
    if (i < 0) this.outside(addr, len, need);
    return { region: i, offset: a - this.starts[i] };
  }
}
