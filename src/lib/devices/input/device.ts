// The input device, VIRTIO 1.4 §5.8 (device ID 18): one evdev device of a guest (a keyboard,
// a pointer, a touchscreen, the keys of a steering wheel). The eventq (0) carries events to
// the driver, the statusq (1) carries LED and repeat settings back. No feature bits. Nothing
// the driver writes is trusted: a malformed status buffer is counted and handed back, an
// unusable eventq buffer is handed back unused; only a broken ring, which the queue layer
// reports, puts the device into DEVICE_NEEDS_RESET.
import { type DescriptorChain, readableBuffers, writableBuffers } from '../../virtio/chain.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import { ModelClock } from './clock.ts';
import { EV_KEY, EV_LED, EV_MSC, EV_REL, EV_REP, EV_SND, EV_SYN, SYN_REPORT } from './codes.ts';
import { configAnswer } from './config-select.ts';
import { INPUT_CFG_SELECT, INPUT_CFG_SIZE, INPUT_CFG_SUBSEL, INPUT_CFG_UNION, INPUT_CFG_UNION_SIZE, INPUT_CONFIG_SIZE } from './config.ts';
import { decodeInputEvent, INPUT_EVENT_SIZE, type InputEvent, SYN } from './event.ts';
import { type EventContext, EventBacklog } from './event-queue.ts';
import { advertises, type InputProfile, profileError } from './profile.ts';
import { EvdevState, stateDiff } from './state.ts';
import { type InputDeviceStats, newInputStats, type StatusRejectReason } from './stats.ts';

export const VIRTIO_ID_INPUT = 18;
export const INPUT_EVENTQ = 0;
export const INPUT_STATUSQ = 1;

/** The AVP's default budget from a physical event to its frame in the eventq: 5 ms. */
export const DEFAULT_INPUT_LATENCY_BUDGET_US = 5_000;

export interface InputDeviceOptions {
  readonly profile: InputProfile;
  /** Events held while the driver has no eventq buffer; default 128. */
  readonly backlog?: number;
  /** Model time; default a clock of the device's own. */
  readonly clock?: ModelClock;
  /** Latency budget in microseconds for frames of this device; default 5000. */
  readonly latencyBudgetUs?: number;
  /** Keys physically held when the device is created (reported at DRIVER_OK). */
  readonly pressed?: readonly number[];
}

/** What became of a frame the source produced. */
export type InjectResult =
  | 'delivered' // every event is in an eventq buffer
  | 'queued' // held, wholly or partly, until the driver offers buffers
  | 'overflow' // no room in the backlog: dropped whole and counted
  | 'inactive' // the driver is not ready (before DRIVER_OK, or after a reset)
  | 'empty' // nothing the device advertises was left in it
  | 'queue-error'; // the eventq is broken

/** A status event the driver sent and the device accepted. */
export interface StatusRecord {
  readonly event: InputEvent;
  /** Model time of arrival. */
  readonly at: number;
}

export class InputDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_INPUT;
  readonly name = 'virtio-input';
  readonly profile: InputProfile;
  readonly clock: ModelClock;
  readonly latencyBudgetUs: number;
  readonly stats: InputDeviceStats = newInputStats();
  /** LED state as the driver last set it, by LED code. */
  readonly leds = new Map<number, boolean>();
  /** Repeat settings (REP_DELAY, REP_PERIOD) as the driver last set them. */
  readonly repeat = new Map<number, number>();
  /** Every status event accepted, oldest first (bounded to the last 256). */
  readonly statusLog: StatusRecord[] = [];
  /** Called for every status event accepted: the platform forwards LEDs to the hardware. */
  onStatus: ((e: InputEvent) => void) | null = null;
  private readonly backlog: EventBacklog;
  /** What physically happened: every frame, delivered or not. A reset does not change it. */
  private readonly physical = new EvdevState();
  /** What the driver will know once it has read every event placed or held for it. */
  private readonly driverView = new EvdevState();
  /** A frame was lost since the driver's view was last in step, or the driver just started. */
  private needSync = false;
  private select = 0;
  private subsel = 0;

  constructor(opts: InputDeviceOptions) {
    super(INPUT_CONFIG_SIZE);
    const err = profileError(opts.profile);
    if (err) throw new RangeError(`input profile: ${err}`);
    this.profile = opts.profile;
    this.backlog = new EventBacklog(opts.backlog ?? 128);
    this.clock = opts.clock ?? new ModelClock();
    this.latencyBudgetUs = opts.latencyBudgetUs ?? DEFAULT_INPUT_LATENCY_BUDGET_US;
    if (!Number.isFinite(this.latencyBudgetUs) || this.latencyBudgetUs <= 0) throw new RangeError('latencyBudgetUs: a positive time');
    for (const k of opts.pressed ?? []) {
      if (!advertises(this.profile, EV_KEY, k)) throw new RangeError(`pressed: key ${k} is not advertised`);
      this.physical.apply({ type: EV_KEY, code: k, value: 1 });
    }
    this.refreshConfig();
  }

  protected deviceFeatures(): Features {
    return 0n; // §5.8.3: the input device has no feature bits
  }

  queueCount(): number {
    return 2;
  }

  /** Events held for the driver. */
  get held(): number {
    return this.backlog.length;
  }

  get maxHeld(): number {
    return this.backlog.maxHeld;
  }

  /** Keys physically down and contacts physically on the screen, as the source reported them. */
  get physicalState(): EvdevState {
    return this.physical.clone();
  }

  // #region config-write
  /**
   * A driver write. Only `select` (offset 0) and `subsel` (offset 1) are writable; the answer
   * is recomputed after every write, so the order in which the driver sets them does not
   * matter. Bytes written anywhere else are ignored and counted.
   */
  writeConfig(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      if (at === INPUT_CFG_SELECT) this.select = data[i];
      else if (at === INPUT_CFG_SUBSEL) this.subsel = data[i];
      else this.stats.configWritesIgnored++;
    }
    this.refreshConfig();
  }

  /** Writes size and u for the current select/subsel; the rest of u is zero, never stale. */
  private refreshConfig(): void {
    const answer = configAnswer(this.profile, this.select, this.subsel);
    const c = this.config;
    c.setU8(INPUT_CFG_SELECT, this.select);
    c.setU8(INPUT_CFG_SUBSEL, this.subsel);
    c.setU8(INPUT_CFG_SIZE, answer.length);
    c.setBytes(INPUT_CFG_UNION, new Uint8Array(INPUT_CFG_UNION_SIZE));
    c.setBytes(INPUT_CFG_UNION, answer);
    // Driver writes change no generation and raise no configuration change notification:
    // the device did not change, the driver only chose what to look at.
  }
  // #endregion config-write

  // #region inject
  /**
   * One frame from the device's source: the events of one update, without the SYN_REPORT,
   * which the device adds. `at` is when the physical event happened (default now); `earliest`
   * the first model time the frame can reach the device (after any routing, default `at`).
   */
  inject(events: readonly InputEvent[], opts: { at?: number; earliest?: number } = {}): InjectResult {
    const t0 = opts.at ?? this.clock.now;
    const earliest = Math.max(opts.earliest ?? t0, t0);
    this.stats.framesIn++;
    const body: InputEvent[] = [];
    for (const e of events) {
      if (e.type === EV_SYN) {
        if (e.code === SYN_REPORT && e === events[events.length - 1]) continue; // a caller's own terminator
        throw new RangeError('inject: one frame per call; the device adds SYN_REPORT');
      }
      // The driver built its input device from the configuration: never send it anything else.
      if (!advertises(this.profile, e.type, e.code)) {
        this.stats.unadvertised++;
        continue;
      }
      body.push(e);
    }
    this.physical.applyAll(body);
    if (!this.active) {
      this.stats.inactiveFrames++;
      return 'inactive';
    }
    return this.enqueue(body, t0, earliest);
  }
  // #endregion inject

  // #region enqueue
  private enqueue(body: readonly InputEvent[], t0: number, earliest: number): InjectResult {
    // In step: the frame as it came. Out of step (frames were lost, or the driver just
    // started): one frame that brings the driver to the physical state, plus this frame's
    // relative motion and scan codes, which carry no state and so are not in the diff.
    const sync = this.needSync;
    const events = sync ? [...stateDiff(this.driverView, this.physical), ...body.filter((e) => e.type === EV_REL || e.type === EV_MSC)] : [...body];
    if (events.length === 0) {
      if (sync) this.needSync = false;
      return 'empty';
    }
    const frame = [...events, SYN];
    const r = this.backlog.offer(frame, t0, earliest, this.eventContext());
    if (r === 'overflow') {
      this.stats.overflowFrames++;
      this.stats.overflowEvents += body.length;
      this.needSync = true; // the driver's view is now behind the physical state
      return r;
    }
    if (r === 'queue-error') return r;
    this.driverView.applyAll(frame);
    if (sync) this.stats.resyncFrames++;
    this.needSync = false;
    return r;
  }
  // #endregion enqueue

  private eventContext(): EventContext {
    const env = this.env;
    const s = this.stats;
    return {
      mem: env.mem,
      queue: this.queue(INPUT_EVENTQ),
      now: this.clock.now,
      notify: () => env.notifyUsed(INPUT_EVENTQ),
      needsReset: (e) => env.needsReset(e),
      delivered: () => void s.eventsDelivered++,
      badBuffer: () => void s.badEventBuffers++,
      placed: (t0, at) => {
        const l = s.latency;
        const us = at - t0;
        s.framesDelivered++;
        l.frames++;
        l.totalUs += us;
        l.maxUs = Math.max(l.maxUs, us);
        if (us > this.latencyBudgetUs) l.overBudget++;
      },
    };
  }

  protected onActivate(_env: DeviceEnv): void {
    this.driverView.clear();
    this.needSync = false;
    // A driver starts believing nothing is pressed or touched. If something is, say so at once.
    if (!this.physical.empty) {
      this.needSync = true;
      this.enqueue([], this.clock.now, this.clock.now);
    }
  }

  protected onReset(): void {
    this.backlog.clear();
    this.driverView.clear();
    this.needSync = false;
    this.leds.clear();
    this.repeat.clear();
    this.select = 0;
    this.subsel = 0;
    this.refreshConfig();
  }

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === INPUT_EVENTQ) this.backlog.flush(this.eventContext());
    else if (index === INPUT_STATUSQ) this.drain(INPUT_STATUSQ, (chain) => this.serveStatus(chain));
  }

  // #region status
  /** One statusq buffer: a device-readable virtio_input_event. The device writes nothing back. */
  private serveStatus(chain: DescriptorChain): number {
    const reject = (why: StatusRejectReason) => {
      this.stats.statusRejected[why]++;
      this.stats.lastStatusReject = why;
      return 0;
    };
    if (writableBuffers(chain).length > 0) return reject('writable-part');
    const bytes = readFirst(this.env.mem, chain, INPUT_EVENT_SIZE);
    if (bytes.length < INPUT_EVENT_SIZE) return reject('too-short');
    const e = decodeInputEvent(bytes); // bytes after the first event are ignored
    if (e.type !== EV_LED && e.type !== EV_REP && e.type !== EV_SND) return reject('unsupported-type');
    if (!advertises(this.profile, e.type, e.code)) return reject(this.profile.events.has(e.type) ? 'unsupported-code' : 'unsupported-type');
    if (e.type === EV_LED && e.value !== 0 && e.value !== 1) return reject('bad-value');
    if (e.type === EV_REP && e.value < 0) return reject('bad-value');
    if (e.type === EV_LED) this.leds.set(e.code, e.value === 1);
    if (e.type === EV_REP) this.repeat.set(e.code, e.value);
    this.stats.statusAccepted++;
    this.statusLog.push({ event: e, at: this.clock.now });
    if (this.statusLog.length > 256) this.statusLog.shift();
    this.onStatus?.(e);
    return 0;
  }
  // #endregion status
}

/** The first `max` device-readable bytes of a chain. */
function readFirst(mem: GuestMemory, chain: DescriptorChain, max: number): Uint8Array {
  const out: number[] = [];
  for (const b of readableBuffers(chain)) {
    if (out.length >= max) break;
    out.push(...mem.read(b.addr, Math.min(b.len, max - out.length)));
  }
  return Uint8Array.from(out);
}
