// The console device, VIRTIO 1.4 §5.3 (device ID 3): port 0 on queues 0 and 1 and, with
// VIRTIO_CONSOLE_F_MULTIPORT, a control queue pair and more ports. This file is the shell:
// options, features, the host's calls and the lifecycle. The data path is in port-io.ts, the
// control protocol in control-channel.ts, emergency write in emergency.ts.
import type { DeviceEnv } from '../../virtio/device.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { CONSOLE_CFG_COLS, CONSOLE_CFG_MAX_NR_PORTS, CONSOLE_CFG_ROWS, CONSOLE_CONFIG_SIZE } from './config.ts';
import { ControlChannel } from './control-channel.ts';
import { emergencyWrite, withinEmergWr } from './emergency.ts';
import { VIRTIO_CONSOLE_F_EMERG_WRITE, VIRTIO_CONSOLE_F_MULTIPORT, VIRTIO_CONSOLE_F_SIZE, VIRTIO_ID_CONSOLE } from './features.ts';
import type { ConsoleInputGate, ConsoleOutput, ConsolePortHost } from './host.ts';
import { checkSize, type ConsolePortOptions, type ConsolePortState, type ConsoleSize, makePort, type Port, resetPort } from './port.ts';
import { type PortIoContext, pumpInput, releaseHeldRx, serveTransmit } from './port-io.ts';
import { consoleQueueCount, queueRole } from './queues.ts';
import { type ConsoleStats, newConsoleStats } from './stats.ts';

export interface ConsoleDeviceOptions {
  /** max_nr_ports, 1..32767; default 1. */
  readonly maxPorts?: number;
  /** Offer VIRTIO_CONSOLE_F_MULTIPORT; default maxPorts > 1. */
  readonly multiport?: boolean;
  /** Offer VIRTIO_CONSOLE_F_EMERG_WRITE; default true. */
  readonly emergencyWrite?: boolean;
  /** Where emergency characters go; default port 0's host output, so one log holds both. */
  readonly emergencyOutput?: ConsoleOutput | null;
  /** Ports present at start, by id; port 0 always exists. */
  readonly ports?: Readonly<Record<number, ConsolePortOptions>>;
  /** Decides whether host input may reach a port; none (the default) lets all input through. */
  readonly inputGate?: ConsoleInputGate | null;
  /** Control messages held for a driver that posts no control buffers; default 256. */
  readonly maxPendingControl?: number;
  /** The largest size a queue may have; default 256. */
  readonly maxQueueSize?: number;
}

const MAX_PORTS = 0x7fff; // 2N+2 queue indices must fit in 16 bits

export class ConsoleDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly name = 'virtio-console';
  readonly maxPorts: number;
  readonly multiport: boolean;
  readonly emergencyWriteOffered: boolean;
  /** VIRTIO_CONSOLE_F_SIZE is offered: port 0 was given a size at construction. */
  readonly offersSize: boolean;
  readonly stats: ConsoleStats = newConsoleStats();
  private readonly emergencyOutput: ConsoleOutput | null;
  private readonly gate: ConsoleInputGate | null;
  private readonly maxQSize: number;
  private readonly ports = new Map<number, Port>();
  private readonly control: ControlChannel;

  constructor(opts: ConsoleDeviceOptions = {}) {
    super(CONSOLE_CONFIG_SIZE);
    const maxPorts = opts.maxPorts ?? 1;
    if (!Number.isInteger(maxPorts) || maxPorts < 1 || maxPorts > MAX_PORTS) throw new RangeError(`maxPorts ${maxPorts} outside 1..${MAX_PORTS}`);
    this.maxPorts = maxPorts;
    this.multiport = opts.multiport ?? maxPorts > 1;
    if (!this.multiport && maxPorts > 1) throw new RangeError('more than one port needs VIRTIO_CONSOLE_F_MULTIPORT');
    this.emergencyWriteOffered = opts.emergencyWrite ?? true;
    this.emergencyOutput = opts.emergencyOutput ?? null;
    this.gate = opts.inputGate ?? null;
    this.maxQSize = opts.maxQueueSize ?? 256;
    this.control = new ControlChannel(
      {
        maxPorts,
        ports: this.ports,
        stats: this.stats,
        multiportEnv: () => (this.multiportLive ? this.env : null),
        guestOpened: (port, open, changed) => {
          if (changed) port.host?.opened?.(open);
          if (open) pumpInput(this.io(), port);
        },
      },
      opts.maxPendingControl ?? 256,
    );
    const given = opts.ports ?? {};
    for (const id of [0, ...Object.keys(given).map(Number).filter((k) => k !== 0)]) {
      this.ports.set(id, makePort(id, given[id] ?? {}, maxPorts, this.names()));
    }
    const size = this.ports.get(0)!.size;
    this.offersSize = size !== null;
    // #region config-init
    if (size) {
      this.config.setU16(CONSOLE_CFG_COLS, size.cols);
      this.config.setU16(CONSOLE_CFG_ROWS, size.rows);
    }
    this.config.setU32(CONSOLE_CFG_MAX_NR_PORTS, maxPorts);
    // emerg_wr stays 0: it is a doorbell, it keeps no value.
    // #endregion config-init
  }

  // #region offered-features
  protected deviceFeatures(): Features {
    let f = 0n;
    if (this.offersSize) f |= bit(VIRTIO_CONSOLE_F_SIZE);
    if (this.multiport) f |= bit(VIRTIO_CONSOLE_F_MULTIPORT);
    if (this.emergencyWriteOffered) f |= bit(VIRTIO_CONSOLE_F_EMERG_WRITE);
    return f;
  }

  /** §5.3.2: port 0's pair; with MULTIPORT also the control pair and a pair per further port. */
  queueCount(features: Features): number {
    return consoleQueueCount(this.maxPorts, hasFeature(features, VIRTIO_CONSOLE_F_MULTIPORT));
  }
  // #endregion offered-features

  maxQueueSize(_index: number): number {
    return this.maxQSize;
  }

  // ---- Configuration space ----

  /** §5.3.5.1: emerg_wr takes writes in every device status, even before feature negotiation. */
  configWritableAnytime(offset: number, len: number): boolean {
    return this.emergencyWriteOffered && withinEmergWr(offset, len);
  }

  writeConfig(offset: number, data: Uint8Array): void {
    const sink = this.emergencyOutput ?? this.ports.get(0)?.host?.output ?? null;
    emergencyWrite(offset, data, this.emergencyWriteOffered, sink, this.stats);
  }

  // ---- Host side ----

  // #region hot-plug
  /** Plugs in a port; a ready driver learns of it through DEVICE_ADD at once. */
  addPort(id: number, opts: ConsolePortOptions = {}): void {
    if (this.ports.has(id)) throw new RangeError(`port ${id} exists already (§5.3.6.2)`);
    const port = makePort(id, opts, this.maxPorts, this.names());
    this.ports.set(id, port);
    this.control.announce(port);
  }

  /** Unplugs a port: a held receive buffer goes back, and the driver gets DEVICE_REMOVE. */
  removePort(id: number): void {
    const port = this.port(id);
    // Without MULTIPORT there is no message to tell the driver: port 0 stays.
    if (id === 0 && !this.multiport) throw new RangeError('port 0 of a single-port console cannot be removed');
    if (this.active) releaseHeldRx(this.io(), port);
    if (port.guestOpen) port.host?.opened?.(false);
    this.ports.delete(id);
    this.control.remove(port);
  }
  // #endregion hot-plug

  /** Attaches (or with null detaches) a port's host side; a ready driver gets PORT_OPEN. */
  attach(id: number, host: ConsolePortHost | null): void {
    const port = this.port(id);
    const was = port.host !== null;
    port.host = host;
    if (was !== (host !== null)) this.control.hostOpened(port, host !== null);
    this.inputReady(id);
  }

  // #region resize
  /**
   * The host terminal of a console port changed size. Port 0's size is also kept in cols/rows
   * (a configuration change for a driver with VIRTIO_CONSOLE_F_SIZE); with MULTIPORT every ready
   * console port, port 0 included, gets a RESIZE message, since Linux reads only that then.
   */
  resize(id: number, size: ConsoleSize): void {
    const port = this.port(id);
    port.size = checkSize(size);
    if (id === 0 && this.offersSize) {
      this.config.update((c) => {
        c.setU16(CONSOLE_CFG_COLS, size.cols);
        c.setU16(CONSOLE_CFG_ROWS, size.rows);
      });
    }
    if (this.multiportLive) this.control.resize(port);
  }
  // #endregion resize

  /** The host's input source has bytes: fill the port's receive buffers. */
  inputReady(id: number): void {
    const port = this.ports.get(id);
    if (port && this.active) pumpInput(this.io(), port);
  }

  portState(id: number): ConsolePortState | null {
    const p = this.ports.get(id);
    if (!p) return null;
    const { heldRx: _held, host, ...rest } = p;
    return { ...rest, guestOpen: this.isOpen(p), hostOpen: host !== null };
  }

  get portIds(): number[] {
    return [...this.ports.keys()].sort((a, b) => a - b);
  }

  /** The driver has sent DEVICE_READY 1 since the last reset. */
  get deviceReady(): boolean {
    return this.control.deviceReady;
  }

  /** Control messages waiting for a control receive buffer. */
  get pendingControlMessages(): number {
    return this.control.pendingCount;
  }

  // ---- Lifecycle ----

  protected onActivate(_env: DeviceEnv): void {
    this.control.reset();
  }

  protected onReset(): void {
    // The driver starts over: ports stay, and are announced again after its next DEVICE_READY.
    this.control.reset();
    for (const p of this.ports.values()) {
      if (p.guestOpen) p.host?.opened?.(false);
      resetPort(p);
    }
  }

  queueNotify(index: number): void {
    if (!this.active || index >= this.queueCount(this.env.features)) return;
    const role = queueRole(index);
    if (role.kind === 'control') {
      if (role.transmit) this.drain(index, (chain) => this.control.serve(this.env.mem, chain));
      else this.control.flush();
      return;
    }
    const port = this.ports.get(role.port);
    if (role.transmit) this.drain(index, (chain) => serveTransmit(this.io(), port, chain));
    else if (port) pumpInput(this.io(), port);
  }

  // ---- Internals ----

  private get multiportLive(): boolean {
    return this.active && hasFeature(this.env.features, VIRTIO_CONSOLE_F_MULTIPORT);
  }

  // #region port-open
  /** Without MULTIPORT there is no handshake: port 0 is simply there. With it, PORT_READY then PORT_OPEN. */
  private isOpen(p: Port): boolean {
    if (!this.active || this.ports.get(p.id) !== p) return false;
    if (!this.multiportLive) return p.id === 0;
    return p.ready && p.guestOpen;
  }
  // #endregion port-open

  private io(): PortIoContext {
    const env = this.env;
    return {
      mem: env.mem,
      stats: this.stats,
      queue: (i) => this.queue(i),
      notifyUsed: (i) => env.notifyUsed(i),
      needsReset: (e) => env.needsReset(e),
      isOpen: (p) => this.isOpen(p),
      admits: (p) => this.gate?.admits(p.id, p.name) ?? true,
    };
  }

  private port(id: number): Port {
    const p = this.ports.get(id);
    if (!p) throw new RangeError(`port ${id} does not exist`);
    return p;
  }

  private names(): (string | null)[] {
    return [...this.ports.values()].map((p) => p.name);
  }
}
