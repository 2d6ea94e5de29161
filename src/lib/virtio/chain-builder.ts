// The checks every ring layout shares while a device walks a chain: the chain must fit in the
// queue (or the indirect table), its buffers must add up to no more than 2^32 bytes, every
// buffer must lie in guest memory without wrapping past 2^64, and device-writable buffers must
// come after all device-readable ones.
// Ring-specific checks (loops, next indices, wrap counters) live with each ring.
import type { ChainBuffer, DescriptorChain } from './chain.ts';
import { VirtqError } from './errors.ts';
import { checkAddrRange, type GuestMemory } from './memory.ts';

/** The most bytes a chain may hold, all its buffers together (§2.7.5.2). */
export const MAX_CHAIN_BYTES = 2 ** 32;

// #region chain-builder
export class ChainBuilder {
  private readonly buffers: ChainBuffer[] = [];
  private sawWritable = false;
  private count = 0;
  private bytes = 0;
  private readonly mem: GuestMemory;
  private readonly limit: number;

  /** @param limit the most descriptors this chain may hold (queue size or table entries). */
  constructor(mem: GuestMemory, limit: number) {
    this.mem = mem;
    this.limit = limit;
  }

  /** Adds one descriptor's buffer, or throws the VirtqError naming the first rule it breaks. */
  add(addr: bigint, len: number, writable: boolean): void {
    // §2.7.5.3.1 / §2.8.17: a chain can never be longer than the descriptors that exist.
    if (++this.count > this.limit) {
      throw new VirtqError('CHAIN_TOO_LONG', `chain exceeds ${this.limit} descriptors`);
    }
    // §2.7.4.2: device-readable descriptors precede device-writable ones.
    if (!writable && this.sawWritable) {
      throw new VirtqError('WRITE_THEN_READ', `device-readable descriptor after a device-writable one`);
    }
    this.sawWritable ||= writable;
    // #region check-chain-bytes
    // §2.7.5.2: a chain holds at most 2^32 bytes in all, so that a 32-bit used length can
    // describe it. The packed ring has no such sentence; the AVP holds it to the same bound.
    this.bytes += len;
    if (this.bytes > MAX_CHAIN_BYTES) {
      throw new VirtqError('CHAIN_TOO_LARGE', `chain holds more than 2^32 bytes (${this.bytes} after ${this.count} descriptors)`);
    }
    // #endregion check-chain-bytes
    checkAddrRange(addr, len);
    if (!this.mem.contains(addr, len)) {
      throw new VirtqError('ADDR_OUT_OF_RANGE', `buffer [0x${addr.toString(16)}, +${len}) is outside guest memory`);
    }
    this.buffers.push({ addr: Number(addr), len, writable });
  }

  finish(id: number, descCount: number): DescriptorChain {
    return { id, descCount, buffers: this.buffers };
  }
}
// #endregion chain-builder
