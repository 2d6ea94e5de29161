// Model time. The reference implementation runs in one thread without real time, so where a
// device's behaviour depends on time (input latency, audio pacing, a watchdog's expiry) the
// time is a clock that tests and examples move forward, in microseconds. One class for every
// model that needs no more than that; a model that schedules work on the clock builds on it.

// #region model-clock
export class ModelClock {
  private t = 0;
  private readonly listeners: (() => void)[] = [];

  /** Microseconds since the clock was made. */
  get now(): number {
    return this.t;
  }

  /** Moves the clock forward, then tells whoever asked to hear of it. */
  advance(us: number): void {
    if (!Number.isFinite(us) || us < 0) throw new RangeError('advance: a non-negative time in microseconds');
    this.t += us;
    for (const l of this.listeners) l();
  }

  /** Runs `listener` after every advance. */
  onAdvance(listener: () => void): void {
    this.listeners.push(listener);
  }
}
// #endregion model-clock
