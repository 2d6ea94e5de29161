// The HCI packets the virtual controller reads and writes (Bluetooth Core 5.4, Vol 4, Part E):
// command opcodes, event codes, error codes, the parser for what a host sends on the tx queue
// and the encoders for what the controller sends on the rx queue. Everything is little-endian.
import { H4_ACL, H4_COMMAND, H4_EVENT, H4_SCO, HCI_HEADER_SIZE, HOST_PACKET_TYPES } from './protocol.ts';

// #region opcodes
/** An opcode is OGF (6 bits) and OCF (10 bits): (ogf << 10) | ocf (Vol 4, Part E, 5.4.1). */
export const opcode = (ogf: number, ocf: number): number => ((ogf & 0x3f) << 10) | (ocf & 0x3ff);
export const ogfOf = (op: number): number => op >> 10;
export const ocfOf = (op: number): number => op & 0x3ff;

export const OP_DISCONNECT = opcode(0x01, 0x0006); // 7.1.6
export const OP_SET_EVENT_MASK = opcode(0x03, 0x0001); // 7.3.1
export const OP_RESET = opcode(0x03, 0x0003); // 7.3.2
export const OP_READ_LOCAL_VERSION = opcode(0x04, 0x0001); // 7.4.1
export const OP_READ_LOCAL_COMMANDS = opcode(0x04, 0x0002); // 7.4.2
export const OP_READ_LOCAL_FEATURES = opcode(0x04, 0x0003); // 7.4.3
export const OP_READ_BUFFER_SIZE = opcode(0x04, 0x0005); // 7.4.5
export const OP_READ_BD_ADDR = opcode(0x04, 0x0009); // 7.4.6
export const OP_LE_SET_EVENT_MASK = opcode(0x08, 0x0001); // 7.8.1
export const OP_LE_READ_BUFFER_SIZE = opcode(0x08, 0x0002); // 7.8.2
export const OP_LE_READ_LOCAL_FEATURES = opcode(0x08, 0x0003); // 7.8.3
export const OP_LE_SET_RANDOM_ADDRESS = opcode(0x08, 0x0005); // 7.8.4
export const OP_LE_SET_SCAN_PARAMETERS = opcode(0x08, 0x000b); // 7.8.10
export const OP_LE_SET_SCAN_ENABLE = opcode(0x08, 0x000c); // 7.8.11
export const OP_LE_CREATE_CONNECTION = opcode(0x08, 0x000d); // 7.8.12
export const OP_LE_ENABLE_ENCRYPTION = opcode(0x08, 0x0019); // 7.8.24
export const OP_LE_READ_SUPPORTED_STATES = opcode(0x08, 0x001c); // 7.8.27
/** OGF 0x3F: vendor-specific commands. */
export const OGF_VENDOR = 0x3f;
// #endregion opcodes

// #region events
export const EVT_DISCONNECTION_COMPLETE = 0x05; // 7.7.5
export const EVT_ENCRYPTION_CHANGE = 0x08; // 7.7.8
export const EVT_COMMAND_COMPLETE = 0x0e; // 7.7.14
export const EVT_COMMAND_STATUS = 0x0f; // 7.7.15
export const EVT_HARDWARE_ERROR = 0x10; // 7.7.16
export const EVT_NUM_COMPLETED_PACKETS = 0x13; // 7.7.19
export const EVT_LE_META = 0x3e; // 7.7.65
export const LE_CONNECTION_COMPLETE = 0x01; // 7.7.65.1
export const LE_ADVERTISING_REPORT = 0x02; // 7.7.65.2

/** Event_Mask bits (7.3.1) the model honours; default 0x00001FFFFFFFFFFF. */
export const EVENT_MASK_DISCONNECTION_COMPLETE = 1n << 4n;
export const EVENT_MASK_ENCRYPTION_CHANGE = 1n << 7n;
export const EVENT_MASK_HARDWARE_ERROR = 1n << 15n;
export const EVENT_MASK_LE_META = 1n << 61n;
export const DEFAULT_EVENT_MASK = 0x0000_1fff_ffff_ffffn;
/** LE_Event_Mask bits (7.8.1); default 0x000000000000001F. */
export const LE_MASK_CONNECTION_COMPLETE = 1n << 0n;
export const LE_MASK_ADVERTISING_REPORT = 1n << 1n;
export const DEFAULT_LE_EVENT_MASK = 0x1fn;
// #endregion events

// #region errors
/** Controller error codes (Vol 1, Part F, 1.3) the model returns. */
export const HCI_SUCCESS = 0x00;
export const HCI_UNKNOWN_COMMAND = 0x01;
export const HCI_UNKNOWN_CONNECTION_ID = 0x02;
export const HCI_HARDWARE_FAILURE = 0x03;
export const HCI_PIN_OR_KEY_MISSING = 0x06;
export const HCI_COMMAND_DISALLOWED = 0x0c;
export const HCI_UNSUPPORTED_FEATURE = 0x11;
export const HCI_INVALID_PARAMETERS = 0x12;
export const HCI_CONNECTION_TIMEOUT = 0x08;
export const HCI_TERMINATED_LOCAL_HOST = 0x16;
// #endregion errors

/** Legacy advertising report event types (7.7.65.2). */
export const ADV_IND = 0x00;
export const ADV_DIRECT_IND = 0x01;
export const ADV_SCAN_IND = 0x02;
export const ADV_NONCONN_IND = 0x03;
export const SCAN_RSP = 0x04;

/** Address types in reports and connection events. */
export const ADDR_PUBLIC = 0x00;
export const ADDR_RANDOM = 0x01;

/** A Bluetooth device address as people write it, most significant byte first ("C0:FF:EE:00:00:01"). */
export type BdAddr = string;

/** The six address bytes as HCI carries them: least significant byte first. */
export function addrBytes(a: BdAddr): Uint8Array {
  const parts = a.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`not a Bluetooth address: ${a}`);
  return Uint8Array.from(parts.reverse().map((p) => parseInt(p, 16)));
}

export function addrString(b: Uint8Array): BdAddr {
  return [...b.subarray(0, 6)].reverse().map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(':');
}

// #region parse-host
/** What a host may send on the tx queue, parsed; or why it is refused. */
export type HostPacket =
  | { readonly kind: 'command'; readonly opcode: number; readonly params: Uint8Array }
  | { readonly kind: 'acl'; readonly handle: number; readonly pb: number; readonly bc: number; readonly data: Uint8Array }
  | { readonly kind: 'sco' | 'iso'; readonly handle: number; readonly data: Uint8Array };

/** Why a tx buffer is not an HCI packet; each is counted by name and the buffer is dropped whole. */
export const HCI_FRAMING_ERRORS = [
  'EMPTY_PACKET', // no device-readable bytes
  'BAD_PACKET_TYPE', // the indicator is not command, ACL, SCO or ISO (an event, or no type at all)
  'TRUNCATED_HEADER', // fewer bytes after the indicator than that type's header
  'LENGTH_MISMATCH', // the header's length field disagrees with the bytes after the header
] as const;
export type HciFramingError = (typeof HCI_FRAMING_ERRORS)[number];

/**
 * Parses one tx buffer: the indicator, the header, then exactly as many bytes as the header's
 * length field says. Nothing is truncated or padded: a buffer that does not hold exactly one
 * packet is refused with the reason.
 */
export function parseHostPacket(bytes: Uint8Array): HostPacket | { readonly error: HciFramingError } {
  if (bytes.length === 0) return { error: 'EMPTY_PACKET' };
  const type = bytes[0];
  if (!HOST_PACKET_TYPES.includes(type)) return { error: 'BAD_PACKET_TYPE' };
  const hdr = HCI_HEADER_SIZE[type];
  if (bytes.length < 1 + hdr) return { error: 'TRUNCATED_HEADER' };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = bytes.subarray(1 + hdr);
  const expect = (n: number) => body.length === n;
  switch (type) {
    case H4_COMMAND: {
      if (!expect(bytes[3])) return { error: 'LENGTH_MISMATCH' };
      return { kind: 'command', opcode: v.getUint16(1, true), params: body };
    }
    case H4_ACL: {
      const hf = v.getUint16(1, true);
      if (!expect(v.getUint16(3, true))) return { error: 'LENGTH_MISMATCH' };
      return { kind: 'acl', handle: hf & 0x0fff, pb: (hf >> 12) & 3, bc: (hf >> 14) & 3, data: body };
    }
    case H4_SCO: {
      if (!expect(bytes[3])) return { error: 'LENGTH_MISMATCH' };
      return { kind: 'sco', handle: v.getUint16(1, true) & 0x0fff, data: body };
    }
    default: {
      // H4_ISO: the load length is the low 14 bits; the top two are reserved.
      if (!expect(v.getUint16(3, true) & 0x3fff)) return { error: 'LENGTH_MISMATCH' };
      return { kind: 'iso', handle: v.getUint16(1, true) & 0x0fff, data: body };
    }
  }
}
// #endregion parse-host

// #region encode
const le16 = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff);

/** An H4 command packet, as a host sends it. */
export function commandPacket(op: number, params: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (params.length > 255) throw new RangeError('command parameters: at most 255 bytes');
  return Uint8Array.of(H4_COMMAND, op & 0xff, op >> 8, params.length, ...params);
}

/** An H4 ACL packet (host to controller or back). */
export function aclPacket(handle: number, data: Uint8Array, pb = 0b00, bc = 0b00): Uint8Array {
  const hf = (handle & 0x0fff) | ((pb & 3) << 12) | ((bc & 3) << 14);
  return Uint8Array.of(H4_ACL, ...le16(hf), ...le16(data.length), ...data);
}

/** An H4 event packet. */
export function eventPacket(code: number, params: Uint8Array): Uint8Array {
  if (params.length > 255) throw new RangeError('event parameters: at most 255 bytes');
  return Uint8Array.of(H4_EVENT, code, params.length, ...params);
}

/** Command Complete (7.7.14): Num_HCI_Command_Packets, Command_Opcode, Return_Parameters. */
export function commandComplete(op: number, ret: Uint8Array, numCommands = 1): Uint8Array {
  return eventPacket(EVT_COMMAND_COMPLETE, Uint8Array.of(numCommands, ...le16(op), ...ret));
}

/** Command Status (7.7.15): Status, Num_HCI_Command_Packets, Command_Opcode. */
export function commandStatus(status: number, op: number, numCommands = 1): Uint8Array {
  return eventPacket(EVT_COMMAND_STATUS, Uint8Array.of(status, numCommands, ...le16(op)));
}

export function hardwareError(code: number): Uint8Array {
  return eventPacket(EVT_HARDWARE_ERROR, Uint8Array.of(code));
}

export function disconnectionComplete(status: number, handle: number, reason: number): Uint8Array {
  return eventPacket(EVT_DISCONNECTION_COMPLETE, Uint8Array.of(status, ...le16(handle), reason));
}

export function numCompletedPackets(handle: number, count: number): Uint8Array {
  return eventPacket(EVT_NUM_COMPLETED_PACKETS, Uint8Array.of(1, ...le16(handle), ...le16(count)));
}

export interface AdvertisingReport {
  readonly eventType: number;
  readonly addressType: number;
  readonly address: BdAddr;
  /** At most 31 bytes of advertising or scan response data. */
  readonly data: Uint8Array;
  /** dBm, -127 to +20; 127 when not available. */
  readonly rssi: number;
}

/** LE Advertising Report (7.7.65.2) with one report: Num_Reports is always 1 here. */
export function advertisingReport(r: AdvertisingReport): Uint8Array {
  if (r.data.length > 31) throw new RangeError('advertising data: at most 31 bytes');
  return eventPacket(EVT_LE_META, Uint8Array.of(LE_ADVERTISING_REPORT, 1, r.eventType, r.addressType, ...addrBytes(r.address), r.data.length, ...r.data, r.rssi & 0xff));
}

export interface LeConnection {
  readonly status: number;
  readonly handle: number;
  /** 0x00 central, 0x01 peripheral. */
  readonly role: number;
  readonly peerAddressType: number;
  readonly peerAddress: BdAddr;
  readonly interval: number;
  readonly latency: number;
  readonly supervisionTimeout: number;
}

/** LE Connection Complete (7.7.65.1). */
export function leConnectionComplete(c: LeConnection): Uint8Array {
  return eventPacket(EVT_LE_META, Uint8Array.of(LE_CONNECTION_COMPLETE, c.status, ...le16(c.handle), c.role, c.peerAddressType, ...addrBytes(c.peerAddress), ...le16(c.interval), ...le16(c.latency), ...le16(c.supervisionTimeout), 0x00));
}
// #endregion encode

// #region decode
/** An event as a host reads it from an rx buffer. */
export type HciEvent =
  | { readonly kind: 'command-complete'; readonly numCommands: number; readonly opcode: number; readonly ret: Uint8Array }
  | { readonly kind: 'command-status'; readonly status: number; readonly numCommands: number; readonly opcode: number }
  | { readonly kind: 'advertising-report'; readonly report: AdvertisingReport }
  | { readonly kind: 'le-connection-complete'; readonly connection: LeConnection }
  | { readonly kind: 'disconnection-complete'; readonly status: number; readonly handle: number; readonly reason: number }
  | { readonly kind: 'num-completed-packets'; readonly handle: number; readonly count: number }
  | { readonly kind: 'hardware-error'; readonly code: number }
  | { readonly kind: 'encryption-change'; readonly status: number; readonly handle: number; readonly enabled: number }
  | { readonly kind: 'acl'; readonly handle: number; readonly data: Uint8Array }
  | { readonly kind: 'other'; readonly code: number; readonly params: Uint8Array };

/** Decodes one rx packet (indicator included); null if it is not a well-formed event or ACL packet. */
export function decodeControllerPacket(b: Uint8Array): HciEvent | null {
  if (b.length < 1) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] === H4_ACL) {
    if (b.length < 5 || v.getUint16(3, true) !== b.length - 5) return null;
    return { kind: 'acl', handle: v.getUint16(1, true) & 0x0fff, data: b.slice(5) };
  }
  if (b[0] !== H4_EVENT || b.length < 3 || b[2] !== b.length - 3) return null;
  const code = b[1];
  const p = b.subarray(3);
  const u16 = (at: number) => p[at] | (p[at + 1] << 8);
  if (code === EVT_COMMAND_COMPLETE && p.length >= 3) return { kind: 'command-complete', numCommands: p[0], opcode: u16(1), ret: p.slice(3) };
  if (code === EVT_COMMAND_STATUS && p.length === 4) return { kind: 'command-status', status: p[0], numCommands: p[1], opcode: u16(2) };
  if (code === EVT_HARDWARE_ERROR && p.length === 1) return { kind: 'hardware-error', code: p[0] };
  if (code === EVT_DISCONNECTION_COMPLETE && p.length === 4) return { kind: 'disconnection-complete', status: p[0], handle: u16(1), reason: p[3] };
  if (code === EVT_ENCRYPTION_CHANGE && p.length === 4) return { kind: 'encryption-change', status: p[0], handle: u16(1), enabled: p[3] };
  if (code === EVT_NUM_COMPLETED_PACKETS && p.length === 5 && p[0] === 1) return { kind: 'num-completed-packets', handle: u16(1), count: u16(3) };
  if (code === EVT_LE_META && p[0] === LE_ADVERTISING_REPORT && p.length >= 12 && p[1] === 1) {
    const len = p[10];
    if (p.length !== 12 + len) return null;
    return { kind: 'advertising-report', report: { eventType: p[2], addressType: p[3], address: addrString(p.subarray(4, 10)), data: p.slice(11, 11 + len), rssi: (p[11 + len] << 24) >> 24 } };
  }
  if (code === EVT_LE_META && p[0] === LE_CONNECTION_COMPLETE && p.length === 19) {
    return { kind: 'le-connection-complete', connection: { status: p[1], handle: u16(2), role: p[4], peerAddressType: p[5], peerAddress: addrString(p.subarray(6, 12)), interval: u16(12), latency: u16(14), supervisionTimeout: u16(16) } };
  }
  return { kind: 'other', code, params: p.slice() };
}
// #endregion decode

export const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/** Names of the commands the model implements, for logs and examples. */
export const COMMAND_NAMES: ReadonlyMap<number, string> = new Map([
  [OP_DISCONNECT, 'Disconnect'],
  [OP_SET_EVENT_MASK, 'Set_Event_Mask'],
  [OP_RESET, 'Reset'],
  [OP_READ_LOCAL_VERSION, 'Read_Local_Version_Information'],
  [OP_READ_LOCAL_COMMANDS, 'Read_Local_Supported_Commands'],
  [OP_READ_LOCAL_FEATURES, 'Read_Local_Supported_Features'],
  [OP_READ_BUFFER_SIZE, 'Read_Buffer_Size'],
  [OP_READ_BD_ADDR, 'Read_BD_ADDR'],
  [OP_LE_SET_EVENT_MASK, 'LE_Set_Event_Mask'],
  [OP_LE_READ_BUFFER_SIZE, 'LE_Read_Buffer_Size'],
  [OP_LE_READ_LOCAL_FEATURES, 'LE_Read_Local_Supported_Features'],
  [OP_LE_SET_RANDOM_ADDRESS, 'LE_Set_Random_Address'],
  [OP_LE_SET_SCAN_PARAMETERS, 'LE_Set_Scan_Parameters'],
  [OP_LE_SET_SCAN_ENABLE, 'LE_Set_Scan_Enable'],
  [OP_LE_CREATE_CONNECTION, 'LE_Create_Connection'],
  [OP_LE_ENABLE_ENCRYPTION, 'LE_Enable_Encryption'],
  [OP_LE_READ_SUPPORTED_STATES, 'LE_Read_Supported_States'],
]);

