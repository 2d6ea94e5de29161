// The rules every ring layout applies to each buffer of a chain while the device walks it: the
// chain must fit in the queue (or the indirect table), its buffers must add up to no more than
// 2^32 bytes, device-writable buffers must come after all device-readable ones, and every buffer
// must lie in guest memory the device may access that way, without wrapping past 2^64.
// Ring-specific rules (loops, next indices, wrap counters) live with each ring's walk.
//
// Each rule is a small function over values the walk keeps in local variables: the engine
// compiles such a function into the walk's loop whole, where a builder object's fields would be
// read and written back in memory for every descriptor.
import { VirtqError } from './errors.ts';
import { type GuestMemory, joinU64 } from './memory.ts';
import * as memory from './memory.ts';

// The access bits are copied into this module: an imported binding is live (a module may
// reassign its exports), so V8 reads it through its module cell, checked for initialisation,
// at every use, while a private constant of this module's own is folded into the compiled
// code. An imported function is no different: each call first reads it from its cell. The same
// holds for a module's own exported constants, even inside that module, so the layouts give
// their accessors private copies too. The walks copy the layout's constants, these rules and
// the ring accessors the same way; all of them run for every chain or every descriptor.
const { READ, WRITE } = memory;

/** The most bytes a chain may hold, all its buffers together (§2.7.5.2). */
export const MAX_CHAIN_BYTES = 2 ** 32;
// The rules read a private copy: an exported binding is read through its cell, like an import.
const CHAIN_BYTES_LIMIT = MAX_CHAIN_BYTES;

// #region chain-rules
/** §2.7.5.3.1, §2.8.17: a chain never holds more buffers than `limit`; `n` counts this one. */
export function checkChainLength(n: number, limit: number): void {
  if (n > limit) throw chainTooLong(limit);
}

/**
 * §2.7.4.2: device-readable buffers come before device-writable ones. `readable` counts the
 * chain's device-readable buffers before this one, the `n`th; returns the count with it. So a
 * chain's device-readable buffers are its first `readable`, and a record needs no flag per buffer.
 */
export function checkBufferOrder(readable: number, n: number, writable: boolean): number {
  if (writable) return readable;
  if (readable !== n - 1) throw writeThenRead();
  return n;
}

// #region check-chain-bytes
/**
 * §2.7.5.2: a chain holds at most 2^32 bytes in all, so that a 32-bit used length can describe
 * it. The packed ring has no such sentence; the AVP holds it to the same bound. Returns the
 * chain's bytes with this buffer's `len`; `n` counts the buffers so far, for the message.
 */
export function addChainBytes(bytes: number, len: number, n: number): number {
  const total = bytes + len;
  if (total > CHAIN_BYTES_LIMIT) throw chainTooLarge(total, n);
  return total;
}
// #endregion check-chain-bytes
// #endregion chain-rules

// The errors are made out of line: the walk inlines a rule whole only while it stays small.
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
