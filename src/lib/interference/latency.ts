// What a victim's latencies in model time come to: the worst case, percentiles and the frames
// that missed their deadline. Shared by the CAN and network interference harnesses. A sample
// that never completed within the run counts as a miss and as an infinite latency, so that a
// starved sender cannot look good in a percentile. Plain TypeScript, no clock.

/** One periodic message of the victim. */
export interface LatencySample {
  /** Model time its driver made it available (µs). */
  readonly at: number;
  /** Model time from then until it was on the far side (µs); null if it never got there in the run. */
  readonly latencyUs: number | null;
}

// #region latency-summary
export interface LatencySummary {
  /** Samples whose deadline fell inside the run: the only ones judged. */
  readonly judged: number;
  /** Of those, how many completed at all (late or not). */
  readonly completed: number;
  /** Of those, how many completed later than the deadline or not at all. */
  readonly misses: number;
  /** Nearest-rank percentiles and the maximum over the judged samples (µs; Infinity: never completed). */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  /** Mean over the judged samples that completed (µs), or null if none did. */
  readonly meanUs: number | null;
}

/** The nearest-rank p-th percentile (0 < p ≤ 100) of values sorted in ascending order. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p}: in (0, 100]`);
  if (sorted.length === 0) return 0;
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

/** Judges the samples whose deadline (`at` + `deadlineUs`) is not after `endUs`. */
export function summarizeLatency(samples: readonly LatencySample[], deadlineUs: number, endUs: number): LatencySummary {
  const judged = samples.filter((s) => s.at + deadlineUs <= endUs);
  const lat = judged.map((s) => s.latencyUs ?? Infinity).sort((a, b) => a - b);
  const done = lat.filter((x) => Number.isFinite(x));
  return {
    judged: judged.length,
    completed: done.length,
    misses: lat.filter((x) => x > deadlineUs).length,
    p50Us: percentile(lat, 50),
    p99Us: percentile(lat, 99),
    maxUs: lat.length ? lat[lat.length - 1] : 0,
    meanUs: done.length ? Math.round(done.reduce((a, b) => a + b, 0) / done.length) : null,
  };
}
// #endregion latency-summary
