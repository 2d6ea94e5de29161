// A remote core (a DSP, a safety island, an MCU) and its life cycle as the platform runs it:
// loaded with an approved image, booted, watched, and after a crash recovered within a stated
// bound or declared failed. The states follow Linux's enum rproc_state (OFFLINE, RUNNING,
// CRASHED) with two of the AVP's: booting, between the release of reset and the services
// existing, and failed, when recovery gave up. Crash kinds are Linux's enum rproc_crash_type.
// Linux's recovery (rproc_trigger_recovery, rproc_boot_recovery in remoteproc_core.c) stops the
// core, reloads its firmware and starts it again; the virtio devices go with it, so every rpmsg
// channel of the guest disappears and reappears. Here the guest's link stays and sees the same
// thing through name-service announcements.
import type { CorePort, RpmsgDevice, RpmsgSendError } from './device.ts';
import type { FirmwareImage } from './firmware.ts';
import { isDestroy, type NsMessage, RPMSG_RESERVED_ADDRESSES } from './protocol.ts';
import type { CoreMemoryPolicy } from './resource-table.ts';
import type { RemoteService, ServiceContext, ServicePeer } from './services.ts';

// #region core-config
export interface CoreLinkConfig {
  /** The guest that gets a link (an rpmsg device) to this core. */
  readonly guest: string;
  /** The services, by name, it may see and reach; no others are announced to it. */
  readonly services: readonly string[];
  /** The link's bound on undelivered messages of the core; default 64. */
  readonly backlog?: number;
}

export interface CoreConfig {
  readonly id: string;
  /** The one guest that may load, start and stop the core, or "platform" for the platform itself. */
  readonly owner: string;
  /** Where the core's firmware may ask for memory and peripherals. */
  readonly memory: CoreMemoryPolicy;
  /** SHA-256 digests (hex) of the images the platform lets this core run. */
  readonly approved: readonly string[];
  /** A stalled core is detected at most this long after its last heartbeat, µs. */
  readonly watchdogUs: number;
  /** The firmware's heartbeat period, µs; less than watchdogUs. */
  readonly heartbeatUs: number;
  /** Time to reload the image into the core's memory, µs. */
  readonly loadUs: number;
  /** From a crash's detection to the core running again, at most, µs. */
  readonly recoveryBoundUs: number;
  /** Automatic recoveries allowed within recoveryWindowUs; one more crash leaves the core failed. */
  readonly maxRecoveries: number;
  readonly recoveryWindowUs: number;
  readonly links: readonly CoreLinkConfig[];
}
// #endregion core-config

export type CoreState = 'offline' | 'booting' | 'running' | 'crashed' | 'failed';
/** enum rproc_crash_type: RPROC_MMUFAULT, RPROC_WATCHDOG, RPROC_FATAL_ERROR. */
export type CrashKind = 'mmu-fault' | 'watchdog' | 'fatal-error';

export interface CrashRecord {
  readonly kind: CrashKind;
  /** When the platform knew: at once for a reported fault, at the watchdog's expiry for a hang. */
  readonly detectedAt: number;
  /** When the core stopped working (the fault, or the hang). */
  readonly happenedAt: number;
}

export interface CoreEvent {
  readonly at: number;
  readonly core: string;
  readonly what: string;
}

interface Endpoint {
  readonly service: RemoteService;
  nextTick: number | null;
}

/** The platform's hooks a core needs: the time, the event log, and the image check. */
export interface CoreHost {
  now(): number;
  emit(core: string, what: string): void;
  /** Checks an image for this core again (digest, resource table): null, or why it is refused. */
  verify(core: RemoteCore, image: FirmwareImage): string | null;
}

export class RemoteCore implements CorePort {
  readonly config: CoreConfig;
  readonly links: RpmsgDevice[] = [];
  readonly crashes: CrashRecord[] = [];
  /** Services guests announced to the core's name service, per link: name → address. */
  readonly guestServices = new Map<RpmsgDevice, Map<string, number>>();
  state: CoreState = 'offline';
  image: FirmwareImage | null = null;
  /** Runs of the firmware so far: 1 after the first boot, one more per recovery or restart. */
  runs = 0;
  /** Why the core is failed, when it is. */
  failure: string | null = null;
  private readonly host: CoreHost;
  private readonly grants = new Map<RpmsgDevice, ReadonlySet<string>>();
  private endpoints = new Map<number, Endpoint>();
  private bootDoneAt: number | null = null;
  private startedAt = 0;
  private hungAt: number | null = null;
  private recoverAt: number | null = null;
  private deadline: number | null = null;
  private lastCrash: { kind: CrashKind; happenedAt: number } | null = null;
  /** Detection times of the crashes that count against maxRecoveries. */
  private crashesInWindow: number[] = [];

  constructor(config: CoreConfig, host: CoreHost) {
    if (!(config.heartbeatUs > 0 && config.heartbeatUs < config.watchdogUs)) throw new RangeError(`${config.id}: heartbeatUs must be positive and below watchdogUs`);
    if (!(config.recoveryBoundUs > 0) || !(config.loadUs >= 0) || !(config.maxRecoveries >= 0) || !(config.recoveryWindowUs > 0)) throw new RangeError(`${config.id}: recovery parameters out of range`);
    this.config = config;
    this.host = host;
  }

  get id(): string {
    return this.config.id;
  }

  /** Makes the link the platform configured for `guest`, granting it `services`. */
  attach(link: RpmsgDevice, services: readonly string[]): void {
    this.links.push(link);
    this.grants.set(link, new Set(services));
  }

  // #region core-port
  get running(): boolean {
    return this.state === 'running';
  }

  get stalled(): boolean {
    return this.hungAt !== null;
  }

  granted(link: RpmsgDevice): { addr: number; name: string }[] {
    const g = this.grants.get(link);
    return [...this.endpoints].filter(([, e]) => g?.has(e.service.name)).map(([addr, e]) => ({ addr, name: e.service.name }));
  }

  lookup(link: RpmsgDevice, dst: number): 'UNKNOWN_DESTINATION' | 'ACCESS_DENIED' | null {
    const e = this.endpoints.get(dst);
    if (!e) return 'UNKNOWN_DESTINATION';
    return this.grants.get(link)?.has(e.service.name) ? null : 'ACCESS_DENIED';
  }

  receive(link: RpmsgDevice, src: number, dst: number, payload: Uint8Array): void {
    const e = this.endpoints.get(dst);
    if (e) e.service.receive(this.context(dst), { link, addr: src }, payload);
  }

  guestAnnouncement(link: RpmsgDevice, ns: NsMessage): void {
    const m = this.guestServices.get(link) ?? new Map<string, number>();
    if (isDestroy(ns.flags)) m.delete(ns.name);
    else m.set(ns.name, ns.addr);
    this.guestServices.set(link, m);
  }

  linkReset(link: RpmsgDevice): void {
    for (const e of this.endpoints.values()) e.service.forget?.(link);
    this.guestServices.delete(link);
  }
  // #endregion core-port

  /** The service instance of this run with `name`, if the core is running it. */
  service(name: string): RemoteService | undefined {
    for (const e of this.endpoints.values()) if (e.service.name === name) return e.service;
    return undefined;
  }

  /** Address of the service `name` in this run. */
  addressOf(name: string): number | undefined {
    for (const [addr, e] of this.endpoints) if (e.service.name === name) return addr;
    return undefined;
  }

  private context(addr: number): ServiceContext {
    return {
      now: this.host.now(),
      addr,
      send: (to: ServicePeer, payload: Uint8Array): RpmsgSendError | null => {
        const link = this.links.find((l) => l === to.link);
        if (!link) return 'LINK_INACTIVE';
        return link.send(addr, to.addr, payload);
      },
    };
  }

  // #region faults
  /** The core reports a fault (an MMU fault, a fatal error): the platform knows at once. */
  fault(kind: Exclude<CrashKind, 'watchdog'>): void {
    if (this.state !== 'running') throw new Error(`${this.id}: a fault needs a running core (it is ${this.state})`);
    const now = this.host.now();
    this.crash(kind, now, now);
  }

  /** The core stops: no heartbeat, no service runs, no message taken. Only its watchdog notices. */
  hang(): void {
    if (this.state !== 'running') throw new Error(`${this.id}: a hang needs a running core (it is ${this.state})`);
    if (this.hungAt === null) this.hungAt = this.host.now();
  }
  // #endregion faults

  // #region events
  /** The model time of this core's next event, or null. */
  nextEventAt(): number | null {
    switch (this.state) {
      case 'booting':
        return this.bootDoneAt;
      case 'running': {
        if (this.hungAt !== null) return this.watchdogExpiry();
        let t: number | null = null;
        for (const e of this.endpoints.values()) if (e.nextTick !== null && (t === null || e.nextTick < t)) t = e.nextTick;
        return t;
      }
      case 'crashed':
        if (this.recoverAt === null || this.deadline === null) return null;
        return Math.min(this.recoverAt, this.deadline);
      default:
        return null;
    }
  }

  /** Runs the event due at `t` (= nextEventAt()). */
  runEvent(t: number): void {
    if (this.state === 'booting') return this.beginRun(t, 'booted');
    if (this.state === 'crashed') {
      if (this.recoverAt !== null && this.deadline !== null && this.recoverAt <= this.deadline) return this.beginRun(t, 'recovered');
      return this.fail(`not running ${this.config.recoveryBoundUs} µs after the crash was detected`);
    }
    if (this.state !== 'running') return;
    if (this.hungAt !== null) {
      // Heartbeats came every heartbeatUs from the start of the run until the hang; the
      // watchdog fires watchdogUs after the last one (enum rproc_crash_type: RPROC_WATCHDOG).
      return this.crash('watchdog', t, this.hungAt);
    }
    for (const [addr, e] of this.endpoints) {
      if (e.nextTick !== t || !e.service.periodUs) continue;
      e.nextTick = t + e.service.periodUs;
      e.service.tick?.(this.context(addr));
      if (this.state !== 'running') return;
    }
  }

  private watchdogExpiry(): number {
    const hb = this.config.heartbeatUs;
    const lastBeat = this.startedAt + Math.floor((this.hungAt! - this.startedAt) / hb) * hb;
    return lastBeat + this.config.watchdogUs;
  }
  // #endregion events

  // #region life-cycle
  /** Releases the core from reset with its loaded image; it runs after the image's boot time. */
  boot(): void {
    if (!this.image) throw new Error(`${this.id}: no image loaded`);
    this.state = 'booting';
    this.failure = null;
    this.crashesInWindow = [];
    this.bootDoneAt = this.host.now() + this.image.bootUs;
    this.host.emit(this.id, `booting ${this.image.name}`);
  }

  /** Stops the core on its owner's request: its services are announced gone, in order after what they sent. */
  shutdown(): void {
    const was = this.state;
    this.dropServices();
    this.state = 'offline';
    this.hungAt = this.recoverAt = this.deadline = this.bootDoneAt = null;
    if (was === 'running' || was === 'booting') for (const l of this.links) l.coreDown(false);
    this.host.emit(this.id, 'stopped');
  }

  // #region crash
  private crash(kind: CrashKind, detectedAt: number, happenedAt: number): void {
    this.crashes.push({ kind, detectedAt, happenedAt });
    this.lastCrash = { kind, happenedAt };
    this.state = 'crashed';
    this.hungAt = null;
    this.dropServices();
    this.host.emit(this.id, `crash (${kind}) detected${happenedAt < detectedAt ? `, ${detectedAt - happenedAt} µs after the core stopped` : ''}`);
    for (const l of this.links) l.coreDown(true);
    // No reboot loop: past maxRecoveries crashes within the window, the core stays down.
    this.crashesInWindow = [...this.crashesInWindow.filter((c) => c > detectedAt - this.config.recoveryWindowUs), detectedAt];
    if (this.crashesInWindow.length > this.config.maxRecoveries) return this.fail(`${this.crashesInWindow.length} crashes within ${this.config.recoveryWindowUs} µs`);
    // The image is checked again, as for every load (Linux requests the firmware again too).
    const bad = this.image ? this.host.verify(this, this.image) : 'no image';
    if (bad) return this.fail(`reload refused: ${bad}`);
    this.recoverAt = detectedAt + this.config.loadUs + this.image!.bootUs;
    this.deadline = detectedAt + this.config.recoveryBoundUs;
    this.host.emit(this.id, `recovering: reload and boot take ${this.recoverAt - detectedAt} µs, bound ${this.config.recoveryBoundUs} µs`);
  }
  // #endregion crash

  private fail(why: string): void {
    this.state = 'failed';
    this.failure = why;
    this.recoverAt = this.deadline = this.bootDoneAt = null;
    this.host.emit(this.id, `failed: ${why}`);
  }

  /** A new run of the firmware: fresh service instances at fresh endpoints, announced to the links. */
  private beginRun(t: number, how: 'booted' | 'recovered'): void {
    this.state = 'running';
    this.runs++;
    this.startedAt = t;
    this.bootDoneAt = this.recoverAt = this.deadline = null;
    this.endpoints = new Map();
    // OpenAMP hands out endpoint addresses from RPMSG_RESERVED_ADDRESSES up (rpmsg_get_address).
    let addr = RPMSG_RESERVED_ADDRESSES;
    for (const make of this.image!.services) {
      const service = make();
      this.endpoints.set(addr++, { service, nextTick: service.periodUs ? t + service.periodUs : null });
    }
    this.host.emit(this.id, `${how}: run ${this.runs}, services ${[...this.endpoints].map(([a, e]) => `${e.service.name}@${a}`).join(', ')}`);
    for (const l of this.links) l.coreUp();
  }

  private dropServices(): void {
    for (const e of this.endpoints.values()) for (const l of this.links) e.service.forget?.(l);
    this.endpoints = new Map();
  }
  // #endregion life-cycle

  /** The last crash, if any. */
  get lastCrashKind(): CrashKind | null {
    return this.lastCrash?.kind ?? null;
  }
}
