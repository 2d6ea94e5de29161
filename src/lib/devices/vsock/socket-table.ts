// The sockets of one CID: listeners by port and connections by (local port, peer cid, peer
// port). It finds the connection a packet belongs to, answers a REQUEST from a listener, and
// answers with RST what no socket can take (VIRTIO 1.4 §5.10.6.4, §5.10.6.5). The host (CID 2)
// and the guest driver each run one.
import { type ConnectionOptions, VsockConnection } from './connection.ts';
import {
  rstReplyTo,
  VIRTIO_VSOCK_OP_REQUEST,
  VIRTIO_VSOCK_OP_RESPONSE,
  VIRTIO_VSOCK_OP_RST,
  VIRTIO_VSOCK_TYPE_SEQPACKET,
  VIRTIO_VSOCK_TYPE_STREAM,
  type VsockPacket,
} from './packet.ts';

export interface SocketTableOptions extends ConnectionOptions {
  readonly cid: bigint;
  /** Where the table's packets go (the switch, or the driver's tx queue). */
  readonly transmit: (p: VsockPacket) => void;
  /** Socket types this endpoint can use; default both. */
  readonly stream?: boolean;
  readonly seqpacket?: boolean;
}

export interface SocketTableStats {
  /** RST sent for packets no socket could take. */
  rstSent: number;
  /** Packets of a type the endpoint does not use, answered with RST. */
  badType: number;
  /** REQUESTs refused: no listener, a listener of the other type, or a full backlog. */
  refused: number;
  /** Packets addressed to another CID (after a transport reset changed ours), dropped. */
  wrongCid: number;
}

export class VsockListener {
  readonly port: number;
  readonly type: number;
  readonly backlog: number;
  readonly options: ConnectionOptions;
  /** Called for each new connection, before accept() can return it. */
  onConnection: ((c: VsockConnection) => void) | null = null;
  private readonly queue: VsockConnection[] = [];

  constructor(port: number, type: number, backlog: number, options: ConnectionOptions) {
    this.port = port;
    this.type = type;
    this.backlog = backlog;
    this.options = options;
  }

  /** The oldest connection not yet accepted; one reset before it was accepted is skipped. */
  accept(): VsockConnection | null {
    this.prune();
    return this.queue.shift() ?? null;
  }

  /** Connections waiting for accept(). */
  get pending(): number {
    this.prune();
    return this.queue.length;
  }

  /** @internal the table queues a new connection; false if the backlog is full. */
  enqueue(c: VsockConnection): boolean {
    if (this.pending >= this.backlog) return false;
    this.queue.push(c);
    return true;
  }

  private prune(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].state === 'closed') this.queue.splice(i, 1);
  }
}

const key = (localPort: number, peerCid: bigint, peerPort: number) => `${localPort}|${peerCid}|${peerPort}`;

export class SocketTable {
  cid: bigint;
  readonly stats: SocketTableStats = { rstSent: 0, badType: 0, refused: 0, wrongCid: 0 };
  private readonly opts: SocketTableOptions;
  private readonly listeners = new Map<number, VsockListener>();
  private readonly conns = new Map<string, VsockConnection>();
  private nextPort = 1024;

  constructor(opts: SocketTableOptions) {
    this.cid = opts.cid;
    this.opts = opts;
  }

  /** Open connections (closed ones leave the table). */
  get connections(): VsockConnection[] {
    return [...this.conns.values()];
  }

  listen(port: number, opts: { type?: number; backlog?: number } & ConnectionOptions = {}): VsockListener {
    if (this.listeners.has(port)) throw new Error(`port ${port} already has a listener`);
    const l = new VsockListener(port >>> 0, opts.type ?? VIRTIO_VSOCK_TYPE_STREAM, opts.backlog ?? 16, { ...this.opts, ...opts });
    this.listeners.set(l.port, l);
    return l;
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  /** Opens a connection: sends REQUEST; the RESPONSE or RST arrives through receive(). */
  connect(peerCid: bigint, peerPort: number, opts: { type?: number; localPort?: number } & ConnectionOptions = {}): VsockConnection {
    const type = opts.type ?? VIRTIO_VSOCK_TYPE_STREAM;
    const localPort = opts.localPort ?? this.ephemeralPort(peerCid, peerPort);
    if (this.conns.has(key(localPort, peerCid, peerPort))) throw new Error(`${localPort} -> ${peerCid}:${peerPort} is in use`);
    const c = this.open(type, localPort, { cid: peerCid, port: peerPort }, 'connecting', { ...this.opts, ...opts });
    c.emit(VIRTIO_VSOCK_OP_REQUEST); // registered first: the answer may come back at once
    return c;
  }

  // #region demux
  /** A packet addressed to this CID. */
  receive(p: VsockPacket): void {
    const h = p.hdr;
    if (h.dstCid !== this.cid) {
      this.stats.wrongCid++;
      return;
    }
    if (!this.typeUsable(h.type)) {
      // An unknown type is answered with RST, never acted on (§5.10.6.4).
      this.stats.badType++;
      return this.rst(p);
    }
    const c = this.conns.get(key(h.dstPort, h.srcCid, h.srcPort));
    if (c && c.type === h.type) return c.handle(p);
    if (c) return this.rst(p); // a type that does not match the connection's
    if (h.op === VIRTIO_VSOCK_OP_REQUEST) return this.accept(p);
    if (h.op !== VIRTIO_VSOCK_OP_RST) this.rst(p); // nothing to answer a RST with
  }

  private accept(p: VsockPacket): void {
    const h = p.hdr;
    const l = this.listeners.get(h.dstPort);
    if (!l || l.type !== h.type || l.pending >= l.backlog) {
      // No listener, or no room for another connection: refused with RST (§5.10.6.5).
      this.stats.refused++;
      return this.rst(p);
    }
    const c = this.open(h.type, h.dstPort, { cid: h.srcCid, port: h.srcPort }, 'established', l.options);
    c.credit.fromPeer(h.bufAlloc, h.fwdCnt);
    l.enqueue(c);
    c.emit(VIRTIO_VSOCK_OP_RESPONSE);
    l.onConnection?.(c);
  }
  // #endregion demux

  /**
   * VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (§5.10.6.7): every connection ends without a packet;
   * listeners stay and take the new CID.
   */
  transportReset(newCid: bigint): void {
    for (const c of this.connections) c.drop('transport-reset');
    this.cid = newCid;
  }

  private open(type: number, localPort: number, peer: { cid: bigint; port: number }, state: 'connecting' | 'established', o: ConnectionOptions): VsockConnection {
    const k = key(localPort, peer.cid, peer.port);
    const c: VsockConnection = new VsockConnection(
      { type, local: { cid: this.cid, port: localPort }, peer, state, out: (p) => this.opts.transmit(p), onClose: () => this.conns.get(k) === c && this.conns.delete(k) },
      o,
    );
    this.conns.set(k, c);
    return c;
  }

  private typeUsable(type: number): boolean {
    if (type === VIRTIO_VSOCK_TYPE_STREAM) return this.opts.stream ?? true;
    if (type === VIRTIO_VSOCK_TYPE_SEQPACKET) return this.opts.seqpacket ?? true;
    return false;
  }

  private rst(p: VsockPacket): void {
    if (p.hdr.op === VIRTIO_VSOCK_OP_RST) return;
    this.stats.rstSent++;
    this.opts.transmit(rstReplyTo(p));
  }

  /** The next local port from 1024 up with no connection to this peer and no listener on it. */
  private ephemeralPort(peerCid: bigint, peerPort: number): number {
    for (let tries = 0; tries < 0x10000; tries++) {
      const port = this.nextPort;
      this.nextPort = this.nextPort >= 0xfffffffe ? 1024 : this.nextPort + 1;
      if (!this.listeners.has(port) && !this.conns.has(key(port, peerCid, peerPort))) return port;
    }
    throw new Error('no free local port');
  }
}
