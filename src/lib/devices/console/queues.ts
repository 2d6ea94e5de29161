// Which virtqueue is which on a console device (VIRTIO 1.4 §5.3.2): port 0's receiveq and
// transmitq at 0 and 1, then, only with VIRTIO_CONSOLE_F_MULTIPORT, the control receiveq and
// control transmitq at 2 and 3, and a receiveq/transmitq pair for each further port.

// #region queue-index
export const PORT0_RECEIVEQ = 0;
export const PORT0_TRANSMITQ = 1;
export const CONTROL_RECEIVEQ = 2; // device -> driver control messages
export const CONTROL_TRANSMITQ = 3; // driver -> device control messages

/** Port n > 0 has its pair after the control pair: receiveq 2(n+1), transmitq 2(n+1)+1. */
export function portReceiveQueue(port: number): number {
  if (!Number.isInteger(port) || port < 0) throw new RangeError(`port ${port}: a non-negative integer`);
  return port === 0 ? PORT0_RECEIVEQ : 2 * (port + 1);
}

export function portTransmitQueue(port: number): number {
  return portReceiveQueue(port) + 1;
}

/** 2 queues without MULTIPORT; with it, a pair per port plus the control pair. */
export function consoleQueueCount(maxPorts: number, multiport: boolean): number {
  return multiport ? 2 * maxPorts + 2 : 2;
}

export type ConsoleQueueRole =
  | { readonly kind: 'control'; readonly transmit: boolean }
  | { readonly kind: 'port'; readonly port: number; readonly transmit: boolean };

/** What queue `index` carries; odd indices are always driver-to-device. */
export function queueRole(index: number): ConsoleQueueRole {
  const transmit = index % 2 === 1;
  if (index === CONTROL_RECEIVEQ || index === CONTROL_TRANSMITQ) return { kind: 'control', transmit };
  return { kind: 'port', port: index < 2 ? 0 : (index >> 1) - 1, transmit };
}
// #endregion queue-index
