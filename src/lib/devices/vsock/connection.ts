// One end of a vsock connection (VIRTIO 1.4 §5.10.6.5, §5.10.6.6): its state, what it does
// with each packet from the peer, and the application's send/recv/shutdown. Host sockets and
// the guest driver's sockets both run this; the switch separately checks what guests send.
import { CreditAccount } from './credit.ts';
import {
  makePacket,
  VIRTIO_VSOCK_OP_CREDIT_REQUEST,
  VIRTIO_VSOCK_OP_CREDIT_UPDATE,
  VIRTIO_VSOCK_OP_RESPONSE,
  VIRTIO_VSOCK_OP_RST,
  VIRTIO_VSOCK_OP_RW,
  VIRTIO_VSOCK_OP_SHUTDOWN,
  VIRTIO_VSOCK_SEQ_EOM,
  VIRTIO_VSOCK_SEQ_EOR,
  VIRTIO_VSOCK_TYPE_SEQPACKET,
  VSOCK_SHUTDOWN_BOTH,
  VSOCK_SHUTDOWN_RECEIVE,
  VSOCK_SHUTDOWN_SEND,
  type VsockPacket,
} from './packet.ts';
import { concatBytes } from '../../virtio/bytes.ts';

export interface VsockAddr {
  readonly cid: bigint;
  readonly port: number;
}

export type ConnState = 'connecting' | 'established' | 'closing' | 'closed';

/** Why a connection ended. */
export type CloseReason =
  | 'refused' // RST in answer to our REQUEST: nobody listens, or the peer lacks resources
  | 'reset' // RST on an established connection
  | 'closed' // clean disconnect: both sides shut down and the RST came
  | 'aborted' // we sent RST ourselves
  | 'protocol-error' // the peer sent something the state does not allow; we answered RST
  | 'transport-reset'; // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (§5.10.6.7)

export interface ConnectionOptions {
  /** Our receive buffer for the socket (buf_alloc); default 64 KiB. */
  readonly bufAlloc?: number;
  /** The largest payload of one RW packet; default 4096. */
  readonly maxPacket?: number;
  /** Bytes send() keeps while waiting for credit; default 256 KiB. */
  readonly sndBuf?: number;
}

interface Chunk {
  data: Uint8Array;
  flags: number; // SEQ_EOM / SEQ_EOR on the last chunk of a seqpacket message
}

export class VsockConnection {
  readonly type: number;
  readonly local: VsockAddr;
  readonly peer: VsockAddr;
  state: ConnState;
  closeReason: CloseReason | null = null;
  readonly credit: CreditAccount;
  /** Shutdown bits the peer has sent; permanent once set (§5.10.6.5). */
  peerShutdown = 0;
  /** Shutdown bits we have sent. */
  localShutdown = 0;
  private readonly maxPacket: number;
  private readonly sndBuf: number;
  private readonly out: (p: VsockPacket) => void;
  private readonly onClose: (c: VsockConnection) => void;
  private readonly rx: Chunk[] = [];
  private readonly tx: Chunk[] = [];
  /** Shutdown bits to send once the data queued before them is gone. */
  private deferredShutdown = 0;

  constructor(init: { type: number; local: VsockAddr; peer: VsockAddr; state: ConnState; out: (p: VsockPacket) => void; onClose: (c: VsockConnection) => void }, opts: ConnectionOptions = {}) {
    this.type = init.type;
    this.local = init.local;
    this.peer = init.peer;
    this.state = init.state;
    this.out = init.out;
    this.onClose = init.onClose;
    this.credit = new CreditAccount(opts.bufAlloc ?? 64 * 1024);
    this.maxPacket = opts.maxPacket ?? 4096;
    this.sndBuf = opts.sndBuf ?? 256 * 1024;
  }

  get seqpacket(): boolean {
    return this.type === VIRTIO_VSOCK_TYPE_SEQPACKET;
  }

  /** Received bytes not yet read. */
  get readable(): number {
    return this.rx.reduce((n, c) => n + c.data.length, 0);
  }

  /** Bytes accepted by send() and still waiting for credit. */
  get pendingTx(): number {
    return this.tx.reduce((n, c) => n + c.data.length, 0);
  }

  // #region emit
  /** Sends one packet of this connection, with our current credit in the header (§5.10.6.3). */
  emit(op: number, flags = 0, payload?: Uint8Array): void {
    this.out(makePacket({ srcCid: this.local.cid, dstCid: this.peer.cid, srcPort: this.local.port, dstPort: this.peer.port, type: this.type, op, flags, ...this.credit.stamp() }, payload));
  }
  // #endregion emit

  // #region handle-packet
  /** A packet of this connection from the peer. */
  handle(p: VsockPacket): void {
    const h = p.hdr;
    if (this.state === 'closed') return;
    this.credit.fromPeer(h.bufAlloc, h.fwdCnt); // every packet carries valid credit (§5.10.6.3)
    if (h.op === VIRTIO_VSOCK_OP_RST) {
      // A RST ends the connection: refused while connecting, the end of a clean close while
      // closing, a forced disconnect otherwise.
      this.finish(this.state === 'connecting' ? 'refused' : this.state === 'closing' ? 'closed' : 'reset');
      return;
    }
    if (this.state === 'connecting') {
      if (h.op === VIRTIO_VSOCK_OP_RESPONSE) {
        this.state = 'established';
        this.flush();
      } else this.protocolError();
      return;
    }
    switch (h.op) {
      case VIRTIO_VSOCK_OP_RW:
        if (this.peerShutdown & VSOCK_SHUTDOWN_SEND || !this.credit.fits(p.payload.length)) return this.protocolError();
        this.credit.received(p.payload.length);
        if (this.localShutdown & VSOCK_SHUTDOWN_RECEIVE) {
          // Sent before the peer saw our shutdown: nobody will read it, but it was delivered.
          this.credit.consumed(p.payload.length);
          return;
        }
        if (p.payload.length > 0 || this.seqpacket) this.rx.push({ data: p.payload, flags: h.flags & (VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR) });
        return;
      case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        this.flush(); // the new credit may let queued data go
        return;
      case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        this.emit(VIRTIO_VSOCK_OP_CREDIT_UPDATE);
        return;
      case VIRTIO_VSOCK_OP_SHUTDOWN:
        this.peerShutdown |= h.flags & VSOCK_SHUTDOWN_BOTH;
        if (this.peerShutdown & VSOCK_SHUTDOWN_RECEIVE) this.tx.length = 0; // nobody will read it
        if (this.peerShutdown === VSOCK_SHUTDOWN_BOTH) {
          // The peer is done both ways: finish the clean disconnect with a RST (§5.10.6.5).
          this.emit(VIRTIO_VSOCK_OP_RST);
          this.finish('closed');
        }
        return;
      default:
        this.protocolError(); // REQUEST, RESPONSE or anything else on an open connection
    }
  }
  // #endregion handle-packet

  // #region send
  /**
   * Queues data and sends what the peer's credit allows. A stream takes as much as fits in
   * the send buffer; a seqpacket message is taken whole or not at all. Returns bytes taken.
   */
  send(data: Uint8Array, opts: { eor?: boolean } = {}): number {
    if (this.state !== 'established' && this.state !== 'connecting') return 0;
    if ((this.localShutdown | this.deferredShutdown) & VSOCK_SHUTDOWN_SEND || this.peerShutdown & VSOCK_SHUTDOWN_RECEIVE) return 0;
    const room = this.sndBuf - this.pendingTx;
    if (this.seqpacket) {
      // A message must fit the peer's whole buffer, since it is delivered whole.
      if (data.length > room || (this.state === 'established' && data.length > this.credit.peerBufAlloc)) return 0;
      this.tx.push({ data: data.slice(), flags: VIRTIO_VSOCK_SEQ_EOM | (opts.eor ? VIRTIO_VSOCK_SEQ_EOR : 0) });
      this.flush();
      return data.length;
    }
    const n = Math.min(room, data.length);
    if (n > 0) this.tx.push({ data: data.slice(0, n), flags: 0 });
    this.flush();
    return n;
  }

  /** Sends queued data while the peer has credit, in packets of at most maxPacket bytes. */
  flush(): void {
    while (this.state === 'established' && this.tx.length > 0) {
      const free = this.credit.peerFree; // §5.10.6.3: never more than the peer can take
      if (free === 0) return;
      const head = this.tx[0];
      const n = Math.min(head.data.length, free, this.maxPacket);
      const last = n === head.data.length;
      const piece = head.data.subarray(0, n);
      if (last) this.tx.shift();
      else head.data = head.data.subarray(n);
      this.credit.sent(n);
      this.emit(VIRTIO_VSOCK_OP_RW, last ? head.flags : 0, piece);
    }
    if (this.state === 'established' && this.tx.length === 0 && this.deferredShutdown !== 0) {
      const bits = this.deferredShutdown;
      this.deferredShutdown = 0;
      this.shutdown(bits);
    }
  }
  // #endregion send

  // #region recv
  /** Reads up to `max` bytes (a stream); may tell the peer about the space it frees. */
  recv(max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const parts: Uint8Array[] = [];
    let n = 0;
    while (this.rx.length > 0 && n < max) {
      const head = this.rx[0];
      const take = Math.min(head.data.length, max - n);
      parts.push(head.data.subarray(0, take));
      n += take;
      if (take === head.data.length) this.rx.shift();
      else head.data = head.data.subarray(take);
    }
    this.consume(n);
    return concatBytes(...parts);
  }

  /** The next whole seqpacket message, or null if none has arrived completely. */
  recvMessage(): { data: Uint8Array; eor: boolean } | null {
    const end = this.rx.findIndex((c) => c.flags & VIRTIO_VSOCK_SEQ_EOM);
    if (end < 0) return null;
    const chunks = this.rx.splice(0, end + 1);
    const data = concatBytes(...chunks.map((c) => c.data));
    this.consume(data.length);
    return { data, eor: (chunks[end].flags & VIRTIO_VSOCK_SEQ_EOR) !== 0 };
  }

  private consume(n: number): void {
    if (n === 0) return;
    this.credit.consumed(n);
    const open = this.state === 'established' || this.state === 'closing';
    if (open && this.credit.updateDue()) this.emit(VIRTIO_VSOCK_OP_CREDIT_UPDATE);
  }
  // #endregion recv

  /** Asks the peer for its credit (VIRTIO_VSOCK_OP_CREDIT_REQUEST). */
  requestCredit(): void {
    if (this.state === 'established' || this.state === 'closing') this.emit(VIRTIO_VSOCK_OP_CREDIT_REQUEST);
  }

  /** Tells the peer we will not receive and/or send any more; data already queued goes first. */
  shutdown(bits: number): void {
    if (this.state !== 'established' && this.state !== 'closing') return;
    bits &= VSOCK_SHUTDOWN_BOTH;
    if (bits & VSOCK_SHUTDOWN_SEND && this.tx.length > 0) {
      this.deferredShutdown |= bits;
      return;
    }
    this.localShutdown |= bits;
    this.emit(VIRTIO_VSOCK_OP_SHUTDOWN, this.localShutdown);
    if (this.localShutdown === VSOCK_SHUTDOWN_BOTH) this.state = 'closing'; // the peer's RST completes it
  }

  /** Clean disconnect: shut down both ways and wait for the peer's RST (§5.10.6.5). */
  close(): void {
    if (this.state === 'connecting') return this.abort();
    this.shutdown(VSOCK_SHUTDOWN_BOTH);
  }

  /** Forced disconnect: RST now (also what a closing side does when the peer never answers). */
  abort(): void {
    if (this.state === 'closed') return;
    this.emit(VIRTIO_VSOCK_OP_RST);
    this.finish('aborted');
  }

  /** Ends the connection without sending anything (a transport reset, §5.10.6.7). */
  drop(reason: CloseReason): void {
    this.finish(reason);
  }

  private protocolError(): void {
    this.emit(VIRTIO_VSOCK_OP_RST);
    this.finish('protocol-error');
  }

  private finish(reason: CloseReason): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    this.tx.length = 0;
    this.onClose(this); // received data stays readable
  }
}
