// What an RPMB keeps: the authentication key, the write counter and the blocks. The engine
// (engine.ts) runs the protocol over this interface; a physical part in memory implements it
// here, and each guest's virtual RPMB implements it on a window of a physical part
// (partition.ts). A store outlives the device in front of it: a device reset, a guest reboot
// or a new device instance finds the key, the counter and the data as they were.
import type { RpmbGeometry } from './config.ts';
import { RPMB_BLOCKS_PER_UNIT, RPMB_COUNTER_MAX, RPMB_DATA_SIZE, RPMB_KEY_SIZE } from './frame.ts';

// #region store
export interface RpmbStore {
  readonly geometry: RpmbGeometry;
  /** The key, or null until it is programmed. Never leaves the device side. */
  key(): Uint8Array | null;
  /** Programs the key once; false when that fails (the store could not keep it). */
  programKey(key: Uint8Array): boolean;
  /** The write counter. */
  counter(): number;
  /** Whether the counter can move no further; an expired store accepts no write. */
  expired(): boolean;
  /** `count` blocks from `address` (in range), or null when the store cannot read them. */
  read(address: number, count: number): Uint8Array | null;
  /** Writes whole blocks at `address` (in range) and adds one to the counter, both or neither. */
  write(address: number, data: Uint8Array): boolean;
}
// #endregion store

export interface MemoryRpmbOptions extends RpmbGeometry {
  /** The counter the part starts with (a part that has seen use); default 0. */
  readonly initialCounter?: number;
}

/** An RPMB part held in memory: the physical RPMB of the examples and tests. */
export class MemoryRpmbStore implements RpmbStore {
  readonly geometry: RpmbGeometry;
  private keyBytes: Uint8Array | null = null;
  private count: number;
  private readonly blocks: Uint8Array;
  /** Fault injection: the next reads or writes fail while set. */
  failReads = false;
  failWrites = false;
  /** Successful writes, as the part's wear would count them. */
  writes = 0;

  constructor(opts: MemoryRpmbOptions) {
    this.geometry = { capacity: opts.capacity, maxWrCnt: opts.maxWrCnt, maxRdCnt: opts.maxRdCnt };
    this.count = opts.initialCounter ?? 0;
    if (!Number.isInteger(this.count) || this.count < 0 || this.count > RPMB_COUNTER_MAX) throw new RangeError('initialCounter: 0 to 0xFFFFFFFF');
    this.blocks = new Uint8Array(opts.capacity * RPMB_BLOCKS_PER_UNIT * RPMB_DATA_SIZE);
  }

  key(): Uint8Array | null {
    return this.keyBytes;
  }

  programKey(key: Uint8Array): boolean {
    if (this.keyBytes || this.failWrites || key.length !== RPMB_KEY_SIZE) return false;
    this.keyBytes = key.slice();
    return true;
  }

  counter(): number {
    return this.count;
  }

  expired(): boolean {
    return this.count >= RPMB_COUNTER_MAX;
  }

  read(address: number, count: number): Uint8Array | null {
    if (this.failReads) return null;
    return this.blocks.slice(address * RPMB_DATA_SIZE, (address + count) * RPMB_DATA_SIZE);
  }

  write(address: number, data: Uint8Array): boolean {
    if (this.failWrites || this.expired()) return false;
    this.blocks.set(data, address * RPMB_DATA_SIZE);
    this.count++;
    this.writes++;
    return true;
  }
}
