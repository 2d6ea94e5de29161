// What a block device stores its sectors in. The device checks every request against the
// protocol and the capacity before it calls a back end, so a back end only ever sees
// in-range, whole-sector operations; it reports a medium failure by returning false (or
// throwing), which the device turns into VIRTIO_BLK_S_IOERR.
import { SECTOR_SIZE } from './config.ts';
import type { BlkLifetime } from './request.ts';

// #region backend
export interface BlockBackend {
  /** Capacity in 512-byte sectors. The device re-reads it in refreshCapacity(). */
  readonly sectors: number;
  /** Fills `into` (a whole number of sectors) from `sector` on. */
  read(sector: number, into: Uint8Array): boolean;
  /** Stores `data` (a whole number of sectors); it may stay in a volatile cache until flush(). */
  write(sector: number, data: Uint8Array): boolean;
  /** Makes every write completed so far durable. */
  flush(): boolean;
  /** The driver no longer needs these sectors; what they read afterwards is unspecified. */
  discard(sector: number, count: number): boolean;
  /** Sectors that must read as zeroes afterwards; `unmap` lets the back end deallocate them. */
  writeZeroes(sector: number, count: number, unmap: boolean): boolean;
  /** Erases the sectors so that their former contents cannot be recovered. */
  secureErase(sector: number, count: number): boolean;
  /** Wear data of the medium (eMMC, UFS), or null if it has none worth reporting. */
  lifetime?(): BlkLifetime | null;
}
// #endregion backend

export type BlockOp = 'read' | 'write' | 'flush' | 'discard' | 'writeZeroes' | 'secureErase';

export interface MemoryBlockBackendOptions {
  /** Capacity in 512-byte sectors. */
  readonly sectors: number;
  /** Completed writes sit in a volatile cache until flush() (true, the default), or go straight to the medium. */
  readonly volatileCache?: boolean;
  /** Initial contents of the medium, from sector 0 (copied). */
  readonly contents?: Uint8Array;
  /** Wear data to report; default none (the device then does not offer VIRTIO_BLK_F_LIFETIME). */
  readonly lifetime?: BlkLifetime | null;
}

export interface MemoryBlockStats {
  reads: number;
  writes: number;
  flushes: number;
  /** Sectors written to the medium itself: what wears flash out. */
  mediumSectorWrites: number;
  sectorsDiscarded: number;
  sectorsSecurelyErased: number;
}

// #region memory-backend
/**
 * A disk in a byte array with an optional volatile write cache in front of it, so that the
 * difference between a completed write and a durable one can be observed: powerLoss() drops
 * whatever was not flushed, as a real cache would.
 */
export class MemoryBlockBackend implements BlockBackend {
  readonly volatileCache: boolean;
  readonly stats: MemoryBlockStats = { reads: 0, writes: 0, flushes: 0, mediumSectorWrites: 0, sectorsDiscarded: 0, sectorsSecurelyErased: 0 };
  private medium: Uint8Array;
  /** Dirty sectors not yet on the medium, by sector number. */
  private readonly cache = new Map<number, Uint8Array>();
  private readonly faults = new Map<BlockOp, { from: number; to: number } | null>();
  private wear: BlkLifetime | null;

  constructor(opts: MemoryBlockBackendOptions) {
    checkSectors(opts.sectors);
    this.medium = new Uint8Array(opts.sectors * SECTOR_SIZE);
    if (opts.contents) this.medium.set(opts.contents.subarray(0, this.medium.length));
    this.volatileCache = opts.volatileCache ?? true;
    this.wear = opts.lifetime ?? null;
  }

  get sectors(): number {
    return this.medium.length / SECTOR_SIZE;
  }

  read(sector: number, into: Uint8Array): boolean {
    if (this.fails('read', sector, into.length / SECTOR_SIZE)) return false;
    this.stats.reads++;
    into.set(this.medium.subarray(sector * SECTOR_SIZE, sector * SECTOR_SIZE + into.length));
    for (let i = 0; i < into.length / SECTOR_SIZE; i++) {
      const dirty = this.cache.get(sector + i);
      if (dirty) into.set(dirty, i * SECTOR_SIZE);
    }
    return true;
  }

  write(sector: number, data: Uint8Array): boolean {
    if (this.fails('write', sector, data.length / SECTOR_SIZE)) return false;
    this.stats.writes++;
    for (let i = 0; i < data.length / SECTOR_SIZE; i++) {
      const bytes = data.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE);
      if (this.volatileCache) this.cache.set(sector + i, bytes);
      else this.commit(sector + i, bytes);
    }
    return true;
  }

  flush(): boolean {
    if (this.fails('flush', 0, 0)) return false;
    this.stats.flushes++;
    for (const [s, bytes] of [...this.cache].sort((a, b) => a[0] - b[0])) this.commit(s, bytes);
    this.cache.clear();
    return true;
  }

  discard(sector: number, count: number): boolean {
    if (this.fails('discard', sector, count)) return false;
    this.deallocate(sector, count);
    this.stats.sectorsDiscarded += count;
    return true;
  }

  writeZeroes(sector: number, count: number, unmap: boolean): boolean {
    if (this.fails('writeZeroes', sector, count)) return false;
    if (unmap) {
      this.deallocate(sector, count);
      this.stats.sectorsDiscarded += count;
      return true;
    }
    return this.write(sector, new Uint8Array(count * SECTOR_SIZE));
  }

  secureErase(sector: number, count: number): boolean {
    if (this.fails('secureErase', sector, count)) return false;
    this.deallocate(sector, count);
    this.stats.sectorsSecurelyErased += count;
    return true;
  }

  lifetime(): BlkLifetime | null {
    return this.wear;
  }
  // #endregion memory-backend

  // ---- For tests and examples: what a real disk would not let a guest see. ----

  /** The power fails: every write not yet flushed is lost. Returns how many sectors were lost. */
  powerLoss(): number {
    const lost = this.cache.size;
    this.cache.clear();
    return lost;
  }

  /** Sectors written but not yet durable. */
  get dirtySectors(): number {
    return this.cache.size;
  }

  /** What the medium itself holds (what survives a power loss). */
  durable(sector: number, count: number): Uint8Array {
    return this.medium.slice(sector * SECTOR_SIZE, (sector + count) * SECTOR_SIZE);
  }

  /** What a read returns now, cache included, without counting as a read. */
  peek(sector: number, count: number): Uint8Array {
    const out = this.durable(sector, count);
    for (let i = 0; i < count; i++) {
      const dirty = this.cache.get(sector + i);
      if (dirty) out.set(dirty, i * SECTOR_SIZE);
    }
    return out;
  }

  /** Grows or shrinks the disk; sectors past a new end are dropped, new ones read as zeroes. */
  resize(sectors: number): void {
    checkSectors(sectors);
    const next = new Uint8Array(sectors * SECTOR_SIZE);
    next.set(this.medium.subarray(0, next.length));
    this.medium = next;
    for (const s of [...this.cache.keys()]) if (s >= sectors) this.cache.delete(s);
  }

  /** Makes operation `op` fail, everywhere or where it touches sectors from..to-1 (flush has no sectors). */
  failOn(op: BlockOp, range: { from: number; to: number } | null = null): void {
    this.faults.set(op, range);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLifetime(l: BlkLifetime | null): void {
    this.wear = l;
  }

  private fails(op: BlockOp, sector: number, count: number): boolean {
    if (!this.faults.has(op)) return false;
    const r = this.faults.get(op);
    return !r || (sector < r.to && sector + count > r.from);
  }

  private commit(sector: number, bytes: Uint8Array): void {
    this.medium.set(bytes, sector * SECTOR_SIZE);
    this.stats.mediumSectorWrites++;
  }

  /** Deallocation takes effect at once and reads back as zeroes. */
  private deallocate(sector: number, count: number): void {
    for (let i = 0; i < count; i++) this.cache.delete(sector + i);
    this.medium.fill(0, sector * SECTOR_SIZE, (sector + count) * SECTOR_SIZE);
  }
}

function checkSectors(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n * SECTOR_SIZE > 0x7fffffff) {
    throw new RangeError(`sectors ${n}: an in-memory disk holds 0 to ${Math.floor(0x7fffffff / SECTOR_SIZE)} sectors`);
  }
}
