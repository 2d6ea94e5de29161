// The wire format of multiport control messages (VIRTIO 1.4 §5.3.6.2): an 8-byte struct
// virtio_console_control, followed for two events by a payload (RESIZE: cols then rows;
// PORT_NAME: the name in UTF-8, no terminator). Device-to-driver messages travel on the
// control receiveq, driver-to-device ones on the control transmitq.

// #region control-struct
export const CONSOLE_CONTROL_SIZE = 8; // le32 id, le16 event, le16 value
export const CONSOLE_RESIZE_SIZE = 4; //  le16 cols, le16 rows, after the header

export const VIRTIO_CONSOLE_DEVICE_READY = 0; //  driver -> device; value 1 ok, 0 failed; id unused
export const VIRTIO_CONSOLE_DEVICE_ADD = 1; //    device -> driver (PORT_ADD in Linux headers)
export const VIRTIO_CONSOLE_DEVICE_REMOVE = 2; // device -> driver (PORT_REMOVE in Linux headers)
export const VIRTIO_CONSOLE_PORT_READY = 3; //    driver -> device; value 1 ok, 0 failed
export const VIRTIO_CONSOLE_CONSOLE_PORT = 4; //  device -> driver
export const VIRTIO_CONSOLE_RESIZE = 5; //        device -> driver, + struct virtio_console_resize
export const VIRTIO_CONSOLE_PORT_OPEN = 6; //     both ways; value 1 open, 0 closed
export const VIRTIO_CONSOLE_PORT_NAME = 7; //     device -> driver, + UTF-8 name
// #endregion control-struct

export const CONSOLE_EVENT_NAMES: readonly string[] = [
  'DEVICE_READY',
  'DEVICE_ADD',
  'DEVICE_REMOVE',
  'PORT_READY',
  'CONSOLE_PORT',
  'RESIZE',
  'PORT_OPEN',
  'PORT_NAME',
];

export function controlEventName(event: number): string {
  return CONSOLE_EVENT_NAMES[event] ?? `event ${event}`;
}

/** The longest port name, in UTF-8 bytes, that an AVP device announces. */
export const CONSOLE_MAX_NAME_BYTES = 255;
/** A control receive buffer that holds any message an AVP device sends: header + longest name. */
export const CONSOLE_CONTROL_BUFFER_MIN = CONSOLE_CONTROL_SIZE + CONSOLE_MAX_NAME_BYTES;

export interface ConsoleControl {
  readonly id: number;
  readonly event: number;
  readonly value: number;
  /** Bytes after the 8-byte header (RESIZE, PORT_NAME). */
  readonly payload?: Uint8Array;
}

export function encodeControl(msg: ConsoleControl): Uint8Array {
  const payload = msg.payload ?? new Uint8Array(0);
  const out = new Uint8Array(CONSOLE_CONTROL_SIZE + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, msg.id >>> 0, true);
  v.setUint16(4, msg.event & 0xffff, true);
  v.setUint16(6, msg.value & 0xffff, true);
  out.set(payload, CONSOLE_CONTROL_SIZE);
  return out;
}

/** Header fields and the payload after them; null if shorter than the header. */
export function decodeControl(bytes: Uint8Array): ConsoleControl | null {
  if (bytes.length < CONSOLE_CONTROL_SIZE) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { id: v.getUint32(0, true), event: v.getUint16(4, true), value: v.getUint16(6, true), payload: bytes.slice(CONSOLE_CONTROL_SIZE) };
}

// #region resize-payload
/**
 * A RESIZE message. §5.3.6.2 fixes the payload as cols, then rows. There is no option to swap
 * them for a guest that reads them the other way: that would be a device VIRTIO forbids.
 */
export function encodeResize(port: number, cols: number, rows: number): Uint8Array {
  const p = new Uint8Array(CONSOLE_RESIZE_SIZE);
  const v = new DataView(p.buffer);
  v.setUint16(0, cols, true);
  v.setUint16(2, rows, true);
  return encodeControl({ id: port, event: VIRTIO_CONSOLE_RESIZE, value: 0, payload: p });
}
// #endregion resize-payload

export function decodeResize(payload: Uint8Array): { cols: number; rows: number } | null {
  if (payload.length < CONSOLE_RESIZE_SIZE) return null;
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { cols: v.getUint16(0, true), rows: v.getUint16(2, true) };
}

/** A PORT_NAME message; `value` is unused by §5.3.6.2, and set to 1 as common devices do. */
export function encodePortName(port: number, name: string): Uint8Array {
  return encodeControl({ id: port, event: VIRTIO_CONSOLE_PORT_NAME, value: 1, payload: new TextEncoder().encode(name) });
}
