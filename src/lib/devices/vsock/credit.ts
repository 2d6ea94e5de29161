// Credit-based flow control of stream and seqpacket sockets (VIRTIO 1.4 §5.10.6.3). Every
// packet of a flow carries the sender's buf_alloc (its receive buffer for the socket) and
// fwd_cnt (a free-running u32 count of bytes its application has consumed). A sender may have
// at most peer_buf_alloc - (tx_cnt - peer_fwd_cnt) payload bytes in flight. Two views live here:
// CreditAccount is one socket's own bookkeeping; CreditWindow is what the switch keeps to check
// a sender it does not trust.

/** u32 arithmetic: the counters wrap at 2^32. */
export function u32(x: number): number {
  return x >>> 0;
}

// #region peer-free
/**
 * Bytes the peer can still take: its buffer minus what is in flight. A peer that shrank its
 * buffer below what is in flight leaves no credit, not a wrapped-around huge one.
 */
export function peerFree(peerBufAlloc: number, txCnt: number, peerFwdCnt: number): number {
  const inFlight = u32(txCnt - peerFwdCnt);
  return Math.max(0, peerBufAlloc - inFlight);
}
// #endregion peer-free

// #region credit-account
/** One socket's credit state, as an endpoint (host socket or guest socket) keeps it. */
export class CreditAccount {
  /** Our receive buffer for this socket, advertised in every header we send. */
  readonly bufAlloc: number;
  /** Bytes our application has consumed (free-running, u32). */
  fwdCnt = 0;
  /** Bytes received from the peer (free-running, u32). */
  rxCnt = 0;
  /** Bytes sent to the peer (free-running, u32). */
  txCnt = 0;
  peerBufAlloc = 0;
  peerFwdCnt = 0;
  /** fwd_cnt as the peer last heard it from us. */
  private advertisedFwd = 0;

  constructor(bufAlloc: number) {
    if (!Number.isInteger(bufAlloc) || bufAlloc < 0 || bufAlloc > 0xffffffff) throw new RangeError('bufAlloc: a u32');
    this.bufAlloc = bufAlloc;
  }

  /** What may be sent now. */
  get peerFree(): number {
    return peerFree(this.peerBufAlloc, this.txCnt, this.peerFwdCnt);
  }

  /** Received bytes our application has not consumed yet. */
  get unread(): number {
    return u32(this.rxCnt - this.fwdCnt);
  }

  /** The credit fields of a header we send; the peer will know our fwd_cnt from now on. */
  stamp(): { bufAlloc: number; fwdCnt: number } {
    this.advertisedFwd = this.fwdCnt;
    return { bufAlloc: this.bufAlloc, fwdCnt: this.fwdCnt };
  }

  /** Every packet of the flow updates what we know of the peer (§5.10.6.3). */
  fromPeer(bufAlloc: number, fwdCnt: number): void {
    this.peerBufAlloc = bufAlloc;
    this.peerFwdCnt = fwdCnt;
  }

  sent(n: number): void {
    this.txCnt = u32(this.txCnt + n);
  }

  /** Whether `n` more received bytes fit in our buffer; a compliant peer never sends more. */
  fits(n: number): boolean {
    return this.unread + n <= this.bufAlloc;
  }

  received(n: number): void {
    this.rxCnt = u32(this.rxCnt + n);
  }

  consumed(n: number): void {
    this.fwdCnt = u32(this.fwdCnt + n);
  }

  /**
   * Whether to tell the peer about freed space now: once at least half the buffer was freed
   * since it last heard from us. A sender that ran out of credit has filled the buffer, so
   * reading it all always frees half: a blocked sender is always told.
   */
  updateDue(): boolean {
    const freedSinceAd = u32(this.fwdCnt - this.advertisedFwd);
    return freedSinceAd > 0 && freedSinceAd * 2 >= this.bufAlloc;
  }
}
// #endregion credit-account

// #region credit-window
/**
 * The switch's check of one direction of a flow. It counts what the sender sent and follows
 * the receiver's headers, on unwrapped counters. The window end is the furthest point the
 * receiver has ever granted (fwd_cnt + buf_alloc): a sender that used an older, larger grant
 * before it saw a smaller one is not blamed for it.
 */
export class CreditWindow {
  /** Payload bytes the sender has sent. */
  sent = 0;
  /** Bytes the receiver says it consumed (unwrapped, never beyond `sent`). */
  consumed = 0;
  /** The furthest byte count the receiver has allowed. */
  windowEnd = 0;
  private lastFwdRaw = 0;
  private granted = false;

  /** A header from the receiver: its buf_alloc and fwd_cnt. */
  grant(bufAlloc: number, fwdCntRaw: number): void {
    const delta = this.granted ? u32(fwdCntRaw - this.lastFwdRaw) : fwdCntRaw;
    this.granted = true;
    this.lastFwdRaw = fwdCntRaw;
    // A receiver cannot have consumed bytes that were never sent: cap what it claims.
    this.consumed = Math.min(this.consumed + delta, this.sent);
    this.windowEnd = Math.max(this.windowEnd, this.consumed + bufAlloc);
  }

  /** Credit the sender has now. */
  get available(): number {
    return Math.max(0, this.windowEnd - this.sent);
  }

  /** Whether `n` more bytes stay inside what the receiver allowed. */
  allows(n: number): boolean {
    return this.sent + n <= this.windowEnd;
  }

  charge(n: number): void {
    this.sent += n;
  }
}
// #endregion credit-window
