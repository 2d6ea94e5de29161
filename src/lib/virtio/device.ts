// The base every device model is written on. A transport (MMIO, PCI, or the in-process
// loopback) owns the status machine and the queues; a device only says what it offers,
// checks what the driver accepted, and serves its queues once the driver is ready (§3.1).
import { ConfigSpace } from './config-space.ts';
import type { VirtqError } from './errors.ts';
import {
  type Features,
  featureSet,
  hasFeature,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_SUSPEND,
  VIRTIO_F_VERSION_1,
} from './feature-bits.ts';
import type { GuestMemory } from './memory.ts';
import { isVirtqError } from './errors.ts';
import type { DeviceQueue } from './queue.ts';

// #region device-env
/** What a transport gives a device when the driver sets DRIVER_OK. */
export interface DeviceEnv {
  readonly mem: GuestMemory;
  /** The features the driver accepted (after FEATURES_OK). */
  readonly features: Features;
  /** The device side of each queue, by index; null where the driver did not enable one. */
  readonly queues: readonly (DeviceQueue | null)[];
  /** Sends a used buffer notification for a queue (a used buffer notification, §2.3). */
  notifyUsed(queueIndex: number): void;
  /** The device can no longer operate until reset: the transport sets DEVICE_NEEDS_RESET (§2.1.2). */
  needsReset(error: VirtqError): void;
}
// #endregion device-env

/** Transport-level features every model here supports; a model may withhold some. */
export const COMMON_FEATURES: Features = featureSet(
  VIRTIO_F_VERSION_1,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_RING_PACKED,
  // §3.4: the lifecycle implements suspend for every device, so a guest can be suspended to RAM.
  VIRTIO_F_SUSPEND,
);

// #region virtio-device
export abstract class VirtioDevice {
  /** The VIRTIO device ID (§5). */
  abstract readonly deviceId: number;
  /** A short name for logs and examples. */
  abstract readonly name: string;
  readonly config: ConfigSpace;
  private envRef: DeviceEnv | null = null;

  constructor(configSize: number) {
    this.config = new ConfigSpace(configSize);
  }

  /** Device-specific feature bits (bits 0–23 and 50–127, §2.2). */
  protected abstract deviceFeatures(): Features;

  /** Everything the device offers: its own bits and the transport-level ones. */
  offeredFeatures(): Features {
    return this.deviceFeatures() | COMMON_FEATURES;
  }

  /** How many virtqueues the driver may set up with these features. */
  abstract queueCount(features: Features): number;

  /** The largest size queue `index` may have. */
  maxQueueSize(_index: number): number {
    return 256;
  }

  /**
   * Checks the set the driver wrote before FEATURES_OK (§2.2.1, §3.1.1): null accepts it, a
   * string says why the device clears FEATURES_OK. Models extend this with their dependencies.
   */
  checkFeatures(accepted: Features): string | null {
    const extra = accepted & ~this.offeredFeatures();
    if (extra !== 0n) return `accepted features the device did not offer: 0x${extra.toString(16)}`;
    if (!hasFeature(accepted, VIRTIO_F_VERSION_1)) return 'VIRTIO_F_VERSION_1 not accepted (legacy interface not offered)';
    return null;
  }

  /** A driver write to the configuration space; most fields are read-only, so the default ignores it. */
  writeConfig(_offset: number, _data: Uint8Array): void {}

  /**
   * Whether a write of `len` bytes at `offset` reaches a field the driver may write in any
   * state, before feature negotiation included, such as the console's emerg_wr (§5.3.5.1).
   */
  configWritableAnytime(_offset: number, _len: number): boolean {
    return false;
  }

  /** DRIVER_OK: the device starts serving its queues. */
  activate(env: DeviceEnv): void {
    this.envRef = env;
    this.onActivate(env);
  }

  /** The driver notified queue `index` (an available buffer notification, §2.3). */
  abstract queueNotify(index: number): void;

  /**
   * Suspend (§3.4): stop taking buffers and finish those being processed. The models here
   * finish every request before they return, so there is nothing to wait for; a model with
   * work in the background overrides this, and throws if it cannot suspend.
   */
  suspend(): void {}

  /** Resume after suspend (§3.4); throws if the device cannot resume. */
  resume(): void {}

  /** Device reset (§2.4): forget the queues and any request in flight. */
  reset(): void {
    this.envRef = null;
    this.onReset();
  }

  get active(): boolean {
    return this.envRef !== null;
  }

  protected onActivate(_env: DeviceEnv): void {}
  protected onReset(): void {}

  /** The environment; only valid while active. */
  protected get env(): DeviceEnv {
    if (!this.envRef) throw new Error(`${this.name}: used before DRIVER_OK or after reset`);
    return this.envRef;
  }

  /** The device side of queue `index`, or null if the driver did not set it up. */
  protected queue(index: number): DeviceQueue | null {
    return this.envRef?.queues[index] ?? null;
  }

  /**
   * Takes every available chain from queue `index` and hands each to `serve`, which returns the
   * bytes it wrote. Stops at the first driver error and reports it: the device then needs reset.
   */
  protected drain(index: number, serve: (chain: import('./chain.ts').DescriptorChain) => number): void {
    const q = this.queue(index);
    if (!q || !this.envRef) return;
    let pushed = false;
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') {
        this.envRef.needsReset(r.error);
        return;
      }
      let written: number;
      try {
        written = serve(r.chain);
      } catch (e) {
        // A buffer the device may not touch (an IOMMU fault): the request cannot complete, and
        // the device reports the error instead of going on as if it had (§2.1.2).
        if (!isVirtqError(e)) throw e;
        this.envRef.needsReset(e);
        return;
      }
      q.push(r.chain, written);
      pushed = true;
    }
    if (pushed && q.needsNotification()) this.envRef.notifyUsed(index);
  }

  // #region held-chains
  /**
   * Runs `work`, which reads or writes chains the device took earlier and held: a request
   * waiting for data, an interrupt buffer, a transfer that completes later. Behind an IOMMU the
   * driver may have unmapped such a buffer meanwhile; the access is then an IOMMU_FAULT (a
   * VirtqError), which the device reports as drain() does: it needs reset (§2.1.2), and false is
   * returned. Without this the fault would escape into whatever host event ran the device (a
   * clock tick, a frame from a bus). Any other exception is a bug in the model and propagates.
   */
  protected serveHeld(work: () => void): boolean {
    try {
      work();
      return true;
    } catch (e) {
      if (!isVirtqError(e) || !this.envRef) throw e;
      this.envRef.needsReset(e);
      return false;
    }
  }
  // #endregion held-chains
}
// #endregion virtio-device
