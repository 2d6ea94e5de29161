// A platform-level model of the host memory that guests share: each guest's fixed base memory,
// the balloons that lend part of it back, the memory devices that draw extra blocks from the
// pool, and the rules the AVP sets on moving memory between guests at run time (§5.5, §5.15):
//
//  - A page in a balloon is still owed to its guest: a deflate or a reset claims it back. The
//    pool keeps such pages apart ("owed") and never plugs them into a safety guest, which
//    never gives memory back.
//  - Nothing takes memory from a safety guest: it has no balloon, and its requested_size is
//    never lowered below what it has plugged.
//  - The pool grants memory only when it holds it, never on the promise of a reclaim.
//  - A reclaim (a balloon target raised, a requested_size lowered) has a deadline in model time;
//    at the deadline the platform stops asking and counts what has arrived.
//
// Sizes are in bytes, whole 4 KiB pages. The model keeps no page contents.
import type { ModelClock } from '../../virtio/model-clock.ts';
import { BalloonDevice, type BalloonDeviceOptions } from '../balloon/device.ts';
import { BALLOON_PAGE_SIZE } from '../balloon/protocol.ts';
import { MemDevice, type MemDeviceOptions } from './device.ts';

// #region reclaim-bound
/** The AVP's default bound on a reclaim, in microseconds of model time: 500 ms. */
export const AVP_RECLAIM_BOUND_US = 500_000;
// #endregion reclaim-bound

export interface PoolGuestSpec {
  readonly name: string;
  /** Memory the guest boots with, whole 4 KiB pages. */
  readonly baseBytes: number;
  /** A safety guest: memory is never taken from it (AVP-MEM-31, AVP-MEM-70). */
  readonly safety?: boolean;
}

export type PoolRefusal = 'SAFETY_GUEST_BALLOON' | 'SAFETY_GUEST_SHRINK' | 'POOL_SHORT' | 'NO_DEVICE' | 'GUEST_OOM';

export class PoolError extends Error {
  readonly code: PoolRefusal;
  constructor(code: PoolRefusal, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export interface Reclaim {
  readonly id: number;
  readonly guest: string;
  readonly via: 'balloon' | 'mem';
  readonly wanted: number;
  /** Bytes that reached the pool so far (frozen when the reclaim ends). */
  got: number;
  readonly startedUs: number;
  readonly deadlineUs: number;
  state: 'running' | 'done' | 'timed-out' | 'refused';
  endedUs: number | null;
  refusal: PoolRefusal | null;
  /** balloon: the frames in the balloon at the start, and num_pages asked for. */
  readonly startPages: number;
  readonly target: number;
  /** mem: what the guest's memory device held at the start. */
  readonly startHeld: number;
}

interface Ledger {
  readonly spec: PoolGuestSpec;
  /** Bytes of base memory in the balloon: the host uses them, and owes them back. */
  inBalloon: number;
  /** Bytes the guest is owed after a reset that the pool could not back yet: it may not run. */
  shortfall: number;
  /** requested_size of its memory device, as the pool set it. */
  requested: number;
  /** Bytes plugged in its memory device. */
  plugged: number;
  /** Bytes the pool set aside for its memory device: max(requested, plugged). */
  held: number;
  /** The part of `held` that is other guests' ballooned (owed) memory. */
  heldOwed: number;
  balloon: BalloonDevice | null;
  mem: MemDevice | null;
}

export interface PoolGuestView {
  readonly name: string;
  readonly safety: boolean;
  readonly base: number;
  readonly inBalloon: number;
  readonly shortfall: number;
  readonly plugged: number;
  /** Granted to the memory device and not plugged yet. */
  readonly reserved: number;
  readonly requested: number;
  /** What the guest can use now: base less balloon and shortfall, plus plugged. */
  readonly usable: number;
}

export interface PoolView {
  readonly total: number;
  /** Memory no guest can claim back. */
  readonly free: number;
  /** Ballooned memory the pool holds: owed to the guests it came from. */
  readonly owedFree: number;
  readonly guests: readonly PoolGuestView[];
}

export class HostMemoryPool {
  readonly total: number;
  readonly clock: ModelClock;
  readonly boundUs: number;
  readonly reclaims: Reclaim[] = [];
  private free: number;
  private owedFree = 0;
  private readonly ledgers = new Map<string, Ledger>();

  constructor(opts: { totalBytes: number; clock: ModelClock; reclaimBoundUs?: number; guests: readonly PoolGuestSpec[] }) {
    this.total = pages(opts.totalBytes, 'totalBytes');
    this.clock = opts.clock;
    this.boundUs = opts.reclaimBoundUs ?? AVP_RECLAIM_BOUND_US;
    let used = 0;
    for (const g of opts.guests) {
      if (this.ledgers.has(g.name)) throw new RangeError(`pool: guest ${g.name} twice`);
      used += pages(g.baseBytes, `${g.name}.baseBytes`);
      this.ledgers.set(g.name, { spec: g, inBalloon: 0, shortfall: 0, requested: 0, plugged: 0, held: 0, heldOwed: 0, balloon: null, mem: null });
    }
    if (used > this.total) throw new RangeError(`pool: base memory ${used} exceeds the pool's ${this.total} bytes`);
    this.free = this.total - used;
    this.clock.onAdvance(() => this.tick());
  }

  private ledger(name: string): Ledger {
    const g = this.ledgers.get(name);
    if (!g) throw new RangeError(`pool: no guest ${name}`);
    return g;
  }

  // #region attach-balloon
  /** A balloon device for `name`'s base memory. A safety guest gets none (AVP-MEM-31). */
  balloon(name: string, opts: Omit<BalloonDeviceOptions, 'host' | 'guestPages'> = {}): BalloonDevice {
    const g = this.ledger(name);
    if (g.spec.safety) throw new PoolError('SAFETY_GUEST_BALLOON', `${name} is a safety guest: no memory is taken from it`);
    const dev = new BalloonDevice({
      ...opts,
      guestPages: g.spec.baseBytes / BALLOON_PAGE_SIZE,
      host: {
        inflated: (b) => {
          g.inBalloon += b;
          this.owedFree += b;
          this.progress();
        },
        deflate: (b) => this.backGuest(g, b),
        reset: (b) => {
          g.inBalloon -= b;
          g.shortfall += b - this.takeAny(b); // what cannot be backed now, the guest waits for
        },
      },
    });
    g.balloon = dev;
    return dev;
  }
  // #endregion attach-balloon

  /** A memory device for `name`, starting with nothing requested: grant() raises requested_size. */
  memDevice(name: string, opts: Omit<MemDeviceOptions, 'host' | 'requestedSize'>): MemDevice {
    const g = this.ledger(name);
    const dev = new MemDevice({
      ...opts,
      host: {
        // A plug can only use what was set aside for this guest (AVP-MEM-72).
        plug: (b) => {
          if (g.plugged + b > g.held) return false;
          g.plugged += b;
          return true;
        },
        unplug: (b) => {
          g.plugged -= b;
          this.release(g);
        },
      },
    });
    g.mem = dev;
    return dev;
  }

  // ---- moving memory ----

  /** Takes up to `b` bytes from owed memory, then from free; returns how much it took. */
  private takeAny(b: number): number {
    const fromOwed = Math.min(b, this.owedFree);
    this.owedFree -= fromOwed;
    const fromFree = Math.min(b - fromOwed, this.free);
    this.free -= fromFree;
    return fromOwed + fromFree;
  }

  /** A deflate: the guest's own pages come back only if the pool can back them now. */
  private backGuest(g: Ledger, b: number): boolean {
    if (this.owedFree + this.free < b) return false;
    this.takeAny(b);
    g.inBalloon -= b;
    return true;
  }

  /** Hands back what a guest's memory device holds beyond max(requested, plugged). */
  private release(g: Ledger): void {
    const keep = Math.max(g.requested, g.plugged);
    const r = g.held - keep;
    if (r <= 0) return;
    const owed = Math.min(r, g.heldOwed);
    g.heldOwed -= owed;
    g.held = keep;
    this.owedFree += owed;
    this.free += r - owed;
    this.progress();
    this.settle();
  }

  /** After memory came back: repay guests waiting after a reset first, then waiting deflates. */
  private settle(): void {
    for (const g of this.ledgers.values()) if (g.shortfall > 0) g.shortfall -= this.takeAny(g.shortfall);
    for (const g of this.ledgers.values()) g.balloon?.retryDeflates();
  }

  // #region grant
  /**
   * Raises `name`'s requested_size by `bytes`, if the pool holds them now: a safety guest only
   * from memory no balloon is owed (AVP-MEM-71), anyone only from memory the pool has
   * (AVP-MEM-72). The bytes are set aside for that guest until it plugs them.
   */
  grant(name: string, bytes: number): void {
    const g = this.ledger(name);
    if (!g.mem) throw new PoolError('NO_DEVICE', `${name} has no memory device`);
    pages(bytes, 'bytes');
    const { regionSize, blockSize } = g.mem.blocks.geometry;
    if (bytes % blockSize !== 0 || g.requested + bytes > regionSize) throw new RangeError(`pool: ${name} cannot be granted ${mib(bytes)}: whole blocks of ${mib(blockSize)}, within its ${mib(regionSize)} region`);
    // Claims of guests on their own memory come first: deflates waiting, resets not backed yet.
    const claims = [...this.ledgers.values()].reduce((n, x) => n + x.shortfall + (x.balloon?.pendingDeflatePages ?? 0) * BALLOON_PAGE_SIZE, 0);
    const avail = g.spec.safety ? Math.max(0, this.free - Math.max(0, claims - this.owedFree)) : Math.max(0, this.free + this.owedFree - claims);
    if (avail < bytes) throw new PoolError('POOL_SHORT', `${name} wants ${mib(bytes)}; the pool can give ${mib(avail)}${g.spec.safety ? ' of memory no balloon is owed' : ''}`);
    const fromFree = Math.min(bytes, this.free);
    this.free -= fromFree;
    this.owedFree -= bytes - fromFree;
    g.heldOwed += bytes - fromFree;
    g.held += bytes;
    g.requested += bytes;
    g.mem.setRequestedSize(g.requested);
  }
  // #endregion grant

  // #region reclaim
  /**
   * Asks `name` for `bytes` back, through its balloon (num_pages up) or its memory device
   * (requested_size down), with a deadline `boundUs` from now. A safety guest is never asked
   * (AVP-MEM-70).
   */
  reclaim(name: string, bytes: number, via: 'balloon' | 'mem'): Reclaim {
    const g = this.ledger(name);
    pages(bytes, 'bytes');
    const now = this.clock.now;
    const base = { id: this.reclaims.length + 1, guest: name, via, wanted: bytes, got: 0, startedUs: now, deadlineUs: now + this.boundUs, endedUs: null, refusal: null };
    let r: Reclaim;
    if (via === 'balloon') {
      if (!g.balloon) throw new PoolError('NO_DEVICE', `${name} has no balloon`);
      const startPages = g.balloon.pagesInBalloon;
      const target = startPages + bytes / BALLOON_PAGE_SIZE;
      r = { ...base, state: 'running', startPages, target, startHeld: 0 };
      g.balloon.setTarget(target);
    } else {
      if (!g.mem) throw new PoolError('NO_DEVICE', `${name} has no memory device`);
      const requested = g.requested - bytes;
      r = { ...base, state: 'running', startPages: 0, target: 0, startHeld: g.held };
      if (requested < 0) throw new RangeError(`pool: ${name} was granted ${mib(g.requested)}; ${mib(bytes)} cannot be reclaimed`);
      if (g.spec.safety && requested < g.plugged) {
        r.state = 'refused';
        r.refusal = 'SAFETY_GUEST_SHRINK';
        r.endedUs = now;
      } else {
        g.requested = requested;
        g.mem.setRequestedSize(requested);
      }
    }
    this.reclaims.push(r);
    if (r.state === 'running' && via === 'mem') this.release(g); // memory granted and not plugged comes back at once
    this.progress();
    return r;
  }

  /** Progress of running reclaims, when memory arrives. */
  private progress(): void {
    for (const r of this.reclaims) {
      if (r.state !== 'running') continue;
      const g = this.ledger(r.guest);
      r.got = r.via === 'balloon' ? Math.max(0, (g.balloon!.pagesInBalloon - r.startPages) * BALLOON_PAGE_SIZE) : r.startHeld - g.held;
      if (r.got >= r.wanted) {
        r.state = 'done';
        r.endedUs = this.clock.now;
      } else if (r.via === 'balloon' && g.balloon!.numPages < r.target) {
        // The guest deflated on out-of-memory and the device stopped asking.
        r.state = 'refused';
        r.refusal = 'GUEST_OOM';
        r.endedUs = this.clock.now;
      }
    }
  }

  /** At each advance of model time: a reclaim past its deadline ends with what has arrived. */
  private tick(): void {
    this.progress();
    for (const r of this.reclaims) {
      if (r.state !== 'running' || this.clock.now < r.deadlineUs) continue;
      const g = this.ledger(r.guest);
      r.state = 'timed-out';
      r.endedUs = this.clock.now;
      if (r.via === 'balloon') g.balloon!.setTarget(g.balloon!.pagesInBalloon);
      else {
        g.requested = g.plugged; // stop asking for more than the guest gave
        g.mem!.setRequestedSize(g.requested);
        this.release(g);
      }
    }
  }
  // #endregion reclaim

  /** The guest's system reset: its balloon empties (and is owed back), its memory device unplugs all. */
  resetGuest(name: string): void {
    const g = this.ledger(name);
    g.balloon?.reset();
    g.mem?.systemReset();
  }

  /** Whether every byte of the guest's memory is backed, so that it may run. */
  runnable(name: string): boolean {
    return this.ledger(name).shortfall === 0;
  }

  view(): PoolView {
    return {
      total: this.total,
      free: this.free,
      owedFree: this.owedFree,
      guests: [...this.ledgers.values()].map((g) => ({
        name: g.spec.name,
        safety: g.spec.safety ?? false,
        base: g.spec.baseBytes,
        inBalloon: g.inBalloon,
        shortfall: g.shortfall,
        plugged: g.plugged,
        reserved: g.held - g.plugged,
        requested: g.requested,
        usable: g.spec.baseBytes - g.inBalloon - g.shortfall + g.plugged,
      })),
    };
  }

  /** Every byte is somewhere: with a guest, set aside for one, owed, or free. */
  balanced(): boolean {
    let sum = this.free + this.owedFree;
    for (const g of this.ledgers.values()) sum += g.spec.baseBytes - g.inBalloon - g.shortfall + g.held;
    return sum === this.total;
  }
}

function pages(bytes: number, what: string): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % BALLOON_PAGE_SIZE !== 0) throw new RangeError(`pool: ${what} ${bytes}: whole 4 KiB pages`);
  return bytes;
}

export function mib(bytes: number): string {
  return `${bytes / (1 << 20)} MiB`;
}
