// Packets on their way to a guest wait here until the driver offers receive buffers (VIRTIO 1.4
// §5.10.6.1: resources outside the virtqueue hold packets the queue cannot take yet). Nothing
// is dropped while it waits; the area is bounded, in packets and in bytes, so a guest that stops
// reading cannot make the host hold an unbounded amount for it. Placement fills each receive
// buffer with a header and as much payload as fits; an RW payload that does not fit continues
// in the next buffer (§5.10.6.4), with the seqpacket EOM/EOR bits only on its last piece.
import { ChainWriter } from '../../virtio/chain-io.ts';
import { type DescriptorChain, readableBuffers } from '../../virtio/chain.ts';
import type { VirtqError } from '../../virtio/errors.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';
import { encodeHdr, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_SEQ_EOM, VIRTIO_VSOCK_SEQ_EOR, VSOCK_HDR_SIZE, type VsockPacket } from './packet.ts';

export interface RxHoldStats {
  /** Packets fully placed in receive buffers. */
  placed: number;
  /** RW packets that needed more than one receive buffer. */
  split: number;
  /** Receive buffers returned unused: device-readable parts, or too small for the next piece. */
  badBuffers: number;
  /** Held packets thrown away by a reset (their connections are gone). */
  discarded: number;
}

export class RxHold {
  readonly maxPackets: number;
  readonly maxBytes: number;
  readonly stats: RxHoldStats = { placed: 0, split: 0, badBuffers: 0, discarded: 0 };
  private readonly packets: VsockPacket[] = [];
  private heldBytes = 0;

  constructor(maxPackets: number, maxBytes: number) {
    this.maxPackets = maxPackets;
    this.maxBytes = maxBytes;
  }

  get length(): number {
    return this.packets.length;
  }

  /** Header and payload bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** At least half full: the device stops taking tx chains so its own replies always fit. */
  get halfFull(): boolean {
    return this.packets.length * 2 >= this.maxPackets || this.heldBytes * 2 >= this.maxBytes;
  }

  // #region hold
  /** Holds a packet; false if there is no room (the area is bounded, §5.10.6.1). */
  add(p: VsockPacket): boolean {
    const cost = VSOCK_HDR_SIZE + p.payload.length;
    if (this.packets.length >= this.maxPackets || this.heldBytes + cost > this.maxBytes) return false;
    this.packets.push(p);
    this.heldBytes += cost;
    return true;
  }
  // #endregion hold

  /** Forgets everything held; returns how many packets that was. */
  clear(): number {
    const n = this.packets.length;
    this.stats.discarded += n;
    this.packets.length = 0;
    this.heldBytes = 0;
    return n;
  }

  // #region place
  /**
   * Moves held packets into receive buffers, in order, while the driver has buffers. Returns
   * whether any buffer was used, and the queue's error if the ring is broken.
   */
  flush(q: DeviceQueue, mem: GuestMemory): { pushed: boolean; error: VirtqError | null } {
    let pushed = false;
    while (this.packets.length > 0) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return { pushed, error: r.error };
      this.place(q, mem, r.chain);
      pushed = true;
    }
    return { pushed, error: null };
  }

  private place(q: DeviceQueue, mem: GuestMemory, chain: DescriptorChain): void {
    const w = new ChainWriter(mem, chain);
    const head = this.packets[0];
    const room = w.remaining - VSOCK_HDR_SIZE;
    // Receive buffers are device-writable only (§5.10.6.4), and must take at least a header
    // (and a byte of data when data is next). Otherwise: back unused, the packet still waits.
    if (readableBuffers(chain).length > 0 || room < 0 || (room === 0 && head.payload.length > 0)) {
      this.stats.badBuffers++;
      q.push(chain, 0);
      return;
    }
    const n = Math.min(head.payload.length, room);
    const last = n === head.payload.length;
    const boundaries = VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR;
    const flags = last || head.hdr.op !== VIRTIO_VSOCK_OP_RW ? head.hdr.flags : head.hdr.flags & ~boundaries;
    w.write(encodeHdr({ ...head.hdr, len: n, flags }));
    w.write(head.payload.subarray(0, n));
    q.push(chain, w.written);
    if (last) {
      this.packets.shift();
      this.heldBytes -= VSOCK_HDR_SIZE + n;
      this.stats.placed++;
    } else {
      if (head.payload.length === head.hdr.len) this.stats.split++; // count each packet once
      this.packets[0] = { hdr: head.hdr, payload: head.payload.subarray(n) };
      this.heldBytes -= n;
    }
  }
  // #endregion place
}
