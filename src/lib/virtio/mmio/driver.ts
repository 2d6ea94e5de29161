// The guest side of virtio-mmio: a driver that finds, initializes and uses a device through
// nothing but 32-bit register accesses and guest memory, in the order §4.2.3 and §3.1.1 give.
// It talks to a RegisterBus, so the same driver runs against the reference MmioTransport, a
// trace wrapper, or another implementation under test.
import { type Completion, DriverRequests } from '../driver-requests.ts';
import { bit, type Features, VIRTIO_F_RING_PACKED } from '../feature-bits.ts';
import { FEATURE_WORDS, featureWord, selectFeatures, type FeatureChoice } from '../lifecycle/features.ts';
import type { GuestMemory } from '../memory.ts';
import { createDriverQueue, ringAreas, ringTypeOf } from '../queue-factory.ts';
import type { DriverQueue } from '../queue.ts';
import { RangeAllocator } from '../range-allocator.ts';
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FAILED, FEATURES_OK } from '../status.ts';
import { INT_CONFIG_CHANGE, INT_USED_BUFFER } from '../lifecycle/device-lifecycle.ts';
import * as R from './registers.ts';

/** What a driver needs of a device's register window. */
export interface RegisterBus {
  read(offset: number, width?: 1 | 2 | 4): number;
  write(offset: number, value: number, width?: 1 | 2 | 4): void;
}

export interface MmioInitOptions extends FeatureChoice {
  /** Entries per queue; default the smaller of 64 and QueueSizeMax. */
  readonly queueSize?: number;
  /** Bytes of guest memory for each queue's indirect tables; default 4 KiB. */
  readonly indirectBytes?: number;
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

export class MmioDriver {
  readonly bus: RegisterBus;
  readonly mem: GuestMemory;
  private readonly heap: RangeAllocator;
  private requests: DriverRequests | null = null;
  private negotiated: Features = 0n;

  /** `heap` is the guest memory this driver may use for rings and buffers. */
  constructor(bus: RegisterBus, mem: GuestMemory, heap: { addr: number; size: number }) {
    this.bus = bus;
    this.mem = mem;
    this.heap = new RangeAllocator(heap, 16);
  }

  get features(): Features {
    return this.negotiated;
  }

  get queues(): readonly DriverQueue[] {
    return this.requests?.queues ?? [];
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
  /** The whole initialization sequence of §3.1.1, as register accesses. */
  init(opts: MmioInitOptions = {}): MmioInitResult {
    const found = this.probe();
    if (!found.ok) return { ok: false, reason: found.reason, status: 0 };
    this.bus.write(R.MMIO_STATUS, 0); // 1. reset
    this.addStatus(ACKNOWLEDGE); // 2. a driver noticed the device
    this.addStatus(DRIVER); // 3. and knows how to drive it

    let offered = 0n; // 4. read the device's features, word by word
    for (let sel = 0; sel < FEATURE_WORDS; sel++) {
      this.bus.write(R.MMIO_DEVICE_FEATURES_SEL, sel);
      offered |= BigInt(this.bus.read(R.MMIO_DEVICE_FEATURES)) << BigInt(32 * sel);
    }
    const choice = selectFeatures(offered, opts);
    if (!choice.ok) return this.fail(choice.reason);
    for (let sel = 0; sel < FEATURE_WORDS; sel++) {
      this.bus.write(R.MMIO_DRIVER_FEATURES_SEL, sel);
      this.bus.write(R.MMIO_DRIVER_FEATURES, featureWord(choice.accepted, sel));
    }
    this.addStatus(FEATURES_OK); // 5. and 6.: the device keeps FEATURES_OK only if it agrees
    if (!(this.bus.read(R.MMIO_STATUS) & FEATURES_OK)) return this.fail('the device refused the feature set (FEATURES_OK not kept)');
    this.negotiated = choice.accepted;

    const queues: DriverQueue[] = []; // 7. device-specific set-up: the queues
    for (let index = 0; ; index++) {
      const q = this.setUpQueue(index, opts);
      if (q === 'absent') break;
      if (typeof q === 'string') return this.fail(q);
      queues.push(q);
    }
    this.requests = new DriverRequests(this.mem, this.heap, queues, (q) => this.bus.write(R.MMIO_QUEUE_NOTIFY, q));
    this.addStatus(DRIVER_OK); // 8. the device is live
    const status = this.bus.read(R.MMIO_STATUS);
    if (status & DEVICE_NEEDS_RESET) return { ok: false, reason: 'the device needs a reset after DRIVER_OK', status };
    return { ok: true, deviceId: found.deviceId, features: choice.accepted, queues: queues.length };
  }
  // #endregion mmio-init

  // #region mmio-queue-setup
  /** §4.2.3.2: select, check it is unused, size it, place its areas, mark it ready. */
  private setUpQueue(index: number, opts: MmioInitOptions): DriverQueue | 'absent' | string {
    this.bus.write(R.MMIO_QUEUE_SEL, index);
    const max = this.bus.read(R.MMIO_QUEUE_SIZE_MAX);
    if (max === 0) return 'absent';
    if (this.bus.read(R.MMIO_QUEUE_READY) !== 0) return `queue ${index} is already in use`;
    const ring = ringTypeOf(this.negotiated);
    let size = Math.min(opts.queueSize ?? 64, max);
    if (ring === 'split') size = 2 ** Math.floor(Math.log2(size)); // split sizes are powers of 2 (§2.7)
    const areas = ringAreas(ring, size);
    const desc = this.allocZeroed(areas.desc.bytes);
    const driver = this.allocZeroed(areas.driver.bytes);
    const device = this.allocZeroed(areas.device.bytes);
    if (desc === null || driver === null || device === null) return `queue ${index}: guest memory exhausted`;
    this.bus.write(R.MMIO_QUEUE_SIZE, size);
    this.write64(R.MMIO_QUEUE_DESC_LOW, desc);
    this.write64(R.MMIO_QUEUE_DRIVER_LOW, driver);
    this.write64(R.MMIO_QUEUE_DEVICE_LOW, device);
    this.bus.write(R.MMIO_QUEUE_READY, 1);
    if (this.bus.read(R.MMIO_QUEUE_READY) !== 1) return `queue ${index}: the device did not accept the queue`;
    const indirectBytes = opts.indirectBytes ?? 4096;
    const indirect = this.heap.alloc(indirectBytes);
    if (indirect === null) return `queue ${index}: guest memory exhausted`;
    const config = { size, descAddr: desc, driverAddr: driver, deviceAddr: device };
    return createDriverQueue(this.mem, config, this.negotiated, { indirectArea: { addr: indirect, size: indirectBytes } });
  }
  // #endregion mmio-queue-setup

  /** Offers one request on queue `q` and notifies the device through QueueNotify if it wants that. */
  submit(q: number, out: readonly Uint8Array[], inLens: readonly number[], opts: { indirect?: boolean } = {}): number {
    return this.live().submit(q, out, inLens, opts);
  }

  /** Completions on queue `q` so far, without waiting for an interrupt. */
  poll(q: number): Completion[] {
    return this.live().poll(q);
  }

  // #region mmio-interrupt
  /** The interrupt handler of §4.2.3.4: find out why, acknowledge, then handle. */
  handleInterrupt(): InterruptReport {
    const status = this.bus.read(R.MMIO_INTERRUPT_STATUS);
    const handled = status & (INT_USED_BUFFER | INT_CONFIG_CHANGE); // undefined bits are ignored
    if (handled !== 0) this.bus.write(R.MMIO_INTERRUPT_ACK, handled);
    const completions = new Map<number, Completion[]>();
    // One bit for all queues: every active queue may have used buffers.
    if (handled & INT_USED_BUFFER && this.requests) {
      for (let q = 0; q < this.requests.queues.length; q++) {
        const done = this.requests.poll(q);
        if (done.length > 0) completions.set(q, done);
      }
    }
    const needsReset = (handled & INT_CONFIG_CHANGE) !== 0 && (this.bus.read(R.MMIO_STATUS) & DEVICE_NEEDS_RESET) !== 0;
    return { status, completions, configChanged: (handled & INT_CONFIG_CHANGE) !== 0, needsReset };
  }
  // #endregion mmio-interrupt

  // #region mmio-config-read
  /**
   * Reads `len` bytes of configuration space consistently (§2.5.1): repeat while
   * ConfigGeneration changes under the reads. Fields are read with their natural widths.
   */
  readConfig(offset: number, len: number, maxTries = 8): Uint8Array {
    for (let attempt = 0; attempt < maxTries; attempt++) {
      const before = this.bus.read(R.MMIO_CONFIG_GENERATION);
      const out = new Uint8Array(len);
      for (let i = 0; i < len; ) {
        const at = offset + i;
        const width: 1 | 2 | 4 = len - i >= 4 && at % 4 === 0 ? 4 : len - i >= 2 && at % 2 === 0 ? 2 : 1;
        const v = this.bus.read(R.MMIO_CONFIG + at, width);
        for (let b = 0; b < width; b++) out[i + b] = (v >>> (8 * b)) & 0xff;
        i += width;
      }
      if (this.bus.read(R.MMIO_CONFIG_GENERATION) === before) return out;
    }
    throw new Error(`configuration space kept changing over ${maxTries} reads`);
  }
  // #endregion mmio-config-read

  /** Writes 0 to Status: the device forgets everything and the driver starts again (§2.4). */
  reset(): void {
    this.bus.write(R.MMIO_STATUS, 0);
    this.requests = null;
    this.negotiated = 0n;
  }

  /** Whether the negotiated ring is packed. */
  get packed(): boolean {
    return (this.negotiated & bit(VIRTIO_F_RING_PACKED)) !== 0n;
  }

  private live(): DriverRequests {
    if (!this.requests) throw new Error('the driver has not initialized the device (call init())');
    return this.requests;
  }

  private addStatus(bits: number): void {
    this.bus.write(R.MMIO_STATUS, this.bus.read(R.MMIO_STATUS) | bits);
  }

  private fail(reason: string): MmioInitResult {
    this.addStatus(FAILED); // §3.1.1: the driver gives up on the device
    return { ok: false, reason, status: this.bus.read(R.MMIO_STATUS) };
  }

  private write64(lowOffset: number, value: number): void {
    this.bus.write(lowOffset, value >>> 0);
    this.bus.write(lowOffset + 4, Math.floor(value / 2 ** 32));
  }

  private allocZeroed(bytes: number): number | null {
    const addr = this.heap.alloc(bytes);
    if (addr !== null) this.mem.write(addr, new Uint8Array(bytes));
    return addr;
  }
}
