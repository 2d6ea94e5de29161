// The transport-independent half of every transport here: the status machine, feature
// negotiation, queue set-up, notifications both ways and the configuration space, over one
// VirtioDevice. The MMIO and PCI register models only decode their register layouts and call
// this, so the rules of §2.1, §2.2, §2.4 and §3.1 live in one place. Nothing the driver does
// makes it throw: each violation is recorded as a LifecycleError and handled by its severity.
import type { DeviceEnv, VirtioDevice } from '../device.ts';
import type { VirtqError } from '../errors.ts';
import { type Features, hasFeature, VIRTIO_F_SUSPEND } from '../feature-bits.ts';
import type { GuestMemory } from '../memory.ts';
import { createDeviceQueue, ringTypeOf } from '../queue-factory.ts';
import type { DeviceQueue } from '../queue.ts';
import { DEVICE_NEEDS_RESET, DRIVER_OK, FEATURES_OK } from '../status.ts';
import { LifecycleError, type LifecycleErrorCode } from './errors.ts';
import { deviceAccepts, FEATURE_WORDS, featureWord, transportOffer, withFeatureWord } from './features.ts';
import { freshQueue, type QueueArea, queueConfigOf, queueEnableProblem, queueSizeProblem, type QueueSetup } from './queue-setup.ts';
import { checkStatusWrite, driverMay, SUSPEND } from './status-rules.ts';

// #region interrupt-bits
/** Why the device interrupted: MMIO InterruptStatus and the PCI ISR share these bits (§4.2.2, §4.1.4.5). */
export const INT_USED_BUFFER = 0x1;
export const INT_CONFIG_CHANGE = 0x2;
export const INT_DEFINED = INT_USED_BUFFER | INT_CONFIG_CHANGE;
// #endregion interrupt-bits

export interface LifecycleOptions {
  /** Called when the interrupt line changes level: asserted while any interrupt bit is set. */
  readonly onInterrupt?: (asserted: boolean) => void;
  /** How many recorded events to keep (the oldest go first); default 256. */
  readonly logLimit?: number;
}

export class DeviceLifecycle {
  readonly device: VirtioDevice;
  readonly mem: GuestMemory;
  /** What the driver sees offered: the device's set less what the transport cannot carry. */
  readonly offered: Features;
  /** Recorded violations and outcomes, oldest first (at most logLimit). */
  readonly log: LifecycleError[] = [];
  /** Every recorded event, by code, since construction (resets do not clear it). */
  readonly counts: Partial<Record<LifecycleErrorCode, number>> = {};
  /** Interrupts raised: rising edges of the line since construction. */
  interruptsRaised = 0;
  private readonly onInterrupt: (asserted: boolean) => void;
  private readonly logLimit: number;
  private statusByte = 0;
  private isr = 0;
  private driverSet: Features = 0n;
  /**
   * Feature words beyond the 128 bits negotiated here in which the driver last wrote a non-zero
   * value. A transport can address them (the selector is 32 bits wide), and the device offered
   * nothing there, so accepting anything in them means FEATURES_OK is refused.
   */
  private driverWordsBeyond = new Map<number, number>();
  private agreed: Features | null = null;
  private queues = new Map<number, QueueSetup>();
  private live: (DeviceQueue | null)[] = [];
  /** While suspended (§3.4): the live queues, held back so the device model cannot reach them. */
  private parked: (DeviceQueue | null)[] | null = null;
  /** Interrupts the device raised while suspended, sent when it resumes (§3.4.2). */
  private deferredIsr = 0;
  private err: VirtqError | null = null;
  /** Bumped by every reset, so callbacks of an earlier activation are dropped (§2.4.1). */
  private epoch = 0;

  constructor(device: VirtioDevice, mem: GuestMemory, opts: LifecycleOptions = {}) {
    this.device = device;
    this.mem = mem;
    this.offered = transportOffer(device);
    this.onInterrupt = opts.onInterrupt ?? (() => {});
    this.logLimit = opts.logLimit ?? 256;
    // The device's configuration changes reach the driver as an interrupt once it is live (§4.2.3.4, §4.1.5.4).
    device.config.setChangeListener(() => {
      if (this.statusByte & (DRIVER_OK | SUSPEND)) this.raise(INT_CONFIG_CHANGE);
    });
    this.guard('reset', () => device.reset());
  }

  get status(): number {
    return this.statusByte;
  }

  get interruptStatus(): number {
    return this.isr;
  }

  /** The driver's feature bits as written so far. */
  get driverFeatures(): Features {
    return this.driverSet;
  }

  /** The features the device kept with FEATURES_OK, or null before that. */
  get negotiated(): Features | null {
    return this.agreed;
  }

  /** The error the device reported, if it needs a reset because of one. */
  get deviceError(): VirtqError | null {
    return this.err;
  }

  /** The most recent recorded event, if any. */
  get lastEvent(): LifecycleError | null {
    return this.log.at(-1) ?? null;
  }

  // #region record
  /** Records an event and applies its severity: a needs-reset violation stops the device. */
  record(code: LifecycleErrorCode, message: string, cause?: unknown): LifecycleError {
    const e = new LifecycleError(code, message, cause === undefined ? undefined : { cause });
    this.log.push(e);
    if (this.log.length > this.logLimit) this.log.shift();
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (e.severity === 'needs-reset' || e.severity === 'device') this.setNeedsReset();
    return e;
  }

  /** §2.1.2: DEVICE_NEEDS_RESET, and a configuration change notification if the driver is live. */
  private setNeedsReset(): void {
    if (this.statusByte & DEVICE_NEEDS_RESET) return;
    this.statusByte |= DEVICE_NEEDS_RESET;
    if (this.statusByte & DRIVER_OK) this.raise(INT_CONFIG_CHANGE);
  }
  // #endregion record

  // #region write-status
  /** A driver write of the device status: 0 resets (§2.4), anything else is a step (§3.1.1). */
  writeStatus(value: number): void {
    if (value === 0) return this.reset();
    const before = this.statusByte;
    const w = checkStatusWrite(before, value, { suspendNegotiated: this.agreed !== null && hasFeature(this.agreed, VIRTIO_F_SUSPEND) });
    for (const p of w.problems) this.record(p.code, p.message);
    if (w.suspendRequested) return this.suspend();
    if (w.resumeRequested) return this.resume();
    if (w.next === before) return;
    this.statusByte = w.next | (this.statusByte & DEVICE_NEEDS_RESET);
    if (w.featuresOkRequested) {
      // §2.2.2: the device keeps FEATURES_OK only for a set it supports; the driver re-reads it.
      const refusal = this.guard('checkFeatures', () => this.acceptedBeyond() ?? deviceAccepts(this.device, this.driverSet));
      if (refusal !== null) {
        this.statusByte &= ~FEATURES_OK;
        if (typeof refusal === 'string') this.record('FEATURES_REFUSED', refusal);
      } else {
        this.agreed = this.driverSet;
      }
    }
    if (w.driverOkRequested) this.goLive();
  }
  // #endregion write-status

  // #region suspend
  /** §3.4: the device stops using its queues, then shows SUSPEND set and DRIVER_OK clear. */
  private suspend(): void {
    // §3.4.2: a device that cannot suspend sets DEVICE_NEEDS_RESET instead (guard records it).
    if (this.guard('suspend', () => (this.device.suspend(), true)) !== true) return;
    this.parked = [...this.live];
    this.live.fill(null); // the device model's queues read as not enabled until it resumes
    this.statusByte = (this.statusByte & ~DRIVER_OK) | SUSPEND;
  }

  /** §3.4: the device takes its queues back, shows DRIVER_OK again, and sends what it held back. */
  private resume(): void {
    if (this.guard('resume', () => (this.device.resume(), true)) !== true) return;
    if (this.parked) this.live.splice(0, this.live.length, ...this.parked);
    this.parked = null;
    this.statusByte = (this.statusByte & ~SUSPEND) | DRIVER_OK;
    const held = this.deferredIsr;
    this.deferredIsr = 0;
    if (held) this.raise(held);
  }
  // #endregion suspend

  // #region reset
  /** Device reset (§2.4): status 0, queues and interrupts cleared, the device forgets everything. */
  reset(): void {
    this.epoch++;
    this.statusByte = 0;
    this.driverSet = 0n;
    this.driverWordsBeyond.clear();
    this.agreed = null;
    this.queues = new Map();
    this.live = [];
    this.parked = null;
    this.deferredIsr = 0;
    this.err = null;
    this.setIsr(0);
    this.guard('reset', () => this.device.reset());
  }
  // #endregion reset

  // ---- Features (§2.2) ----

  deviceFeatureWord(sel: number): number {
    return featureWord(this.offered, sel);
  }

  driverFeatureWord(sel: number): number {
    return featureWord(this.driverSet, sel);
  }

  writeDriverFeatureWord(sel: number, value: number): void {
    if (!driverMay(this.statusByte).writeFeatures) {
      this.record('FEATURES_LOCKED', `driver features written in status 0x${this.statusByte.toString(16)}`);
      return;
    }
    if (!Number.isInteger(sel) || sel < 0 || sel >= FEATURE_WORDS) {
      if (value === 0) {
        this.driverWordsBeyond.delete(sel);
        return;
      }
      this.record('FEATURE_WORD_UNDEFINED', `feature word ${sel} (bits ${32 * sel}..) is not negotiated here`);
      this.driverWordsBeyond.set(sel, value >>> 0);
      return;
    }
    this.driverSet = withFeatureWord(this.driverSet, sel, value);
  }

  /** Why FEATURES_OK must be refused for bits accepted beyond bit 127, or null if there are none. */
  private acceptedBeyond(): string | null {
    if (this.driverWordsBeyond.size === 0) return null;
    const words = [...this.driverWordsBeyond].map(([sel, v]) => `word ${sel} = 0x${v.toString(16)}`);
    return `accepted feature bits that were not offered, above bit 127: ${words.join(', ')}`;
  }

  // ---- Queues (§2.6, §3.1.1 step 7) ----

  /** How many queues the device has with the features agreed (or, before that, offered). */
  queueCount(): number {
    return this.guard('queueCount', () => this.device.queueCount(this.agreed ?? this.offered)) ?? 0;
  }

  /** The largest size of queue `index`; 0 for a queue the device does not have. */
  maxQueueSize(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.queueCount()) return 0;
    return this.guard('maxQueueSize', () => this.device.maxQueueSize(index)) ?? 0;
  }

  /** The set-up state of queue `index`, or null if the device has no such queue. */
  queue(index: number): Readonly<QueueSetup> | null {
    const max = this.maxQueueSize(index);
    if (max === 0) return null;
    let q = this.queues.get(index);
    if (!q) this.queues.set(index, (q = freshQueue(max)));
    return q;
  }

  setQueueSize(index: number, size: number): void {
    const q = this.configurable(index, 'QueueSize');
    if (!q) return;
    const problem = queueSizeProblem(size, this.maxQueueSize(index), ringTypeOf(this.agreed!));
    if (problem) this.record('QUEUE_SIZE_INVALID', `queue ${index}: ${problem}`);
    else q.size = size;
  }

  /** Writes a queue area address: the whole 64 bits, or its low or high 32-bit half. */
  setQueueArea(index: number, area: QueueArea, value: bigint, half: 'low' | 'high' | 'full' = 'full'): void {
    const q = this.configurable(index, `queue ${area} address`);
    if (!q) return;
    const v = BigInt.asUintN(64, value);
    if (half === 'full') q[area] = v;
    else if (half === 'low') q[area] = (q[area] & 0xffff_ffff_0000_0000n) | (v & 0xffff_ffffn);
    else q[area] = (q[area] & 0xffff_ffffn) | ((v & 0xffff_ffffn) << 32n);
  }

  // #region queue-ready
  /** QueueReady / queue_enable. Enabling checks the whole queue; disabling stops its use. */
  setQueueReady(index: number, ready: boolean): void {
    if (!ready) {
      const q = this.queues.get(index);
      if (!q || !q.ready) return;
      q.ready = false;
      // §4.2.2.1: the device no longer touches a queue that is not ready.
      if (index < this.live.length) this.live[index] = null;
      return;
    }
    const q = this.configurable(index, 'QueueReady');
    if (!q) return;
    const problem = queueEnableProblem(this.mem, q, this.maxQueueSize(index), ringTypeOf(this.agreed!));
    if (problem) this.record(problem.code, `queue ${index}: ${problem.message}`);
    else q.ready = true;
  }
  // #endregion queue-ready

  /** The queue if the driver may configure it now; records why not otherwise. */
  private configurable(index: number, what: string): QueueSetup | null {
    if (!driverMay(this.statusByte).setUpQueues) {
      this.record('QUEUE_SETUP_STATE', `${what} written in status 0x${this.statusByte.toString(16)}`);
      return null;
    }
    const q = this.queue(index) as QueueSetup | null;
    if (!q) {
      this.record('QUEUE_NOT_AVAILABLE', `${what} written for queue ${index}, which the device does not have`);
      return null;
    }
    if (q.ready) {
      this.record('QUEUE_ENABLED', `${what} written for queue ${index} while it is enabled`);
      return null;
    }
    return q;
  }

  // #region go-live
  /** DRIVER_OK: hand the device its enabled queues and start it (§3.1.1 step 8). */
  private goLive(): void {
    const features = this.agreed!;
    const count = this.queueCount();
    this.live = [];
    for (let i = 0; i < count; i++) {
      const q = this.queues.get(i);
      const config = q?.ready ? queueConfigOf(q) : null;
      this.live.push(config ? createDeviceQueue(this.mem, config, features) : null);
    }
    const epoch = this.epoch;
    const env: DeviceEnv = {
      mem: this.mem,
      features,
      queues: this.live,
      // Callbacks from before the last reset are dropped: a reset device is silent (§2.4.1).
      notifyUsed: () => {
        if (epoch === this.epoch) this.raise(INT_USED_BUFFER);
      },
      needsReset: (e) => {
        if (epoch !== this.epoch) return;
        this.err ??= e;
        this.record('DEVICE_ERROR', e.message, e);
      },
    };
    this.guard('activate', () => this.device.activate(env));
  }
  // #endregion go-live

  // #region notify
  /** An available buffer notification for queue `index` (§2.3, §4.2.3.3, §4.1.5.2). */
  notify(index: number): void {
    if (this.statusByte & SUSPEND) {
      this.record('SUSPENDED_ACCESS', `queue ${index} notified while the device is suspended`);
      return;
    }
    if (!driverMay(this.statusByte).notify) {
      // Recorded even when the device already needs a reset: a dropped notification is never silent.
      this.record('NOTIFY_STATE', `queue ${index} notified in status 0x${this.statusByte.toString(16)}`);
      return;
    }
    if (!this.live[index]) {
      this.record('NOTIFY_QUEUE_INVALID', `queue ${index} is not an enabled queue`);
      return;
    }
    this.guard('queueNotify', () => this.device.queueNotify(index));
  }
  // #endregion notify

  // ---- Interrupts (§4.2.2, §4.1.4.5) ----

  /** InterruptACK: the driver handled these events. */
  acknowledge(bits: number): void {
    const undefinedBits = (bits >>> 0) & ~INT_DEFINED;
    if (undefinedBits !== 0) this.record('INTERRUPT_ACK_UNDEFINED', `InterruptACK bits 0x${undefinedBits.toString(16)} are not events`);
    this.setIsr(this.isr & ~bits);
  }

  /** The PCI ISR status read: returns the bits and clears them (§4.1.4.5). */
  takeInterruptStatus(): number {
    const bits = this.isr;
    this.setIsr(0);
    return bits;
  }

  private raise(bits: number): void {
    // §3.4.2: a suspended device sends no notifications; it sends them when it resumes.
    if (this.statusByte & SUSPEND) this.deferredIsr |= bits;
    else this.setIsr(this.isr | bits);
  }

  private setIsr(next: number): void {
    const was = this.isr !== 0;
    this.isr = next;
    const now = next !== 0;
    if (now && !was) this.interruptsRaised++;
    if (now !== was) this.onInterrupt(now);
  }

  // ---- Configuration space (§2.5) ----

  get configGeneration(): number {
    return this.device.config.generation;
  }

  /** Reads may happen at any time (§2.5.2); bytes past the end read as 0 and are recorded. */
  readConfig(offset: number, len: number): Uint8Array {
    if (offset + len > this.device.config.size) {
      this.record('CONFIG_OUT_OF_RANGE', `config read [${offset}, +${len}) past ${this.device.config.size} bytes`);
    }
    return this.device.config.read(offset, len);
  }

  writeConfig(offset: number, data: Uint8Array): void {
    const anytime = this.guard('configWritableAnytime', () => this.device.configWritableAnytime(offset, data.length)) === true;
    if (this.statusByte & SUSPEND) {
      this.record('SUSPENDED_ACCESS', `config write at ${offset} while the device is suspended`);
      return;
    }
    if (!anytime && !driverMay(this.statusByte).writeConfig) {
      this.record('CONFIG_WRITE_STATE', `config write at ${offset} in status 0x${this.statusByte.toString(16)}`);
      return;
    }
    if (offset + data.length > this.device.config.size) {
      this.record('CONFIG_OUT_OF_RANGE', `config write [${offset}, +${data.length}) past ${this.device.config.size} bytes`);
      return;
    }
    this.guard('writeConfig', () => this.device.writeConfig(offset, data));
  }

  /**
   * Runs a call into the device model. A model that throws is a model bug, not the driver's;
   * it is recorded as DEVICE_ERROR and the device needs a reset, and the transport carries on.
   */
  private guard<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      this.record('DEVICE_ERROR', `${this.device.name}.${what} threw: ${e instanceof Error ? e.message : String(e)}`, e);
      return undefined;
    }
  }
}
