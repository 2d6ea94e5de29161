// PCM I/O messages (VIRTIO 1.4 §5.14.6.8): a device-readable virtio_snd_pcm_xfer (the stream
// ID), the frames (device-readable on the txq, device-writable on the rxq), and a
// device-writable virtio_snd_pcm_status at the very end. The device holds a message until its
// frames are played or recorded in model time; these helpers place what it writes.
import type { DescriptorChain } from '../../virtio/chain.ts';
import { totalLength, writableBuffers } from '../../virtio/chain.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import { le32, SND_PCM_STATUS_SIZE } from './protocol.ts';

// #region io-message
/** A message the device holds for a stream, oldest first. */
export interface IoMessage {
  readonly chain: DescriptorChain;
  /** txq: the frames to play. rxq: empty (frames are written straight into guest memory). */
  readonly data: Uint8Array;
  /** Bytes of frames: to play (txq) or room to record into (rxq). */
  readonly bytes: number;
  /** Bytes played or recorded so far. */
  done: number;
}
// #endregion io-message

/** Writes `bytes` at `offset` of a chain's device-writable area, across its buffers. */
export function writeAt(mem: GuestMemory, chain: DescriptorChain, offset: number, bytes: Uint8Array): void {
  let skip = offset;
  let from = 0;
  for (const b of writableBuffers(chain)) {
    if (from >= bytes.length) return;
    if (skip >= b.len) {
      skip -= b.len;
      continue;
    }
    const n = Math.min(b.len - skip, bytes.length - from);
    mem.write(b.addr + skip, bytes.subarray(from, from + n));
    from += n;
    skip = 0;
  }
}

// #region io-status
/**
 * Completes a message: the status goes in the last 8 writable bytes, wherever the driver's
 * buffers put them. Returns the used length: on the rxq the recorded frames plus the status
 * (§5.14.6.8.2); on the txq the whole writable area, which a well-formed message keeps to the
 * status alone.
 */
export function writeStatus(mem: GuestMemory, chain: DescriptorChain, status: number, latencyBytes: number, recorded: number | null): number {
  const room = totalLength(writableBuffers(chain));
  if (recorded === null) writeAt(mem, chain, 0, new Uint8Array(room - SND_PCM_STATUS_SIZE)); // nothing stale before the status
  writeAt(mem, chain, room - SND_PCM_STATUS_SIZE, le32(status, latencyBytes));
  return recorded === null ? room : recorded + SND_PCM_STATUS_SIZE;
}
// #endregion io-status
