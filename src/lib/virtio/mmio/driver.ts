// The guest side of virtio-mmio: a driver that finds, initializes and uses a device through
// nothing but 32-bit register accesses and guest memory, in the order §4.2.3 and §3.1.1 give.
// It talks to a RegisterBus, so the same driver runs against the reference MmioTransport, a
// trace wrapper, or another implementation under test.
import type { DriverTransport, InitOptions } from '../driver-init.ts';
import { TransportDriver } from '../transport-driver.ts';
import { readConfigConsistently } from '../config-read.ts';
import type { Completion } from '../driver-requests.ts';
import type { Features } from '../feature-bits.ts';
import type { GuestMemory } from '../memory.ts';
import { DEVICE_NEEDS_RESET } from '../status.ts';
import { INT_CONFIG_CHANGE, INT_USED_BUFFER } from '../lifecycle/device-lifecycle.ts';
import * as R from './registers.ts';

/** What a driver needs of a device's register window. */
export interface RegisterBus {
  read(offset: number, width?: 1 | 2 | 4): number;
  write(offset: number, value: number, width?: 1 | 2 | 4): void;
}

export type MmioInitResult =
  | { readonly ok: true; readonly deviceId: number; readonly features: Features; readonly queues: number }
  | { readonly ok: false; readonly reason: string; readonly status: number };

export interface InterruptReport {
  /** InterruptStatus as read. */
  readonly status: number;
  /** Completions on every queue, when a used buffer notification was among the causes. */
  readonly completions: Map<number, Completion[]>;
  /** A configuration change notification was among the causes. */
  readonly configChanged: boolean;
  /** The device status has DEVICE_NEEDS_RESET set. */
  readonly needsReset: boolean;
}

export class MmioDriver extends TransportDriver {
  readonly bus: RegisterBus;

  /** `heap` is the guest memory this driver may use for rings and buffers. */
  constructor(bus: RegisterBus, mem: GuestMemory, heap: { addr: number; size: number }) {
    super(mem, heap);
    this.bus = bus;
  }

  // #region mmio-probe
  /** §4.2.3.1: check MagicValue and Version, then DeviceID; 0 means "no device here". */
  probe(): { ok: true; deviceId: number; vendorId: number } | { ok: false; reason: string } {
    const magic = this.bus.read(R.MMIO_MAGIC_VALUE);
    if (magic !== R.MMIO_MAGIC) return { ok: false, reason: `MagicValue 0x${magic.toString(16)} is not 0x74726976` };
    const version = this.bus.read(R.MMIO_VERSION);
    if (version !== R.MMIO_VERSION_2) return { ok: false, reason: `Version ${version}: only version 2 is supported` };
    const deviceId = this.bus.read(R.MMIO_DEVICE_ID);
    if (deviceId === 0) return { ok: false, reason: 'DeviceID 0: a placeholder without a device' };
    return { ok: true, deviceId, vendorId: this.bus.read(R.MMIO_VENDOR_ID) };
  }
  // #endregion mmio-probe

  // #region mmio-init
  /** Finds the device (§4.2.3.1), then runs the general initialization of §3.1.1 over registers. */
  init(opts: InitOptions = {}): MmioInitResult {
    const found = this.probe();
    if (!found.ok) return { ok: false, reason: found.reason, status: 0 };
    const r = this.initialize(this.ops, opts);
    if (!r.ok) return r;
    return { ok: true, deviceId: found.deviceId, features: r.features, queues: r.requests.queues.length };
  }
  // #endregion mmio-init

  // #region mmio-ops
  /** The operations of §3.1.1 as MMIO register accesses (§4.2.2, §4.2.3.2). */
  private readonly ops: DriverTransport = {
    readStatus: () => this.bus.read(R.MMIO_STATUS),
    writeStatus: (v) => this.bus.write(R.MMIO_STATUS, v),
    readDeviceFeatures: (sel) => {
      this.bus.write(R.MMIO_DEVICE_FEATURES_SEL, sel);
      return this.bus.read(R.MMIO_DEVICE_FEATURES);
    },
    writeDriverFeatures: (sel, v) => {
      this.bus.write(R.MMIO_DRIVER_FEATURES_SEL, sel);
      this.bus.write(R.MMIO_DRIVER_FEATURES, v);
    },
    selectQueue: (i) => this.bus.write(R.MMIO_QUEUE_SEL, i),
    queueSizeMax: () => this.bus.read(R.MMIO_QUEUE_SIZE_MAX),
    queueEnabled: () => this.bus.read(R.MMIO_QUEUE_READY) !== 0,
    writeQueue: (q) => {
      this.bus.write(R.MMIO_QUEUE_SIZE, q.size);
      this.write64(R.MMIO_QUEUE_DESC_LOW, q.descAddr);
      this.write64(R.MMIO_QUEUE_DRIVER_LOW, q.driverAddr);
      this.write64(R.MMIO_QUEUE_DEVICE_LOW, q.deviceAddr);
    },
    enableQueue: () => this.bus.write(R.MMIO_QUEUE_READY, 1),
    notify: (i) => this.bus.write(R.MMIO_QUEUE_NOTIFY, i),
  };
  // #endregion mmio-ops

  // #region mmio-interrupt
  /** The interrupt handler of §4.2.3.4: find out why, acknowledge, then handle. */
  handleInterrupt(): InterruptReport {
    const status = this.bus.read(R.MMIO_INTERRUPT_STATUS);
    const handled = status & (INT_USED_BUFFER | INT_CONFIG_CHANGE); // undefined bits are ignored
    if (handled !== 0) this.bus.write(R.MMIO_INTERRUPT_ACK, handled);
    let completions = new Map<number, Completion[]>();
    // One bit for all queues: every active queue may have used buffers.
    if (handled & INT_USED_BUFFER && this.requests) completions = this.requests.pollAll();
    const needsReset = (handled & INT_CONFIG_CHANGE) !== 0 && (this.bus.read(R.MMIO_STATUS) & DEVICE_NEEDS_RESET) !== 0;
    return { status, completions, configChanged: (handled & INT_CONFIG_CHANGE) !== 0, needsReset };
  }
  // #endregion mmio-interrupt

  // #region mmio-config-read
  /** Reads `len` bytes of configuration space consistently, using ConfigGeneration (§2.5.1). */
  readConfig(offset: number, len: number, maxTries = 8): Uint8Array {
    const generation = () => this.bus.read(R.MMIO_CONFIG_GENERATION);
    return readConfigConsistently(generation, (at, width) => this.bus.read(R.MMIO_CONFIG + at, width), offset, len, maxTries);
  }
  // #endregion mmio-config-read

  /** Writes 0 to Status: the device forgets everything and the driver starts again (§2.4). */
  reset(): void {
    this.bus.write(R.MMIO_STATUS, 0);
    this.forget();
  }



  private write64(lowOffset: number, value: number): void {
    this.bus.write(lowOffset, value >>> 0);
    this.bus.write(lowOffset + 4, Math.floor(value / 2 ** 32));
  }
}
