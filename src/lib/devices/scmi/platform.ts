// The SCMI platform behind the devices: one set of sensors, sampled on model time, shared by
// every guest, and one agent per guest with the sensors its configuration grants it. VIRTIO
// maps an SCMI device to one agent (§5.17); the AVP gives each guest a device of its own, so a
// guest's agent ID, its view of the sensors and its rights are the platform's to decide, never
// the guest's.
import type { ModelClock } from '../../virtio/model-clock.ts';
import { SCMI_HARDWARE_ERROR, SCMI_PROTOCOL_ERROR, SCMI_SUCCESS } from './header.ts';
import { maxAgeUs, type SensorSpec, sensorSpecError } from './sensor-table.ts';

// #region sample
/** A measurement as the platform holds it: one value per axis, and when it was measured (µs of model time). */
export interface Sample {
  readonly values: readonly number[];
  readonly measuredAtUs: number;
}
// #endregion sample

// #region sensor-state
/** One agent's own settings of a sensor: what SENSOR_CONFIG_SET's bits 0 and 1 change for it. */
export interface SensorView {
  enabled: boolean;
  timestamps: boolean;
}

/**
 * A sensor as the platform runs it: its table entry, its update interval (shared by every guest
 * that sees it), each agent's own view of it, and its latest sample. The sensor samples while
 * any agent has it enabled: one guest switching it off does not switch it off for another.
 */
export class SensorState {
  readonly spec: SensorSpec;
  /** Position in the platform's table. */
  readonly index: number;
  intervalUs: number;
  /** By agent ID: the agents granted this sensor. */
  readonly views = new Map<number, SensorView>();
  last: Sample | null = null;
  /** When the next sample reaches the platform (µs). */
  nextArrivalUs: number;
  samples = 0;
  /** Ticks at which the source had nothing (a lost CAN frame, a sensor fault). */
  missed = 0;

  constructor(spec: SensorSpec, index: number, nowUs: number) {
    this.spec = spec;
    this.index = index;
    this.intervalUs = spec.intervalUs ?? spec.intervalsUs[0];
    this.nextArrivalUs = nowUs + spec.latencyUs;
  }

  /** Whether the sensor samples: some agent has it enabled (every agent does until it says otherwise). */
  get enabled(): boolean {
    for (const v of this.views.values()) if (v.enabled) return true;
    return false;
  }

  view(agentId: number): SensorView {
    const v = this.views.get(agentId);
    if (!v) throw new RangeError(`${this.spec.name}: not granted to agent ${agentId}`);
    return v;
  }

  /** The stated bound on a reading's age at the current interval. */
  get maxAgeUs(): number {
    return maxAgeUs(this.spec, this.intervalUs);
  }

  get axes(): number {
    return Math.max(1, this.spec.axes?.length ?? 0);
  }
}
// #endregion sensor-state

// #region agents
export type SensorAccess = 'read' | 'configure';

export interface SensorGrant {
  readonly sensor: string;
  /** 'read' (the default) reads and subscribes; 'configure' may also change the sensor's shared configuration. */
  readonly access?: SensorAccess;
}

export interface AgentSpec {
  /** The agent's name as BASE_DISCOVER_AGENT gives it: up to 15 ASCII characters. */
  readonly name: string;
  /** The sensors this guest sees, in the order of its sensor IDs (0, 1, …). */
  readonly sensors: readonly (string | SensorGrant)[];
}

/** One guest's view: its agent ID and its sensors, numbered from 0 in its own view. */
export interface AgentView {
  readonly id: number;
  readonly name: string;
  readonly sensors: readonly { readonly state: SensorState; readonly access: SensorAccess }[];
}
// #endregion agents

/** What a device attached to the platform hears about. */
export interface PlatformListener {
  /** A sample reached the platform at `arrivalUs`; `prev` is the one before it. */
  onSample(state: SensorState, sample: Sample, prev: Sample | null, arrivalUs: number): void;
  /** Model time moved and every sample due has been taken. */
  onTick(nowUs: number): void;
}

export interface ScmiPlatformOptions {
  readonly clock: ModelClock;
  readonly sensors: readonly SensorSpec[];
  readonly agents: readonly AgentSpec[];
  /** BASE_DISCOVER_VENDOR; default "AVP". */
  readonly vendor?: string;
  /** BASE_DISCOVER_SUB_VENDOR; default "reference". */
  readonly subVendor?: string;
  /** BASE_DISCOVER_IMPLEMENTATION_VERSION; default 1. */
  readonly implementationVersion?: number;
  /** Asynchronous reads an agent may have outstanding (delayed responses not yet delivered included); default 4. */
  readonly maxPendingAsync?: number;
}

export class ScmiPlatform {
  readonly clock: ModelClock;
  readonly sensors: readonly SensorState[];
  readonly agents: readonly AgentView[];
  readonly vendor: string;
  readonly subVendor: string;
  readonly implementationVersion: number;
  readonly maxPendingAsync: number;
  private readonly listeners = new Set<PlatformListener>();

  constructor(opts: ScmiPlatformOptions) {
    this.clock = opts.clock;
    this.vendor = opts.vendor ?? 'AVP';
    this.subVendor = opts.subVendor ?? 'reference';
    this.implementationVersion = opts.implementationVersion ?? 1;
    this.maxPendingAsync = opts.maxPendingAsync ?? 4;
    if (!Number.isInteger(this.maxPendingAsync) || this.maxPendingAsync < 0 || this.maxPendingAsync > 255) throw new RangeError('maxPendingAsync: 0 to 255');
    for (const s of opts.sensors) {
      const err = sensorSpecError(s);
      if (err) throw new RangeError(`sensor table: ${err}`);
    }
    const names = new Set(opts.sensors.map((s) => s.name));
    if (names.size !== opts.sensors.length) throw new RangeError('sensor table: sensor names must be unique');
    if (opts.sensors.length > 0xffff) throw new RangeError('sensor table: at most 65535 sensors');
    this.sensors = opts.sensors.map((s, i) => new SensorState(s, i, this.clock.now));
    if (opts.agents.length === 0 || opts.agents.length > 255) throw new RangeError('agents: 1 to 255');
    this.agents = opts.agents.map((a, i) => {
      if (!/^[\x20-\x7e]{1,15}$/.test(a.name)) throw new RangeError(`agent ${a.name}: a name of 1 to 15 printable ASCII characters`);
      const sensors = a.sensors.map((g) => {
        const grant = typeof g === 'string' ? { sensor: g } : g;
        const state = this.sensors.find((s) => s.spec.name === grant.sensor);
        if (!state) throw new RangeError(`agent ${a.name}: no sensor ${grant.sensor}`);
        return { state, access: grant.access ?? ('read' as const) };
      });
      if (new Set(sensors.map((s) => s.state)).size !== sensors.length) throw new RangeError(`agent ${a.name}: a sensor granted twice`);
      for (const s of sensors) s.state.views.set(i + 1, { enabled: true, timestamps: true });
      return { id: i + 1, name: a.name, sensors };
    });
    if (new Set(this.agents.map((a) => a.name)).size !== this.agents.length) throw new RangeError('agents: names must be unique');
    this.clock.onAdvance(() => this.tick());
    this.tick();
  }

  agent(name: string): AgentView {
    const a = this.agents.find((x) => x.name === name);
    if (!a) throw new RangeError(`no agent ${name}`);
    return a;
  }

  listen(l: PlatformListener): void {
    this.listeners.add(l);
  }

  // #region sampling
  /**
   * Takes every sample due by now, in the order the samples arrive (across sensors too), then
   * tells the devices that time moved. A sensor measures at its interval; each measurement
   * reaches the platform latencyUs later and is stamped with the time it was measured.
   */
  private tick(): void {
    const now = this.clock.now;
    for (;;) {
      let next: SensorState | null = null;
      for (const s of this.sensors) if (s.enabled && s.nextArrivalUs <= now && (!next || s.nextArrivalUs < next.nextArrivalUs)) next = s;
      if (!next) break;
      const arrival = next.nextArrivalUs;
      next.nextArrivalUs += next.intervalUs;
      this.take(next, arrival);
    }
    for (const l of this.listeners) l.onTick(now);
  }

  private take(s: SensorState, arrivalUs: number): void {
    const measuredAtUs = arrivalUs - s.spec.latencyUs;
    const values = s.spec.source(measuredAtUs);
    if (values === null) {
      s.missed++;
      return;
    }
    if (values.length !== s.axes || values.some((v) => !Number.isSafeInteger(v))) throw new RangeError(`${s.spec.name}: the source gave ${values.length} values for ${s.axes} axes, or one that is not a whole number`);
    const prev = s.last;
    s.last = { values: [...values], measuredAtUs };
    s.samples++;
    for (const l of this.listeners) l.onSample(s, s.last, prev, arrivalUs);
  }
  // #endregion sampling

  // #region reading
  /**
   * The latest sample of a sensor for an agent, or why the platform will not hand it out: a
   * sensor disabled in the agent's view reads as PROTOCOL_ERROR (DEN0056 4.7.2.12), and a sample
   * older than the sensor's stated maximum age, or none at all, as HARDWARE_ERROR. A stale speed
   * must never pass for a fresh one.
   */
  reading(s: SensorState, agentId: number): { status: number; sample: Sample | null } {
    if (!s.view(agentId).enabled) return { status: SCMI_PROTOCOL_ERROR, sample: null };
    if (!s.last || this.clock.now - s.last.measuredAtUs > s.maxAgeUs) return { status: SCMI_HARDWARE_ERROR, sample: null };
    return { status: SCMI_SUCCESS, sample: s.last };
  }
  // #endregion reading

  // #region configure
  /** An agent's own settings of a sensor. A sensor that comes back on measures at once. */
  setView(s: SensorState, agentId: number, view: SensorView): void {
    const wasOn = s.enabled;
    Object.assign(s.view(agentId), view);
    if (!wasOn && s.enabled) this.restart(s);
  }

  /** The sensor's update interval, for every guest (the caller has checked the agent's right). */
  setInterval(s: SensorState, intervalUs: number): void {
    if (intervalUs === s.intervalUs) return;
    s.intervalUs = intervalUs;
    this.restart(s);
  }

  /** A device reset: the agent's views go back to enabled and timestamped. */
  resetAgent(agentId: number): void {
    for (const s of this.sensors) if (s.views.has(agentId)) this.setView(s, agentId, { enabled: true, timestamps: true });
  }
  // #endregion configure

  /** The sensor measures now and then at its interval. */
  private restart(s: SensorState): void {
    s.nextArrivalUs = this.clock.now + s.spec.latencyUs;
    this.tick();
  }
}
