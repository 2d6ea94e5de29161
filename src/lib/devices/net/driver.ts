// The guest side of a network device, over the in-process Loopback: what a guest driver does
// with the queues, reduced to a few calls. Tests and examples use it; it trusts nothing the
// device returns beyond what the queue layer already checked.
import { type Completion, Loopback } from '../../virtio/loopback.ts';
import { hasFeature } from '../../virtio/feature-bits.ts';
import { NET_CFG_MAC, NET_CFG_MAX_VIRTQUEUE_PAIRS, NET_CFG_MTU, NET_CFG_SPEED, NET_CFG_DUPLEX, NET_CFG_STATUS } from './config.ts';
import { VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS } from './features.ts';
import { decodeNetHdr, encodeNetHdr, type NetHdr, netHdrSize } from './net-hdr.ts';
import { concatBytes } from '../../virtio/bytes.ts';

export interface ReceivedPacket {
  /** The header of the first buffer. */
  readonly hdr: NetHdr;
  /** The frame, reassembled across buffers. */
  readonly frame: Uint8Array;
  /** How many used buffers it took. */
  readonly buffers: number;
}

export class NetDriver {
  readonly lb: Loopback;
  /** struct virtio_net_hdr size with the negotiated features. */
  readonly hdrSize: number;
  /** N, the queue pairs set up. */
  readonly pairs: number;
  /** Used receive buffers with a length too short for a header (returned unused by the device). */
  emptyBuffers = 0;
  private readonly pendingRx: Completion[][];

  constructor(lb: Loopback) {
    this.lb = lb;
    this.hdrSize = netHdrSize(lb.features);
    const multi = hasFeature(lb.features, VIRTIO_NET_F_MQ) || hasFeature(lb.features, VIRTIO_NET_F_RSS);
    this.pairs = multi ? lb.device.config.u16(NET_CFG_MAX_VIRTQUEUE_PAIRS) : 1;
    this.pendingRx = Array.from({ length: this.pairs }, () => []);
  }

  static rxQueue(pair: number): number {
    return 2 * pair;
  }

  static txQueue(pair: number): number {
    return 2 * pair + 1;
  }

  /** The control queue's index, or null if VIRTIO_NET_F_CTRL_VQ was not negotiated. */
  get ctrlQueue(): number | null {
    return hasFeature(this.lb.features, VIRTIO_NET_F_CTRL_VQ) ? 2 * this.pairs : null;
  }

  /** Posts `count` receive buffers of `size` bytes (default: header plus a 1514-byte frame). */
  postRx(count: number, size = this.hdrSize + 1514, pair = 0): void {
    for (let i = 0; i < count; i++) this.lb.submit(NetDriver.rxQueue(pair), [], [size]);
  }

  /**
   * Transmits a frame with a header (zeros unless `hdr` says otherwise). `split` cuts the
   * header-and-frame bytes into descriptors of those lengths (the rest in a last one).
   * Returns the used length the device reported, or null if the buffer was not returned.
   */
  send(frame: Uint8Array, opts: { pair?: number; hdr?: Partial<NetHdr>; split?: readonly number[]; raw?: Uint8Array } = {}): number | null {
    const bytes = opts.raw ?? concatBytes(encodeNetHdr(opts.hdr ?? {}, this.hdrSize), frame);
    const parts: Uint8Array[] = [];
    let at = 0;
    for (const n of opts.split ?? []) {
      parts.push(bytes.subarray(at, Math.min(at + n, bytes.length)));
      at = Math.min(at + n, bytes.length);
    }
    if (at < bytes.length || parts.length === 0) parts.push(bytes.subarray(at));
    const q = NetDriver.txQueue(opts.pair ?? 0);
    const id = this.lb.submit(q, parts.filter((p) => p.length > 0), []);
    const done = this.lb.poll(q).find((c) => c.id === id);
    return done ? done.len : null;
  }

  /** Every complete packet the device has placed on receiveq(pair+1) so far. */
  receive(pair = 0): ReceivedPacket[] {
    const pending = this.pendingRx[pair];
    pending.push(...this.lb.poll(NetDriver.rxQueue(pair)));
    const out: ReceivedPacket[] = [];
    while (pending.length > 0) {
      if (pending[0].len < this.hdrSize) {
        this.emptyBuffers++;
        pending.shift();
        continue;
      }
      const hdr = decodeNetHdr(pending[0].data);
      const n = Math.max(1, hdr.numBuffers);
      if (pending.length < n) break; // the rest of this packet is not used yet
      const used = pending.splice(0, n);
      const frame = concatBytes(...used.map((c, i) => (i === 0 ? c.data.subarray(this.hdrSize) : c.data)));
      out.push({ hdr, frame, buffers: n });
    }
    return out;
  }

  /** Sends a control request and returns the ack byte; throws without a control queue. */
  control(request: Uint8Array, ackLen = 1): number {
    const q = this.ctrlQueue;
    if (q === null) throw new Error('VIRTIO_NET_F_CTRL_VQ was not negotiated');
    const c = this.lb.request(q, [request], ackLen > 0 ? [ackLen] : []);
    return c.len >= 1 ? c.data[0] : -1;
  }

  // Configuration space reads, as a driver does them.
  get mac(): Uint8Array {
    return this.lb.device.config.read(NET_CFG_MAC, 6);
  }
  get status(): number {
    return this.lb.device.config.u16(NET_CFG_STATUS);
  }
  get mtu(): number {
    return this.lb.device.config.u16(NET_CFG_MTU);
  }
  get speed(): number {
    return this.lb.device.config.u32(NET_CFG_SPEED);
  }
  get duplex(): number {
    return this.lb.device.config.u8(NET_CFG_DUPLEX);
  }
}
