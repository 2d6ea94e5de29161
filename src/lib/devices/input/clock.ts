// Model time for input latency. The reference implementation runs in one thread without real
// time, so a platform's timing is modelled: a clock that tests and examples move forward, the
// time a physical event happened, and the time its frame was placed in a guest's eventq.

// #region clock
export class ModelClock {
  private t = 0;

  /** Microseconds since the clock was made. */
  get now(): number {
    return this.t;
  }

  advance(us: number): void {
    if (!Number.isFinite(us) || us < 0) throw new RangeError('advance: a non-negative time in microseconds');
    this.t += us;
  }
}
// #endregion clock
