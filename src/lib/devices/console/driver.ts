// The guest side of a console device over the in-process Loopback: what a guest driver does
// with the port queues and the control protocol, in a few calls. Tests and examples use it.
import type { VirtioDevice } from '../../virtio/device.ts';
import { hasFeature } from '../../virtio/feature-bits.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import { CONSOLE_CFG_COLS, CONSOLE_CFG_EMERG_WR, CONSOLE_CFG_MAX_NR_PORTS, CONSOLE_CFG_ROWS } from './config.ts';
import {
  CONSOLE_CONTROL_BUFFER_MIN,
  type ConsoleControl,
  decodeControl,
  decodeResize,
  encodeControl,
  VIRTIO_CONSOLE_CONSOLE_PORT,
  VIRTIO_CONSOLE_DEVICE_ADD,
  VIRTIO_CONSOLE_DEVICE_READY,
  VIRTIO_CONSOLE_DEVICE_REMOVE,
  VIRTIO_CONSOLE_PORT_NAME,
  VIRTIO_CONSOLE_PORT_OPEN,
  VIRTIO_CONSOLE_PORT_READY,
  VIRTIO_CONSOLE_RESIZE,
} from './control.ts';
import { VIRTIO_CONSOLE_F_MULTIPORT } from './features.ts';
import { CONTROL_RECEIVEQ, CONTROL_TRANSMITQ, portReceiveQueue, portTransmitQueue } from './queues.ts';

export interface DriverPort {
  readonly id: number;
  name: string | null;
  console: boolean;
  size: { cols: number; rows: number } | null;
  /** The host side is open, as the device's last PORT_OPEN said. */
  hostOpen: boolean;
  /** This driver has sent PORT_OPEN 1. */
  open: boolean;
}

export interface ConsoleDriverOptions {
  /** Receive buffers posted per port; default 4. */
  readonly rxBuffers?: number;
  /** Bytes per receive buffer; default 64. */
  readonly rxSize?: number;
  /** Control receive buffers kept posted; default 8, of 263 bytes (header + longest name). */
  readonly controlBuffers?: number;
  readonly controlSize?: number;
  /** Answer DEVICE_ADD with PORT_READY 1 at once; default true. */
  readonly autoReady?: boolean;
}

/** The guest's store to emerg_wr as a transport delivers it: a 32-bit write at offset 8 (§5.3.5). */
export function writeEmergency(device: VirtioDevice, text: string | Uint8Array): void {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  for (const b of bytes) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, b, true);
    device.writeConfig(CONSOLE_CFG_EMERG_WR, v);
  }
}

export class ConsoleDriver {
  readonly lb: Loopback;
  readonly multiport: boolean;
  readonly maxPorts: number;
  /** Ports the device has announced (port 0 is there from the start without multiport). */
  readonly ports = new Map<number, DriverPort>();
  /** Every control message the device sent, in order. */
  readonly received: ConsoleControl[] = [];
  /** Both directions of the control queues, in the order the messages travelled. */
  readonly trace: { readonly from: 'driver' | 'device'; readonly msg: ConsoleControl }[] = [];
  private readonly opts: Required<ConsoleDriverOptions>;
  private readonly outbox: Uint8Array[] = [];
  private busy = false;

  constructor(lb: Loopback, opts: ConsoleDriverOptions = {}) {
    this.lb = lb;
    this.opts = { rxBuffers: 4, rxSize: 64, controlBuffers: 8, controlSize: CONSOLE_CONTROL_BUFFER_MIN, autoReady: true, ...opts };
    this.multiport = hasFeature(lb.features, VIRTIO_CONSOLE_F_MULTIPORT);
    this.maxPorts = this.multiport ? lb.device.config.u32(CONSOLE_CFG_MAX_NR_PORTS) : 1;
    if (!this.multiport) {
      this.ports.set(0, { id: 0, name: null, console: true, size: null, hostOpen: true, open: true });
      this.postRx(0);
    }
  }

  // #region driver-start
  /** Multiport start-up (§5.3.5): control buffers first, then DEVICE_READY, then whatever follows. */
  start(): ConsoleControl[] {
    if (!this.multiport) return [];
    for (let i = 0; i < this.opts.controlBuffers; i++) this.lb.submit(CONTROL_RECEIVEQ, [], [this.opts.controlSize]);
    return this.control(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
  }
  // #endregion driver-start

  /** Sends a control message (header only); returns the device's messages handled meanwhile. */
  control(id: number, event: number, value: number): ConsoleControl[] {
    return this.controlRaw(encodeControl({ id, event, value }));
  }

  controlRaw(bytes: Uint8Array): ConsoleControl[] {
    this.outbox.push(bytes);
    return this.busy ? [] : this.processControl();
  }

  /**
   * Sends what is waiting, then reads and acts on the device's control messages until none are
   * left. Replies go out after each batch, so every message is handled in the order it came.
   */
  processControl(): ConsoleControl[] {
    const seen: ConsoleControl[] = [];
    this.busy = true;
    try {
      for (;;) {
        for (let m = this.outbox.shift(); m; m = this.outbox.shift()) {
          const sent = decodeControl(m);
          if (sent) this.trace.push({ from: 'driver', msg: sent });
          this.lb.request(CONTROL_TRANSMITQ, [m], []);
        }
        const done = this.lb.poll(CONTROL_RECEIVEQ);
        if (done.length === 0) break;
        for (const c of done) {
          this.lb.submit(CONTROL_RECEIVEQ, [], [this.opts.controlSize]); // keep the queue stocked
          const msg = decodeControl(c.data.subarray(0, c.len));
          if (!msg) continue;
          this.received.push(msg);
          this.trace.push({ from: 'device', msg });
          seen.push(msg);
          this.handle(msg);
        }
      }
    } finally {
      this.busy = false;
    }
    return seen;
  }

  // #region driver-handle
  private handle(msg: ConsoleControl): void {
    const port = this.ports.get(msg.id);
    switch (msg.event) {
      case VIRTIO_CONSOLE_DEVICE_ADD:
        if (port || msg.id >= this.maxPorts) return; // §5.3.6.2: a device must not do this
        this.ports.set(msg.id, { id: msg.id, name: null, console: false, size: null, hostOpen: false, open: false });
        this.postRx(msg.id);
        if (this.opts.autoReady) this.control(msg.id, VIRTIO_CONSOLE_PORT_READY, 1);
        return;
      case VIRTIO_CONSOLE_DEVICE_REMOVE:
        this.ports.delete(msg.id);
        return;
      case VIRTIO_CONSOLE_CONSOLE_PORT:
        if (!port) return;
        port.console = true;
        this.open(msg.id); // §5.3.6.2: a console port is answered with PORT_OPEN 1
        return;
      case VIRTIO_CONSOLE_RESIZE:
        if (port) port.size = decodeResize(msg.payload ?? new Uint8Array(0));
        return;
      case VIRTIO_CONSOLE_PORT_NAME:
        if (port) port.name = new TextDecoder().decode(msg.payload);
        return;
      case VIRTIO_CONSOLE_PORT_OPEN:
        if (port) port.hostOpen = msg.value === 1;
        return;
    }
  }
  // #endregion driver-handle

  open(id: number): void {
    const p = this.ports.get(id);
    if (p) p.open = true;
    this.control(id, VIRTIO_CONSOLE_PORT_OPEN, 1);
  }

  close(id: number): void {
    const p = this.ports.get(id);
    if (p) p.open = false;
    this.control(id, VIRTIO_CONSOLE_PORT_OPEN, 0);
  }

  /** The port named `name`, as the device announced it; services are found by name, not number. */
  portByName(name: string): DriverPort | null {
    for (const p of this.ports.values()) if (p.name === name) return p;
    return null;
  }

  /** Posts receive buffers on a port's receiveq. */
  postRx(id: number, count = this.opts.rxBuffers, size = this.opts.rxSize): void {
    for (let i = 0; i < count; i++) this.lb.submit(portReceiveQueue(id), [], [size]);
  }

  /** Writes to a port's transmitq; returns whether the device gave the buffer back at once. */
  write(id: number, data: Uint8Array | string): boolean {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const q = portTransmitQueue(id);
    const token = this.lb.submit(q, [bytes], []);
    return this.lb.poll(q).some((c) => c.id === token);
  }

  /** Everything the device has put in a port's receive buffers so far; the buffers are posted again. */
  read(id: number): Uint8Array {
    const done = this.lb.poll(portReceiveQueue(id));
    const out = new Uint8Array(done.reduce((n, c) => n + c.len, 0));
    let at = 0;
    for (const c of done) {
      out.set(c.data.subarray(0, c.len), at);
      at += c.len;
    }
    if (done.length > 0 && this.ports.has(id)) this.postRx(id, done.length);
    return out;
  }

  readText(id: number): string {
    return new TextDecoder().decode(this.read(id));
  }

  emergencyWrite(text: string | Uint8Array): void {
    writeEmergency(this.lb.device, text);
  }

  /** Port 0's size from the configuration space (VIRTIO_CONSOLE_F_SIZE). */
  get size(): { cols: number; rows: number } {
    const c = this.lb.device.config;
    return { cols: c.u16(CONSOLE_CFG_COLS), rows: c.u16(CONSOLE_CFG_ROWS) };
  }
}
