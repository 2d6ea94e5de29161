// Model time for audio. The reference implementation has no real time, so a platform's audio
// clock is modelled: tests and examples move it forward, and each device then consumes and
// produces exactly the frames that many microseconds hold at each stream's rate. Streams are
// paced on a grid of whole frames counted from time zero, so every stream at the same rate,
// in every device sharing the clock, advances by the same frames as the mixer.

// #region clock
export class SoundClock {
  private t = 0;

  /** Microseconds since the clock was made. */
  get now(): number {
    return this.t;
  }

  advance(us: number): void {
    if (!Number.isFinite(us) || us < 0) throw new RangeError('advance: a non-negative time in microseconds');
    this.t += us;
  }

  /** Frames at `rate` since time zero: the grid position every stream and the mixer share. */
  frameAt(rate: number): number {
    return Math.floor((this.t * rate) / 1_000_000);
  }
}
// #endregion clock
