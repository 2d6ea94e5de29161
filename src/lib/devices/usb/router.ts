// The platform's USB hot-plug router: what it does when a device arrives on a port it owns
// (per-device assignment through an emulated xHCI), leaves it, resets with new descriptors, or
// misbehaves. It reads and validates the descriptors, asks the policy, and delivers an attach to
// the one guest the policy names; a detach always goes to the guest that held the device. A port
// whose device connects too often is held off, then quarantined. Every decision is logged for the
// supervisor. Time is the model clock, in microseconds.
import { ModelClock } from '../../virtio/model-clock.ts';
import { USB_CLASS_HUB, parseUsbDevice, type UsbDeviceInfo } from './descriptors.ts';
import { parsePortPath, portCovers, type UsbDecision, type UsbPolicy } from './policy.ts';

// #region limits
export interface UsbLimits {
  /** Enumerations of one port path allowed within any window of `enumWindowUs`. */
  readonly maxEnumsPerWindow: number;
  readonly enumWindowUs: number;
  /** Connections (plugs and re-enumerations) of one port path within `quarantineWindowUs` that quarantine it. */
  readonly quarantineConnects: number;
  readonly quarantineWindowUs: number;
}

/** The model's bounds: at most 4 enumerations per port per second; 10 connections in 10 s quarantine it. */
export const DEFAULT_USB_LIMITS: UsbLimits = {
  maxEnumsPerWindow: 4,
  enumWindowUs: 1_000_000,
  quarantineConnects: 10,
  quarantineWindowUs: 10_000_000,
};
// #endregion limits

// #region events
/** What a guest is told: a device is now its own, or is no longer. */
export interface UsbGuestEvent {
  readonly guest: string;
  readonly kind: 'attach' | 'detach';
  readonly path: string;
  readonly vendor: number;
  readonly product: number;
  readonly at: number;
}

export type UsbLogKind =
  | 'granted' // attached to a guest
  | 'denied' // enumerated, routed nowhere (reason in detail)
  | 'malformed' // descriptors failed validation (error code in detail)
  | 'hub' // a hub: the platform keeps it and routes what is behind it
  | 'throttled' // held off by the enumeration rate limit
  | 'quarantined' // the port is shut until the quarantine is cleared
  | 'ignored' // a connection on a quarantined port
  | 'revoked' // a grant ended while the device stayed (descriptors changed, session closed)
  | 'left' // the device was unplugged (or went with its hub)
  | 'session' // a service session opened or closed
  | 'cleared'; // a quarantine was cleared
export interface UsbLogEntry {
  readonly at: number;
  readonly kind: UsbLogKind;
  readonly path?: string;
  readonly guest?: string;
  readonly detail: string;
}
// #endregion events

export type UsbDeviceState = 'pending' | 'granted' | 'denied' | 'malformed' | 'hub';
interface Present {
  readonly path: string;
  device: Uint8Array;
  configs: Uint8Array[];
  key: string;
  state: UsbDeviceState;
  info?: UsbDeviceInfo;
  holder?: string;
  throttleLogged: boolean;
}

const keyOf = (device: Uint8Array, configs: readonly Uint8Array[]) => [device, ...configs].map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')).join('|');
const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class UsbRouter {
  readonly policy: UsbPolicy;
  readonly clock: ModelClock;
  readonly limits: UsbLimits;
  /** Every event delivered to any guest, in order. */
  readonly events: UsbGuestEvent[] = [];
  /** The supervisor's view. */
  readonly log: UsbLogEntry[] = [];
  private readonly deliver: (e: UsbGuestEvent) => void;
  private readonly present = new Map<string, Present>();
  private readonly enums = new Map<string, number[]>();
  private readonly connects = new Map<string, number[]>();
  private readonly quarantined = new Set<string>();
  private session = false;

  constructor(opts: { policy: UsbPolicy; clock: ModelClock; limits?: Partial<UsbLimits>; deliver?: (e: UsbGuestEvent) => void }) {
    this.policy = opts.policy;
    this.clock = opts.clock;
    this.limits = { ...DEFAULT_USB_LIMITS, ...opts.limits };
    this.deliver = opts.deliver ?? (() => {});
    this.clock.onAdvance(() => this.retryPending());
  }

  get sessionOpen(): boolean {
    return this.session;
  }

  /** The guest that holds the device at `path`, if any. */
  holderOf(path: string): string | undefined {
    return this.present.get(path)?.holder;
  }

  /** Every device present, in path order, with its state and holder. */
  devices(): { path: string; state: UsbDeviceState; holder?: string; vendor?: number; product?: number }[] {
    return [...this.present.values()]
      .sort((a, b) => byPath(a.path, b.path))
      .map((p) => ({ path: p.path, state: p.state, holder: p.holder, vendor: p.info?.device.vendor, product: p.info?.device.product }));
  }

  isQuarantined(path: string): boolean {
    return this.quarantinedCover(path) !== undefined;
  }

  // #region connect
  /** A device appeared at `path` and returned these descriptors. */
  connect(path: string, device: Uint8Array, configs: readonly Uint8Array[]): void {
    this.checkPath(path);
    const now = this.clock.now;
    const q = this.quarantinedCover(path);
    if (q !== undefined) return this.note({ at: now, kind: 'ignored', path, detail: `port ${q} is quarantined` });
    if (this.present.has(path)) this.removeTree(path, 'replaced by a new connection'); // a missed disconnect
    if (this.countConnect(path)) return;
    this.present.set(path, { path, device: device.slice(), configs: configs.map((c) => c.slice()), key: keyOf(device, configs), state: 'pending', throttleLogged: false });
    this.tryEnumerate(path);
  }
  // #endregion connect

  // #region disconnect
  /** The device at `path` went away, with everything behind it. Never rate limited. */
  disconnect(path: string): void {
    this.checkPath(path);
    this.removeTree(path, 'unplugged');
  }
  // #endregion disconnect

  // #region reenumerate
  /**
   * The device at `path` stayed plugged in but enumerated again (a bus reset, a firmware that
   * switches modes) and returned these descriptors. Unchanged descriptors change nothing; changed
   * ones end the grant at once, and the device is judged afresh like a new one.
   */
  reenumerate(path: string, device: Uint8Array, configs: readonly Uint8Array[]): void {
    this.checkPath(path);
    const cur = this.present.get(path);
    if (!cur) return this.connect(path, device, configs);
    const now = this.clock.now;
    if (this.countConnect(path)) return;
    const key = keyOf(device, configs);
    if (key === cur.key) return;
    for (const p of this.subtree(path)) if (p.path !== path) this.removeOne(p, 'its hub enumerated again');
    if (cur.holder !== undefined) {
      this.note({ at: now, kind: 'revoked', path, guest: cur.holder, detail: 'descriptors changed' });
      this.send(cur.holder, 'detach', cur);
      cur.holder = undefined;
    }
    Object.assign(cur, { device: device.slice(), configs: configs.map((c) => c.slice()), key, state: 'pending' as const, info: undefined, throttleLogged: false });
    this.tryEnumerate(path);
  }
  // #endregion reenumerate

  // #region session
  /** An authenticated service session opened: rules marked `inSession` now apply. */
  openSession(): void {
    if (this.session) return;
    this.session = true;
    this.note({ at: this.clock.now, kind: 'session', detail: 'service session opened' });
    this.reevaluate();
  }

  /** The session ended: every grant that rested on it ends with a detach to its holder. */
  closeSession(): void {
    if (!this.session) return;
    this.session = false;
    this.note({ at: this.clock.now, kind: 'session', detail: 'service session closed' });
    this.reevaluate();
  }
  // #endregion session

  /** Lifts the quarantine of `path` (an authenticated session's act, or a platform restart). */
  clearQuarantine(path: string): boolean {
    if (!this.quarantined.delete(path)) return false;
    for (const m of [this.enums, this.connects]) for (const k of [...m.keys()]) if (portCovers(path, k)) m.delete(k);
    this.note({ at: this.clock.now, kind: 'cleared', path, detail: 'quarantine cleared' });
    return true;
  }

  // #region rate-limit
  /** Counts a connection; true if it quarantined the port (the caller stops there). */
  private countConnect(path: string): boolean {
    const now = this.clock.now;
    const recent = this.window(this.connects, path, this.limits.quarantineWindowUs);
    recent.push(now);
    if (recent.length < this.limits.quarantineConnects) return false;
    this.quarantined.add(path);
    this.removeTree(path, 'port quarantined');
    this.note({ at: now, kind: 'quarantined', path, detail: `${recent.length} connections in ${this.limits.quarantineWindowUs / 1000} ms` });
    return true;
  }

  /** Enumerates the pending device at `path` if the port's budget allows, else leaves it pending. */
  private tryEnumerate(path: string): void {
    const p = this.present.get(path);
    if (!p || p.state !== 'pending') return;
    const now = this.clock.now;
    const recent = this.window(this.enums, path, this.limits.enumWindowUs);
    if (recent.length >= this.limits.maxEnumsPerWindow) {
      if (!p.throttleLogged) this.note({ at: now, kind: 'throttled', path, detail: `${recent.length} enumerations in ${this.limits.enumWindowUs / 1000} ms` });
      p.throttleLogged = true;
      return;
    }
    recent.push(now);
    this.enumerate(p);
  }

  private retryPending(): void {
    for (const path of [...this.present.keys()].sort(byPath)) this.tryEnumerate(path);
  }

  /** The timestamps of `path` still inside the window ending now (older ones dropped). */
  private window(m: Map<string, number[]>, path: string, span: number): number[] {
    const now = this.clock.now;
    const kept = (m.get(path) ?? []).filter((t) => t > now - span);
    m.set(path, kept);
    return kept;
  }
  // #endregion rate-limit

  // #region enumerate
  private enumerate(p: Present): void {
    const now = this.clock.now;
    const parsed = parseUsbDevice(p.device, p.configs);
    if (!parsed.ok) {
      p.state = 'malformed';
      const e = parsed.error;
      return this.note({ at: now, kind: 'malformed', path: p.path, detail: `${e.code} in ${e.where} at byte ${e.offset}: ${e.detail}` });
    }
    p.info = parsed.value;
    if (parsed.value.device.deviceClass === USB_CLASS_HUB) {
      p.state = 'hub';
      return this.note({ at: now, kind: 'hub', path: p.path, detail: 'kept by the platform; devices behind it are routed on their own' });
    }
    this.apply(p, this.policy.decide(p.path, parsed.value, this.session));
  }

  /** Moves a device to what `d` says, detaching from a previous holder first. */
  private apply(p: Present, d: UsbDecision): void {
    const now = this.clock.now;
    const next = d.granted ? d.guest : undefined;
    if (p.holder !== undefined && p.holder !== next) {
      this.note({ at: now, kind: 'revoked', path: p.path, guest: p.holder, detail: d.granted ? `now for ${d.guest}` : `no longer granted (${d.reason})` });
      this.send(p.holder, 'detach', p);
      p.holder = undefined;
    }
    if (d.granted) {
      p.state = 'granted';
      if (p.holder === undefined) {
        p.holder = d.guest;
        this.note({ at: now, kind: 'granted', path: p.path, guest: d.guest, detail: `by ${d.rules.join(', ')}` });
        this.send(d.guest, 'attach', p);
      }
    } else {
      if (p.state !== 'denied') this.note({ at: now, kind: 'denied', path: p.path, detail: `${d.reason}: ${d.detail}` });
      p.state = 'denied';
    }
  }

  private reevaluate(): void {
    for (const path of [...this.present.keys()].sort(byPath)) {
      const p = this.present.get(path)!;
      if ((p.state === 'granted' || p.state === 'denied') && p.info) this.apply(p, this.policy.decide(p.path, p.info, this.session));
    }
  }
  // #endregion enumerate

  private subtree(path: string): Present[] {
    // Deepest first, so that a device goes before the hub it sits behind.
    return [...this.present.values()].filter((p) => portCovers(path, p.path)).sort((a, b) => byPath(b.path, a.path));
  }

  private removeTree(path: string, why: string): void {
    for (const p of this.subtree(path)) this.removeOne(p, why);
  }

  private removeOne(p: Present, why: string): void {
    this.present.delete(p.path);
    this.note({ at: this.clock.now, kind: 'left', path: p.path, guest: p.holder, detail: why });
    if (p.holder !== undefined) this.send(p.holder, 'detach', p);
  }

  private send(guest: string, kind: 'attach' | 'detach', p: Present): void {
    const e: UsbGuestEvent = { guest, kind, path: p.path, vendor: p.info?.device.vendor ?? 0, product: p.info?.device.product ?? 0, at: this.clock.now };
    this.events.push(e);
    this.deliver(e);
  }

  private note(e: UsbLogEntry): void {
    this.log.push(e);
  }

  private quarantinedCover(path: string): string | undefined {
    for (const q of this.quarantined) if (portCovers(q, path)) return q;
    return undefined;
  }

  /** The platform's own mistakes: a path that is not one, or one this router does not own. */
  private checkPath(path: string): void {
    if (!parsePortPath(path)) throw new RangeError(`usb: "${path}" is not a port path`);
    const root = this.policy.rootPort(path);
    if (!root) throw new RangeError(`usb: port ${path} is behind no declared root port`);
    if (root.controller.passthroughTo !== undefined) throw new RangeError(`usb: port ${path} belongs to controller ${root.controller.id}, passed through to ${root.controller.passthroughTo}`);
  }
}
