// A guest driver and a device model joined in one process, without a register-level
// transport: the driver side negotiates, lays out the queues in guest memory, offers buffers
// and reads completions, exactly as it would over MMIO or PCI, but notifications are plain
// calls. Examples and device tests use it; the MMIO chapter shows the same steps as register
// accesses.
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FEATURES_OK } from './status.ts';
import type { DeviceEnv, VirtioDevice } from './device.ts';
import type { VirtqError } from './errors.ts';
import { bit, type Features, VIRTIO_F_RING_PACKED } from './feature-bits.ts';
import { GuestMemory } from './memory.ts';
import { createDeviceQueue, createDriverQueue, ringAreas, type RingType } from './queue-factory.ts';
import type { DeviceQueue, DriverQueue, QueueConfig } from './queue.ts';
import { RangeAllocator } from './range-allocator.ts';

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
}

export interface Completion {
  /** The token submit() returned. */
  readonly id: number;
  /** Bytes the device reported writing. */
  readonly len: number;
  /** The first `len` bytes of the device-writable buffers, concatenated. */
  readonly data: Uint8Array;
}

interface Pending {
  readonly ranges: { addr: number; len: number }[];
  readonly writable: { addr: number; len: number }[];
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
  private readonly heap: RangeAllocator;
  private readonly pending: Map<number, Pending>[];

  constructor(device: VirtioDevice, opts: LoopbackOptions = {}) {
    this.device = device;
    const memSize = opts.memSize ?? 1 << 20;
    this.mem = GuestMemory.create(memSize);
    this.heap = new RangeAllocator({ addr: 0x1000, size: memSize - 0x1000 }, 16);
    device.reset();
    this.status = ACKNOWLEDGE | DRIVER;

    // Feature negotiation (§3.1.1 steps 4-6): accept what both sides want, then ask the device.
    const ringBit = bit(VIRTIO_F_RING_PACKED);
    let wanted = opts.features ?? ALL;
    wanted = opts.ring === 'packed' ? wanted | ringBit : wanted & ~ringBit;
    this.features = device.offeredFeatures() & wanted;
    const refused = device.checkFeatures(this.features);
    if (refused !== null) throw new Error(`${device.name}: FEATURES_OK refused: ${refused}`);
    this.status |= FEATURES_OK;

    // Queue set-up (§3.1.1 step 7): every queue the device has with these features.
    const count = device.queueCount(this.features);
    const queues: DriverQueue[] = [];
    const deviceQueues: DeviceQueue[] = [];
    for (let i = 0; i < count; i++) {
      const size = Math.min(opts.queueSize ?? 64, device.maxQueueSize(i));
      const config = this.layOut(opts.ring ?? 'split', size);
      const indirectBytes = opts.indirectBytes ?? 4096;
      const indirectAddr = this.allocOrThrow(indirectBytes);
      queues.push(createDriverQueue(this.mem, config, this.features, { indirectArea: { addr: indirectAddr, size: indirectBytes } }));
      deviceQueues.push(createDeviceQueue(this.mem, config, this.features));
    }
    this.queues = queues;
    this.usedNotifications = queues.map(() => 0);
    this.pending = queues.map(() => new Map());

    device.config.setChangeListener(() => this.configNotifications++);
    const env: DeviceEnv = {
      mem: this.mem,
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
    const ranges: { addr: number; len: number }[] = [];
    const bufs = [
      ...out.map((data) => {
        const addr = this.allocOrThrow(data.length);
        this.mem.write(addr, data);
        ranges.push({ addr, len: data.length });
        return { addr, len: data.length, writable: false };
      }),
      ...inLens.map((len) => {
        const addr = this.allocOrThrow(len);
        this.mem.write(addr, new Uint8Array(len));
        ranges.push({ addr, len });
        return { addr, len, writable: true };
      }),
    ];
    const id = this.queues[q].add(bufs, opts);
    this.pending[q].set(id, { ranges, writable: bufs.filter((b) => b.writable) });
    this.kick(q);
    return id;
  }

  /** Sends an available buffer notification if the device wants one (§2.3.1). */
  kick(q: number): void {
    if (this.queues[q].kickNeeded()) this.device.queueNotify(q);
  }

  /** Every completion the device has returned on queue `q` so far. */
  poll(q: number): Completion[] {
    const done: Completion[] = [];
    for (let u = this.queues[q].pollUsed(); u; u = this.queues[q].pollUsed()) {
      const p = this.pending[q].get(u.id);
      if (!p) throw new Error(`queue ${q}: device returned unknown id ${u.id}`);
      this.pending[q].delete(u.id);
      const data = new Uint8Array(u.len);
      let at = 0;
      for (const w of p.writable) {
        if (at >= u.len) break;
        const n = Math.min(w.len, u.len - at);
        data.set(this.mem.read(w.addr, n), at);
        at += n;
      }
      for (const r of p.ranges) this.heap.release(r.addr, r.len);
      done.push({ id: u.id, len: u.len, data });
    }
    return done;
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
    return this.allocOrThrow(bytes);
  }

  private layOut(ring: RingType, size: number): QueueConfig {
    const a = ringAreas(ring, size);
    // The allocator's 16-byte unit satisfies every alignment a ring part needs.
    return {
      size,
      descAddr: this.allocOrThrow(a.desc.bytes),
      driverAddr: this.allocOrThrow(a.driver.bytes),
      deviceAddr: this.allocOrThrow(a.device.bytes),
    };
  }

  private allocOrThrow(bytes: number): number {
    const addr = this.heap.alloc(Math.max(bytes, 1));
    if (addr === null) throw new Error(`loopback: guest memory exhausted (${bytes} bytes wanted)`);
    return addr;
  }
}
// #endregion loopback
