// The host side of vsock: a switch that joins the socket devices of several guests and the
// host's own sockets (CID 2), and routes every packet by dst_cid (VIRTIO 1.4 §5.10.6.2). It
// applies the platform's policy to new connections, follows every flow (flow-table.ts), and
// answers with RST what cannot be delivered: an unknown CID, a refused connection, a type the
// sender may not use (§5.10.6.4), a packet of no connection. A guest that breaks the rules of a
// flow it is in (credit, state) gets the flow reset at both ends and is reported.
import { isValidGuestCid, VMADDR_CID_HOST } from './config.ts';
import { type Flow, type FlowEnd, type FlowFault, FlowTable } from './flow-table.ts';
import {
  rstBetween,
  rstReplyTo,
  VIRTIO_VSOCK_OP_REQUEST,
  VIRTIO_VSOCK_OP_RST,
  VIRTIO_VSOCK_TYPE_SEQPACKET,
  VIRTIO_VSOCK_TYPE_STREAM,
  type VsockPacket,
} from './packet.ts';
import { VsockPolicy } from './policy.ts';

export type DeliverResult =
  | 'ok' // taken: placed in the guest's receive queue or held for it
  | 'congested' // the guest's holding area is full: it is not reading its receive queue
  | 'unreachable'; // the guest's driver is not running

// #region ports
/** What the switch needs of something it delivers to: a guest's device, or the host. */
export interface VsockEndpoint {
  readonly cid: bigint;
  /** False while a guest's driver is not running: nothing can be delivered. */
  readonly reachable: boolean;
  /** Whether this end may use a socket type (a guest: what its driver negotiated). */
  allowsType(type: number): boolean;
  deliver(p: VsockPacket): DeliverResult;
}

/** A guest's socket device, as the switch sees it. */
export interface VsockGuestPort extends VsockEndpoint {
  connect(link: VsockLink | null): void;
  /** A migration or host reset: new CID (or the same), event to the driver (§5.10.6.7). */
  transportReset(newCid: bigint): void;
}

/** The host's sockets, as the switch sees them. */
export interface VsockHostPort extends VsockEndpoint {
  transportReset(): void;
}

/** How a device reaches the switch. */
export interface VsockLink {
  /** A packet the guest transmitted, already checked by the device. */
  fromGuest(p: VsockPacket): void;
  /** The device was reset (the guest rebooted or its driver restarted). */
  guestReset(): void;
}
// #endregion ports

export type RefuseReason = 'unknown-cid' | 'bad-type' | 'policy-denied' | 'congested' | FlowFault;

export interface VsockViolation {
  readonly cid: bigint;
  readonly port: number;
  readonly peerCid: bigint;
  readonly peerPort: number;
  readonly op: number;
  readonly fault: FlowFault;
}

export interface VsockSwitchOptions {
  readonly policy?: VsockPolicy;
  /** Flows one CID may be an end of; REQUESTs beyond are refused. Default 256. */
  readonly maxFlowsPerCid?: number;
  /** Violations kept in `violations`; default 64. */
  readonly violationLogSize?: number;
}

export interface VsockSwitchStats {
  forwarded: number;
  readonly refused: Record<RefuseReason, number>;
  /** Flows reset because a guest broke their rules. */
  violations: number;
  /** RSTs the switch itself sent. */
  rstSent: number;
  /** Flows torn down because one end was reset or migrated. */
  flowsTornDown: number;
  /** RSTs for no flow, dropped. */
  ignoredRst: number;
}

const REFUSE_REASONS: readonly RefuseReason[] = [
  'unknown-cid', 'bad-type', 'policy-denied', 'congested', 'no-flow', 'bad-op', 'type-mismatch', 'duplicate-request',
  'unexpected-op', 'send-after-shutdown', 'credit-exceeded', 'flow-limit',
];

export class VsockSwitch {
  readonly policy: VsockPolicy;
  readonly flows: FlowTable;
  readonly stats: VsockSwitchStats;
  /** The latest violations, oldest first. */
  readonly violations: VsockViolation[] = [];
  /** Called for each violation (a platform would log it to its security monitor). */
  onViolation: ((v: VsockViolation) => void) | null = null;
  /** Called for every packet the switch handles or sends, with what became of it. */
  trace: ((p: VsockPacket, outcome: string) => void) | null = null;
  private readonly guests = new Map<bigint, VsockGuestPort>();
  private host: VsockHostPort | null = null;
  private readonly logSize: number;

  constructor(opts: VsockSwitchOptions = {}) {
    this.policy = opts.policy ?? new VsockPolicy();
    this.flows = new FlowTable(opts.maxFlowsPerCid ?? 256);
    this.logSize = opts.violationLogSize ?? 64;
    this.stats = { forwarded: 0, refused: Object.fromEntries(REFUSE_REASONS.map((r) => [r, 0])) as Record<RefuseReason, number>, violations: 0, rstSent: 0, flowsTornDown: 0, ignoredRst: 0 };
  }

  /** Plugs a guest's device in under its CID, which must be valid and unique (§5.10.4). */
  attach(dev: VsockGuestPort): void {
    const cid = dev.cid;
    if (!isValidGuestCid(cid)) throw new RangeError(`CID ${cid} is reserved or wider than 32 bits (§5.10.4)`);
    if (this.guests.has(cid)) throw new Error(`CID ${cid} is already attached`);
    this.guests.set(cid, dev);
    dev.connect({ fromGuest: (p) => this.route(p, dev), guestReset: () => this.tearDown(dev.cid) });
  }

  detach(dev: VsockGuestPort): void {
    if (this.guests.get(dev.cid) !== dev) return;
    this.tearDown(dev.cid);
    this.guests.delete(dev.cid);
    dev.connect(null);
  }

  attachHost(host: VsockHostPort): void {
    if (host.cid !== VMADDR_CID_HOST) throw new RangeError('the host has CID 2');
    this.host = host;
  }

  /** A packet from the host's sockets. */
  fromHost(p: VsockPacket): void {
    if (this.host) this.route(p, this.host);
  }

  /** The guest attached under a CID, if any. */
  guest(cid: bigint): VsockGuestPort | null {
    return this.guests.get(cid) ?? null;
  }

  // #region route
  private route(p: VsockPacket, sender: VsockEndpoint): void {
    const h = p.hdr;
    const usable = (h.type === VIRTIO_VSOCK_TYPE_STREAM || h.type === VIRTIO_VSOCK_TYPE_SEQPACKET) && sender.allowsType(h.type);
    if (!usable) return this.refuse(p, sender, 'bad-type'); // unknown or not negotiated: RST (§5.10.6.4)
    const dst = this.endpoint(h.dstCid);
    if (!dst || !dst.reachable) return this.refuse(p, sender, 'unknown-cid');
    if (h.op === VIRTIO_VSOCK_OP_REQUEST && !this.flows.find(p)) {
      // New connections only where the platform allows them; a refusal looks like a closed port.
      if (!this.policy.allowsConnect(h.srcCid, h.dstCid, h.dstPort)) return this.refuse(p, sender, 'policy-denied');
      if (!dst.allowsType(h.type)) return this.refuse(p, sender, 'bad-type');
    }
    const v = this.flows.judge(p);
    if (v.kind === 'ignore') {
      this.trace?.(p, 'ignored');
      this.stats.ignoredRst++;
      return;
    }
    if (v.kind === 'refuse') return this.refuse(p, sender, v.fault);
    if (v.kind === 'violation') return this.violation(p, sender, v.flow, v.fault);
    this.trace?.(p, 'forward');
    const r = dst.deliver(p);
    if (r === 'ok') {
      this.stats.forwarded++;
      return;
    }
    // Not taken: the connection cannot go on. The sender learns it at once; the destination
    // learns it when it next uses the flow and the switch answers RST (§5.10.6.5).
    if (v.flow) this.flows.remove(v.flow);
    this.refuse(p, sender, r === 'congested' ? 'congested' : 'unknown-cid');
  }
  // #endregion route

  // #region refuse-violation
  private refuse(p: VsockPacket, sender: VsockEndpoint, reason: RefuseReason): void {
    this.stats.refused[reason]++;
    this.trace?.(p, `refused: ${reason}`);
    if (p.hdr.op === VIRTIO_VSOCK_OP_RST) return; // a RST is never answered
    this.sendRst(sender, rstReplyTo(p));
  }

  /** A guest broke a flow's rules: reset the flow at both ends and report it. */
  private violation(p: VsockPacket, sender: VsockEndpoint, flow: Flow, fault: FlowFault): void {
    this.flows.remove(flow);
    const h = p.hdr;
    const other = flow.initiator.cid === h.srcCid && flow.initiator.port === h.srcPort ? flow.responder : flow.initiator;
    const v: VsockViolation = { cid: h.srcCid, port: h.srcPort, peerCid: other.cid, peerPort: other.port, op: h.op, fault };
    this.stats.violations++;
    this.violations.push(v);
    if (this.violations.length > this.logSize) this.violations.shift();
    this.onViolation?.(v);
    this.trace?.(p, `violation: ${fault}`);
    // Both RSTs carry the flow's type, whatever the offending packet said, so both ends match them.
    this.sendRst(sender, rstBetween(other, { cid: h.srcCid, port: h.srcPort }, flow.type));
    this.resetEnd(other, { cid: h.srcCid, port: h.srcPort }, flow.type);
  }
  // #endregion refuse-violation

  private resetEnd(end: FlowEnd, from: { cid: bigint; port: number }, type: number): void {
    const ep = this.endpoint(end.cid);
    if (ep) this.sendRst(ep, rstBetween(from, end, type));
  }

  /** A RST of the switch's own; if the receiver cannot take it, its next packet learns. */
  private sendRst(to: VsockEndpoint, rst: VsockPacket): void {
    this.stats.rstSent++;
    this.trace?.(rst, 'sent by the switch');
    to.deliver(rst);
  }

  private endpoint(cid: bigint): VsockEndpoint | null {
    return cid === VMADDR_CID_HOST ? this.host : (this.guests.get(cid) ?? null);
  }

  /** Every flow of a CID ends; the other end of each gets a RST. */
  private tearDown(cid: bigint): void {
    for (const f of this.flows.removeAllOf(cid)) {
      this.stats.flowsTornDown++;
      const [gone, other] = f.initiator.cid === cid ? [f.initiator, f.responder] : [f.responder, f.initiator];
      if (other.cid !== cid) this.resetEnd(other, gone, f.type);
    }
  }

  // #region transport-reset
  /**
   * A guest was migrated, or its transport reset (§5.10.6.7): its connections end (peers get
   * RST), it may take a new CID, and its driver gets VIRTIO_VSOCK_EVENT_TRANSPORT_RESET.
   */
  transportReset(cid: bigint, newCid: bigint = cid): void {
    const dev = this.guests.get(cid);
    if (!dev) throw new Error(`no guest with CID ${cid}`);
    if (newCid !== cid) {
      if (!isValidGuestCid(newCid)) throw new RangeError(`CID ${newCid} is reserved or wider than 32 bits (§5.10.4)`);
      if (this.guests.has(newCid)) throw new Error(`CID ${newCid} is already attached`);
    }
    this.tearDown(cid);
    this.guests.delete(cid);
    this.guests.set(newCid, dev);
    dev.transportReset(newCid);
  }

  /** The host's vsock transport restarts: every connection ends, every guest gets the event. */
  hostReset(): void {
    for (const f of this.flows.all()) this.flows.remove(f);
    for (const dev of [...this.guests.values()]) dev.transportReset(dev.cid);
    this.host?.transportReset();
  }
  // #endregion transport-reset
}
