// Time to first frame after reverse is selected, measured in model time through the model.
// Regulations put the whole chain, from the driver selecting reverse to a usable image on the
// display, at about two seconds (FMVSS No. 111 S5.5.3 in the United States: 2.0 s; see the
// chapter for UN R158). The AVP splits that figure: the platform gets the gear signal to the
// owning guest and that guest to STREAMON (boot or resume included), the device gets from
// STREAMON to its first frame returned, and what is left is the guest's and the display's.
import type { MediaClock } from './clock.ts';
import type { MediaDevice } from './device.ts';

// #region budget
export const REGULATORY_RESPONSE_US = 2_000_000;

export interface RearViewBudget {
  /** Reverse selected to STREAMON by the owning guest: signal, boot or resume, driver, app. */
  readonly platformUs: number;
  /** STREAMON to the first frame returned (its DQBUF event placed in the eventq). */
  readonly deviceUs: number;
}

/** The AVP split: 1.2 s + 0.4 s, which leaves 0.4 s of the 2.0 s for composition and display. */
export const AVP_REAR_VIEW_BUDGET: RearViewBudget = { platformUs: 1_200_000, deviceUs: 400_000 };
// #endregion budget

export interface RearViewReport {
  readonly reverseAt: number;
  readonly streamOnAt: number | null;
  readonly firstFrameAt: number | null;
  /** Reverse to STREAMON, STREAMON to first frame, and the sum; null until reached. */
  readonly platformUs: number | null;
  readonly deviceUs: number | null;
  readonly totalUs: number | null;
  readonly withinBudget: boolean;
}

// #region timeline
/**
 * One reverse selection: the gear event, then, after the platform's latency, the owning
 * guest's rear-view start-up (which ends with STREAMON), then the first DQBUF event of the
 * device for that guest. The probe is the device's onEventPlaced hook: the platform sees the
 * frame leave the device, whatever the guest does next.
 */
export class ReverseTimeline {
  readonly clock: MediaClock;
  readonly budget: RearViewBudget;
  reverseAt: number | null = null;
  streamOnAt: number | null = null;
  firstFrameAt: number | null = null;

  constructor(clock: MediaClock, budget: RearViewBudget = AVP_REAR_VIEW_BUDGET) {
    this.clock = clock;
    this.budget = budget;
  }

  /**
   * Reverse is selected now. After `guestReadyAfterUs` (the gear signal's path and the guest's
   * boot or resume), `startStream` runs in the guest; it returns the session it started.
   */
  selectReverse(device: MediaDevice, guestReadyAfterUs: number, startStream: () => number): void {
    this.reverseAt = this.clock.now;
    this.streamOnAt = null;
    this.firstFrameAt = null;
    let session = -1;
    device.onEventPlaced = (e, at) => {
      if (e.kind === 'dqbuf' && e.session === session && this.firstFrameAt === null) this.firstFrameAt = at;
    };
    this.clock.at(this.clock.now + guestReadyAfterUs, () => {
      session = startStream();
      this.streamOnAt = this.clock.now;
    });
  }

  report(): RearViewReport {
    if (this.reverseAt === null) throw new Error('report: reverse was never selected');
    const platformUs = this.streamOnAt === null ? null : this.streamOnAt - this.reverseAt;
    const deviceUs = this.streamOnAt === null || this.firstFrameAt === null ? null : this.firstFrameAt - this.streamOnAt;
    const totalUs = this.firstFrameAt === null ? null : this.firstFrameAt - this.reverseAt;
    const withinBudget = platformUs !== null && deviceUs !== null && platformUs <= this.budget.platformUs && deviceUs <= this.budget.deviceUs;
    return { reverseAt: this.reverseAt, streamOnAt: this.streamOnAt, firstFrameAt: this.firstFrameAt, platformUs, deviceUs, totalUs, withinBudget };
  }
}
// #endregion timeline
