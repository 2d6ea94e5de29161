// The switch's view of every connection that passes through it (VIRTIO 1.4 §5.10.6.2,
// §5.10.6.3, §5.10.6.5). The switch does not trust a guest to keep the protocol, so it follows
// each flow's state and both directions' credit, and judges every packet: forward it, refuse it
// (the sender gets a RST), or, when a guest breaks the rules of a flow it is in, reset the flow.
// Each flow costs a fixed amount of memory and each CID may have a bounded number of them.
import { CreditWindow } from './credit.ts';
import {
  isKnownOp,
  VIRTIO_VSOCK_OP_CREDIT_REQUEST,
  VIRTIO_VSOCK_OP_CREDIT_UPDATE,
  VIRTIO_VSOCK_OP_REQUEST,
  VIRTIO_VSOCK_OP_RESPONSE,
  VIRTIO_VSOCK_OP_RST,
  VIRTIO_VSOCK_OP_RW,
  VIRTIO_VSOCK_OP_SHUTDOWN,
  VSOCK_SHUTDOWN_BOTH,
  VSOCK_SHUTDOWN_SEND,
  type VsockPacket,
} from './packet.ts';

export interface FlowEnd {
  readonly cid: bigint;
  readonly port: number;
  /** Shutdown bits this end has sent. */
  shutdown: number;
  /** The credit this end has for sending, as granted by the other end's headers. */
  readonly tx: CreditWindow;
}

export interface Flow {
  readonly key: string;
  readonly type: number;
  state: 'requested' | 'established';
  readonly initiator: FlowEnd;
  readonly responder: FlowEnd;
}

/** Why a packet was refused (the sender gets a RST) or why a flow was reset. */
export type FlowFault =
  | 'no-flow' // not a REQUEST, and no connection exists for its tuple
  | 'bad-op' // an op VIRTIO does not define
  | 'type-mismatch' // a type other than the flow's
  | 'duplicate-request' // a REQUEST for a tuple already connected or connecting
  | 'unexpected-op' // an op the flow's state does not allow (e.g. RW before RESPONSE)
  | 'send-after-shutdown' // RW after the sender said it would send no more
  | 'credit-exceeded' // RW beyond the receiver's buf_alloc - (tx_cnt - fwd_cnt)
  | 'flow-limit'; // one of the two CIDs already has its maximum of flows

export type FlowVerdict =
  | { readonly kind: 'forward'; readonly flow: Flow | null }
  | { readonly kind: 'refuse'; readonly fault: FlowFault }
  | { readonly kind: 'violation'; readonly fault: FlowFault; readonly flow: Flow }
  | { readonly kind: 'ignore' }; // a RST for a flow that does not exist: nothing to do

const endKey = (cid: bigint, port: number) => `${cid}:${port}`;

/** The same key whichever end sends. */
function flowKey(p: VsockPacket): string {
  const a = endKey(p.hdr.srcCid, p.hdr.srcPort);
  const b = endKey(p.hdr.dstCid, p.hdr.dstPort);
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export class FlowTable {
  readonly maxFlowsPerCid: number;
  private readonly flows = new Map<string, Flow>();
  private readonly perCid = new Map<bigint, number>();

  constructor(maxFlowsPerCid = 256) {
    this.maxFlowsPerCid = maxFlowsPerCid;
  }

  get size(): number {
    return this.flows.size;
  }

  /** Flows a CID is an end of. */
  countOf(cid: bigint): number {
    return this.perCid.get(cid) ?? 0;
  }

  find(p: VsockPacket): Flow | null {
    return this.flows.get(flowKey(p)) ?? null;
  }

  all(): Flow[] {
    return [...this.flows.values()];
  }

  // #region judge
  /** Judges one packet and updates the flow it belongs to. */
  judge(p: VsockPacket): FlowVerdict {
    const h = p.hdr;
    const flow = this.find(p);
    if (!flow) {
      if (h.op === VIRTIO_VSOCK_OP_RST) return { kind: 'ignore' };
      if (h.op !== VIRTIO_VSOCK_OP_REQUEST) return { kind: 'refuse', fault: isKnownOp(h.op) ? 'no-flow' : 'bad-op' };
      if (this.countOf(h.srcCid) >= this.maxFlowsPerCid || this.countOf(h.dstCid) >= this.maxFlowsPerCid) return { kind: 'refuse', fault: 'flow-limit' };
      return { kind: 'forward', flow: this.open(p) };
    }
    const from = flow.initiator.cid === h.srcCid && flow.initiator.port === h.srcPort ? flow.initiator : flow.responder;
    const to = from === flow.initiator ? flow.responder : flow.initiator;
    if (h.op === VIRTIO_VSOCK_OP_RST) {
      this.remove(flow);
      return { kind: 'forward', flow };
    }
    const fault = this.fault(flow, from, p);
    if (fault) return { kind: 'violation', fault, flow };
    to.tx.grant(h.bufAlloc, h.fwdCnt); // the sender's header is the other end's credit (§5.10.6.3)
    switch (h.op) {
      case VIRTIO_VSOCK_OP_RESPONSE:
        flow.state = 'established';
        break;
      case VIRTIO_VSOCK_OP_RW:
        from.tx.charge(p.payload.length);
        break;
      case VIRTIO_VSOCK_OP_SHUTDOWN:
        from.shutdown |= h.flags & VSOCK_SHUTDOWN_BOTH; // permanent once sent (§5.10.6.5)
        break;
    }
    return { kind: 'forward', flow };
  }

  /** What is wrong with a packet on an existing flow, if anything. */
  private fault(flow: Flow, from: FlowEnd, p: VsockPacket): FlowFault | null {
    const h = p.hdr;
    if (!isKnownOp(h.op)) return 'bad-op';
    if (h.type !== flow.type) return 'type-mismatch';
    if (h.op === VIRTIO_VSOCK_OP_REQUEST) return 'duplicate-request';
    if (h.op === VIRTIO_VSOCK_OP_RESPONSE) return flow.state === 'requested' && from === flow.responder ? null : 'unexpected-op';
    if (flow.state !== 'established') return 'unexpected-op';
    if (h.op === VIRTIO_VSOCK_OP_RW) {
      if (from.shutdown & VSOCK_SHUTDOWN_SEND) return 'send-after-shutdown';
      // §5.10.6.3: the sender may not have more in flight than the receiver allowed.
      if (!from.tx.allows(p.payload.length)) return 'credit-exceeded';
    }
    return h.op === VIRTIO_VSOCK_OP_CREDIT_UPDATE || h.op === VIRTIO_VSOCK_OP_CREDIT_REQUEST || h.op === VIRTIO_VSOCK_OP_SHUTDOWN || h.op === VIRTIO_VSOCK_OP_RW ? null : 'unexpected-op';
  }
  // #endregion judge

  private open(p: VsockPacket): Flow {
    const h = p.hdr;
    const flow: Flow = {
      key: flowKey(p),
      type: h.type,
      state: 'requested',
      initiator: { cid: h.srcCid, port: h.srcPort, shutdown: 0, tx: new CreditWindow() },
      responder: { cid: h.dstCid, port: h.dstPort, shutdown: 0, tx: new CreditWindow() },
    };
    flow.responder.tx.grant(h.bufAlloc, h.fwdCnt); // the REQUEST carries the initiator's buffer
    this.flows.set(flow.key, flow);
    for (const cid of new Set([h.srcCid, h.dstCid])) this.perCid.set(cid, this.countOf(cid) + 1);
    return flow;
  }

  remove(flow: Flow): void {
    if (this.flows.get(flow.key) !== flow) return;
    this.flows.delete(flow.key);
    for (const cid of new Set([flow.initiator.cid, flow.responder.cid])) {
      const n = this.countOf(cid) - 1;
      if (n > 0) this.perCid.set(cid, n);
      else this.perCid.delete(cid);
    }
  }

  /** Removes and returns every flow a CID is an end of. */
  removeAllOf(cid: bigint): Flow[] {
    const gone = this.all().filter((f) => f.initiator.cid === cid || f.responder.cid === cid);
    for (const f of gone) this.remove(f);
    return gone;
  }
}
