// The network device, VIRTIO 1.4 §5.1 (device ID 1): pairs of receive and transmit queues, an
// optional control queue, and a back end the frames come from and go to. Nothing the driver
// writes into a packet or a control request is trusted: a bad request is dropped or answered
// VIRTIO_NET_ERR and counted, and only a broken ring (which the queue layer reports) puts the
// device into DEVICE_NEEDS_RESET.
import { isVirtqError } from '../../virtio/errors.ts';
import { readChain, ChainWriter } from '../../virtio/chain-io.ts';
import { readableBuffers, totalLength, writableBuffers, type DescriptorChain } from '../../virtio/chain.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, featureSet, hasFeature } from '../../virtio/feature-bits.ts';
import { DeviceBudget, drainWithBudget } from '../budget.ts';
import type { NetBackend, NetEndpoint, RxDropReason, RxResult } from './backend.ts';
import { completeChecksum } from './checksum.ts';
import {
  NET_CFG_DUPLEX,
  NET_CFG_MAC,
  NET_CFG_MAX_VIRTQUEUE_PAIRS,
  NET_CFG_MTU,
  NET_CFG_SPEED,
  NET_CFG_STATUS,
  NET_CONFIG_SIZE,
  NET_MTU_MAX,
  NET_MTU_MIN,
  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX,
  VIRTIO_NET_DUPLEX_FULL,
  VIRTIO_NET_S_ANNOUNCE,
  VIRTIO_NET_S_LINK_UP,
} from './config.ts';
import { type ControlCommand, parseControl, VIRTIO_NET_ERR, VIRTIO_NET_OK } from './control.ts';
import { ETH_HLEN, isMulticast, l2HeaderLength, toMac } from './ethernet.ts';
import {
  netDependencyError,
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_RX_EXTRA,
  VIRTIO_NET_F_CTRL_VLAN,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_ANNOUNCE,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MQ,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_MTU,
  VIRTIO_NET_F_RSS,
  VIRTIO_NET_F_SPEED_DUPLEX,
  VIRTIO_NET_F_STATUS,
} from './features.ts';
import {
  decodeNetHdr,
  encodeNetHdr,
  netHdrSize,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
  VIRTIO_NET_HDR_GSO_NONE,
} from './net-hdr.ts';
import { RxFilter } from './rx-filter.ts';
import { checkSpeedDuplex, type NetDeviceOptions, type NetStats, type TxDropReason, zeroCounts } from './options.ts';
import { FlowTable } from './steering.ts';

export const VIRTIO_ID_NET = 1;

export * from './options.ts';

/** Control requests longer than this are answered ERR without being read. */
const MAX_CTRL_REQUEST = 64 * 1024;


export class NetDevice extends VirtioDevice implements NetEndpoint {
  readonly deviceId = VIRTIO_ID_NET;
  readonly name = 'virtio-net';
  readonly mtu: number;
  readonly maxQueuePairs: number;
  readonly stats: NetStats;
  /** The guest's budget on its transmit queues, or null (the default): no limit. */
  readonly budget: DeviceBudget | null;
  private readonly hostMac: Uint8Array | null;
  private readonly maxQSize: number;
  private readonly filter: RxFilter;
  private readonly flows = new FlowTable();
  private backend: NetBackend | null = null;
  private link: { up: boolean; speed: number; duplex: number };
  // Per-activation state, reset by onReset().
  private pairs = 1;
  private guestMac: Uint8Array | null = null;
  private hdrSize = 12;
  private rxCache: DescriptorChain[][] = [];

  constructor(opts: NetDeviceOptions = {}) {
    super(NET_CONFIG_SIZE);
    const mtu = opts.mtu ?? 1500;
    const pairs = opts.maxQueuePairs ?? 1;
    if (!Number.isInteger(mtu) || mtu < NET_MTU_MIN || mtu > NET_MTU_MAX) throw new RangeError(`mtu ${mtu} outside ${NET_MTU_MIN}..${NET_MTU_MAX} (§5.1.4.1)`);
    if (!Number.isInteger(pairs) || pairs < 1 || pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX) throw new RangeError(`maxQueuePairs ${pairs} outside 1..0x8000 (§5.1.4.1)`);
    this.mtu = mtu;
    this.maxQueuePairs = pairs;
    this.hostMac = opts.mac === undefined ? null : toMac(opts.mac);
    if (this.hostMac && isMulticast(this.hostMac)) throw new RangeError('the device address must be a unicast address');
    this.maxQSize = opts.maxQueueSize ?? 256;
    this.budget = opts.budget ? new DeviceBudget(opts.budget) : null;
    this.filter = new RxFilter(opts.macTableSize ?? 64);
    this.link = { up: opts.linkUp ?? true, speed: opts.speed ?? 1000, duplex: opts.duplex ?? VIRTIO_NET_DUPLEX_FULL };
    checkSpeedDuplex(this.link.speed, this.link.duplex);
    this.stats = {
      txPackets: 0,
      txBytes: 0,
      rxPackets: 0,
      rxBytes: 0,
      txDrops: zeroCounts<TxDropReason>([
        'short-header', 'gso-not-negotiated', 'csum-not-negotiated', 'bad-csum-offsets', 'tunnel-csum-without-tunnel',
        'runt', 'over-mtu', 'link-down', 'no-backend', 'queue-inactive',
      ]),
      rxDrops: zeroCounts<RxDropReason>(['inactive', 'link-down', 'runt', 'over-mtu', 'filtered', 'no-buffers', 'buffer-too-small', 'queue-error']),
      rxBadBuffers: 0,
      ctrlOk: 0,
      ctrlErr: 0,
      ctrlUnanswerable: 0,
      lastCtrlError: null,
      lastTxDrop: null,
    };
    // #region config-init
    const c = this.config;
    if (this.hostMac) c.setBytes(NET_CFG_MAC, this.hostMac);
    c.setU16(NET_CFG_STATUS, this.link.up ? VIRTIO_NET_S_LINK_UP : 0);
    c.setU16(NET_CFG_MAX_VIRTQUEUE_PAIRS, pairs);
    c.setU16(NET_CFG_MTU, mtu); // never changes afterwards (§5.1.4.1)
    c.setU32(NET_CFG_SPEED, this.link.speed);
    c.setU8(NET_CFG_DUPLEX, this.link.duplex);
    // #endregion config-init
  }

  // #region offered-features
  protected deviceFeatures(): Features {
    let f = featureSet(
      VIRTIO_NET_F_CSUM, // the device completes checksums the driver left partial
      VIRTIO_NET_F_MTU,
      VIRTIO_NET_F_MRG_RXBUF,
      VIRTIO_NET_F_STATUS,
      VIRTIO_NET_F_CTRL_VQ,
      VIRTIO_NET_F_CTRL_RX,
      VIRTIO_NET_F_CTRL_VLAN,
      VIRTIO_NET_F_CTRL_RX_EXTRA,
      VIRTIO_NET_F_GUEST_ANNOUNCE,
      VIRTIO_NET_F_CTRL_MAC_ADDR,
      VIRTIO_NET_F_SPEED_DUPLEX,
    );
    if (this.hostMac) f |= bit(VIRTIO_NET_F_MAC);
    if (this.maxQueuePairs > 1) f |= bit(VIRTIO_NET_F_MQ);
    return f;
  }

  checkFeatures(accepted: Features): string | null {
    return super.checkFeatures(accepted) ?? netDependencyError(accepted);
  }
  // #endregion offered-features

  // #region queue-layout
  /** receiveq1, transmitq1, …, receiveqN, transmitqN, then controlq at 2N (§5.1.2). */
  queueCount(features: Features): number {
    return 2 * this.negotiatedPairs(features) + (hasFeature(features, VIRTIO_NET_F_CTRL_VQ) ? 1 : 0);
  }

  /** N: max_virtqueue_pairs with VIRTIO_NET_F_MQ or VIRTIO_NET_F_RSS, otherwise 1. */
  negotiatedPairs(features: Features): number {
    return hasFeature(features, VIRTIO_NET_F_MQ) || hasFeature(features, VIRTIO_NET_F_RSS) ? this.maxQueuePairs : 1;
  }

  /** The control queue's index, or null without VIRTIO_NET_F_CTRL_VQ. */
  controlQueueIndex(features: Features): number | null {
    return hasFeature(features, VIRTIO_NET_F_CTRL_VQ) ? 2 * this.negotiatedPairs(features) : null;
  }
  // #endregion queue-layout

  maxQueueSize(_index: number): number {
    return this.maxQSize;
  }

  // ---- Host side: the back end, the link, and what the host may look at. ----

  connect(backend: NetBackend | null): void {
    this.backend = backend;
  }

  get linkUp(): boolean {
    return this.link.up;
  }

  /** Queue pairs in use: 1 until the driver sends VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET. */
  get activePairs(): number {
    return this.pairs;
  }

  /** The address receive filtering treats as the guest's own, or null if unknown. */
  get guestAddress(): Uint8Array | null {
    return this.guestMac ? new Uint8Array(this.guestMac) : null;
  }

  /** The receive filter state the driver has set up. */
  get rxFilter(): Readonly<RxFilter> {
    return this.filter;
  }

  // #region link-status
  /**
   * Changes the link as the host sees it, and tells the driver through `status` and a
   * configuration change notification (§5.1.4). Speed and duplex are not changed under a
   * link that stays up (§5.1.4.1): such a change takes the link down, then up again.
   */
  setLink(change: { up?: boolean; speed?: number; duplex?: number }): void {
    const next = { up: change.up ?? this.link.up, speed: change.speed ?? this.link.speed, duplex: change.duplex ?? this.link.duplex };
    checkSpeedDuplex(next.speed, next.duplex);
    const rate = next.speed !== this.link.speed || next.duplex !== this.link.duplex;
    if (!rate && next.up === this.link.up) return;
    if (rate && this.link.up) {
      this.link = { ...this.link, up: false };
      this.config.update((c) => c.setU16(NET_CFG_STATUS, c.u16(NET_CFG_STATUS) & ~VIRTIO_NET_S_LINK_UP));
    }
    this.link = next;
    this.config.update((c) => {
      c.setU32(NET_CFG_SPEED, next.speed);
      c.setU8(NET_CFG_DUPLEX, next.duplex);
      const s = c.u16(NET_CFG_STATUS) & ~VIRTIO_NET_S_LINK_UP;
      c.setU16(NET_CFG_STATUS, next.up ? s | VIRTIO_NET_S_LINK_UP : s);
    });
  }
  // #endregion link-status

  /**
   * Asks the driver to announce itself (e.g. after the guest moved): sets VIRTIO_NET_S_ANNOUNCE
   * if VIRTIO_NET_F_GUEST_ANNOUNCE was negotiated; returns whether it did.
   */
  requestAnnounce(): boolean {
    if (!this.active || !hasFeature(this.env.features, VIRTIO_NET_F_GUEST_ANNOUNCE)) return false;
    this.config.update((c) => c.setU16(NET_CFG_STATUS, c.u16(NET_CFG_STATUS) | VIRTIO_NET_S_ANNOUNCE));
    return true;
  }

  // ---- Lifecycle ----

  protected onActivate(env: DeviceEnv): void {
    this.hdrSize = netHdrSize(env.features);
    this.guestMac = this.hostMac && hasFeature(env.features, VIRTIO_NET_F_MAC) ? new Uint8Array(this.hostMac) : null;
    this.rxCache = Array.from({ length: this.negotiatedPairs(env.features) }, () => []);
  }

  protected onReset(): void {
    // A reset is not a configuration change the driver must be told about: it re-reads the
    // whole space while it initializes, so the fields are restored without a notification.
    if (this.hostMac) this.config.setBytes(NET_CFG_MAC, this.hostMac);
    this.config.setU16(NET_CFG_STATUS, this.link.up ? VIRTIO_NET_S_LINK_UP : 0);
    this.budget?.reset();
    this.filter.reset(); // empty MAC table after reset (§5.1.9.5)
    this.flows.clear();
    this.pairs = 1; // only receiveq1 / transmitq1 until VQ_PAIRS_SET (§5.1.9.5)
    this.guestMac = null;
    this.rxCache = [];
  }

  queueNotify(index: number): void {
    if (!this.active) return;
    const features = this.env.features;
    const ctrl = this.controlQueueIndex(features);
    if (index === ctrl) this.drain(index, (chain) => this.serveControl(chain));
    else if (index % 2 === 1 && index < 2 * this.negotiatedPairs(features)) {
      if (this.budget) this.serveTxBudgeted(index, true);
      else this.drain(index, (chain) => this.serveTx((index - 1) / 2, chain));
    }
    // Receive queues need no action on a notification: buffers are taken when a frame arrives.
  }

  // #region budget
  /** With a budget, a transmit queue is served only as far as the guest's tokens go; the rest waits in the ring. */
  private serveTxBudgeted(index: number, notified: boolean): void {
    const budget = this.budget!;
    if (notified && !budget.admitNotification(index)) return;
    drainWithBudget(budget, this.env, index, this.queue(index), (chain) => this.serveTx((index - 1) / 2, chain));
  }

  /** The model clock moved: serves the transmit queues the budget held back, as far as tokens allow now. */
  budgetTick(): void {
    if (!this.active || !this.budget) return;
    for (const index of this.budget.held) this.serveTxBudgeted(index, false);
  }
  // #endregion budget

  // ---- Transmit (§5.1.9.2) ----

  // #region transmit
  private serveTx(pair: number, chain: DescriptorChain): number {
    const drop = (reason: TxDropReason): number => {
      this.stats.txDrops[reason]++;
      this.stats.lastTxDrop = reason;
      return 0; // the device writes nothing into a transmit buffer
    };
    if (pair >= this.pairs) return drop('queue-inactive');
    const hs = this.hdrSize;
    const length = totalLength(readableBuffers(chain));
    if (length < hs) return drop('short-header');
    // Checked before anything is copied: a driver cannot make the device read a huge chain.
    if (length - hs > this.mtu + ETH_HLEN + 4) return drop('over-mtu');
    const bytes = readChain(this.env.mem, chain);
    const frame = bytes.slice(hs);
    const reason = this.checkTxPacket(bytes.subarray(0, hs), frame);
    if (reason) return drop(reason);
    if (!this.link.up) return drop('link-down');
    if (!this.backend) return drop('no-backend');
    this.flows.learn(frame, pair);
    this.stats.txPackets++;
    this.stats.txBytes += frame.length;
    this.backend.send(frame);
    return 0;
  }
  // #endregion transmit

  // #region validate-tx-header
  /** Checks one packet against its header and finishes its checksum; a reason means drop it. */
  private checkTxPacket(hdrBytes: Uint8Array, frame: Uint8Array): TxDropReason | null {
    const hdr = decodeNetHdr(hdrBytes);
    // No segmentation offload is offered, so any gso_type but NONE asks for one not negotiated.
    if (hdr.gsoType !== VIRTIO_NET_HDR_GSO_NONE) return 'gso-not-negotiated';
    // Without a tunnel gso_type the device must not accept UDP_TUNNEL_CSUM (§5.1.9.2).
    if (hdr.flags & VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM) return 'tunnel-csum-without-tunnel';
    if (frame.length < ETH_HLEN) return 'runt';
    if (frame.length > this.mtu + l2HeaderLength(frame)) return 'over-mtu';
    if (hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      if (!hasFeature(this.env.features, VIRTIO_NET_F_CSUM)) return 'csum-not-negotiated';
      // The frame leaves the device fully checksummed, so receivers never see a partial one.
      if (!completeChecksum(frame, hdr.csumStart, hdr.csumOffset)) return 'bad-csum-offsets';
    }
    // Other flag bits (DATA_VALID, RSC_INFO, …) mean nothing on transmit and are ignored,
    // as are hdr_len, gso_size and num_buffers with gso_type NONE.
    return null;
  }
  // #endregion validate-tx-header

  // ---- Receive (§5.1.9.3, §5.1.9.4) ----

  // #region receive
  /** A frame from the back end for this device's driver. Never throws. */
  receive(frame: Uint8Array): RxResult {
    const drop = (reason: RxDropReason): RxResult => {
      this.stats.rxDrops[reason]++;
      return reason;
    };
    if (!this.active) return drop('inactive');
    if (!this.link.up) return drop('link-down');
    if (frame.length < ETH_HLEN) return drop('runt');
    if (frame.length > this.mtu + l2HeaderLength(frame)) return drop('over-mtu');
    if (this.filter.verdict(frame, this.guestMac, this.env.features) !== 'accept') return drop('filtered');
    const pair = this.flows.select(frame, this.pairs);
    const result = this.place(pair, frame);
    if (result !== 'delivered') return drop(result);
    this.stats.rxPackets++;
    this.stats.rxBytes += frame.length;
    return 'delivered';
  }
  // #endregion receive

  // #region place-frame
  /**
   * Writes header and frame into the buffers of receiveq(pair+1). Without MRG_RXBUF the frame
   * goes into one buffer; with it, into as many as it needs, all but the last filled to the
   * brim, and num_buffers says how many (§5.1.9.4). A frame that does not fit is dropped whole,
   * never cut short, and the buffers stay with the device for the next frame.
   */
  private place(pair: number, frame: Uint8Array): RxResult {
    const index = 2 * pair;
    const q = this.queue(index);
    if (!q) return 'no-buffers';
    const cache = this.rxCache[pair];
    const merge = hasFeature(this.env.features, VIRTIO_NET_F_MRG_RXBUF);
    const need = this.hdrSize + frame.length;
    const capacity = (c: DescriptorChain) => totalLength(writableBuffers(c));
    let pushed = false;
    let have = cache.reduce((n, c) => n + capacity(c), 0);
    while (cache.length === 0 || (merge && have < need)) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') {
        this.env.needsReset(r.error);
        return 'queue-error';
      }
      if (capacity(r.chain) < this.hdrSize) {
        // Not even a header fits (§5.1.9.3): hand it back unused rather than hold it forever.
        q.push(r.chain, 0);
        this.stats.rxBadBuffers++;
        pushed = true;
        continue;
      }
      cache.push(r.chain);
      have += capacity(r.chain);
    }
    let result: RxResult = 'delivered';
    if (cache.length === 0 || (merge && have < need)) result = 'no-buffers';
    else if (!merge && capacity(cache[0]) < need) result = 'buffer-too-small';
    else {
      let count = 1;
      if (merge) for (let sum = capacity(cache[0]); sum < need; sum += capacity(cache[count++]));
      const used = cache.splice(0, count);
      const bytes = new Uint8Array(need);
      bytes.set(encodeNetHdr({ numBuffers: count }, this.hdrSize), 0);
      bytes.set(frame, this.hdrSize);
      let at = 0;
      try {
        for (const chain of used) {
          const w = new ChainWriter(this.env.mem, chain);
          at += w.write(bytes.subarray(at));
          q.push(chain, w.written);
        }
      } catch (e) {
        // A buffer taken earlier that the device may no longer write (an IOMMU mapping removed
        // meanwhile): the device reports it instead of throwing out of receive() (§2.1.2).
        if (!isVirtqError(e)) throw e;
        this.env.needsReset(e);
        return 'queue-error';
      }
      pushed = true;
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(index);
    return result;
  }
  // #endregion place-frame

  // ---- Control queue (§5.1.9.5) ----

  // #region control
  private serveControl(chain: DescriptorChain): number {
    const w = new ChainWriter(this.env.mem, chain);
    if (w.remaining < 1) {
      // No room for the ack: nothing can be answered, so nothing is done.
      this.stats.ctrlUnanswerable++;
      return 0;
    }
    const length = totalLength(readableBuffers(chain));
    const parsed =
      length > MAX_CTRL_REQUEST
        ? ({ ok: false, reason: `request of ${length} bytes is too long` } as const)
        : parseControl(readChain(this.env.mem, chain), this.env.features, this.negotiatedPairs(this.env.features));
    if (parsed.ok) {
      // Carried out before the buffer is returned: the driver sees the effect once it sees the ack.
      this.apply(parsed.command);
      this.stats.ctrlOk++;
    } else {
      this.stats.ctrlErr++;
      this.stats.lastCtrlError = parsed.reason;
    }
    w.write(new Uint8Array([parsed.ok ? VIRTIO_NET_OK : VIRTIO_NET_ERR]));
    return w.written;
  }

  private apply(cmd: ControlCommand): void {
    switch (cmd.kind) {
      case 'mac-addr':
        this.guestMac = new Uint8Array(cmd.mac);
        if (hasFeature(this.env.features, VIRTIO_NET_F_MAC)) this.config.update((c) => c.setBytes(NET_CFG_MAC, cmd.mac));
        break;
      case 'announce-ack':
        if (this.config.u16(NET_CFG_STATUS) & VIRTIO_NET_S_ANNOUNCE) {
          this.config.update((c) => c.setU16(NET_CFG_STATUS, c.u16(NET_CFG_STATUS) & ~VIRTIO_NET_S_ANNOUNCE));
        }
        break;
      case 'mq-pairs':
        this.pairs = cmd.pairs;
        break;
      default:
        this.filter.apply(cmd);
    }
  }
  // #endregion control
}
