// What the device does with the DMA faults it is told of: a budget per endpoint, so that one
// endpoint in a fault storm cannot flood its guest with events, a bounded backlog for reports
// that wait for event buffers, and counts of everything not reported, so that no fault is lost
// without a trace.
import type { ModelClock } from '../../virtio/model-clock.ts';

// #region fault-budget
/** Fault events one endpoint may cause: `burst` at once, refilled at `perSecond` of model time. */
export interface FaultBudget {
  readonly burst: number;
  readonly perSecond: number;
}

export const DEFAULT_FAULT_BUDGET: FaultBudget = { burst: 8, perSecond: 100 };

/** A token bucket per endpoint, over the model clock (microseconds). */
export class FaultLimiter {
  readonly budget: FaultBudget;
  private readonly clock: ModelClock;
  private readonly buckets = new Map<number, { tokens: number; at: number }>();

  constructor(clock: ModelClock, budget: FaultBudget) {
    if (!Number.isInteger(budget.burst) || budget.burst < 1) throw new RangeError('fault budget: a burst of at least 1');
    if (!(budget.perSecond >= 0) || !Number.isFinite(budget.perSecond)) throw new RangeError('fault budget: a non-negative rate');
    this.clock = clock;
    this.budget = budget;
  }

  /** Takes one token of `endpoint`'s budget; false when it has none left now. */
  take(endpoint: number): boolean {
    const now = this.clock.now;
    const b = this.buckets.get(endpoint) ?? { tokens: this.budget.burst, at: now };
    b.tokens = Math.min(this.budget.burst, b.tokens + ((now - b.at) * this.budget.perSecond) / 1e6);
    b.at = now;
    this.buckets.set(endpoint, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Every endpoint back to a full budget (device reset). */
  refill(): void {
    this.buckets.clear();
  }
}
// #endregion fault-budget

// #region fault-stats
/** The faults the device was told of, and what became of each. */
export interface FaultStats {
  /** Written into an event buffer. */
  reported: number;
  /** Over the endpoint's budget: counted here, not reported. */
  rateLimited: number;
  /** The backlog was full: counted here, not reported. */
  dropped: number;
  /** Still in the backlog at a device reset: counted here, not reported. */
  discardedAtReset: number;
  /** From an endpoint this device does not manage (a platform wiring error): counted, not reported. */
  unknownEndpoint: number;
  /** Event buffers shorter than a fault report, returned with used length 0. */
  smallBuffers: number;
}

/** Per endpoint: every fault, and those its budget kept back. */
export interface EndpointFaults {
  faults: number;
  rateLimited: number;
}
// #endregion fault-stats

export const zeroFaultStats = (): FaultStats => ({ reported: 0, rateLimited: 0, dropped: 0, discardedAtReset: 0, unknownEndpoint: 0, smallBuffers: 0 });
