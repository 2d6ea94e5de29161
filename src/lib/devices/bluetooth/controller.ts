// One guest's virtual Bluetooth controller: the HCI command engine behind a virtio-bt device.
// It answers what a host stack sends at start-up, scans on the model radio with the guest's own
// parameters, and makes and ends the guest's LE connections. It keeps no state another guest can
// reach: the physical controller it runs on (platform.ts) hands it only the advertisements the
// platform lets this guest see, and only the data of its own connections.
import * as H from './hci.ts';
import type { Advertiser } from './radio.ts';
import { connectable, scannable } from './radio.ts';
import type { PhysicalController } from './platform.ts';

// #region port
/** What the controller sends towards the guest; the device queues it for the rx queue. */
export type OutKind =
  | 'answer' // Command Complete or Command Status: never dropped, one outstanding at a time
  | 'event' // connection, disconnection, encryption and hardware error events: never dropped
  | 'report' // LE Advertising Report: dropped oldest first when the backlog is full, counted
  | 'data'; // ACL data from a peer: dropped when the backlog is full, counted

export interface ControllerPort {
  emit(kind: OutKind, packet: Uint8Array): void;
  /** Number Of Completed Packets for `handle`: merged with any undelivered count for it. */
  credit(handle: number, count: number): void;
  /** Throws away what is queued and undelivered of these kinds; returns how many. */
  discard(kinds: readonly (OutKind | 'credit')[]): number;
  /** The controller was lost and the guest masked Hardware Error: the device has no other word for it. */
  controllerLost(code: number): void;
}
// #endregion port

/** A guest as the platform knows it. */
export interface GuestPolicy {
  readonly name: string;
  /** The BD_ADDR this guest's controller reports and uses: its own, never another guest's. */
  readonly address: H.BdAddr;
  /** The advertisers (radio.ts names) whose packets reach this guest; 'all' on a controller of its own. */
  readonly sees: readonly string[] | 'all';
}

export interface ScanParams {
  type: number; // 0 passive, 1 active
  interval: number; // × 0.625 ms
  window: number;
  ownAddressType: number;
  filterPolicy: number;
}

interface PendingCreate {
  peerAddress: H.BdAddr;
  peerAddressType: number;
  scanInterval: number;
  scanWindow: number;
  startUs: number;
  interval: number;
  latency: number;
  timeout: number;
}

/** A connection of this guest; the handle is the physical controller's, unique among all guests. */
export interface GuestConnection {
  readonly handle: number;
  readonly peer: Advertiser;
  /** The key the guest gave for this link; dropped with the link. */
  ltk: Uint8Array | null;
}

// #region identity
/** What the controller says about itself: an LE-only controller of Core 5.4. */
export const CONTROLLER_IDENTITY = {
  hciVersion: 0x0d, // Core 5.4 (Assigned Numbers)
  hciSubversion: 0x0001,
  lmpVersion: 0x0d,
  companyId: 0xffff, // reserved for tests: no vendor's
  lmpSubversion: 0x0001,
  /** LE_ACL_Data_Packet_Length and Total_Num_LE_ACL_Data_Packets. */
  leAclLength: 251,
  leAclPackets: 4,
} as const;

/** LMP features page 0: byte 4 bit 5 "BR/EDR Not Supported", bit 6 "LE Supported (Controller)". */
export const LMP_FEATURES = Uint8Array.of(0, 0, 0, 0, 0x60, 0, 0, 0);
/** LE features: bit 0 "LE Encryption"; nothing else. */
export const LE_FEATURES = Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0);
/** LE states: passive scanning (bit 4), active scanning (bit 5), initiating and central (bit 6). */
export const LE_STATES = Uint8Array.of(0x70, 0, 0, 0, 0, 0, 0, 0);
// #endregion identity

const SCAN_DEFAULTS: ScanParams = { type: 0, interval: 0x0010, window: 0x0010, ownAddressType: 0, filterPolicy: 0 };
const DISCONNECT_REASONS = [0x05, 0x13, 0x14, 0x15, 0x1a, 0x29, 0x3b];

export interface ControllerStats {
  /** Commands answered, by opcode (unknown ones included). */
  readonly commands: Map<number, number>;
  unknownCommands: number;
  /** Advertising reports generated for the guest (before any backlog drop). */
  reports: number;
  hciResets: number;
  physicalResets: number;
  aclSent: number;
  aclReceived: number;
}

type Handler = (p: Uint8Array) => Uint8Array | number;

interface CommandEntry {
  readonly op: number;
  readonly paramLength: number;
  /** 'complete': answered by Command Complete with the handler's return parameters; 'status': by Command Status with its status, events may follow. */
  readonly answer: 'complete' | 'status';
  /** Its bit in Supported_Commands (Vol 4, Part E, 6.27) as [octet, bit]; null for none. */
  readonly bit: readonly [number, number] | null;
}

// #region command-table
/** Every command the controller implements; anything else is an Unknown HCI Command. */
export const COMMAND_TABLE: readonly CommandEntry[] = [
  { op: H.OP_DISCONNECT, paramLength: 3, answer: 'status', bit: [0, 5] },
  { op: H.OP_SET_EVENT_MASK, paramLength: 8, answer: 'complete', bit: [5, 6] },
  { op: H.OP_RESET, paramLength: 0, answer: 'complete', bit: [5, 7] },
  { op: H.OP_READ_LOCAL_VERSION, paramLength: 0, answer: 'complete', bit: [14, 3] },
  { op: H.OP_READ_LOCAL_COMMANDS, paramLength: 0, answer: 'complete', bit: null },
  { op: H.OP_READ_LOCAL_FEATURES, paramLength: 0, answer: 'complete', bit: [14, 5] },
  { op: H.OP_READ_BUFFER_SIZE, paramLength: 0, answer: 'complete', bit: [14, 7] },
  { op: H.OP_READ_BD_ADDR, paramLength: 0, answer: 'complete', bit: [15, 1] },
  { op: H.OP_LE_SET_EVENT_MASK, paramLength: 8, answer: 'complete', bit: [25, 0] },
  { op: H.OP_LE_READ_BUFFER_SIZE, paramLength: 0, answer: 'complete', bit: [25, 1] },
  { op: H.OP_LE_READ_LOCAL_FEATURES, paramLength: 0, answer: 'complete', bit: [25, 2] },
  { op: H.OP_LE_SET_RANDOM_ADDRESS, paramLength: 6, answer: 'complete', bit: [25, 4] },
  { op: H.OP_LE_SET_SCAN_PARAMETERS, paramLength: 7, answer: 'complete', bit: [26, 2] },
  { op: H.OP_LE_SET_SCAN_ENABLE, paramLength: 2, answer: 'complete', bit: [26, 3] },
  { op: H.OP_LE_CREATE_CONNECTION, paramLength: 25, answer: 'status', bit: [26, 4] },
  { op: H.OP_LE_ENABLE_ENCRYPTION, paramLength: 28, answer: 'status', bit: [28, 0] },
  { op: H.OP_LE_READ_SUPPORTED_STATES, paramLength: 0, answer: 'complete', bit: [28, 3] },
];

/** Supported_Commands: exactly the bits of the table. */
export function supportedCommands(): Uint8Array {
  const out = new Uint8Array(64);
  for (const c of COMMAND_TABLE) if (c.bit) out[c.bit[0]] |= 1 << c.bit[1];
  return out;
}
// #endregion command-table

const u16 = (p: Uint8Array, at: number) => p[at] | (p[at + 1] << 8);
const u64 = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, 8).getBigUint64(0, true);
const le16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const inRange = (v: number, lo: number, hi: number) => v >= lo && v <= hi;

export class VirtualController {
  readonly guest: GuestPolicy;
  readonly physical: PhysicalController;
  readonly stats: ControllerStats = { commands: new Map(), unknownCommands: 0, reports: 0, hciResets: 0, physicalResets: 0, aclSent: 0, aclReceived: 0 };
  private port: ControllerPort | null = null;
  private eventMask = H.DEFAULT_EVENT_MASK;
  private leEventMask = H.DEFAULT_LE_EVENT_MASK;
  private scan: ScanParams = { ...SCAN_DEFAULTS };
  private scanning = false;
  private scanStartUs = 0;
  private filterDuplicates = false;
  private readonly seen = new Set<string>();
  private randomAddress: H.BdAddr | null = null;
  private pendingCreate: PendingCreate | null = null;
  private readonly conns = new Map<number, GuestConnection>();
  private readonly handlers: ReadonlyMap<number, Handler>;

  constructor(guest: GuestPolicy, physical: PhysicalController) {
    this.guest = guest;
    this.physical = physical;
    H.addrBytes(guest.address); // checks the form
    this.handlers = new Map<number, Handler>([
      [H.OP_DISCONNECT, (p) => this.disconnect(p)],
      [H.OP_SET_EVENT_MASK, (p) => ((this.eventMask = u64(p)), ok())],
      [H.OP_RESET, () => (this.reset('hci'), ok())],
      [H.OP_READ_LOCAL_VERSION, () => { const i = CONTROLLER_IDENTITY; return Uint8Array.of(0, i.hciVersion, ...le16(i.hciSubversion), i.lmpVersion, ...le16(i.companyId), ...le16(i.lmpSubversion)); }],
      [H.OP_READ_LOCAL_COMMANDS, () => Uint8Array.of(0, ...supportedCommands())],
      [H.OP_READ_LOCAL_FEATURES, () => Uint8Array.of(0, ...LMP_FEATURES)],
      // No BR/EDR: the ACL figures repeat the LE ones, and there is no synchronous buffer.
      [H.OP_READ_BUFFER_SIZE, () => Uint8Array.of(0, ...le16(CONTROLLER_IDENTITY.leAclLength), 0, ...le16(CONTROLLER_IDENTITY.leAclPackets), 0, 0)],
      [H.OP_READ_BD_ADDR, () => Uint8Array.of(0, ...H.addrBytes(this.guest.address))],
      [H.OP_LE_SET_EVENT_MASK, (p) => ((this.leEventMask = u64(p)), ok())],
      [H.OP_LE_READ_BUFFER_SIZE, () => Uint8Array.of(0, ...le16(CONTROLLER_IDENTITY.leAclLength), CONTROLLER_IDENTITY.leAclPackets)],
      [H.OP_LE_READ_LOCAL_FEATURES, () => Uint8Array.of(0, ...LE_FEATURES)],
      [H.OP_LE_SET_RANDOM_ADDRESS, (p) => ((this.randomAddress = H.addrString(p)), ok())],
      [H.OP_LE_SET_SCAN_PARAMETERS, (p) => this.setScanParameters(p)],
      [H.OP_LE_SET_SCAN_ENABLE, (p) => this.setScanEnable(p)],
      [H.OP_LE_CREATE_CONNECTION, (p) => this.createConnection(p)],
      [H.OP_LE_ENABLE_ENCRYPTION, (p) => this.enableEncryption(p)],
      [H.OP_LE_READ_SUPPORTED_STATES, () => Uint8Array.of(0, ...LE_STATES)],
    ]);
  }

  attach(port: ControllerPort): void {
    this.port = port;
  }

  /** The device was reset (§2.4): the controller goes back to its power-on state, its links with it. */
  detach(): void {
    this.port = null;
    this.reset('device');
  }

  get scanEnabled(): boolean {
    return this.scanning;
  }

  /** The scan parameters in force: LE_Scan_Type, interval and window (0.625 ms units), own address type, filter policy. */
  get scanParameters(): Readonly<ScanParams> {
    return this.scan;
  }

  get filteringDuplicates(): boolean {
    return this.filterDuplicates;
  }

  get eventMasks(): { readonly eventMask: bigint; readonly leEventMask: bigint } {
    return { eventMask: this.eventMask, leEventMask: this.leEventMask };
  }

  get ownRandomAddress(): H.BdAddr | null {
    return this.randomAddress;
  }

  get connections(): ReadonlyMap<number, GuestConnection> {
    return this.conns;
  }

  get connecting(): boolean {
    return this.pendingCreate !== null;
  }

  // #region command
  /** One HCI command from the guest: exactly one Command Complete or Command Status answers it. */
  command(op: number, params: Uint8Array): void {
    this.stats.commands.set(op, (this.stats.commands.get(op) ?? 0) + 1);
    const entry = COMMAND_TABLE.find((c) => c.op === op);
    if (!entry) {
      // Vol 1, Part F, 1.2 lets a controller use either event here; the AVP fixes Command Status.
      this.stats.unknownCommands++;
      this.emit('answer', H.commandStatus(H.HCI_UNKNOWN_COMMAND, op));
      return;
    }
    if (params.length !== entry.paramLength) {
      this.emit('answer', entry.answer === 'complete' ? H.commandComplete(op, Uint8Array.of(H.HCI_INVALID_PARAMETERS)) : H.commandStatus(H.HCI_INVALID_PARAMETERS, op));
      return;
    }
    const r = this.handlers.get(op)!(params);
    if (entry.answer === 'complete') this.emit('answer', H.commandComplete(op, r as Uint8Array));
    else this.afterStatus(op, r as number);
  }
  // #endregion command

  /** For commands answered by Command Status: the status first, then what the command made happen. */
  private followUps: Uint8Array[] = [];

  private afterStatus(op: number, status: number): void {
    this.emit('answer', H.commandStatus(status, op));
    const f = this.followUps;
    this.followUps = [];
    for (const e of f) this.emit('event', e);
  }

  // #region reset
  /**
   * HCI_Reset ('hci'), a device reset ('device') or the physical controller's reset
   * ('physical'): back to the defaults of Vol 4, Part E, 7.3.1, 7.8.1 and 7.8.10, scanning off,
   * the guest's links gone without further events, and nothing undelivered from before.
   */
  private reset(why: 'hci' | 'device' | 'physical'): void {
    if (why === 'hci') this.stats.hciResets++;
    this.port?.discard(['report', 'data', 'credit']);
    for (const h of [...this.conns.keys()]) this.physical.release(h, why === 'physical' ? 'lost' : 'local');
    this.conns.clear();
    this.pendingCreate = null;
    this.eventMask = H.DEFAULT_EVENT_MASK;
    this.leEventMask = H.DEFAULT_LE_EVENT_MASK;
    this.scan = { ...SCAN_DEFAULTS };
    this.scanning = false;
    this.filterDuplicates = false;
    this.seen.clear();
    this.randomAddress = null;
    this.followUps = [];
  }
  // #endregion reset

  // #region physical-reset
  /** The physical controller under this guest reset (or failed and was restarted) with `code`. */
  physicalReset(code: number): void {
    this.stats.physicalResets++;
    const told = (this.eventMask & H.EVENT_MASK_HARDWARE_ERROR) !== 0n;
    this.conns.clear(); // the physical controller has already forgotten them
    this.reset('physical');
    if (!this.port) return;
    if (told) this.emit('event', H.hardwareError(code));
    else this.port.controllerLost(code);
  }
  // #endregion physical-reset

  // #region scan-commands
  private setScanParameters(p: Uint8Array): Uint8Array {
    if (this.scanning) return Uint8Array.of(H.HCI_COMMAND_DISALLOWED); // 7.8.10
    const s: ScanParams = { type: p[0], interval: u16(p, 1), window: u16(p, 3), ownAddressType: p[5], filterPolicy: p[6] };
    const valid = s.type <= 1 && inRange(s.interval, 0x0004, 0x4000) && inRange(s.window, 0x0004, 0x4000) && s.window <= s.interval && s.ownAddressType <= 3 && s.filterPolicy <= 3;
    if (!valid) return Uint8Array.of(H.HCI_INVALID_PARAMETERS);
    this.scan = s;
    return ok();
  }

  private setScanEnable(p: Uint8Array): Uint8Array {
    const [enable, dups] = p;
    if (enable > 1 || dups > 1) return Uint8Array.of(H.HCI_INVALID_PARAMETERS);
    if (enable === 1 && !this.scanning) {
      this.scanning = true;
      this.scanStartUs = this.physical.now;
      this.seen.clear();
    }
    if (enable === 0) this.scanning = false;
    // Enabling while enabled changes only Filter_Duplicates.
    this.filterDuplicates = enable === 1 && dups === 1;
    return ok();
  }
  // #endregion scan-commands

  // #region connection-commands
  private createConnection(p: Uint8Array): number {
    if (this.pendingCreate) return H.HCI_COMMAND_DISALLOWED;
    const c = { scanInterval: u16(p, 0), scanWindow: u16(p, 2), filter: p[4], peerType: p[5], peer: H.addrString(p.subarray(6, 12)), ownType: p[12], min: u16(p, 13), max: u16(p, 15), latency: u16(p, 17), timeout: u16(p, 19) };
    if (c.filter === 1) return H.HCI_UNSUPPORTED_FEATURE; // no Filter Accept List in the model
    const valid =
      c.filter === 0 && inRange(c.scanInterval, 0x0004, 0x4000) && inRange(c.scanWindow, 0x0004, 0x4000) && c.scanWindow <= c.scanInterval &&
      c.peerType <= 3 && c.ownType <= 3 && inRange(c.min, 0x0006, 0x0c80) && inRange(c.max, 0x0006, 0x0c80) && c.min <= c.max &&
      c.latency <= 0x01f3 && inRange(c.timeout, 0x000a, 0x0c80);
    if (!valid) return H.HCI_INVALID_PARAMETERS;
    this.pendingCreate = { peerAddress: c.peer, peerAddressType: c.peerType, scanInterval: c.scanInterval, scanWindow: c.scanWindow, startUs: this.physical.now, interval: c.min, latency: c.latency, timeout: c.timeout };
    return H.HCI_SUCCESS;
  }

  private disconnect(p: Uint8Array): number {
    const handle = u16(p, 0) & 0x0fff;
    if (!this.conns.has(handle)) return H.HCI_UNKNOWN_CONNECTION_ID; // another guest's handle included
    if (!DISCONNECT_REASONS.includes(p[2])) return H.HCI_INVALID_PARAMETERS;
    this.conns.delete(handle);
    this.physical.release(handle, 'local');
    if (this.eventMask & H.EVENT_MASK_DISCONNECTION_COMPLETE) this.followUps.push(H.disconnectionComplete(H.HCI_SUCCESS, handle, H.HCI_TERMINATED_LOCAL_HOST));
    return H.HCI_SUCCESS;
  }

  private enableEncryption(p: Uint8Array): number {
    const handle = u16(p, 0) & 0x0fff;
    const c = this.conns.get(handle);
    if (!c) return H.HCI_UNKNOWN_CONNECTION_ID; // the key goes nowhere
    c.ltk = p.slice(12, 28);
    // The peer accepts the link only with the key it bonded for this guest's address.
    const want = c.peer.bonds?.get(this.guest.address);
    const match = want !== undefined && want === [...c.ltk].map((b) => b.toString(16).padStart(2, '0')).join('');
    if (this.eventMask & H.EVENT_MASK_ENCRYPTION_CHANGE) {
      this.followUps.push(H.eventPacket(H.EVT_ENCRYPTION_CHANGE, Uint8Array.of(match ? H.HCI_SUCCESS : H.HCI_PIN_OR_KEY_MISSING, ...le16(handle), match ? 1 : 0)));
    }
    if (!match) c.ltk = null;
    return H.HCI_SUCCESS;
  }
  // #endregion connection-commands

  // #region data
  /** ACL data from the guest: only on its own links, at most LE_ACL_Data_Packet_Length bytes. */
  sendAcl(handle: number, data: Uint8Array): 'UNKNOWN_HANDLE' | 'DATA_TOO_LONG' | null {
    if (!this.conns.has(handle)) return 'UNKNOWN_HANDLE';
    if (data.length > CONTROLLER_IDENTITY.leAclLength) return 'DATA_TOO_LONG';
    this.physical.transmit(handle, data);
    this.stats.aclSent++;
    this.port?.credit(handle, 1);
    return null;
  }

  /** ACL data a peer sent on one of this guest's links. */
  receiveAcl(handle: number, data: Uint8Array): void {
    this.stats.aclReceived++;
    this.emit('data', H.aclPacket(handle, data, 0b10));
  }

  /** The peer of one of this guest's links went away (it left, or the physical link dropped). */
  linkLost(handle: number, reason: number): void {
    if (!this.conns.delete(handle)) return;
    if (this.eventMask & H.EVENT_MASK_DISCONNECTION_COMPLETE) this.emit('event', H.disconnectionComplete(H.HCI_SUCCESS, handle, reason));
  }
  // #endregion data

  // #region advertisement
  /** An advertising event the platform lets this guest see, received at `atUs`. */
  onAdvertisement(adv: Advertiser, atUs: number): void {
    const pc = this.pendingCreate;
    if (pc && connectable(adv) && adv.address === pc.peerAddress && inWindow(atUs, pc.startUs, pc.scanInterval, pc.scanWindow)) {
      this.pendingCreate = null;
      const handle = this.physical.connect(this, adv);
      this.conns.set(handle, { handle, peer: adv, ltk: null });
      if (this.leEventEnabled(H.LE_MASK_CONNECTION_COMPLETE)) {
        this.emit('event', H.leConnectionComplete({ status: 0, handle, role: 0x00, peerAddressType: adv.addressType, peerAddress: adv.address, interval: pc.interval, latency: pc.latency, supervisionTimeout: pc.timeout }));
      }
    }
    if (!this.scanning || !inWindow(atUs, this.scanStartUs, this.scan.interval, this.scan.window)) return;
    this.report(adv, adv.eventType, adv.data);
    // Active scanning: a scan request to a scannable advertiser brings its scan response.
    if (this.scan.type === 1 && scannable(adv) && adv.scanResponse) this.report(adv, H.SCAN_RSP, adv.scanResponse);
  }

  private report(adv: Advertiser, eventType: number, data: Uint8Array): void {
    if (!this.leEventEnabled(H.LE_MASK_ADVERTISING_REPORT)) return;
    const key = `${adv.addressType}/${adv.address}/${eventType}`;
    if (this.filterDuplicates) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.stats.reports++;
    this.emit('report', H.advertisingReport({ eventType, addressType: adv.addressType, address: adv.address, data, rssi: adv.rssi }));
  }
  // #endregion advertisement

  private leEventEnabled(bit: bigint): boolean {
    return (this.eventMask & H.EVENT_MASK_LE_META) !== 0n && (this.leEventMask & bit) !== 0n;
  }

  private emit(kind: OutKind, packet: Uint8Array): void {
    this.port?.emit(kind, packet);
  }
}

function ok(): Uint8Array {
  return Uint8Array.of(H.HCI_SUCCESS);
}

/** Whether `atUs` falls in a scan window: windows of `window` units start every `interval` units from `startUs`. */
export function inWindow(atUs: number, startUs: number, interval: number, window: number): boolean {
  if (atUs < startUs) return false;
  return (atUs - startUs) % (interval * 625) < window * 625;
}
