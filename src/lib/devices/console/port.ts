// One port of a console device as the device sees it: what the host configured (name, console
// role, size, host side) and where the handshake with the driver stands (§5.3.6.2).
import type { DescriptorChain } from '../../virtio/chain.ts';
import { CONSOLE_MAX_NAME_BYTES } from './control.ts';
import type { ConsolePortHost } from './host.ts';

export interface ConsoleSize {
  readonly cols: number;
  readonly rows: number;
}

export interface ConsolePortOptions {
  /** Announced with PORT_NAME: 1..255 UTF-8 bytes, no NUL, unique on the device. */
  readonly name?: string;
  /** Nominated with CONSOLE_PORT; port 0 is a console port unless this says otherwise. */
  readonly console?: boolean;
  readonly host?: ConsolePortHost | null;
  /** The terminal size of a console port; port 0's also goes in cols/rows (VIRTIO_CONSOLE_F_SIZE). */
  readonly size?: ConsoleSize;
}

/** A snapshot of a port, for the host and for tests. */
export interface ConsolePortState {
  readonly id: number;
  readonly name: string | null;
  readonly console: boolean;
  readonly size: ConsoleSize | null;
  /** DEVICE_ADD has gone to the driver, or waits for a control receive buffer. */
  readonly announced: boolean;
  /** The driver answered PORT_READY with value 1. */
  readonly ready: boolean;
  /** The driver answered PORT_READY with value 0: it could not set the port up. */
  readonly failed: boolean;
  /** The guest's side is open (port 0 without multiport: whenever the device is live). */
  readonly guestOpen: boolean;
  /** A host side is attached. */
  readonly hostOpen: boolean;
  readonly txBytes: number;
  readonly rxBytes: number;
}

/** The device's working state of a port. */
export interface Port {
  readonly id: number;
  readonly name: string | null;
  readonly console: boolean;
  size: ConsoleSize | null;
  host: ConsolePortHost | null;
  announced: boolean;
  ready: boolean;
  failed: boolean;
  guestOpen: boolean;
  txBytes: number;
  rxBytes: number;
  /** A receive buffer taken from the receiveq while the host had no input; used first next time. */
  heldRx: DescriptorChain | null;
}

export function checkSize(s: ConsoleSize): ConsoleSize {
  for (const v of [s.cols, s.rows]) if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError('cols and rows: 0..65535 (le16)');
  return { cols: s.cols, rows: s.rows };
}

// #region port-name
/** §5.3.6.2 sends the name without a terminator; the AVP bounds it and keeps names unique. */
export function checkPortName(name: string, taken: Iterable<string | null>): void {
  const n = new TextEncoder().encode(name).length;
  if (n < 1 || n > CONSOLE_MAX_NAME_BYTES || name.includes('\0')) throw new RangeError(`port name: 1..${CONSOLE_MAX_NAME_BYTES} UTF-8 bytes, no NUL`);
  for (const t of taken) if (t === name) throw new RangeError(`port name "${name}" is taken on this device`);
}
// #endregion port-name

export function makePort(id: number, o: ConsolePortOptions, maxPorts: number, taken: Iterable<string | null>): Port {
  // §5.3.6.2: a device never names a port at or above max_nr_ports.
  if (!Number.isInteger(id) || id < 0 || id >= maxPorts) throw new RangeError(`port ${id} outside 0..${maxPorts - 1}`);
  if (o.name !== undefined) checkPortName(o.name, taken);
  return {
    id,
    name: o.name ?? null,
    console: o.console ?? id === 0,
    size: o.size ? checkSize(o.size) : null,
    host: o.host ?? null,
    announced: false,
    ready: false,
    failed: false,
    guestOpen: false,
    txBytes: 0,
    rxBytes: 0,
    heldRx: null,
  };
}

/** Forgets what the driver knew: after a reset, the handshake starts over. */
export function resetPort(p: Port): void {
  p.announced = false;
  p.ready = false;
  p.failed = false;
  p.guestOpen = false;
  p.heldRx = null;
}
