// Bus time on a shared low-speed bus. One physical I2C or SPI controller often serves several
// guests, each through a VIRTIO device of its own (§5.16, §5.21). The bus carries one
// transaction at a time and a transaction cannot be interrupted, so what one guest puts on it
// delays every other. The arbiter grants the bus to one guest's transaction at a time, in
// turn, and keeps each guest within a budget of bus time per period, all in model time
// (microseconds of a ModelClock that tests and examples move). The SPI model uses it too.
//
// Without a clock the bus is instantaneous: a transaction finishes as soon as it starts and no
// budget applies (time never moves, so a budget could never renew). Conformance vectors run so.
import type { ModelClock } from '../../virtio/model-clock.ts';

// #region bus-time-policy
/** One guest's row in the platform's bus-time table. */
export interface BusTimePolicy {
  /** Bus time (µs) the guest may use in each period. */
  readonly budgetUs: number;
  /** The period (µs) over which the budget renews; periods start at multiples of it. */
  readonly periodUs: number;
  /** The longest single transaction (µs) the guest may put on the bus; at most budgetUs. */
  readonly maxTransactionUs: number;
}
// #endregion bus-time-policy

/** Why a policy cannot be used, or null. */
export function policyError(p: BusTimePolicy): string | null {
  for (const [k, v] of Object.entries(p)) if (!Number.isSafeInteger(v) || v <= 0) return `${k} ${v}: a positive whole number of microseconds`;
  if (p.budgetUs > p.periodUs) return `budgetUs ${p.budgetUs} exceeds periodUs ${p.periodUs}`;
  // A transaction longer than the budget could never be granted: the guest would wait forever.
  if (p.maxTransactionUs > p.budgetUs) return `maxTransactionUs ${p.maxTransactionUs} exceeds budgetUs ${p.budgetUs}`;
  return null;
}

/** What a device model gives the arbiter: its next transaction, and how to run and end it. */
export interface BusClient {
  /** The worst-case bus time (µs) of the transaction the client would run next, or null if none is ready. */
  nextCost(): number | null;
  /** Runs that transaction on the bus from model time `at`; returns the bus time it took (at most its cost). */
  run(at: number): number;
  /** The transaction left the bus at model time `end`: the client completes its requests. */
  finish(end: number): void;
}

export interface BusPortStats {
  transactions: number;
  /** Bus time used, µs. */
  busUs: number;
  /** Times the guest had a transaction ready but had spent its budget for the period. */
  budgetWaits: number;
}

export class BusPort {
  readonly guest: string;
  readonly policy: BusTimePolicy | null;
  readonly client: BusClient;
  readonly stats: BusPortStats = { transactions: 0, busUs: 0, budgetWaits: 0 };
  private period = -1;
  private used = 0;

  constructor(guest: string, policy: BusTimePolicy | null, client: BusClient) {
    this.guest = guest;
    this.policy = policy;
    this.client = client;
  }

  /** Bus time used in the period that contains model time `t`. */
  usedAt(t: number): number {
    return this.policy && Math.floor(t / this.policy.periodUs) === this.period ? this.used : 0;
  }

  // #region budget-check
  /** Whether a transaction of `cost` µs fits the budget of the period containing `t`. */
  admits(cost: number, t: number, timed: boolean): boolean {
    if (!this.policy || !timed) return true;
    return this.usedAt(t) + cost <= this.policy.budgetUs;
  }
  // #endregion budget-check

  charge(us: number, t: number): void {
    if (this.policy) {
      const p = Math.floor(t / this.policy.periodUs);
      if (p !== this.period) {
        this.period = p;
        this.used = 0;
      }
      this.used += us;
    }
    this.stats.transactions++;
    this.stats.busUs += us;
  }

  /** The start of the next period after `t`. */
  nextPeriod(t: number): number {
    return this.policy ? (Math.floor(t / this.policy.periodUs) + 1) * this.policy.periodUs : Infinity;
  }
}

// #region arbiter
export class BusArbiter {
  readonly clock: ModelClock | null;
  private readonly ports: BusPort[] = [];
  /** Index of the port granted last: the turn passes to the ones after it. */
  private last = -1;
  private current: { port: BusPort; end: number } | null = null;
  /** Model time up to which events (ends of transactions, new periods) have been handled. */
  private t = 0;
  private pumping = false;
  private again = false;

  constructor(opts: { clock?: ModelClock } = {}) {
    this.clock = opts.clock ?? null;
    this.t = this.clock?.now ?? 0;
    this.clock?.onAdvance(() => this.pump());
  }

  /** Adds a guest's device to the bus; `policy` null gives it unlimited bus time. */
  join(guest: string, policy: BusTimePolicy | null, client: BusClient): BusPort {
    if (policy) {
      const bad = policyError(policy);
      if (bad) throw new RangeError(`bus-time policy of ${guest}: ${bad}`);
    }
    const port = new BusPort(guest, policy, client);
    this.ports.push(port);
    return port;
  }

  /** Whether a transaction is on the bus now. */
  get busy(): boolean {
    return this.current !== null;
  }

  /**
   * The longest a transaction of guest `guest` costing `costUs` waits and runs, from the moment
   * it is ready while the guest has budget left: every other guest may have one transaction of
   * its longest allowed size ahead of it (the one on the bus and one per turn), then it runs.
   */
  latencyBoundUs(guest: string, costUs: number): number {
    let wait = 0;
    for (const p of this.ports) if (p.guest !== guest) wait += p.policy ? p.policy.maxTransactionUs : Infinity;
    return wait + costUs;
  }

  /** A client has a new transaction ready (or finished its current one): grant the bus if it is free. */
  wake(): void {
    this.pump();
  }

  private pump(): void {
    if (this.pumping) {
      this.again = true; // a finish() made more work ready; handled by the loop below
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.step();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private step(): void {
    // Invariant: when the bus is idle after a step, `t` is the clock's time then. New work only
    // arrives at the clock's current time (wake), so a step that starts with an idle bus and `t`
    // behind the clock is a step after the clock moved: only renewals of budgets can have
    // happened since, and they are handled in time order below.
    const timed = this.clock !== null;
    const now = this.clock?.now ?? 0;
    for (;;) {
      if (this.current) {
        if (timed && this.current.end > now) return; // still on the bus
        const { port, end } = this.current;
        this.current = null;
        if (timed) this.t = Math.max(this.t, end);
        port.client.finish(end);
        continue;
      }
      const next = this.pick(timed);
      if (next) {
        const { port, cost } = next;
        const used = Math.min(cost, Math.max(0, Math.ceil(port.client.run(this.t))));
        port.charge(used, this.t);
        this.last = this.ports.indexOf(port);
        this.current = { port, end: this.t + used };
        continue;
      }
      // Nothing may run now. A guest that waits for its budget to renew runs at the next period.
      const renew = Math.min(...this.ports.filter((p) => p.client.nextCost() !== null).map((p) => p.nextPeriod(this.t)));
      if (timed && renew <= now) {
        this.t = renew;
        continue;
      }
      if (timed) this.t = now;
      return;
    }
  }

  /** The next port in turn after the last one granted that has a transaction ready and budget for it. */
  private pick(timed: boolean): { port: BusPort; cost: number } | null {
    const n = this.ports.length;
    for (let i = 1; i <= n; i++) {
      const port = this.ports[(this.last + i + n) % n];
      const cost = port.client.nextCost();
      if (cost === null) continue;
      if (port.admits(cost, this.t, timed)) return { port, cost };
      port.stats.budgetWaits++;
    }
    return null;
  }
}
// #endregion arbiter
