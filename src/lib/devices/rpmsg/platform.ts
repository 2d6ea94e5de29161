// The platform's side of special processor cores: which cores there are, who owns each, which
// guests have a link to which, the life-cycle operations an owner may ask for, and model time.
// VIRTIO has no remoteproc device, so how a guest asks (a hypercall, a management service of its
// own) is the platform's choice; the model has method calls and fixes what each checks and what
// the guests see. Every event of every core runs in time order on one clock, so a large clock
// step plays out exactly as many small ones would.
import type { ModelClock } from '../../virtio/model-clock.ts';
import { type CoreConfig, type CoreEvent, RemoteCore } from './core.ts';
import { RpmsgDevice } from './device.ts';
import { type FirmwareImage, imageDigest } from './firmware.ts';
import { checkResourceTable, type RscError } from './resource-table.ts';

// #region lifecycle-errors
/** Why a life-cycle request is refused. */
export type LifecycleError =
  | 'UNKNOWN_CORE' // no core of that name
  | 'NOT_OWNER' // the requester is not the core's owner
  | 'BAD_STATE' // load while running; start while running or recovering; stop while offline
  | 'NO_IMAGE' // start before any image was loaded
  | 'IMAGE_NOT_APPROVED' // the image's digest is not one the platform approved for this core
  | RscError; // the image's resource table failed a check (resource-table.ts)

export type LifecycleResult = { readonly ok: true } | { readonly ok: false; readonly error: LifecycleError; readonly detail: string };
// #endregion lifecycle-errors

export interface CorePlatformOptions {
  readonly clock: ModelClock;
  readonly cores: readonly CoreConfig[];
}

/** Defaults a core configuration may leave out. */
export const CORE_DEFAULTS = {
  watchdogUs: 50_000,
  heartbeatUs: 10_000,
  loadUs: 5_000,
  recoveryBoundUs: 100_000,
  maxRecoveries: 3,
  recoveryWindowUs: 60_000_000,
} as const;

export class CorePlatform {
  readonly clock: ModelClock;
  readonly log: CoreEvent[] = [];
  private readonly cores = new Map<string, RemoteCore>();
  private readonly linkTable = new Map<string, RpmsgDevice>();
  private eventTime: number | null = null;
  private running = false;

  constructor(opts: CorePlatformOptions) {
    this.clock = opts.clock;
    const host = { now: () => this.now(), emit: (core: string, what: string) => this.log.push({ at: this.now(), core, what }), verify: (core: RemoteCore, image: FirmwareImage) => this.verify(core, image)?.detail ?? null };
    for (const config of opts.cores) {
      if (this.cores.has(config.id)) throw new RangeError(`core ${config.id}: configured twice`);
      const core = new RemoteCore(config, host);
      this.cores.set(config.id, core);
      for (const l of config.links) {
        const key = `${l.guest}/${config.id}`;
        if (this.linkTable.has(key)) throw new RangeError(`${key}: two links`);
        const dev = new RpmsgDevice({ core, guest: l.guest, now: () => this.now(), backlog: l.backlog });
        core.attach(dev, l.services);
        this.linkTable.set(key, dev);
      }
    }
    this.clock.onAdvance(() => this.run());
  }

  /** The platform's time: the event being handled, else the clock. */
  now(): number {
    return this.eventTime ?? this.clock.now;
  }

  core(id: string): RemoteCore {
    const c = this.cores.get(id);
    if (!c) throw new RangeError(`no core ${id}`);
    return c;
  }

  // #region links
  /** The rpmsg device the platform gives `guest` for core `coreId`, if it configured one. */
  link(guest: string, coreId: string): RpmsgDevice | undefined {
    return this.linkTable.get(`${guest}/${coreId}`);
  }
  // #endregion links

  // #region lifecycle
  /** Loads `image` into a core that is offline or failed, after checking it. */
  load(requester: string, coreId: string, image: FirmwareImage): LifecycleResult {
    const c = this.cores.get(coreId);
    if (!c) return refuse('UNKNOWN_CORE', coreId);
    if (requester !== c.config.owner) return refuse('NOT_OWNER', `${requester} does not own ${coreId}`);
    if (c.state !== 'offline' && c.state !== 'failed') return refuse('BAD_STATE', `${coreId} is ${c.state}`);
    const bad = this.verify(c, image);
    if (bad) return refuse(bad.error, bad.detail);
    c.image = image;
    this.log.push({ at: this.now(), core: coreId, what: `loaded ${image.name}` });
    return { ok: true };
  }

  /** Boots a core that is offline or failed with its loaded image. */
  start(requester: string, coreId: string): LifecycleResult {
    const c = this.cores.get(coreId);
    if (!c) return refuse('UNKNOWN_CORE', coreId);
    if (requester !== c.config.owner) return refuse('NOT_OWNER', `${requester} does not own ${coreId}`);
    if (c.state !== 'offline' && c.state !== 'failed') return refuse('BAD_STATE', `${coreId} is ${c.state}`);
    if (!c.image) return refuse('NO_IMAGE', coreId);
    c.boot();
    this.run();
    return { ok: true };
  }

  /** Stops a core in any state but offline. */
  stop(requester: string, coreId: string): LifecycleResult {
    const c = this.cores.get(coreId);
    if (!c) return refuse('UNKNOWN_CORE', coreId);
    if (requester !== c.config.owner) return refuse('NOT_OWNER', `${requester} does not own ${coreId}`);
    if (c.state === 'offline') return refuse('BAD_STATE', `${coreId} is offline`);
    c.shutdown();
    return { ok: true };
  }
  // #endregion lifecycle

  // #region verify
  /** An image this core may run: its digest approved, its resource table within the core's limits. */
  verify(core: RemoteCore, image: FirmwareImage): { error: LifecycleError; detail: string } | null {
    const digest = imageDigest(image);
    if (!core.config.approved.includes(digest)) return { error: 'IMAGE_NOT_APPROVED', detail: `${image.name}: digest ${digest.slice(0, 16)}… is not approved for ${core.id}` };
    const t = checkResourceTable(image.resourceTable, core.config.memory);
    if (!t.ok) return { error: t.error, detail: `${image.name}: ${t.error}${t.entry === null ? '' : ` in entry ${t.entry}`} (${t.detail})` };
    return null;
  }
  // #endregion verify

  /** Runs every event due by the clock's time, earliest first, across all cores. */
  private run(): void {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        let next: { core: RemoteCore; at: number } | null = null;
        for (const core of this.cores.values()) {
          const at = core.nextEventAt();
          if (at !== null && at <= this.clock.now && (next === null || at < next.at)) next = { core, at };
        }
        if (!next) break;
        this.eventTime = next.at;
        next.core.runEvent(next.at);
      }
    } finally {
      this.eventTime = null;
      this.running = false;
    }
  }
}

function refuse(error: LifecycleError, detail: string): LifecycleResult {
  return { ok: false, error, detail };
}

/** A core configuration with the platform's defaults filled in. */
export function coreConfig(c: Omit<CoreConfig, keyof typeof CORE_DEFAULTS> & Partial<Pick<CoreConfig, keyof typeof CORE_DEFAULTS>>): CoreConfig {
  return { ...CORE_DEFAULTS, ...c };
}
