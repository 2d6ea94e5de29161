// Reading the device-readable part of a chain and filling its device-writable part. Requests
// in VIRTIO are byte streams laid over the chain's buffers; a header may straddle two of them,
// so device models read and write through these rather than buffer by buffer (§2.7.4 and §2.8: the framing of a message across buffers is the driver's choice).
import type { ChainBuffer, DescriptorChain } from './chain.ts';
import { readableBuffers, totalLength, writableBuffers } from './chain.ts';
import type { GuestMemory } from './memory.ts';

// #region chain-read
/** All device-readable bytes of a chain, in order. */
export function readChain(mem: GuestMemory, chain: DescriptorChain): Uint8Array {
  return readChainPrefix(mem, chain, Infinity);
}

/**
 * The first `max` device-readable bytes of a chain (fewer if it has fewer): a device reads a
 * header before it knows how long the message is, and never copies more than it can use.
 */
export function readChainPrefix(mem: GuestMemory, chain: DescriptorChain, max: number): Uint8Array {
  const parts = readableBuffers(chain);
  const out = new Uint8Array(Math.min(max, totalLength(parts)));
  let at = 0;
  for (const b of parts) {
    if (at >= out.length) break;
    const n = Math.min(b.len, out.length - at);
    out.set(mem.read(b.addr, n), at);
    at += n;
  }
  return out;
}
// #endregion chain-read

// #region chain-write
/** Writes a byte stream across a chain's device-writable buffers, in order. */
export class ChainWriter {
  private readonly mem: GuestMemory;
  private readonly parts: readonly ChainBuffer[];
  private part = 0;
  private offset = 0;
  /** Bytes written so far: what the device reports as the used length. */
  written = 0;

  constructor(mem: GuestMemory, chain: DescriptorChain) {
    this.mem = mem;
    this.parts = writableBuffers(chain);
  }

  /** Room left in the writable buffers. */
  get remaining(): number {
    return totalLength(this.parts) - this.written;
  }

  /** Writes as much of `data` as fits; returns how many bytes were written. */
  write(data: Uint8Array): number {
    let done = 0;
    while (done < data.length && this.part < this.parts.length) {
      const p = this.parts[this.part];
      const n = Math.min(p.len - this.offset, data.length - done);
      this.mem.write(p.addr + this.offset, data.subarray(done, done + n));
      done += n;
      this.offset += n;
      if (this.offset === p.len) {
        this.part++;
        this.offset = 0;
      }
    }
    this.written += done;
    return done;
  }
}
// #endregion chain-write
