// Per-guest budgets on a shared device: what one guest may ask of a device instance per unit of
// model time (notifications acted on, requests taken, bytes carried, back-end time used), and
// the token buckets that enforce them. Time is MODEL time in microseconds, read from a clock
// the caller advances: there is no wall clock and no timer here. A request over budget is not
// dropped and not answered: it stays in the guest's ring, untaken, until tokens return, and
// the device takes it when the caller next lets it look (budgetTick()).
import { readableBuffers, totalLength, writableBuffers, type DescriptorChain } from '../virtio/chain.ts';
import type { DeviceEnv } from '../virtio/device.ts';
import type { DeviceQueue } from '../virtio/queue.ts';

// #region model-clock
/** Model time in microseconds. Only the caller moves it; nothing here reads a real clock. */
export interface ModelClock {
  readonly now: number;
}

/** A clock a simulation or a test advances by hand. */
export class ManualClock implements ModelClock {
  private t = 0;
  get now(): number {
    return this.t;
  }
  /** Moves to model time `t` (µs); time never goes back. */
  advanceTo(t: number): void {
    if (!Number.isSafeInteger(t) || t < this.t) throw new RangeError(`advanceTo ${t}: an integer not before ${this.t}`);
    this.t = t;
  }
  advanceBy(dt: number): void {
    this.advanceTo(this.t + dt);
  }
}
// #endregion model-clock

// #region budget-table
/** One rate: `perSecond` tokens return per second of model time, up to `burst` held. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** A guest's budget on one device instance: one row of the platform's budget table. */
export interface BudgetLimits {
  /** Available buffer notifications the device acts on at once. */
  readonly notifications?: RateLimit;
  /** Requests (descriptor chains) the device takes from the guest's budgeted queues. */
  readonly requests?: RateLimit;
  /** Bytes of those requests' buffers. */
  readonly bytes?: RateLimit;
  /** Microseconds of back-end time the requests cost (perSecond at most 1,000,000). */
  readonly backendUs?: RateLimit;
}

export interface DeviceBudgetOptions {
  /** The model clock the buckets refill by. */
  readonly clock: ModelClock;
  readonly limits: BudgetLimits;
  /** The back-end time (µs) a request of `bytes` bytes costs; required with limits.backendUs. */
  readonly backendCost?: (bytes: number) => number;
}
// #endregion budget-table

/** Token arithmetic is done in millionths of a token, so that a refill is exact in integers. */
const SCALE = 1_000_000;

// #region token-bucket
/**
 * A token bucket over model time. It starts full; `perSecond` tokens flow back per second of
 * model time, never more than `burst`. Taking may leave it in debt (a request's size is known
 * only once it is taken); a bucket in debt admits nothing until it is back above zero.
 */
export class TokenBucket {
  readonly limit: RateLimit;
  private level: number; // millionths of a token
  private at: number; // model time of `level`

  constructor(limit: RateLimit, now: number) {
    const { perSecond, burst } = limit;
    if (!Number.isSafeInteger(perSecond) || perSecond < 1 || perSecond > 1e9) throw new RangeError(`perSecond ${perSecond}: an integer in 1..1e9`);
    if (!Number.isSafeInteger(burst) || burst < 1 || burst > 1e9) throw new RangeError(`burst ${burst}: an integer in 1..1e9`);
    this.limit = limit;
    this.level = burst * SCALE;
    this.at = now;
  }

  private refill(now: number): void {
    if (now <= this.at) return;
    const cap = this.limit.burst * SCALE;
    const missing = cap - this.level;
    // One token per second is SCALE millionths per 1e6 µs: exactly perSecond millionths per µs.
    const elapsed = now - this.at;
    this.level = elapsed >= Math.ceil(missing / this.limit.perSecond) ? cap : this.level + elapsed * this.limit.perSecond;
    this.at = now;
  }

  /** Tokens held at model time `now` (negative in debt). */
  tokens(now: number): number {
    this.refill(now);
    return this.level / SCALE;
  }

  /** Whether `n` whole tokens are there (n = 0: whether the bucket is out of debt). */
  has(n: number, now: number): boolean {
    this.refill(now);
    return n === 0 ? this.level > 0 : this.level >= n * SCALE;
  }

  /** Takes `n` tokens, into debt if need be. */
  take(n: number, now: number): void {
    this.refill(now);
    this.level -= n * SCALE;
  }

  /** The first model time at which has(n) holds, if nothing is taken meanwhile. */
  readyAt(n: number, now: number): number {
    this.refill(now);
    const need = n === 0 ? 1 - this.level : n * SCALE - this.level;
    return need <= 0 ? now : now + Math.ceil(need / this.limit.perSecond);
  }
}
// #endregion token-bucket

export interface BudgetStats {
  /** Requests taken from budgeted queues. */
  taken: number;
  /** Requests taken from a queue the device had stopped serving for lack of tokens: each waited. */
  throttled: number;
  /** Times the device stopped taking from a queue because a bucket was empty. */
  stops: number;
  /** Notifications the device did not act on at once (their queue was served later). */
  deferredNotifications: number;
  bytes: number;
  backendUs: number;
}

// #region device-budget
/** A guest's budget on one device instance, and the queues it holds back. */
export class DeviceBudget {
  readonly limits: BudgetLimits;
  readonly stats: BudgetStats = { taken: 0, throttled: 0, stops: 0, deferredNotifications: 0, bytes: 0, backendUs: 0 };
  private readonly clock: ModelClock;
  private readonly cost: ((bytes: number) => number) | null;
  private readonly notifications: TokenBucket | null;
  private readonly requests: TokenBucket | null;
  private readonly bytes: TokenBucket | null;
  private readonly backend: TokenBucket | null;
  /** Queues with work the budget kept back: served again by the device's budgetTick(). */
  private readonly heldQueues = new Set<number>();

  constructor(opts: DeviceBudgetOptions) {
    const { clock, limits } = opts;
    const now = clock.now;
    this.clock = clock;
    this.limits = limits;
    this.notifications = limits.notifications ? new TokenBucket(limits.notifications, now) : null;
    this.requests = limits.requests ? new TokenBucket(limits.requests, now) : null;
    this.bytes = limits.bytes ? new TokenBucket(limits.bytes, now) : null;
    if (limits.backendUs && limits.backendUs.perSecond > 1_000_000) throw new RangeError('backendUs.perSecond: at most 1,000,000 µs per second');
    if (limits.backendUs && !opts.backendCost) throw new RangeError('a back-end time budget needs backendCost');
    this.backend = limits.backendUs ? new TokenBucket(limits.backendUs, now) : null;
    this.cost = opts.backendCost ?? null;
  }

  /** Queues the budget holds back, in index order. */
  get held(): number[] {
    return [...this.heldQueues].sort((a, b) => a - b);
  }

  /** An available buffer notification on queue `index`: act on it now (true) or later (false). */
  admitNotification(index: number): boolean {
    const b = this.notifications;
    if (!b || b.has(1, this.clock.now)) {
      b?.take(1, this.clock.now);
      return true;
    }
    this.stats.deferredNotifications++;
    this.heldQueues.add(index);
    return false;
  }

  /** May the device take one more request from queue `index` now? If not, the queue is held. */
  mayTake(index: number): boolean {
    const now = this.clock.now;
    const ok = (this.requests?.has(1, now) ?? true) && (this.bytes?.has(0, now) ?? true) && (this.backend?.has(0, now) ?? true);
    if (!ok) {
      if (!this.heldQueues.has(index)) this.stats.stops++;
      this.heldQueues.add(index);
    }
    return ok;
  }

  /** The device took a request of `bytes` bytes from queue `index`: charge it. */
  charge(index: number, bytes: number): void {
    const now = this.clock.now;
    const us = this.cost ? Math.max(0, Math.ceil(this.cost(bytes))) : 0;
    this.requests?.take(1, now);
    this.bytes?.take(bytes, now);
    this.backend?.take(us, now);
    this.stats.taken++;
    this.stats.bytes += bytes;
    this.stats.backendUs += us;
    if (this.heldQueues.has(index)) this.stats.throttled++;
  }

  /** Queue `index` ran empty: nothing of it is held back any longer. */
  emptied(index: number): void {
    this.heldQueues.delete(index);
  }

  /** A device reset forgets held queues; the buckets keep their level, so a reset refills nothing. */
  reset(): void {
    this.heldQueues.clear();
  }

  /** The earliest model time at which a held queue could be served again (now if none waits on tokens). */
  nextReadyAt(): number {
    const now = this.clock.now;
    return Math.max(
      now,
      this.requests?.readyAt(1, now) ?? now,
      this.bytes?.readyAt(0, now) ?? now,
      this.backend?.readyAt(0, now) ?? now,
    );
  }
}
// #endregion device-budget

/** The bytes a request's buffers hold, readable and writable: what it asks the device to move. */
export function chainBytes(chain: DescriptorChain): number {
  return totalLength(readableBuffers(chain)) + totalLength(writableBuffers(chain));
}

// #region budgeted-drain
/**
 * The budgeted form of VirtioDevice.drain(): takes chains from queue `index` while the budget
 * allows, serves each and charges it. What the budget does not allow stays in the ring, where
 * the driver put it, and the queue is held until budgetTick() comes back to it. `serve`
 * returns the used length, or null when the device answers the request later.
 */
export function drainWithBudget(
  budget: DeviceBudget,
  env: DeviceEnv,
  index: number,
  q: DeviceQueue | null,
  serve: (chain: DescriptorChain) => number | null,
): void {
  if (!q) return;
  let pushed = false;
  for (;;) {
    if (!budget.mayTake(index)) break;
    const r = q.pop();
    if (r.kind === 'empty') {
      budget.emptied(index);
      break;
    }
    if (r.kind === 'error') {
      env.needsReset(r.error);
      return;
    }
    budget.charge(index, chainBytes(r.chain));
    const len = serve(r.chain);
    if (len !== null) {
      q.push(r.chain, len);
      pushed = true;
    }
  }
  if (pushed && q.needsNotification()) env.notifyUsed(index);
}
// #endregion budgeted-drain
