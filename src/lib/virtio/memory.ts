// Guest physical memory as the device sees it: one or more regions, little-endian, and every
// access bounds-checked. An access that leaves a region is an ADDR_OUT_OF_RANGE error, never a
// wrap-around or a silent zero (VIRTIO 1.4 §2.7.5.1, §2.8.15: the device must not touch memory the
// driver did not give it).
import { VirtqError } from './errors.ts';

/** 2^64: guest addresses are u64 on every transport. */
export const ADDR_LIMIT = 1n << 64n;

export interface MemoryRegion {
  /** Guest physical address of the first byte. */
  readonly base: number;
  readonly bytes: Uint8Array;
}

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

export class GuestMemory {
  readonly regions: readonly MemoryRegion[];
  private readonly views: DataView[];

  constructor(regions: MemoryRegion[]) {
    const sorted = [...regions].sort((a, b) => a.base - b.base);
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i];
      if (!Number.isSafeInteger(r.base) || r.base < 0) throw new RangeError(`region base ${r.base} is not a valid address`);
      const prev = sorted[i - 1];
      if (prev && prev.base + prev.bytes.length > r.base) {
        throw new RangeError(`memory regions at 0x${prev.base.toString(16)} and 0x${r.base.toString(16)} overlap`);
      }
    }
    this.regions = sorted;
    this.views = sorted.map((r) => new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength));
  }

  /** One zero-filled region of `size` bytes at guest address `base`. */
  static create(size: number, base = 0): GuestMemory {
    return new GuestMemory([{ base, bytes: new Uint8Array(size) }]);
  }

  // #region locate
  /**
   * Finds the region holding all of [addr, addr + len) and the offset of addr inside it.
   * A range that straddles two regions is rejected too: a device would otherwise read across
   * a hole in the guest's physical map.
   */
  private locate(addr: number | bigint, len: number): { view: DataView; bytes: Uint8Array; offset: number } {
    const a = typeof addr === 'bigint' ? addr : BigInt(addr);
    if (len < 0 || !Number.isInteger(len)) throw new VirtqError('ADDR_OUT_OF_RANGE', `bad length ${len}`);
    checkAddrRange(a, len);
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i];
      const base = BigInt(r.base);
      if (a >= base && a + BigInt(len) <= base + BigInt(r.bytes.length)) {
        return { view: this.views[i], bytes: r.bytes, offset: Number(a - base) };
      }
    }
    throw new VirtqError('ADDR_OUT_OF_RANGE', `[0x${a.toString(16)}, +${len}) is outside guest memory`);
  }
  // #endregion locate

  /** True if every byte of [addr, addr + len) is guest memory. Never throws. */
  contains(addr: number | bigint, len: number): boolean {
    try {
      this.locate(addr, len);
      return true;
    } catch {
      return false;
    }
  }

  readU8(addr: number): number {
    const { view, offset } = this.locate(addr, 1);
    return view.getUint8(offset);
  }
  readU16(addr: number): number {
    const { view, offset } = this.locate(addr, 2);
    return view.getUint16(offset, true);
  }
  readU32(addr: number): number {
    const { view, offset } = this.locate(addr, 4);
    return view.getUint32(offset, true);
  }
  readU64(addr: number): bigint {
    const { view, offset } = this.locate(addr, 8);
    return view.getBigUint64(offset, true);
  }
  writeU8(addr: number, v: number): void {
    const { view, offset } = this.locate(addr, 1);
    view.setUint8(offset, v);
  }
  writeU16(addr: number, v: number): void {
    const { view, offset } = this.locate(addr, 2);
    view.setUint16(offset, v, true);
  }
  writeU32(addr: number, v: number): void {
    const { view, offset } = this.locate(addr, 4);
    view.setUint32(offset, v >>> 0, true);
  }
  writeU64(addr: number, v: bigint): void {
    const { view, offset } = this.locate(addr, 8);
    view.setBigUint64(offset, BigInt.asUintN(64, v), true);
  }

  /** A copy of [addr, addr + len). */
  read(addr: number | bigint, len: number): Uint8Array {
    const { bytes, offset } = this.locate(addr, len);
    return bytes.slice(offset, offset + len);
  }

  write(addr: number | bigint, data: Uint8Array): void {
    const { bytes, offset } = this.locate(addr, data.length);
    bytes.set(data, offset);
  }
}
