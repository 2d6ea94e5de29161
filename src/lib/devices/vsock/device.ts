// The socket device, VIRTIO 1.4 §5.10 (device ID 19): a guest's end of the host's vsock switch.
// Three queues: rx (0) takes packets to the guest, tx (1) brings the guest's packets, event (2)
// carries VIRTIO_VSOCK_EVENT_TRANSPORT_RESET. The device checks each transmitted packet's
// framing and source CID, and leaves routing, policy and the flow rules to the switch. Nothing
// the driver writes is trusted: a bad packet is dropped and counted; only a broken ring (which
// the queue layer reports) puts the device into DEVICE_NEEDS_RESET.
import { readableBuffers, totalLength, writableBuffers, type DescriptorChain } from '../../virtio/chain.ts';
import { ChainWriter, readChainPrefix } from '../../virtio/chain-io.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import { isValidGuestCid, toCid, VSOCK_CFG_GUEST_CID, VSOCK_CONFIG_SIZE } from './config.ts';
import { seqpacketAllowed, streamAllowed, VIRTIO_ID_VSOCK, VSOCK_DEVICE_FEATURES, vsockDependencyError } from './features.ts';
import {
  decodeHdr,
  encodeEvent,
  VIRTIO_VSOCK_EVENT_TRANSPORT_RESET,
  VIRTIO_VSOCK_OP_RW,
  VIRTIO_VSOCK_TYPE_SEQPACKET,
  VIRTIO_VSOCK_TYPE_STREAM,
  VSOCK_EVENT_SIZE,
  VSOCK_HDR_SIZE,
  type VsockPacket,
} from './packet.ts';
import { RxHold } from './rx-hold.ts';
import { chainBytes, DeviceBudget, type DeviceBudgetOptions } from '../budget.ts';
import type { DeliverResult, VsockGuestPort, VsockLink } from './switch.ts';

export const VSOCK_RX_QUEUE = 0;
export const VSOCK_TX_QUEUE = 1;
export const VSOCK_EVENT_QUEUE = 2;

/** Why the device dropped a packet the driver transmitted. */
export type VsockTxDropReason =
  | 'writable-buffer' // a tx chain with a device-writable part (§5.10.6.4: tx buffers are read-only)
  | 'short-header' // fewer than 44 bytes
  | 'short-payload' // len runs past the bytes the chain holds
  | 'oversize' // len above the device's largest payload
  | 'spoofed-source' // src_cid is not guest_cid (§5.10.6.4)
  | 'no-switch'; // the device is not plugged into a switch

export interface VsockDeviceOptions {
  /** The guest's CID: 3..0xfffffffe, assigned by the platform's configuration (§5.10.4). */
  readonly guestCid: bigint | number;
  /** The largest payload the device takes in one packet; default 64 KiB. */
  readonly maxPayload?: number;
  /** Packets the device holds for the guest while it has no receive buffers; default 256. */
  readonly holdPackets?: number;
  /** Bytes (headers included) held for the guest; default 1 MiB. */
  readonly holdBytes?: number;
  /** Device-specific feature bits offered; default STREAM, SEQPACKET and NO_IMPLIED_STREAM. */
  readonly features?: Features;
  /** The largest size a queue may have; default 256. */
  readonly maxQueueSize?: number;
  /** This guest's budget on its tx queue (chapter Safety): default none. */
  readonly budget?: DeviceBudgetOptions | null;
}

export interface VsockDeviceStats {
  txPackets: number;
  readonly txDrops: Record<VsockTxDropReason, number>;
  /** Packets handed to the driver (whole; a split one counts once). */
  rxPackets: number;
  /** Times tx processing paused because the rx holding area was half full (§5.10.6.1). */
  txPauses: number;
  eventsDelivered: number;
  /** Event buffers returned unused (device-readable, or shorter than 4 bytes). */
  badEventBuffers: number;
}

const TX_DROPS: readonly VsockTxDropReason[] = ['writable-buffer', 'short-header', 'short-payload', 'oversize', 'spoofed-source', 'no-switch'];

export class VsockDevice extends VirtioDevice implements VsockGuestPort {
  readonly deviceId = VIRTIO_ID_VSOCK;
  readonly name = 'virtio-vsock';
  readonly maxPayload: number;
  readonly stats: VsockDeviceStats;
  readonly hold: RxHold;
  /** The guest's budget on the tx queue, or null (the default): no limit. */
  readonly budget: DeviceBudget | null;
  private readonly offered: Features;
  private readonly maxQSize: number;
  /** The CID the platform gave this guest; only a transport reset changes it. */
  private assignedCid: bigint;
  private link: VsockLink | null = null;
  private txPaused = false;
  private eventPending = false;

  constructor(opts: VsockDeviceOptions) {
    super(VSOCK_CONFIG_SIZE);
    const cid = toCid(opts.guestCid);
    // §5.10.6.4: guest_cid never holds a reserved CID.
    if (!isValidGuestCid(cid)) throw new RangeError(`guest CID ${cid} is reserved or wider than 32 bits (§5.10.4)`);
    this.assignedCid = cid;
    this.maxPayload = opts.maxPayload ?? 64 * 1024;
    this.offered = opts.features ?? VSOCK_DEVICE_FEATURES;
    this.maxQSize = opts.maxQueueSize ?? 256;
    this.budget = opts.budget ? new DeviceBudget(opts.budget) : null;
    this.hold = new RxHold(opts.holdPackets ?? 256, opts.holdBytes ?? 1 << 20);
    if (this.hold.maxPackets < 2 || this.hold.maxBytes < 2 * (VSOCK_HDR_SIZE + 1)) throw new RangeError('holding area too small');
    this.stats = { txPackets: 0, txDrops: Object.fromEntries(TX_DROPS.map((r) => [r, 0])) as Record<VsockTxDropReason, number>, rxPackets: 0, txPauses: 0, eventsDelivered: 0, badEventBuffers: 0 };
    this.config.setU64(VSOCK_CFG_GUEST_CID, cid);
  }

  /** The CID in the configuration space. */
  get cid(): bigint {
    return this.config.u64(VSOCK_CFG_GUEST_CID);
  }

  protected deviceFeatures(): Features {
    return this.offered;
  }

  checkFeatures(accepted: Features): string | null {
    return super.checkFeatures(accepted) ?? vsockDependencyError(accepted);
  }

  /** rx, tx and event (§5.10.2). */
  queueCount(_features: Features): number {
    return 3;
  }

  maxQueueSize(_index: number): number {
    return this.maxQSize;
  }

  get reachable(): boolean {
    return this.active;
  }

  connect(link: VsockLink | null): void {
    this.link = link;
  }

  /** Whether the driver negotiated a socket type (§5.10.3.2). */
  allowsType(type: number): boolean {
    if (!this.active) return false;
    if (type === VIRTIO_VSOCK_TYPE_STREAM) return streamAllowed(this.env.features);
    if (type === VIRTIO_VSOCK_TYPE_SEQPACKET) return seqpacketAllowed(this.env.features);
    return false;
  }

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === VSOCK_RX_QUEUE) {
      this.flushRx();
      if (this.txPaused && !this.hold.halfFull) this.processTx(); // room again for replies
    } else if (index === VSOCK_TX_QUEUE) {
      if (!this.budget || this.budget.admitNotification(VSOCK_TX_QUEUE)) this.processTx();
    }
    else if (index === VSOCK_EVENT_QUEUE) this.flushEvents();
  }

  // #region transmit
  /**
   * Takes the driver's packets off the tx queue. While the rx holding area is half full it
   * stops: the rest of the area is kept for the replies to what it has taken, so the tx queue
   * is served as long as there is room outside the rx queue, and no further (§5.10.6.1).
   */
  private processTx(): void {
    const q = this.queue(VSOCK_TX_QUEUE);
    if (!q) return;
    const budget = this.budget;
    let pushed = false;
    this.txPaused = false;
    for (;;) {
      if (this.hold.halfFull) {
        this.txPaused = true;
        this.stats.txPauses++;
        break;
      }
      // A guest over its budget waits: its packets stay in the ring until budgetTick().
      if (budget && !budget.mayTake(VSOCK_TX_QUEUE)) break;
      const r = q.pop();
      if (r.kind === 'empty') {
        budget?.emptied(VSOCK_TX_QUEUE);
        break;
      }
      if (r.kind === 'error') return this.env.needsReset(r.error);
      budget?.charge(VSOCK_TX_QUEUE, chainBytes(r.chain));
      this.serveTx(r.chain);
      q.push(r.chain, 0); // the device writes nothing into tx buffers
      pushed = true;
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(VSOCK_TX_QUEUE);
  }

  /** The model clock moved: serves the tx queue if the budget held it back, as far as tokens allow now. */
  budgetTick(): void {
    if (this.active && !this.txPaused && this.budget?.held.includes(VSOCK_TX_QUEUE)) this.processTx();
  }

  private serveTx(chain: DescriptorChain): void {
    const drop = (reason: VsockTxDropReason) => void this.stats.txDrops[reason]++;
    if (writableBuffers(chain).length > 0) return drop('writable-buffer');
    const length = totalLength(readableBuffers(chain));
    if (length < VSOCK_HDR_SIZE) return drop('short-header');
    const hdr = decodeHdr(readChainPrefix(this.env.mem, chain, VSOCK_HDR_SIZE))!;
    // Only RW carries data; a payload on any other op is ignored, never forwarded.
    const len = hdr.op === VIRTIO_VSOCK_OP_RW ? hdr.len : 0;
    if (len > this.maxPayload) return drop('oversize'); // checked before anything is copied
    if (len > length - VSOCK_HDR_SIZE) return drop('short-payload');
    // The source must be this guest (§5.10.6.4); a forged one is dropped, not answered.
    if (hdr.srcCid !== this.cid) return drop('spoofed-source');
    if (!this.link) return drop('no-switch');
    const payload = readChainPrefix(this.env.mem, chain, VSOCK_HDR_SIZE + len).slice(VSOCK_HDR_SIZE);
    this.stats.txPackets++;
    this.link.fromGuest({ hdr: { ...hdr, len }, payload });
  }
  // #endregion transmit

  // #region receive
  /** A packet from the switch for this guest. */
  deliver(p: VsockPacket): DeliverResult {
    if (!this.active) return 'unreachable';
    if (!this.hold.add(p)) return 'congested';
    this.flushRx();
    return 'ok';
  }

  private flushRx(): void {
    const q = this.queue(VSOCK_RX_QUEUE);
    if (!q) return;
    const placedBefore = this.hold.stats.placed;
    const r = this.hold.flush(q, this.env.mem);
    this.stats.rxPackets += this.hold.stats.placed - placedBefore;
    if (r.error) return this.env.needsReset(r.error);
    if (r.pushed && q.needsNotification()) this.env.notifyUsed(VSOCK_RX_QUEUE);
  }
  // #endregion receive

  // #region events
  /**
   * A migration or host reset (§5.10.6.7): what was held for the old connections goes, the
   * CID changes if the guest got a new one, and the driver is told through the event queue.
   * Resets the driver has not yet seen collapse into one event: it means the same thing.
   */
  transportReset(newCid: bigint): void {
    if (!isValidGuestCid(newCid)) throw new RangeError(`guest CID ${newCid} is reserved or wider than 32 bits (§5.10.4)`);
    this.hold.clear();
    if (newCid !== this.cid) this.config.update((c) => c.setU64(VSOCK_CFG_GUEST_CID, newCid));
    this.assignedCid = newCid;
    if (!this.active) return;
    this.eventPending = true;
    this.flushEvents();
  }

  private flushEvents(): void {
    const q = this.queue(VSOCK_EVENT_QUEUE);
    if (!q || !this.eventPending) return;
    let pushed = false;
    while (this.eventPending) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return this.env.needsReset(r.error);
      pushed = true;
      const w = new ChainWriter(this.env.mem, r.chain);
      if (readableBuffers(r.chain).length > 0 || w.remaining < VSOCK_EVENT_SIZE) {
        this.stats.badEventBuffers++;
        q.push(r.chain, 0);
        continue;
      }
      w.write(encodeEvent(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET));
      q.push(r.chain, w.written);
      this.eventPending = false;
      this.stats.eventsDelivered++;
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(VSOCK_EVENT_QUEUE);
  }
  // #endregion events

  // #region reset
  protected onReset(): void {
    // The guest keeps its CID across resets and reboots: it comes from the platform's
    // configuration, not from the driver. Everything in flight goes, and so do its flows.
    this.config.setU64(VSOCK_CFG_GUEST_CID, this.assignedCid);
    this.hold.clear();
    this.budget?.reset();
    this.txPaused = false;
    this.eventPending = false;
    this.link?.guestReset();
  }
  // #endregion reset
}


