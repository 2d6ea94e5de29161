// Model time for audio. The reference implementation has no real time, so a platform's audio
// clock is modelled: tests and examples move it forward, and each device then consumes and
// produces exactly the frames that many microseconds hold at each stream's rate. Streams are
// paced on a grid of whole frames counted from time zero, so every stream at the same rate,
// in every device sharing the clock, advances by the same frames as the mixer.

import { ModelClock } from '../../virtio/model-clock.ts';

// #region clock
export class SoundClock extends ModelClock {
  /** Frames at `rate` since time zero: the grid position every stream and the mixer share. */
  frameAt(rate: number): number {
    return Math.floor((this.now * rate) / 1_000_000);
  }
}
// #endregion clock
