// A guest driver and a device model joined in one process, without a register-level
// transport: the driver side negotiates, lays out the queues in guest memory, offers buffers
// and reads completions, exactly as it would over MMIO or PCI, but notifications are plain
// calls. Examples and device tests use it; the MMIO chapter shows the same steps as register
// accesses.
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FEATURES_OK } from './status.ts';
import type { DeviceEnv, VirtioDevice } from './device.ts';
import type { VirtqError } from './errors.ts';
import { bit, type Features, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_RING_PACKED } from './feature-bits.ts';
import { type DmaTranslation, TranslatedMemory } from './dma.ts';
import { GuestMemory } from './memory.ts';
import { createDeviceQueue, createDriverQueue, ringAreas, type RingType } from './queue-factory.ts';
import type { DeviceQueue, DriverQueue, QueueConfig } from './queue.ts';
import { RangeAllocator } from './range-allocator.ts';
import { type Completion, DriverRequests } from './driver-requests.ts';

export type { Completion } from './driver-requests.ts';

export interface LoopbackOptions {
  /** Ring layout to negotiate; default split. */
  readonly ring?: RingType;
  /** Entries per queue; default the smaller of 64 and what the device allows. */
  readonly queueSize?: number;
  /** Guest memory in bytes; default 1 MiB. */
  readonly memSize?: number;
  /** Features the driver is willing to accept; default everything offered. */
  readonly features?: Features;
  /** Bytes of guest memory set aside for indirect tables per queue; default 4 KiB. */
  readonly indirectBytes?: number;
  /**
   * Puts the device behind an IOMMU as endpoint `endpoint`: the platform then offers
   * VIRTIO_F_ACCESS_PLATFORM, and once it is negotiated every address the device uses is an IOVA
   * translated by `translation` (§2.6, §5.13). The driver here hands out guest-physical addresses
   * as IOVAs, as a guest whose DMA layer maps buffers at their own address does, so what it shares
   * is what the IOMMU maps.
   */
  readonly iommu?: { readonly translation: DmaTranslation; readonly endpoint: number };
  /** Guest memory to use instead of a new one of memSize bytes (to share it with an IOMMU model). */
  readonly memory?: GuestMemory;
}

const ALL: Features = (1n << 64n) - 1n;

// #region loopback
export class Loopback {
  readonly device: VirtioDevice;
  readonly mem: GuestMemory;
  readonly features: Features;
  readonly queues: readonly DriverQueue[];
  /** Device status as the driver last saw it (§2.1). */
  status = 0;
  /** The error that made the device need a reset, if any. */
  error: VirtqError | null = null;
  /** Used buffer notifications received, per queue. */
  readonly usedNotifications: number[];
  /** Configuration change notifications received. */
  configNotifications = 0;
  private readonly requests: DriverRequests;

  constructor(device: VirtioDevice, opts: LoopbackOptions = {}) {
    this.device = device;
    this.mem = opts.memory ?? GuestMemory.create(opts.memSize ?? 1 << 20);
    const memSize = this.mem.regions.reduce((n, r) => Math.max(n, r.base + r.bytes.length), 0);
    const heap = new RangeAllocator({ addr: 0x1000, size: memSize - 0x1000 }, 16);
    const alloc = (bytes: number) => {
      const addr = heap.alloc(Math.max(bytes, 1));
      if (addr === null) throw new Error(`loopback: guest memory exhausted (${bytes} bytes wanted)`);
      return addr;
    };
    device.reset();
    this.status = ACKNOWLEDGE | DRIVER;

    // Feature negotiation (§3.1.1 steps 4-6): accept what both sides want, then ask the device.
    const ringBit = bit(VIRTIO_F_RING_PACKED);
    let wanted = opts.features ?? ALL;
    wanted = opts.ring === 'packed' ? wanted | ringBit : wanted & ~ringBit;
    const platformBit = bit(VIRTIO_F_ACCESS_PLATFORM);
    const viaIommu = opts.iommu !== undefined && (wanted & platformBit) !== 0n;
    const deviceFeatures = device.offeredFeatures() & wanted & ~platformBit;
    // ACCESS_PLATFORM is the platform's promise about addresses, offered for a device behind an IOMMU.
    this.features = viaIommu ? deviceFeatures | platformBit : deviceFeatures;
    const refused = device.checkFeatures(deviceFeatures);
    if (refused !== null) throw new Error(`${device.name}: FEATURES_OK refused: ${refused}`);
    // What the device reaches: guest memory, or with ACCESS_PLATFORM only what the IOMMU maps for it.
    const deviceMem = viaIommu ? new TranslatedMemory(this.mem, opts.iommu!.translation, opts.iommu!.endpoint) : this.mem;
    this.status |= FEATURES_OK;

    // Queue set-up (§3.1.1 step 7): every queue the device has with these features. The
    // allocator's 16-byte unit satisfies every alignment a ring part needs.
    const count = device.queueCount(this.features);
    const queues: DriverQueue[] = [];
    const deviceQueues: DeviceQueue[] = [];
    for (let i = 0; i < count; i++) {
      const size = Math.min(opts.queueSize ?? 64, device.maxQueueSize(i));
      const a = ringAreas(opts.ring ?? 'split', size);
      const config: QueueConfig = { size, descAddr: alloc(a.desc.bytes), driverAddr: alloc(a.driver.bytes), deviceAddr: alloc(a.device.bytes) };
      const indirectBytes = opts.indirectBytes ?? 4096;
      const indirectArea = { addr: alloc(indirectBytes), size: indirectBytes };
      queues.push(createDriverQueue(this.mem, config, this.features, { indirectArea }));
      deviceQueues.push(createDeviceQueue(deviceMem, config, this.features));
    }
    this.queues = queues;
    this.usedNotifications = queues.map(() => 0);
    this.requests = new DriverRequests(this.mem, heap, queues, (q) => device.queueNotify(q));

    device.config.setChangeListener(() => this.configNotifications++);
    const env: DeviceEnv = {
      mem: deviceMem,
      features: this.features,
      queues: deviceQueues,
      notifyUsed: (q) => this.usedNotifications[q]++,
      needsReset: (e) => {
        this.error ??= e;
        this.status |= DEVICE_NEEDS_RESET;
      },
    };
    this.status |= DRIVER_OK;
    device.activate(env);
  }

  /**
   * Offers one request on queue `q`: the device-readable parts `out`, then device-writable
   * buffers of the lengths in `inLens`; notifies the device unless it asked not to be.
   */
  submit(q: number, out: readonly Uint8Array[], inLens: readonly number[], opts: { indirect?: boolean } = {}): number {
    return this.requests.submit(q, out, inLens, opts);
  }

  /** Sends an available buffer notification if the device wants one (§2.3). */
  kick(q: number): void {
    this.requests.kick(q);
  }

  /** Every completion the device has returned on queue `q` so far. */
  poll(q: number): Completion[] {
    return this.requests.poll(q);
  }

  /** submit() then the completion of that request; throws if the device did not complete it. */
  request(q: number, out: readonly Uint8Array[], inLens: readonly number[], opts: { indirect?: boolean } = {}): Completion {
    const id = this.submit(q, out, inLens, opts);
    const c = this.poll(q).find((x) => x.id === id);
    if (!c) throw new Error(`queue ${q}: request ${id} not completed${this.error ? ` (device error ${this.error.code})` : ''}`);
    return c;
  }

  /** Guest memory for the driver's own use (e.g. buffers a test lays out by hand). */
  alloc(bytes: number): number {
    return this.requests.alloc(bytes);
  }
}
// #endregion loopback
