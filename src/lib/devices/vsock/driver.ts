// The guest side of a socket device over the in-process Loopback: a small socket API
// (listen, connect, send, recv, close) on the device's three queues, as a guest kernel's vsock
// transport provides it (VIRTIO 1.4 §5.10.5, §5.10.6). Tests and examples use it; raw()
// transmits any bytes at all, for packets a well-behaved driver would never build.
import { hasFeature } from '../../virtio/feature-bits.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import type { ConnectionOptions, VsockConnection } from './connection.ts';
import { VSOCK_CFG_GUEST_CID } from './config.ts';
import { VSOCK_EVENT_QUEUE, VSOCK_RX_QUEUE, VSOCK_TX_QUEUE } from './device.ts';
import { seqpacketAllowed, streamAllowed, VIRTIO_VSOCK_F_NO_IMPLIED_STREAM } from './features.ts';
import {
  decodeEvent,
  decodePacket,
  encodeHdr,
  VIRTIO_VSOCK_EVENT_TRANSPORT_RESET,
  VSOCK_HDR_SIZE,
  type VsockPacket,
} from './packet.ts';
import { SocketTable, type VsockListener } from './socket-table.ts';

export interface VsockDriverOptions extends ConnectionOptions {
  /** Receive buffers kept posted; default 16. */
  readonly rxBuffers?: number;
  /** Bytes per receive buffer, header included; default 44 + 4096. */
  readonly rxBufferSize?: number;
  /** Event buffers kept posted; default 2. */
  readonly eventBuffers?: number;
}

export interface VsockDriverStats {
  /** Packets taken from the rx queue. */
  rxPackets: number;
  /** Receive buffers the device returned without a whole header (unused). */
  rxEmpty: number;
  txPackets: number;
  transportResets: number;
}

export class VsockDriver {
  readonly lb: Loopback;
  readonly sockets: SocketTable;
  readonly stats: VsockDriverStats = { rxPackets: 0, rxEmpty: 0, txPackets: 0, transportResets: 0 };
  /** Every packet received, if `logging` is on. */
  readonly log: VsockPacket[] = [];
  logging = false;
  private readonly rxBufferSize: number;

  // #region driver-init
  constructor(lb: Loopback, opts: VsockDriverOptions = {}) {
    this.lb = lb;
    this.rxBufferSize = opts.rxBufferSize ?? VSOCK_HDR_SIZE + 4096;
    // §5.10.5: read the CID, post event buffers, then receive buffers.
    this.sockets = new SocketTable({
      ...opts,
      cid: this.readCid(),
      transmit: (p) => this.transmit(p),
      stream: streamAllowed(lb.features),
      seqpacket: seqpacketAllowed(lb.features),
    });
    for (let i = 0; i < (opts.eventBuffers ?? 2); i++) lb.submit(VSOCK_EVENT_QUEUE, [], [8]);
    this.postRx(opts.rxBuffers ?? 16);
  }
  // #endregion driver-init

  /** guest_cid as the driver reads it from the configuration space. */
  readCid(): bigint {
    return this.lb.device.config.u64(VSOCK_CFG_GUEST_CID);
  }

  get cid(): bigint {
    return this.sockets.cid;
  }

  /** Whether NO_IMPLIED_STREAM was negotiated (a driver should accept it, §5.10.3.1). */
  get noImpliedStream(): boolean {
    return hasFeature(this.lb.features, VIRTIO_VSOCK_F_NO_IMPLIED_STREAM);
  }

  postRx(count: number, size = this.rxBufferSize): void {
    for (let i = 0; i < count; i++) this.lb.submit(VSOCK_RX_QUEUE, [], [size]);
  }

  listen(port: number, opts: { type?: number; backlog?: number } & ConnectionOptions = {}): VsockListener {
    return this.sockets.listen(port, opts);
  }

  connect(cid: bigint | number, port: number, opts: { type?: number; localPort?: number } & ConnectionOptions = {}): VsockConnection {
    return this.sockets.connect(BigInt(cid), port, opts);
  }

  // #region driver-pump
  /**
   * Takes what the device returned on the rx and event queues, hands packets to the sockets
   * (whose replies go out on tx at once) and gives the buffers back. Returns how many packets
   * and events it took; call it until it returns 0, or use settle().
   */
  pump(): number {
    let n = 0;
    for (const c of this.lb.poll(VSOCK_EVENT_QUEUE)) {
      n++;
      if (decodeEvent(c.data.subarray(0, c.len)) === VIRTIO_VSOCK_EVENT_TRANSPORT_RESET) {
        // §5.10.6.7: fetch the CID again, end every connection, keep listeners on the new CID.
        this.stats.transportResets++;
        this.sockets.transportReset(this.readCid());
      }
      this.lb.submit(VSOCK_EVENT_QUEUE, [], [8]);
    }
    const done = this.lb.poll(VSOCK_RX_QUEUE);
    for (const c of done) {
      n++;
      const p = decodePacket(c.data.subarray(0, c.len));
      if (!p) this.stats.rxEmpty++;
      else {
        this.stats.rxPackets++;
        if (this.logging) this.log.push(p);
        this.sockets.receive(p);
      }
    }
    if (done.length > 0) this.postRx(done.length);
    this.lb.poll(VSOCK_TX_QUEUE); // tx buffers the device took late (it had paused) come back empty
    return n;
  }
  // #endregion driver-pump

  /** Puts a packet on the tx queue: header and payload as two device-readable buffers. */
  transmit(p: VsockPacket): void {
    this.stats.txPackets++;
    const hdr = encodeHdr(p.hdr);
    this.raw(p.payload.length > 0 ? [hdr, p.payload] : [hdr]);
  }

  /** Transmits arbitrary device-readable (and, if asked, device-writable) buffers on tx. */
  raw(out: readonly Uint8Array[], inLens: readonly number[] = []): void {
    this.lb.submit(VSOCK_TX_QUEUE, out, inLens);
    this.lb.poll(VSOCK_TX_QUEUE); // tx buffers come back at once; nothing is in them
  }
}

/** Pumps every driver until none has anything left to take. Returns the rounds it took. */
export function settle(...drivers: readonly VsockDriver[]): number {
  let rounds = 0;
  for (;;) {
    let n = 0;
    for (const d of drivers) n += d.pump();
    if (n === 0) return rounds;
    rounds++;
    if (rounds > 10_000) throw new Error('vsock: drivers did not settle');
  }
}
