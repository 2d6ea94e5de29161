// The device-managed region of a memory device (VIRTIO 1.4 §5.15): where it lies in guest
// physical memory, its block size, and which blocks are plugged. The range a request names is
// checked here, in 64-bit arithmetic, so an address near 2^64 cannot wrap into the region.
import type { MemErrorCode } from './errors.ts';
import { VIRTIO_MEM_STATE_MIXED, VIRTIO_MEM_STATE_PLUGGED, VIRTIO_MEM_STATE_UNPLUGGED } from './protocol.ts';

export interface MemGeometry {
  /** Guest physical address of the region's first byte. */
  readonly addr: number;
  readonly regionSize: number;
  readonly blockSize: number;
}

/** The smallest block the AVP allows: one 4 KiB page, the unit a hypervisor maps. */
export const MEM_MIN_BLOCK_SIZE = 4096;

// #region geometry-check
/** Why a region cannot be offered, or null (§5.15.4.2: sizes and the address in whole blocks). */
export function geometryError(g: MemGeometry): string | null {
  const bs = g.blockSize;
  if (!Number.isSafeInteger(bs) || bs < MEM_MIN_BLOCK_SIZE || !Number.isInteger(Math.log2(bs))) return `block_size ${bs}: a power of two of at least ${MEM_MIN_BLOCK_SIZE}`;
  for (const [k, v] of [['addr', g.addr], ['region_size', g.regionSize]] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v % bs !== 0) return `${k} ${v}: a multiple of block_size ${bs}`;
  }
  if (!Number.isSafeInteger(g.addr + g.regionSize)) return 'the region must end below 2^53';
  return null;
}
// #endregion geometry-check

export class BlockMap {
  readonly geometry: MemGeometry;
  readonly count: number;
  private readonly bits: Uint8Array;
  private pluggedCount = 0;

  constructor(g: MemGeometry) {
    this.geometry = g;
    this.count = g.regionSize / g.blockSize;
    this.bits = new Uint8Array(this.count);
  }

  get plugged(): number {
    return this.pluggedCount;
  }

  isPlugged(block: number): boolean {
    return this.bits[block] === 1;
  }

  // #region range-check
  /**
   * Why the blocks from `addr` for `nb` blocks are not a range a PLUG, UNPLUG or STATE request
   * may name, or null: an unaligned address, no blocks, or a block outside the usable region
   * (§5.15.6.3.2, §5.15.6.4.2, §5.15.6.6.2).
   */
  rangeError(addr: bigint, nb: number, usableSize: number): MemErrorCode | null {
    const { addr: base, blockSize } = this.geometry;
    if (addr % BigInt(blockSize) !== 0n) return 'MISALIGNED';
    if (nb === 0) return 'NO_BLOCKS';
    const end = addr + BigInt(nb) * BigInt(blockSize);
    if (addr < BigInt(base) || end > BigInt(base + usableSize) || end > 1n << 64n) return 'OUTSIDE_USABLE';
    return null;
  }
  // #endregion range-check

  /** The index of the block at `addr` (in the region, already checked). */
  index(addr: bigint): number {
    return Number((addr - BigInt(this.geometry.addr)) / BigInt(this.geometry.blockSize));
  }

  /** True if every block of [first, first + n) is in `plugged` state. */
  all(first: number, n: number, plugged: boolean): boolean {
    for (let i = first; i < first + n; i++) if ((this.bits[i] === 1) !== plugged) return false;
    return true;
  }

  set(first: number, n: number, plugged: boolean): void {
    for (let i = first; i < first + n; i++) {
      const was = this.bits[i] === 1;
      if (was !== plugged) this.pluggedCount += plugged ? 1 : -1;
      this.bits[i] = plugged ? 1 : 0;
    }
  }

  /** §5.15.6.6.2: PLUGGED, UNPLUGGED or MIXED for [first, first + n). */
  stateOf(first: number, n: number): number {
    if (this.all(first, n, true)) return VIRTIO_MEM_STATE_PLUGGED;
    if (this.all(first, n, false)) return VIRTIO_MEM_STATE_UNPLUGGED;
    return VIRTIO_MEM_STATE_MIXED;
  }

  /** Unplugs everything; returns how many blocks were plugged. */
  clear(): number {
    const n = this.pluggedCount;
    this.bits.fill(0);
    this.pluggedCount = 0;
    return n;
  }
}
