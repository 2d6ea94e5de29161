// The messages of the CAN device's queues, VIRTIO 1.4 §5.20.5: a 16-byte little-endian header
// shared by transmit and receive messages, the sdu bytes after it, a one-byte result for
// transmit and control requests, and the 2-byte control request. Pure encoding and decoding:
// what is acceptable is decided by tx.ts and the device.
import type { CanFrame } from './frame.ts';

// #region message-types
export const VIRTIO_CAN_TX = 0x0001; //                  msg_type of a transmit request (Txq)
export const VIRTIO_CAN_RX = 0x0101; //                  msg_type of a received message (Rxq)
export const VIRTIO_CAN_SET_CTRL_MODE_START = 0x0201; // Controlq: join the bus
export const VIRTIO_CAN_SET_CTRL_MODE_STOP = 0x0202; //  Controlq: leave the bus

export const VIRTIO_CAN_RESULT_OK = 0;
export const VIRTIO_CAN_RESULT_NOT_OK = 1; // any value other than 0 means the same to a driver
// #endregion message-types

// #region message-flags
export const VIRTIO_CAN_FLAGS_RTR = 0x2000;
export const VIRTIO_CAN_FLAGS_FD = 0x4000;
export const VIRTIO_CAN_FLAGS_EXTENDED = 0x8000;
/** Every flag bit VIRTIO 1.4 defines; the other 29 bits of `flags` are undefined. */
export const VIRTIO_CAN_FLAGS_DEFINED = VIRTIO_CAN_FLAGS_RTR | VIRTIO_CAN_FLAGS_FD | VIRTIO_CAN_FLAGS_EXTENDED;
// #endregion message-flags

// #region message-header
/**
 * struct virtio_can_tx_out and struct virtio_can_rx share this header; sdu[] follows it.
 *   0 le16 msg_type   2 le16 length   4 u8 reserved_classic_dlc   5 u8 padding
 *   6 le16 reserved_xl_priority        8 le32 flags               12 le32 can_id
 */
export const CAN_MSG_HEADER_SIZE = 16;
export const CAN_CTRL_REQUEST_SIZE = 2; // struct virtio_can_control_out: le16 msg_type
export const CAN_RESULT_SIZE = 1; //       struct virtio_can_tx_in / virtio_can_control_in: u8 result

export interface CanMsgHeader {
  readonly msgType: number;
  readonly length: number;
  readonly reservedClassicDlc: number;
  readonly padding: number;
  readonly reservedXlPriority: number;
  readonly flags: number;
  readonly canId: number;
}

export function decodeCanHeader(bytes: Uint8Array): CanMsgHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, CAN_MSG_HEADER_SIZE);
  return {
    msgType: v.getUint16(0, true),
    length: v.getUint16(2, true),
    reservedClassicDlc: v.getUint8(4),
    padding: v.getUint8(5),
    reservedXlPriority: v.getUint16(6, true),
    flags: v.getUint32(8, true),
    canId: v.getUint32(12, true),
  };
}

export function encodeCanHeader(h: Partial<CanMsgHeader> & { msgType: number }): Uint8Array {
  const out = new Uint8Array(CAN_MSG_HEADER_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, h.msgType & 0xffff, true);
  v.setUint16(2, (h.length ?? 0) & 0xffff, true);
  v.setUint8(4, (h.reservedClassicDlc ?? 0) & 0xff);
  v.setUint8(5, (h.padding ?? 0) & 0xff);
  v.setUint16(6, (h.reservedXlPriority ?? 0) & 0xffff, true);
  v.setUint32(8, (h.flags ?? 0) >>> 0, true);
  v.setUint32(12, (h.canId ?? 0) >>> 0, true);
  return out;
}
// #endregion message-header

/** The flag bits that describe a frame. */
export function frameFlags(f: CanFrame): number {
  return (f.extended ? VIRTIO_CAN_FLAGS_EXTENDED : 0) | (f.fd ? VIRTIO_CAN_FLAGS_FD : 0) | (f.rtr ? VIRTIO_CAN_FLAGS_RTR : 0);
}

// #region rx-message
/**
 * A received frame as the device writes it into an Rxq buffer: the header with msg_type
 * VIRTIO_CAN_RX and every reserved byte zero, then `length` sdu bytes (zeros for a remote
 * request, which carries none), so the used length is always 16 + length.
 */
export function encodeCanRx(f: CanFrame): Uint8Array {
  const out = new Uint8Array(CAN_MSG_HEADER_SIZE + f.length);
  out.set(encodeCanHeader({ msgType: VIRTIO_CAN_RX, length: f.length, flags: frameFlags(f), canId: f.id }), 0);
  out.set(f.data, CAN_MSG_HEADER_SIZE);
  return out;
}
// #endregion rx-message

/** A transmit request for a frame, header and sdu in one byte string (the driver's side). */
export function encodeCanTx(f: CanFrame): Uint8Array {
  const out = new Uint8Array(CAN_MSG_HEADER_SIZE + f.data.length);
  out.set(encodeCanHeader({ msgType: VIRTIO_CAN_TX, length: f.length, flags: frameFlags(f), canId: f.id }), 0);
  out.set(f.data, CAN_MSG_HEADER_SIZE);
  return out;
}

export function encodeCanControl(msgType: number): Uint8Array {
  return new Uint8Array([msgType & 0xff, (msgType >>> 8) & 0xff]);
}

export function canMsgTypeName(t: number): string {
  const names: Record<number, string> = {
    [VIRTIO_CAN_TX]: 'VIRTIO_CAN_TX',
    [VIRTIO_CAN_RX]: 'VIRTIO_CAN_RX',
    [VIRTIO_CAN_SET_CTRL_MODE_START]: 'VIRTIO_CAN_SET_CTRL_MODE_START',
    [VIRTIO_CAN_SET_CTRL_MODE_STOP]: 'VIRTIO_CAN_SET_CTRL_MODE_STOP',
  };
  return names[t] ?? `msg_type 0x${t.toString(16).padStart(4, '0')}`;
}

export function canResultName(r: number | null): string {
  if (r === null) return 'no result';
  return r === VIRTIO_CAN_RESULT_OK ? 'VIRTIO_CAN_RESULT_OK' : r === VIRTIO_CAN_RESULT_NOT_OK ? 'VIRTIO_CAN_RESULT_NOT_OK' : `result ${r} (NOT_OK)`;
}
