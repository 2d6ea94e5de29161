// The guest side of an rpmsg link over the in-process Loopback: what Linux's virtio_rpmsg_bus
// and rpmsg_ns do, reduced to what a test or an example needs. It posts 512-byte receive
// buffers, keeps endpoints at addresses from 1024 up (idr_alloc from RPMSG_RESERVED_ADDRESSES),
// turns name-service announcements into channels and binds the client registered for a
// channel's name, as the rpmsg bus matches drivers by name. Its checks on received messages are
// Linux's (rpmsg_recv_single, rpmsg_ns_cb), each counted by name; unlike Linux it posts a
// receive buffer again after a malformed message (Linux stops reading the queue there and does
// not give that buffer back).
import type { Loopback } from '../../virtio/loopback.ts';
import { hasFeature } from '../../virtio/feature-bits.ts';
import * as P from './protocol.ts';

// #region driver-errors
export const RPMSG_DRIVER_ERRORS = [
  'RX_SHORT', // used length below the 16-byte header
  'RX_LEN_EXCEEDS_USED', // the header's len is more than the used length less 16 ["inbound msg too big"]
  'RX_NO_RECIPIENT', // no endpoint at dst ["msg received with no recipient"]
  'NS_BAD_SIZE', // an announcement whose payload is not 40 bytes ["malformed ns msg"]
  'NS_DUPLICATE', // CREATE for a channel that exists ["channel ... already exist"]
  'NS_UNKNOWN_CHANNEL', // DESTROY for a channel that does not exist
] as const;
export type RpmsgDriverError = (typeof RPMSG_DRIVER_ERRORS)[number];

/** Why a send was refused, with Linux's errno names. */
export type RpmsgDriverSendError = 'EINVAL' | 'EMSGSIZE' | 'ENOMEM';
// #endregion driver-errors

/** A remote service the guest was told of: Linux's rpmsg device (rpmsg channel). */
export interface RpmsgChannel {
  readonly name: string;
  /** The service's address on the core. */
  readonly dst: number;
  /** The local endpoint bound to it by the client, if one is registered for the name. */
  ept: number | null;
}

/** A client for channels of one name: Linux's rpmsg_driver with a one-entry id_table. */
export interface RpmsgClient {
  probe?(ch: RpmsgChannel, drv: RpmsgDriver): void;
  message(ch: RpmsgChannel, src: number, payload: Uint8Array, drv: RpmsgDriver): void;
  remove?(ch: RpmsgChannel, drv: RpmsgDriver): void;
}

export interface RpmsgDriverOptions {
  /** Receive buffers kept posted; default the queue size up to 256 (MAX_RPMSG_NUM_BUFS / 2). */
  readonly rxBuffers?: number;
  /** Transmit buffers; default as many as receive buffers. */
  readonly txBuffers?: number;
  /** Size of each buffer; default 512. */
  readonly bufSize?: number;
}

type Receiver = (src: number, payload: Uint8Array) => void;

export class RpmsgDriver {
  readonly lb: Loopback;
  readonly bufSize: number;
  readonly txBuffers: number;
  readonly errors = new Map<RpmsgDriverError, number>();
  readonly channels: RpmsgChannel[] = [];
  /** Messages handed to an endpoint. */
  received = 0;
  /** Transmit buffers the device handed back, and how many of them with a used length other than 0. */
  txCompleted = 0;
  txNonZeroUsed = 0;
  private readonly endpoints = new Map<number, Receiver>();
  private readonly clients = new Map<string, RpmsgClient>();
  private txInFlight = 0;

  constructor(lb: Loopback, opts: RpmsgDriverOptions = {}) {
    this.lb = lb;
    this.bufSize = opts.bufSize ?? P.RPMSG_BUF_SIZE;
    const size = lb.queues[P.RPMSG_RX_QUEUE].size;
    const rx = opts.rxBuffers ?? Math.min(size, P.RPMSG_MAX_NUM_BUFS / 2);
    this.txBuffers = opts.txBuffers ?? rx;
    // rpmsg_ns_probe: the name service's endpoint sits at address 53.
    if (this.ns) this.endpoints.set(P.RPMSG_NS_ADDR, (_src, payload) => this.nameService(payload));
    for (let i = 0; i < rx; i++) lb.submit(P.RPMSG_RX_QUEUE, [], [this.bufSize]);
    this.poll();
  }

  /** Whether VIRTIO_RPMSG_F_NS was negotiated. */
  get ns(): boolean {
    return hasFeature(this.lb.features, P.VIRTIO_RPMSG_F_NS);
  }

  // #region endpoints
  /** A local endpoint at `addr`, or at the lowest free address from 1024 up; null if taken. */
  createEndpoint(receive: Receiver, addr: number = P.RPMSG_ADDR_ANY): number | null {
    if (addr === P.RPMSG_ADDR_ANY) {
      addr = P.RPMSG_RESERVED_ADDRESSES;
      while (this.endpoints.has(addr)) addr++;
    } else if (this.endpoints.has(addr)) return null;
    this.endpoints.set(addr, receive);
    return addr;
  }

  destroyEndpoint(addr: number): void {
    this.endpoints.delete(addr);
  }

  hasEndpoint(addr: number): boolean {
    return this.endpoints.has(addr);
  }
  // #endregion endpoints

  /** Binds `client` to every channel named `name`, now and when one is announced. */
  register(name: string, client: RpmsgClient): void {
    this.clients.set(name, client);
    for (const ch of this.channels) if (ch.name === name && ch.ept === null) this.bind(ch, client);
  }

  channel(name: string): RpmsgChannel | undefined {
    return this.channels.find((c) => c.name === name);
  }

  // #region send
  /** Sends `payload` from local endpoint `src` to `dst` (rpmsg_trysend_offchannel): null, or why not. */
  send(src: number, dst: number, payload: Uint8Array): RpmsgDriverSendError | null {
    this.reapTx();
    if (src === P.RPMSG_ADDR_ANY || dst === P.RPMSG_ADDR_ANY) return 'EINVAL'; // "bcasting isn't allowed"
    if (payload.length > this.bufSize - P.RPMSG_HDR_SIZE) return 'EMSGSIZE';
    if (this.txInFlight >= this.txBuffers) return 'ENOMEM'; // Linux's trysend; send would wait up to 15 s
    this.txInFlight++;
    // One buffer of exactly header plus payload, as virtqueue_add_outbuf gets it.
    this.lb.submit(P.RPMSG_TX_QUEUE, [P.encodeMessage(src, dst, payload)], []);
    this.reapTx();
    return null;
  }
  // #endregion send

  /** Tells the core's name service of a local service (virtio_rpmsg_announce_create). */
  announce(name: string, addr: number, destroy = false): RpmsgDriverSendError | null {
    if (!this.ns) return 'EINVAL';
    return this.send(addr, P.RPMSG_NS_ADDR, P.encodeNs({ name, addr, flags: destroy ? P.RPMSG_NS_DESTROY : P.RPMSG_NS_CREATE }));
  }

  // #region receive
  /** Handles every message the device has returned, in order; returns how many there were. */
  poll(): number {
    this.reapTx();
    const done = this.lb.poll(P.RPMSG_RX_QUEUE);
    for (const c of done) {
      this.receiveOne(c.len, c.data);
      this.lb.submit(P.RPMSG_RX_QUEUE, [], [this.bufSize]); // the buffer goes back, as rpmsg_recv_single adds it again
    }
    return done.length;
  }

  private receiveOne(len: number, data: Uint8Array): void {
    // rpmsg_recv_single: "if (len > vrp->buf_size || msg_len > (len - sizeof(struct rpmsg_hdr)))".
    // The first half cannot happen here: the virtqueue code refuses a used length past the
    // buffer before it reaches the ring (outstanding.ts). Linux does the subtraction unsigned, so
    // a used length under 16 slips through its check; the model refuses it first.
    if (len < P.RPMSG_HDR_SIZE) return this.count('RX_SHORT');
    const h = P.decodeHeader(data);
    if (h.len > len - P.RPMSG_HDR_SIZE) return this.count('RX_LEN_EXCEEDS_USED');
    const ept = this.endpoints.get(h.dst);
    if (!ept) return this.count('RX_NO_RECIPIENT');
    this.received++;
    ept(h.src, data.slice(P.RPMSG_HDR_SIZE, P.RPMSG_HDR_SIZE + h.len));
  }
  // #endregion receive

  // #region name-service
  /** rpmsg_ns_cb: a service appeared or went away. */
  private nameService(payload: Uint8Array): void {
    if (payload.length !== P.RPMSG_NS_MSG_SIZE) return this.count('NS_BAD_SIZE');
    const m = P.decodeNs(payload);
    const at = this.channels.findIndex((c) => c.name === m.name && c.dst === m.addr);
    if (P.isDestroy(m.flags)) {
      if (at < 0) return this.count('NS_UNKNOWN_CHANNEL');
      const [ch] = this.channels.splice(at, 1);
      // rpmsg_unregister_device: the client's remove, then its endpoint is destroyed, so nothing
      // that arrives later for the old binding finds a receiver.
      this.clients.get(ch.name)?.remove?.(ch, this);
      if (ch.ept !== null) this.endpoints.delete(ch.ept);
      ch.ept = null;
      return;
    }
    if (at >= 0) return this.count('NS_DUPLICATE');
    const ch: RpmsgChannel = { name: m.name, dst: m.addr, ept: null };
    this.channels.push(ch);
    const client = this.clients.get(m.name);
    if (client) this.bind(ch, client);
  }
  // #endregion name-service

  private bind(ch: RpmsgChannel, client: RpmsgClient): void {
    // rpmsg_dev_probe: an endpoint at a fresh address, bound to the client's callback.
    ch.ept = this.createEndpoint((src, payload) => client.message(ch, src, payload, this));
    client.probe?.(ch, this);
  }

  private reapTx(): void {
    for (const c of this.lb.poll(P.RPMSG_TX_QUEUE)) {
      this.txInFlight--;
      this.txCompleted++;
      if (c.len !== 0) this.txNonZeroUsed++;
    }
  }

  private count(e: RpmsgDriverError): void {
    this.errors.set(e, (this.errors.get(e) ?? 0) + 1);
  }

  error(e: RpmsgDriverError): number {
    return this.errors.get(e) ?? 0;
  }
}
