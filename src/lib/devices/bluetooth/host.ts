// The guest's side: a small host stack over the virtio-bt driver, doing what Linux does with
// the device (drivers/bluetooth/virtio_bt.c under net/bluetooth/): keep rx buffers posted, send
// one command at a time and wait for its Command Complete or Command Status, check every rx
// buffer before believing it, bring the controller up with the LE start-up sequence, and start
// again from HCI_Reset after a Hardware Error event (Linux: hci_error_reset, which closes and
// reopens the device).
import type { Loopback } from '../../virtio/loopback.ts';
import * as H from './hci.ts';
import { BT_RX_QUEUE, BT_TX_QUEUE, H4_ACL, H4_EVENT, H4_ISO, H4_SCO, HCI_HEADER_SIZE, LINUX_RX_BUFFER_SIZE } from './protocol.ts';

export interface BtHostOptions {
  /** Rx buffers kept posted; default 8 (Linux keeps one posted at a time; more spares the model's tests a round trip per packet). */
  readonly rxBuffers?: number;
  /** Bytes per rx buffer; default 1000, as Linux. */
  readonly rxBufferSize?: number;
}

export interface CommandResult {
  readonly opcode: number;
  /** From Command Status, or the first return parameter of Command Complete. */
  readonly status: number;
  /** Return parameters of Command Complete (status included); empty for Command Status. */
  readonly ret: Uint8Array;
  readonly via: 'complete' | 'status';
}

export interface ControllerInfo {
  readonly address: H.BdAddr;
  readonly hciVersion: number;
  readonly companyId: number;
  readonly leOnly: boolean;
  readonly leAclLength: number;
  readonly leAclPackets: number;
  readonly supportedCommands: Uint8Array;
}

/** Why the host threw an rx buffer away (Linux since 2026 checks the same). */
export interface HostRefusals {
  badLength: number; // used length 0 or more than the buffer
  badType: number; // not event, ACL, SCO or ISO
  shortPacket: number; // shorter than that type's header
}

export class BtHost {
  readonly lb: Loopback;
  readonly rxBuffers: number;
  readonly rxBufferSize: number;
  /** Events other than command answers, in arrival order; the caller takes them with take(). */
  private inbox: H.HciEvent[] = [];
  private answers: H.HciEvent[] = [];
  private posted = 0;
  /** Num_HCI_Command_Packets as last reported: how many commands the host may send now. */
  credits = 1;
  readonly refused: HostRefusals = { badLength: 0, badType: 0, shortPacket: 0 };
  hardwareErrors = 0;
  private scanning: { active: boolean; filterDuplicates: boolean } | null = null;

  constructor(lb: Loopback, opts: BtHostOptions = {}) {
    this.lb = lb;
    this.rxBuffers = opts.rxBuffers ?? 8;
    this.rxBufferSize = opts.rxBufferSize ?? LINUX_RX_BUFFER_SIZE;
    this.refill();
  }

  // #region receive
  /** Collects rx completions, checks each, and posts buffers again. */
  poll(): void {
    // Posting buffers again can bring more packets at once: read until the device has no more.
    for (let more = true; more; ) {
      const done = this.lb.poll(BT_RX_QUEUE);
      more = done.length > 0;
      for (const c of done) {
        this.posted--;
        this.receive(c.data, c.len);
      }
      this.lb.poll(BT_TX_QUEUE); // tx buffers come back with nothing in them
      this.refill();
    }
  }

  /** One rx completion: checked as Linux checks it (virtbt_rx_work, virtbt_rx_handle), then decoded. */
  receive(data: Uint8Array, len: number): void {
    if (len < 1 || len > this.rxBufferSize) {
      this.refused.badLength++;
      return;
    }
    const type = data[0];
    if (![H4_EVENT, H4_ACL, H4_SCO, H4_ISO].includes(type)) {
      this.refused.badType++;
      return;
    }
    if (len - 1 < HCI_HEADER_SIZE[type]) {
      this.refused.shortPacket++;
      return;
    }
    const e = H.decodeControllerPacket(data);
    if (!e) {
      this.refused.shortPacket++;
      return;
    }
    if (e.kind === 'command-complete' || e.kind === 'command-status') {
      this.credits = e.numCommands;
      if (e.opcode !== 0) this.answers.push(e);
      return;
    }
    if (e.kind === 'hardware-error') this.hardwareErrors++;
    this.inbox.push(e);
  }

  private refill(): void {
    while (this.posted < this.rxBuffers) {
      this.lb.submit(BT_RX_QUEUE, [], [this.rxBufferSize]);
      this.posted++;
    }
  }

  /** Every event received since the last take() that was not a command answer. */
  take(): H.HciEvent[] {
    this.poll();
    const e = this.inbox;
    this.inbox = [];
    return e;
  }
  // #endregion receive

  // #region command
  /** Sends one command and returns its answer; throws if the controller does not answer it. */
  command(op: number, params: Uint8Array = new Uint8Array(0)): CommandResult {
    if (this.credits < 1) throw new Error(`${H.hex16(op)}: the controller allows no command now`);
    this.lb.submit(BT_TX_QUEUE, [H.commandPacket(op, params)], []);
    this.credits--;
    this.poll();
    const i = this.answers.findIndex((a) => (a.kind === 'command-complete' || a.kind === 'command-status') && a.opcode === op);
    if (i < 0) throw new Error(`${H.COMMAND_NAMES.get(op) ?? H.hex16(op)}: no Command Complete or Command Status`);
    const [a] = this.answers.splice(i, 1);
    if (a.kind === 'command-complete') return { opcode: op, status: a.ret[0] ?? 0xff, ret: a.ret, via: 'complete' };
    if (a.kind === 'command-status') return { opcode: op, status: a.status, ret: new Uint8Array(0), via: 'status' };
    throw new Error('unreachable');
  }

  private expectOk(op: number, params?: Uint8Array): Uint8Array {
    const r = this.command(op, params);
    if (r.status !== H.HCI_SUCCESS) throw new Error(`${H.COMMAND_NAMES.get(op) ?? H.hex16(op)} failed with status 0x${r.status.toString(16).padStart(2, '0')}`);
    return r.ret;
  }
  // #endregion command

  // #region init
  /**
   * The start-up sequence Linux's hci_init_sync (net/bluetooth/hci_sync.c) sends to an LE-only
   * controller with this controller's Supported_Commands: Reset; local features, version and
   * address; supported commands; LE features, buffer size and states; then the event masks
   * Linux computes for such a controller (Hardware Error and LE meta events among them).
   */
  init(): ControllerInfo {
    this.expectOk(H.OP_RESET);
    const features = this.expectOk(H.OP_READ_LOCAL_FEATURES).subarray(1, 9);
    const version = this.expectOk(H.OP_READ_LOCAL_VERSION);
    const address = H.addrString(this.expectOk(H.OP_READ_BD_ADDR).subarray(1, 7));
    const supportedCommands = this.expectOk(H.OP_READ_LOCAL_COMMANDS).slice(1, 65);
    this.expectOk(H.OP_LE_READ_LOCAL_FEATURES);
    const le = this.expectOk(H.OP_LE_READ_BUFFER_SIZE);
    this.expectOk(H.OP_LE_READ_SUPPORTED_STATES);
    this.expectOk(H.OP_SET_EVENT_MASK, LINUX_LE_ONLY_EVENT_MASK);
    this.expectOk(H.OP_LE_SET_EVENT_MASK, LINUX_LE_EVENT_MASK);
    this.scanning = null;
    return {
      address,
      hciVersion: version[1],
      companyId: version[5] | (version[6] << 8),
      leOnly: (features[4] & 0x60) === 0x60,
      leAclLength: le[1] | (le[2] << 8),
      leAclPackets: le[3],
      supportedCommands,
    };
  }
  // #endregion init

  // #region scan
  /** Passive or active scanning: interval and window in 0.625 ms units. */
  startScan(opts: { active?: boolean; interval?: number; window?: number; filterDuplicates?: boolean } = {}): void {
    const active = opts.active ?? false;
    const interval = opts.interval ?? 0x0060; // 60 ms
    const window = opts.window ?? 0x0060; // continuous
    this.expectOk(H.OP_LE_SET_SCAN_PARAMETERS, Uint8Array.of(active ? 1 : 0, interval & 0xff, interval >> 8, window & 0xff, window >> 8, 0x00, 0x00));
    this.expectOk(H.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, opts.filterDuplicates ? 1 : 0));
    this.scanning = { active, filterDuplicates: opts.filterDuplicates ?? false };
  }

  stopScan(): void {
    this.expectOk(H.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(0, 0));
    this.scanning = null;
  }

  /** After a Hardware Error: bring the controller up again and resume scanning as it was. */
  recover(): ControllerInfo {
    const was = this.scanning;
    const info = this.init();
    if (was) this.startScan(was);
    return info;
  }
  // #endregion scan

  // #region connect
  /** LE_Create_Connection to a peer: the LE Connection Complete event comes when the peer is heard. */
  connect(peer: H.BdAddr, peerType: number): CommandResult {
    const p = new Uint8Array(25);
    const v = new DataView(p.buffer);
    v.setUint16(0, 0x0060, true); // scan interval 60 ms
    v.setUint16(2, 0x0060, true); // scan window 60 ms
    p[4] = 0x00; // the peer named here, not the Filter Accept List
    p[5] = peerType;
    p.set(H.addrBytes(peer), 6);
    p[12] = 0x00; // own address: public
    v.setUint16(13, 0x0018, true); // connection interval 30 ms
    v.setUint16(15, 0x0028, true); // to 50 ms
    v.setUint16(17, 0, true); // latency
    v.setUint16(19, 0x01f4, true); // supervision timeout 5 s
    return this.command(H.OP_LE_CREATE_CONNECTION, p);
  }

  disconnect(handle: number, reason = 0x13): CommandResult {
    return this.command(H.OP_DISCONNECT, Uint8Array.of(handle & 0xff, handle >> 8, reason));
  }

  /** LE_Enable_Encryption with a bonded long-term key (hex); Encryption Change follows. */
  encrypt(handle: number, ltkHex: string): CommandResult {
    const p = new Uint8Array(28);
    p[0] = handle & 0xff;
    p[1] = handle >> 8;
    p.set(Uint8Array.from(ltkHex.match(/../g)!.map((h) => parseInt(h, 16))), 12);
    return this.command(H.OP_LE_ENABLE_ENCRYPTION, p);
  }

  sendAcl(handle: number, data: Uint8Array): void {
    this.lb.submit(BT_TX_QUEUE, [H.aclPacket(handle, data)], []);
    this.poll();
  }
  // #endregion connect
}

/**
 * The Event_Mask hci_set_event_mask_sync builds for an LE-only controller that supports
 * Disconnect and LE encryption: Disconnection Complete and Encryption Change; Command Complete,
 * Command Status and Hardware Error; Number Of Completed Packets; Data Buffer Overflow;
 * Encryption Key Refresh Complete; LE Meta.
 */
export const LINUX_LE_ONLY_EVENT_MASK = Uint8Array.of(0x90, 0xe0, 0x04, 0x02, 0x00, 0x80, 0x00, 0x20);
/** hci_le_set_event_mask_sync for it: LE Connection Complete, LE Advertising Report, LE Long Term Key Request. */
export const LINUX_LE_EVENT_MASK = Uint8Array.of(0x13, 0, 0, 0, 0, 0, 0, 0);

export function le64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}
