// The virtio Bluetooth device (device ID 40, reserved but not specified in VIRTIO 1.4, §5), as
// Linux's drivers/bluetooth/virtio_bt.c drives it: queue 0 (tx) carries the host's HCI packets,
// queue 1 (rx) the controller's, each buffer one packet behind a one-byte packet indicator. The
// device checks every tx buffer and refuses, by name and with a count, anything that is not
// exactly one packet; it writes one whole packet into each rx buffer and never a truncated one;
// and it never needs a reset because of what a packet holds, only because of a broken ring.
import type { DescriptorChain } from '../../virtio/chain.ts';
import { readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChainPrefix } from '../../virtio/chain-io.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { VirtqError } from '../../virtio/errors.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import type { ControllerPort, OutKind, VirtualController } from './controller.ts';
import * as H from './hci.ts';
import { BT_CONFIG_V1, BT_CONFIG_V2, BT_RX_QUEUE, BT_TX_QUEUE, VIRTIO_BT_CONFIG_TYPE_PRIMARY, VIRTIO_BT_CONFIG_VENDOR_NONE, VIRTIO_BT_F_CONFIG_V2, VIRTIO_ID_BT } from './protocol.ts';

// #region link-errors
/** What the device refuses, each counted by name; the packet is dropped whole, never cut or padded. */
export const BT_LINK_ERRORS = [
  ...H.HCI_FRAMING_ERRORS,
  'UNKNOWN_HANDLE', // ACL, SCO or ISO data for a handle that is not one of this guest's links
  'DATA_TOO_LONG', // ACL data longer than LE_ACL_Data_Packet_Length
  'BAD_RX_BUFFER', // an rx buffer too small for the next packet, or with device-readable parts
] as const;
export type BtLinkError = (typeof BT_LINK_ERRORS)[number];
// #endregion link-errors

/** The largest tx buffer that can hold one packet: an ACL header with the largest length field. */
const MAX_HOST_PACKET = 1 + 4 + 0xffff;

export interface BluetoothDeviceOptions {
  readonly controller: VirtualController;
  /** Advertising reports and incoming data held while the guest has no rx buffer; default 32. */
  readonly backlog?: number;
}

export interface BtDeviceStats {
  readonly errors: Map<BtLinkError, number>;
  /** Packets taken from the tx queue (refused ones included). */
  txPackets: number;
  /** Packets written into rx buffers. */
  rxPackets: number;
  /** Dropped because the backlog was full: reports first, oldest first. */
  readonly dropped: { report: number; data: number };
  /** Undelivered packets thrown away by a reset (HCI, device or physical). */
  discarded: number;
}

type Outbound = { readonly kind: OutKind; readonly bytes: Uint8Array } | { readonly kind: 'credit'; readonly handle: number; count: number };

export class BluetoothDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_BT;
  readonly name = 'virtio-bt';
  readonly controller: VirtualController;
  readonly backlog: number;
  readonly stats: BtDeviceStats = { errors: new Map(), txPackets: 0, rxPackets: 0, dropped: { report: 0, data: 0 }, discarded: 0 };
  private outbound: Outbound[] = [];
  /** Command Complete / Command Status events not yet in an rx buffer. */
  private answersPending = 0;
  private suspended = false;
  private pumping = false;
  private layout: typeof BT_CONFIG_V1 | typeof BT_CONFIG_V2 = BT_CONFIG_V1;

  constructor(opts: BluetoothDeviceOptions) {
    super(BT_CONFIG_V2.size);
    this.controller = opts.controller;
    this.backlog = opts.backlog ?? 32;
    if (!Number.isInteger(this.backlog) || this.backlog < 1) throw new RangeError('backlog: at least 1 packet');
    this.writeLayout(BT_CONFIG_V1);
  }

  protected deviceFeatures(): Features {
    // No vendor, Microsoft or AOSP extension: the controller answers none of their commands.
    return bit(VIRTIO_BT_F_CONFIG_V2);
  }

  queueCount(): number {
    return 2; // virtbt_probe asks for exactly two: tx, then rx
  }

  // #region config
  /**
   * The layout follows the features: struct virtio_bt_config_v2 once VIRTIO_BT_F_CONFIG_V2 is
   * accepted, the packed struct virtio_bt_config otherwise (kernels before the v2 layout).
   * The driver reads it after FEATURES_OK, so the device sets it when it accepts the features.
   */
  checkFeatures(accepted: Features): string | null {
    const refused = super.checkFeatures(accepted);
    if (refused === null) this.writeLayout(hasFeature(accepted, VIRTIO_BT_F_CONFIG_V2) ? BT_CONFIG_V2 : BT_CONFIG_V1);
    return refused;
  }

  private writeLayout(l: typeof BT_CONFIG_V1 | typeof BT_CONFIG_V2): void {
    this.layout = l;
    this.config.bytes.fill(0);
    this.config.setU8(l.type, VIRTIO_BT_CONFIG_TYPE_PRIMARY);
    this.config.setU16(l.vendor, VIRTIO_BT_CONFIG_VENDOR_NONE);
    this.config.setU16(l.msftOpcode, 0);
  }

  get configLayout(): 'v1' | 'v2' {
    return this.layout === BT_CONFIG_V2 ? 'v2' : 'v1';
  }
  // #endregion config

  protected onActivate(_env: DeviceEnv): void {
    this.suspended = false;
    this.controller.attach(this.port);
  }

  protected onReset(): void {
    // §2.4: the queues are gone, and with them the controller's state and the guest's links.
    this.stats.discarded += this.outbound.length;
    this.outbound = [];
    this.answersPending = 0;
    this.suspended = false;
    this.controller.detach();
    this.writeLayout(BT_CONFIG_V1);
  }

  queueNotify(index: number): void {
    if (index === BT_TX_QUEUE || index === BT_RX_QUEUE) this.pump();
  }

  // #region suspend
  /** §3.4: the queues are left alone; what the controller sends waits (within the backlog) for resume. */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.pump();
  }
  // #endregion suspend

  get isSuspended(): boolean {
    return this.suspended;
  }

  /** Packets waiting for rx buffers. */
  get pending(): number {
    return this.outbound.length;
  }

  errors(e: BtLinkError): number {
    return this.stats.errors.get(e) ?? 0;
  }

  // #region port
  private readonly port: ControllerPort = {
    emit: (kind, bytes) => {
      if (kind === 'answer') this.answersPending++;
      if (kind === 'report' || kind === 'data') this.makeRoom();
      this.outbound.push({ kind, bytes });
      this.pump();
    },
    credit: (handle, count) => {
      const waiting = this.outbound.find((o): o is Extract<Outbound, { kind: 'credit' }> => o.kind === 'credit' && o.handle === handle);
      if (waiting) waiting.count += count;
      else this.outbound.push({ kind: 'credit', handle, count });
      this.pump();
    },
    discard: (kinds) => {
      const before = this.outbound.length;
      this.outbound = this.outbound.filter((o) => !kinds.includes(o.kind));
      const n = before - this.outbound.length;
      this.stats.discarded += n;
      return n;
    },
    controllerLost: (code) => {
      if (this.active) this.env.needsReset(new VirtqError('CONTROLLER_LOST', `the physical controller reset (hardware code 0x${code.toString(16)}) and the guest masked Hardware Error`));
    },
  };

  /** The backlog bound: the oldest report goes first, then the oldest data; answers and events never. */
  private makeRoom(): void {
    const droppable = this.outbound.filter((o) => o.kind === 'report' || o.kind === 'data').length;
    if (droppable < this.backlog) return;
    let i = this.outbound.findIndex((o) => o.kind === 'report');
    if (i < 0) i = this.outbound.findIndex((o) => o.kind === 'data');
    const [gone] = this.outbound.splice(i, 1);
    this.stats.dropped[gone.kind as 'report' | 'data']++;
  }
  // #endregion port

  // #region pump
  /**
   * Moves packets into rx buffers, then takes tx packets while no command answer is waiting for
   * an rx buffer: the host is allowed one command at a time (Num_HCI_Command_Packets is 1), so
   * the device holds at most one answer and leaves further tx buffers in the ring until it is
   * delivered, instead of queueing answers without bound.
   */
  private pump(): void {
    if (!this.active || this.suspended || this.pumping) return;
    this.pumping = true;
    const pushed = [false, false];
    try {
      for (;;) {
        if (!this.fillRx(pushed)) break;
        if (this.answersPending > 0) break;
        if (!this.takeTx(pushed)) break;
      }
    } finally {
      this.pumping = false;
    }
    for (const q of [BT_TX_QUEUE, BT_RX_QUEUE]) {
      const queue = this.queue(q);
      if (pushed[q] && queue?.needsNotification()) this.env.notifyUsed(q);
    }
  }

  /** Fills rx buffers with waiting packets; false if the ring broke. */
  private fillRx(pushed: boolean[]): boolean {
    const q = this.queue(BT_RX_QUEUE);
    if (!q) return true;
    while (this.outbound.length > 0) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') {
        this.env.needsReset(r.error);
        return false;
      }
      pushed[BT_RX_QUEUE] = true;
      const o = this.outbound[0];
      const bytes = o.kind === 'credit' ? H.numCompletedPackets(o.handle, o.count) : o.bytes;
      // A buffer that cannot take the whole packet goes back unused; the packet waits for the next.
      if (readableBuffers(r.chain).length > 0 || totalLength(writableBuffers(r.chain)) < bytes.length) {
        this.count('BAD_RX_BUFFER');
        q.push(r.chain, 0);
        continue;
      }
      const n = new ChainWriter(this.env.mem, r.chain).write(bytes);
      q.push(r.chain, n);
      this.outbound.shift();
      this.stats.rxPackets++;
      if (o.kind === 'answer') this.answersPending--;
    }
    return true;
  }

  /** Takes one tx buffer and hands its packet to the controller; false if there was none or the ring broke. */
  private takeTx(pushed: boolean[]): boolean {
    const q = this.queue(BT_TX_QUEUE);
    if (!q) return false;
    const r = q.pop();
    if (r.kind === 'empty') return false;
    if (r.kind === 'error') {
      this.env.needsReset(r.error);
      return false;
    }
    this.serveTx(r.chain);
    q.push(r.chain, 0); // the device writes nothing into a tx buffer (§2.7.8.2)
    pushed[BT_TX_QUEUE] = true;
    return true;
  }
  // #endregion pump

  // #region transmit
  private serveTx(chain: DescriptorChain): void {
    this.stats.txPackets++;
    const readable = totalLength(readableBuffers(chain));
    if (readable > MAX_HOST_PACKET) return this.count('LENGTH_MISMATCH'); // no length field reaches that far
    const p = H.parseHostPacket(readChainPrefix(this.env.mem, chain, readable));
    if ('error' in p) return this.count(p.error);
    switch (p.kind) {
      case 'command':
        this.controller.command(p.opcode, p.params);
        return;
      case 'acl': {
        const refused = this.controller.sendAcl(p.handle, p.data);
        if (refused) this.count(refused);
        return;
      }
      default:
        // An LE-only controller has no SCO or ISO links: no handle of either kind exists.
        this.count('UNKNOWN_HANDLE');
    }
  }
  // #endregion transmit

  private count(e: BtLinkError): void {
    this.stats.errors.set(e, (this.stats.errors.get(e) ?? 0) + 1);
  }
}
