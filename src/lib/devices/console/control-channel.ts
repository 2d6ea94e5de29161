// The multiport control protocol, device side (VIRTIO 1.4 §5.3.6.2). The driver says
// DEVICE_READY; the device announces each port with DEVICE_ADD; the driver answers PORT_READY;
// the device then tells it what the port is (CONSOLE_PORT, RESIZE, PORT_NAME) and whether the
// host side is open (PORT_OPEN). Messages from the driver are checked and, if wrong, ignored
// and counted; messages to the driver wait, in order and bounded, for control receive buffers.
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import type { DeviceEnv } from '../../virtio/device.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import {
  CONSOLE_CONTROL_SIZE,
  type ConsoleControl,
  encodeControl,
  encodePortName,
  encodeResize,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_ADD,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_DEVICE_REMOVE,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
} from './control.ts';
import { type ControlError, parseDriverControl } from './control-check.ts';
import type { Port } from './port.ts';
import { CONTROL_RECEIVEQ } from './queues.ts';
import { type ConsoleStats, countDrop } from './stats.ts';

/** What the channel needs from the device. */
export interface ControlHost {
  readonly maxPorts: number;
  readonly ports: ReadonlyMap<number, Port>;
  readonly stats: ConsoleStats;
  /** The live environment when VIRTIO_CONSOLE_F_MULTIPORT was negotiated, else null. */
  multiportEnv(): DeviceEnv | null;
  /** The driver sent PORT_OPEN; `changed` is false for a repeat of the current state. */
  guestOpened(port: Port, open: boolean, changed: boolean): void;
}

export class ControlChannel {
  private readonly host: ControlHost;
  private readonly maxPending: number;
  private ready = false;
  private pending: Uint8Array[] = [];

  constructor(host: ControlHost, maxPending: number) {
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError('maxPendingControl: a positive integer');
    this.host = host;
    this.maxPending = maxPending;
  }

  /** The driver has sent DEVICE_READY with value 1 since the last reset. */
  get deviceReady(): boolean {
    return this.ready;
  }

  /** Messages waiting for a control receive buffer. */
  get pendingCount(): number {
    return this.pending.length;
  }

  reset(): void {
    this.ready = false;
    this.pending = [];
  }

  // #region control-in
  /** A message from the driver on the control transmitq; always used with length 0. */
  serve(mem: GuestMemory, chain: DescriptorChain): number {
    const { stats } = this.host;
    if (writableBuffers(chain).length > 0) return countDrop(stats, 'writable-in-transmitq'); // §5.3.6.1
    const parsed = parseDriverControl(readHead(mem, chain, CONSOLE_CONTROL_SIZE));
    if (!parsed.ok) return this.refuse(parsed.reason);
    if (totalLength(readableBuffers(chain)) > CONSOLE_CONTROL_SIZE) stats.controlTrailing++;
    const error = this.apply(parsed.msg);
    if (error) return this.refuse(error);
    stats.controlAccepted++;
    return 0;
  }

  private apply(msg: ConsoleControl): ControlError | null {
    if (msg.event === VIRTIO_CONSOLE_DEVICE_READY) {
      // Value 0: the driver could not initialize; nothing is announced. A repeat changes nothing.
      if (msg.value === 1 && !this.ready) {
        this.ready = true;
        for (const id of [...this.host.ports.keys()].sort((a, b) => a - b)) this.announce(this.host.ports.get(id)!);
      }
      return null;
    }
    if (!this.ready) return 'not-ready';
    if (msg.id >= this.host.maxPorts) return 'port-out-of-range';
    const port = this.host.ports.get(msg.id);
    if (!port || !port.announced) return 'unknown-port';
    if (msg.event === VIRTIO_CONSOLE_PORT_READY) {
      if (msg.value === 0) {
        port.failed = true; // the driver could not set the port up: it stays unusable
        port.ready = false;
      } else if (!port.ready) {
        port.ready = true;
        port.failed = false;
        this.describe(port);
      }
      return null;
    }
    // VIRTIO_CONSOLE_PORT_OPEN, the only other event a driver sends
    if (!port.ready) return 'port-not-ready';
    const open = msg.value === 1;
    const changed = open !== port.guestOpen;
    port.guestOpen = open;
    this.host.guestOpened(port, open, changed);
    return null;
  }

  private refuse(reason: ControlError): number {
    this.host.stats.controlErrors[reason]++;
    this.host.stats.lastControlError = reason;
    return 0;
  }
  // #endregion control-in

  // #region control-out
  /** DEVICE_ADD, once per port between resets; at once if the driver is ready, else at DEVICE_READY. */
  announce(port: Port): void {
    if (!this.ready || port.announced) return;
    port.announced = true;
    this.send({ id: port.id, event: VIRTIO_CONSOLE_DEVICE_ADD, value: 0 });
  }

  /** After PORT_READY 1: what the port is, then whether the host side is open. */
  private describe(port: Port): void {
    if (port.console) {
      this.send({ id: port.id, event: VIRTIO_CONSOLE_CONSOLE_PORT, value: 1 });
      if (port.size) this.resize(port);
    }
    if (port.name !== null) this.sendBytes(encodePortName(port.id, port.name));
    if (port.host) this.send({ id: port.id, event: VIRTIO_CONSOLE_PORT_OPEN, value: 1 });
  }
  // #endregion control-out

  /** §5.3.6.2: DEVICE_REMOVE only for a port the driver was told about. */
  remove(port: Port): void {
    if (port.announced) this.send({ id: port.id, event: VIRTIO_CONSOLE_DEVICE_REMOVE, value: 0 });
    port.announced = false;
  }

  /** The host side of a ready port was attached (true) or detached. */
  hostOpened(port: Port, open: boolean): void {
    if (port.ready) this.send({ id: port.id, event: VIRTIO_CONSOLE_PORT_OPEN, value: open ? 1 : 0 });
  }

  /** RESIZE for a ready console port that has a size. */
  resize(port: Port): void {
    if (!port.ready || !port.console || !port.size) return;
    this.sendBytes(encodeResize(port.id, port.size.cols, port.size.rows));
  }

  private send(msg: ConsoleControl): void {
    this.sendBytes(encodeControl(msg));
  }

  private sendBytes(bytes: Uint8Array): void {
    if (!this.host.multiportEnv()) return;
    if (this.pending.length >= this.maxPending) {
      this.host.stats.controlOverflow++; // a driver that posts no buffers cannot grow the device
      return;
    }
    this.pending.push(bytes);
    this.flush();
  }

  // #region control-flush
  /** Places waiting messages, in order, one per control receive buffer. */
  flush(): void {
    const env = this.host.multiportEnv();
    const q = env?.queues[CONTROL_RECEIVEQ] ?? null;
    if (!env || !q) return;
    const { pushed, error } = deliverBacklog(env.mem, q, this.pending, {
      // Never a partial message: one that does not fit waits, first in line, for a buffer that holds it.
      fits: (chain, msg) => holdsWhole(chain, msg.length),
      encode: (msg) => msg,
      delivered: () => this.host.stats.controlSent++,
      rejected: (chain) => {
        const readable = readableBuffers(chain).length > 0; // §5.3.6.1
        countDrop(this.host.stats, readable ? 'readable-in-receiveq' : 'control-buffer-too-small');
      },
    });
    if (error) return env.needsReset(error);
    if (pushed && q.needsNotification()) env.notifyUsed(CONTROL_RECEIVEQ);
  }
  // #endregion control-flush
}

/** The first `max` device-readable bytes of a chain: a long message is not copied whole. */
function readHead(mem: GuestMemory, chain: DescriptorChain, max: number): Uint8Array {
  const out = new Uint8Array(Math.min(max, totalLength(readableBuffers(chain))));
  let at = 0;
  for (const b of readableBuffers(chain)) {
    if (at >= out.length) break;
    const n = Math.min(b.len, out.length - at);
    out.set(mem.read(b.addr, n), at);
    at += n;
  }
  return out;
}
