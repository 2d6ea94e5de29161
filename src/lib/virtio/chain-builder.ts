// The checks every ring layout shares while a device walks a chain: the chain must fit in the
// queue (or the indirect table), its buffers must add up to no more than 2^32 bytes, every
// buffer must lie in guest memory without wrapping past 2^64, and device-writable buffers must
// come after all device-readable ones.
// Ring-specific checks (loops, next indices, wrap counters) live with each ring.
//
// A queue walks thousands of chains a second, so the builder and the chains it fills are reused:
// a chain record goes back to the queue's pool when the device returns it (push), and its buffer
// entries are overwritten in place. A device model owns a chain from pop() until it pushes it.
import type { ChainBuffer, DescriptorChain } from './chain.ts';
import { VirtqError } from './errors.ts';
import { type GuestMemory, joinU64 } from './memory.ts';
import * as memory from './memory.ts';
import type { PopResult } from './queue.ts';

// The access bits are copied into this module: an imported binding is live (a module may
// reassign its exports), so V8 reads it through its module cell, checked for initialisation,
// at every use, while a constant of this module's own is folded into the compiled code. The
// walks take their layout constants the same way; add() and the walks run for every descriptor.
const { READ, WRITE } = memory;

/** The most bytes a chain may hold, all its buffers together (§2.7.5.2). */
export const MAX_CHAIN_BYTES = 2 ** 32;
/** Where addr and len lie in a descriptor of either ring (§2.7.5, §2.8.13). */
const DESC_ADDR = 0;
const DESC_LEN = 8;

// #region chain-record
/** One buffer of a pooled chain, rewritten when its record is reused. */
interface BufferEntry {
  addr: number;
  len: number;
  writable: boolean;
}

/**
 * A DescriptorChain whose storage is reused once the device has returned it. Its own fields are
 * exactly a DescriptorChain's; the bookkeeping is in private fields.
 */
export class ChainRecord implements DescriptorChain {
  id = 0;
  descCount = 0;
  readonly buffers: BufferEntry[] = [];
  /** Every entry this record has ever held, kept so a shorter chain does not drop them. */
  readonly #entries: BufferEntry[] = [];
  /** Bytes of the device-writable buffers: the most a push may report as written. */
  #writableBytes = 0;
  /** What pop() hands out for this chain; made once, like the record. */
  readonly #popped: PopResult = { kind: 'chain', chain: this };

  get writableBytes(): number {
    return this.#writableBytes;
  }
  get popped(): PopResult {
    return this.#popped;
  }

  /** Empties the record for the next chain; its entry objects stay for reuse. */
  clear(): void {
    this.#writableBytes = 0;
  }

  /** Sets buffer `n` (0-based), reusing the entry object if this record had one there. */
  setBuffer(n: number, addr: number, len: number, writable: boolean): void {
    let e = this.#entries[n];
    if (e === undefined) {
      e = { addr, len, writable };
      this.#entries.push(e);
    } else {
      e.addr = addr;
      e.len = len;
      e.writable = writable;
    }
    // buffers is always a prefix of #entries: only a chain longer than the last one extends it.
    if (n === this.buffers.length) this.buffers.push(e);
    if (writable) this.#writableBytes += len;
  }
}

/** The records of one queue's chains: taken by the walk, given back when the chain is pushed. */
export class ChainPool {
  private readonly free: ChainRecord[] = [];
  acquire(): ChainRecord {
    return this.free.pop() ?? new ChainRecord();
  }
  release(chain: ChainRecord): void {
    this.free.push(chain);
  }
}
// #endregion chain-record

// #region chain-builder
export class ChainBuilder {
  private chain: ChainRecord;
  private sawWritable = false;
  private count = 0;
  private bytes = 0;
  private readonly mem: GuestMemory;
  private readonly limit: number;
  private readonly pool: ChainPool;

  /** @param limit the most descriptors this chain may hold (queue size or table entries). */
  constructor(mem: GuestMemory, limit: number, pool: ChainPool = new ChainPool()) {
    this.mem = mem;
    this.limit = limit;
    this.pool = pool;
    this.chain = pool.acquire();
  }

  /** Starts the next chain, in a record from the pool. A record left by a failed walk is reused. */
  begin(): void {
    this.sawWritable = false;
    this.count = 0;
    this.bytes = 0;
    this.chain.clear();
  }

  /**
   * Adds one descriptor's buffer, whose u64 address the ring holds as two 32-bit halves, or
   * throws the VirtqError naming the first rule it breaks.
   */
  add(addrHigh: number, addrLow: number, len: number, writable: boolean): void {
    // §2.7.5.3.1 / §2.8.17: a chain can never be longer than the descriptors that exist.
    if (++this.count > this.limit) throw chainTooLong(this.limit);
    // §2.7.4.2: device-readable descriptors precede device-writable ones.
    if (writable) this.sawWritable = true;
    else if (this.sawWritable) throw writeThenRead();
    // #region check-chain-bytes
    // §2.7.5.2: a chain holds at most 2^32 bytes in all, so that a 32-bit used length can
    // describe it. The packed ring has no such sentence; the AVP holds it to the same bound.
    if ((this.bytes += len) > MAX_CHAIN_BYTES) throw chainTooLarge(this.bytes, this.count);
    // #endregion check-chain-bytes
    // §2.7.5.1, §2.8.15: the buffer lies in guest memory the device may access that way.
    const addr = checkBuffer(this.mem, addrHigh, addrLow, len, 'buffer', writable);
    this.chain.setBuffer(this.count - 1, addr, len, writable);
  }

  /**
   * Adds the buffer of the descriptor at byte `at` of `table`. Descriptors of both rings begin
   * with le64 addr and le32 len (struct virtq_desc §2.7.5, struct pvirtq_desc §2.8.13); their
   * flags lie in different places, so the walk reads them and says whether it is writable.
   */
  addDescriptor(table: DataView, at: number, writable: boolean): void {
    this.add(table.getUint32(at + DESC_ADDR + 4, true), table.getUint32(at + DESC_ADDR, true), table.getUint32(at + DESC_LEN, true), writable);
  }

  /** The finished chain; the builder moves on to a fresh record for the next one. */
  finish(id: number, descCount: number): ChainRecord {
    const chain = this.chain;
    chain.id = id;
    chain.descCount = descCount;
    // Only a record reused for a shorter chain needs trimming; setting the length costs a runtime call.
    if (chain.buffers.length !== this.count) chain.buffers.length = this.count;
    this.chain = this.pool.acquire();
    return chain;
  }
}
// #endregion chain-builder

// The errors are made out of line: a walk inlines add() whole only while it stays small.
function chainTooLong(limit: number): VirtqError {
  return new VirtqError('CHAIN_TOO_LONG', `chain exceeds ${limit} descriptors`);
}
function writeThenRead(): VirtqError {
  return new VirtqError('WRITE_THEN_READ', `device-readable descriptor after a device-writable one`);
}
function chainTooLarge(bytes: number, count: number): VirtqError {
  return new VirtqError('CHAIN_TOO_LARGE', `chain holds more than 2^32 bytes (${bytes} after ${count} descriptors)`);
}

// #region check-buffer
/**
 * The address of a buffer or table a descriptor names, once [addr, addr + len) has been found
 * to lie in guest memory the device may access that way (`write`: a device-writable buffer);
 * otherwise the error: ADDR_OVERFLOW if it wraps past 2^64 (checked on the full u64), else
 * ADDR_OUT_OF_RANGE, or IOMMU_FAULT behind an IOMMU.
 */
export function checkBuffer(mem: GuestMemory, addrHigh: number, addrLow: number, len: number, what: string, write = false): number {
  if (mem.containsU64(addrHigh, addrLow, len, write ? WRITE : READ)) return addrHigh * 0x1_0000_0000 + addrLow;
  mem.fault(joinU64(addrHigh, addrLow), len, write, what);
}
// #endregion check-buffer
