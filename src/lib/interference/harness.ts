// An interference harness: two guests share one block back end, each through a virtio-blk
// device of its own. One guest (the aggressor) keeps as many large writes in flight as its
// driver allows; the other (the victim) reads a few sectors at a fixed period, as a cluster
// reads its assets. The back end is a single server that serves requests one at a time in the
// order the devices take them, and each takes model time by its size. The harness measures, in
// model time, how long each of the victim's requests takes from the moment its driver makes it
// available to the moment the back end has served it: with budgets on the devices, and without.
// Plain TypeScript: no DOM, no Node-only API, no wall clock.
import { type BudgetLimits, ManualClock } from '../devices/budget.ts';
import { type BlockBackend, MemoryBlockBackend } from '../devices/block/backend.ts';
import { SECTOR_SIZE } from '../devices/block/config.ts';
import { BlockDevice } from '../devices/block/device.ts';
import { encodeBlkHeader, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../devices/block/request.ts';
import { Loopback } from '../virtio/loopback.ts';
import type { RingType } from '../virtio/queue-factory.ts';

// #region scenario
/** The back end's cost model: each operation takes `perRequestUs` plus `perSectorUs` per sector. */
export interface BackendTiming {
  readonly perRequestUs: number;
  readonly perSectorUs: number;
}

export interface BlockInterferenceScenario {
  readonly ring?: RingType;
  /** Model time simulated, in µs. */
  readonly durationUs: number;
  /** The step the harness advances the model clock by, in µs. */
  readonly tickUs: number;
  readonly backend: BackendTiming;
  /** The aggressor writes `requestSectors` per request and keeps `depth` requests in flight. */
  readonly aggressor: { readonly requestSectors: number; readonly depth: number };
  /** The victim reads `requestSectors` every `periodUs`, from `firstUs` on. */
  readonly victim: { readonly requestSectors: number; readonly periodUs: number; readonly firstUs: number };
  /** Each guest's row of the budget table; null: that guest has no budget. */
  readonly budgets: { readonly aggressor: BudgetLimits | null; readonly victim: BudgetLimits | null };
}
// #endregion scenario

export interface VictimSample {
  /** Model time the victim's driver made the request available (µs). */
  readonly at: number;
  /** Model time from then until the back end had served it (µs). */
  readonly latencyUs: number;
}

export interface GuestCounters {
  submitted: number;
  completed: number;
  /** Requests the guest's device took from a queue its budget had held back. */
  throttled: number;
  deferredNotifications: number;
}

export interface InterferenceResult {
  readonly samples: readonly VictimSample[];
  readonly maxLatencyUs: number;
  readonly meanLatencyUs: number;
  readonly aggressor: GuestCounters;
  readonly victim: GuestCounters;
  /** Model time the back end spent serving each guest (µs). */
  readonly backendUs: { readonly aggressor: number; readonly victim: number };
}

/** The back-end time a request of `bytes` chain bytes costs under `t` (header and status byte ignored). */
export function blockRequestCost(t: BackendTiming, bytes: number): number {
  return t.perRequestUs + t.perSectorUs * Math.floor(bytes / SECTOR_SIZE);
}

// #region interference-bound
/**
 * The worst latency a request can see on a first-come, first-served back end shared by guests
 * whose budgets give back-end time shares adding up to at most 100 %: each guest can have at
 * most its burst plus one request's cost (the debt a bucket may run into) waiting ahead of
 * any request, its own included. `maxCostUs` is the largest request each guest can make.
 */
export function interferenceBoundUs(rows: readonly { readonly limits: BudgetLimits; readonly maxCostUs: number }[]): number {
  let share = 0;
  let bound = 0;
  for (const r of rows) {
    const b = r.limits.backendUs;
    if (!b) return Infinity; // a guest without a time budget can hold the back end for ever
    share += b.perSecond;
    bound += b.burst + r.maxCostUs;
  }
  return share <= 1_000_000 ? bound : Infinity;
}
// #endregion interference-bound

type Guest = 'aggressor' | 'victim';

/** One back end, served in the order requests reach it; each guest's device sees its own port. */
class SharedServer {
  busyUntil = 0;
  readonly busyUs: Record<Guest, number> = { aggressor: 0, victim: 0 };
  /** Per guest, completion times of the requests served, in order. */
  readonly done: Record<Guest, number[]> = { aggressor: [], victim: [] };
  readonly clock: ManualClock;
  readonly timing: BackendTiming;
  constructor(clock: ManualClock, timing: BackendTiming) {
    this.clock = clock;
    this.timing = timing;
  }
  serve(guest: Guest, sectors: number): void {
    const start = Math.max(this.clock.now, this.busyUntil);
    const cost = this.timing.perRequestUs + this.timing.perSectorUs * sectors;
    this.busyUntil = start + cost;
    this.busyUs[guest] += cost;
    this.done[guest].push(this.busyUntil);
  }
}

/** A guest's port on the shared disk: forwards to it and books the time on the server. */
function port(disk: MemoryBlockBackend, server: SharedServer, guest: Guest): BlockBackend {
  const book = <T>(sectors: number, r: T): T => (server.serve(guest, sectors), r);
  return {
    get sectors() {
      return disk.sectors;
    },
    read: (s, into) => book(into.length / SECTOR_SIZE, disk.read(s, into)),
    write: (s, data) => book(data.length / SECTOR_SIZE, disk.write(s, data)),
    flush: () => book(0, disk.flush()),
    discard: (s, n) => book(0, disk.discard(s, n)),
    writeZeroes: (s, n, u) => book(n, disk.writeZeroes(s, n, u)),
    secureErase: (s, n) => book(n, disk.secureErase(s, n)),
  };
}

// #region run-harness
/** Runs the scenario and reports the victim's latencies and both guests' counters. */
export function runBlockInterference(s: BlockInterferenceScenario): InterferenceResult {
  const clock = new ManualClock();
  const server = new SharedServer(clock, s.backend);
  const half = 4096; // the aggressor writes sectors [0, half), the victim reads [half, 2·half)
  const disk = new MemoryBlockBackend({ sectors: 2 * half });
  const cost = (bytes: number) => blockRequestCost(s.backend, bytes);
  const device = (guest: Guest) => {
    const limits = s.budgets[guest];
    return new BlockDevice(port(disk, server, guest), { serial: guest, budget: limits ? { clock, limits, backendCost: cost } : null });
  };
  const aDev = device('aggressor');
  const vDev = device('victim');
  const aBytes = s.aggressor.requestSectors * SECTOR_SIZE;
  const aLb = new Loopback(aDev, { ring: s.ring, queueSize: 256, memSize: Math.max(1 << 20, 2 * s.aggressor.depth * (aBytes + 64)) });
  const vLb = new Loopback(vDev, { ring: s.ring, queueSize: 64 });
  const payload = new Uint8Array(aBytes).fill(0xa5);

  const counters = (): GuestCounters => ({ submitted: 0, completed: 0, throttled: 0, deferredNotifications: 0 });
  const a = counters();
  const v = counters();
  const vSubmitted: number[] = [];
  let aSector = 0;
  let vSector = half;
  let nextVictim = s.victim.firstUs;
  const completedBy = (guest: Guest, t: number) => {
    let n = 0;
    for (const end of server.done[guest]) if (end <= t) n++;
    return n;
  };

  for (let t = 0; t <= s.durationUs; t += s.tickUs) {
    clock.advanceTo(t);
    // Tokens came back: each device takes what its budget held back.
    aDev.budgetTick();
    vDev.budgetTick();
    // The drivers collect what the devices returned (frees descriptors and buffers).
    aLb.poll(0);
    vLb.poll(0);
    // The aggressor refills its window: requests taken and finished by now have left it.
    while (a.submitted - completedBy('aggressor', t) < s.aggressor.depth) {
      aLb.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: aSector }), payload], [1]);
      aSector = (aSector + s.aggressor.requestSectors) % (half - s.aggressor.requestSectors);
      a.submitted++;
    }
    if (t >= nextVictim) {
      vLb.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: vSector })], [s.victim.requestSectors * SECTOR_SIZE + 1]);
      vSector = half + ((vSector - half + s.victim.requestSectors) % (half - s.victim.requestSectors));
      vSubmitted.push(t);
      v.submitted++;
      nextVictim += s.victim.periodUs;
    }
  }

  const end = s.durationUs;
  const samples: VictimSample[] = [];
  server.done.victim.forEach((doneAt, i) => {
    if (doneAt <= end) samples.push({ at: vSubmitted[i], latencyUs: doneAt - vSubmitted[i] });
  });
  a.completed = completedBy('aggressor', end);
  v.completed = samples.length;
  for (const [c, dev] of [[a, aDev], [v, vDev]] as const) {
    c.throttled = dev.budget?.stats.throttled ?? 0;
    c.deferredNotifications = dev.budget?.stats.deferredNotifications ?? 0;
  }
  const lat = samples.map((x) => x.latencyUs);
  return {
    samples,
    maxLatencyUs: lat.length ? Math.max(...lat) : 0,
    meanLatencyUs: lat.length ? Math.round(lat.reduce((x, y) => x + y, 0) / lat.length) : 0,
    aggressor: a,
    victim: v,
    backendUs: { aggressor: server.busyUs.aggressor, victim: server.busyUs.victim },
  };
}
// #endregion run-harness

// #region cockpit-scenario
/**
 * The chapter's case: an IVI guest copies media in 64 KiB writes, 32 in flight; the cluster
 * reads 4 KiB every millisecond. The back end takes 20 µs per operation and 3 µs per sector.
 */
export const COCKPIT_BUDGETS: { readonly aggressor: BudgetLimits; readonly victim: BudgetLimits } = {
  aggressor: {
    notifications: { perSecond: 4_000, burst: 32 },
    requests: { perSecond: 1_000, burst: 8 },
    bytes: { perSecond: 64 << 20, burst: 512 << 10 },
    backendUs: { perSecond: 400_000, burst: 2_000 },
  },
  victim: {
    notifications: { perSecond: 2_000, burst: 16 },
    requests: { perSecond: 2_000, burst: 8 },
    bytes: { perSecond: 8 << 20, burst: 64 << 10 },
    backendUs: { perSecond: 200_000, burst: 1_000 },
  },
};

export function cockpitScenario(budgets: boolean, ring: RingType = 'split'): BlockInterferenceScenario {
  return {
    ring,
    durationUs: 100_000,
    tickUs: 50,
    backend: { perRequestUs: 20, perSectorUs: 3 },
    aggressor: { requestSectors: 128, depth: 32 },
    victim: { requestSectors: 8, periodUs: 1_000, firstUs: 500 },
    budgets: budgets ? COCKPIT_BUDGETS : { aggressor: null, victim: null },
  };
}
// #endregion cockpit-scenario

// The same measurement on the other shared devices of the chapter: the CAN bus and the virtual
// switch's uplink, and what the three harnesses share to summarise a victim's latencies.
export * from './latency.ts';
export * from './can.ts';
export * from './net.ts';
export * from './plot.ts';
