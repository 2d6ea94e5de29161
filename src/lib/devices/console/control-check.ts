// What a device can check of a driver's control message without knowing its own state
// (VIRTIO 1.4 §5.3.6.2): length, event, direction and value. Port ids and the order of the
// handshake are checked by the control channel, which knows the ports.
import {
  CONSOLE_CONTROL_SIZE,
  type ConsoleControl,
  decodeControl,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_ADD,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_DEVICE_REMOVE,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VIRTIO_CONSOLE_RESIZE,
} from './control.ts';

/** Why the device ignored a message from the driver. */
export const CONTROL_ERRORS = [
  'short', // fewer than 8 device-readable bytes
  'unknown-event', // an event above PORT_NAME
  'device-only-event', // an event only the device sends
  'bad-value', // a value other than 0 or 1 where the event has a yes/no value
  'not-ready', // a port message before a successful DEVICE_READY
  'port-out-of-range', // id >= max_nr_ports
  'unknown-port', // a port the device has not announced with DEVICE_ADD (or has removed)
  'port-not-ready', // PORT_OPEN on a port the driver has not reported ready
] as const;

export type ControlError = (typeof CONTROL_ERRORS)[number];

export type ParsedControl = { readonly ok: true; readonly msg: ConsoleControl } | { readonly ok: false; readonly reason: ControlError };

// #region parse-driver-control
/**
 * `head` is the first bytes of the message (at most 8 are needed). Bytes after the header are
 * not an error: no driver message has a payload, so the device ignores them.
 */
export function parseDriverControl(head: Uint8Array): ParsedControl {
  const msg = decodeControl(head.subarray(0, CONSOLE_CONTROL_SIZE));
  if (!msg) return { ok: false, reason: 'short' };
  switch (msg.event) {
    case VIRTIO_CONSOLE_DEVICE_READY:
    case VIRTIO_CONSOLE_PORT_READY:
    case VIRTIO_CONSOLE_PORT_OPEN:
      if (msg.value > 1) return { ok: false, reason: 'bad-value' };
      return { ok: true, msg: { id: msg.id, event: msg.event, value: msg.value } };
    case VIRTIO_CONSOLE_DEVICE_ADD:
    case VIRTIO_CONSOLE_DEVICE_REMOVE:
    case VIRTIO_CONSOLE_CONSOLE_PORT:
    case VIRTIO_CONSOLE_RESIZE:
    case VIRTIO_CONSOLE_PORT_NAME:
      return { ok: false, reason: 'device-only-event' };
    default:
      return { ok: false, reason: 'unknown-event' };
  }
}
// #endregion parse-driver-control
