// The automotive part: one touchscreen and one set of steering-wheel keys shared by several
// guests (an instrument cluster, an infotainment system), each of which has its own
// virtio-input devices. The platform decides which guest has the focus; this router sends
// each physical frame to the right guest's device. The rules keep every guest's evdev stream
// consistent, because a guest that sees a press without its release, or a contact that never
// lifts, is stuck until it is rebooted:
//
//  - A touch interaction (from the first contact down to the last contact up) belongs to the
//    guest that had the focus when it began; a focus change takes effect for the next one.
//  - A key's release (and its autorepeats) go to the guest that received its press; a new
//    press goes to the guest that has the focus.
//  - Frames are never split across a focus change: the focus is read once per frame.
//
// Latency is modelled: the router stamps each frame with the time of the physical event and
// the earliest time it can reach a device (after its own processing cost); the device
// measures when the frame's SYN_REPORT lands in the guest's eventq.
import type { ModelClock } from './clock.ts';
import { EV_KEY } from './codes.ts';
import type { InjectResult, InputDevice } from './device.ts';
import type { InputEvent } from './event.ts';
import { EvdevState, stateDiff } from './state.ts';

export interface FocusGuest {
  readonly name: string;
  /** The guest's touchscreen device, or null if it takes no touch input. */
  readonly touch: InputDevice | null;
  /** The guest's steering-wheel key device, or null. */
  readonly keys: InputDevice | null;
}

export interface FocusRouterOptions {
  readonly clock: ModelClock;
  /** Model time the router needs per frame, from the physical event to the device; default 200 µs. */
  readonly routeCostUs?: number;
}

/** One frame (or part of one) the router handed to a guest, or could not. */
export interface RouteRecord {
  readonly at: number;
  readonly source: 'touch' | 'keys';
  readonly to: string | null;
  readonly events: readonly InputEvent[];
  readonly result: InjectResult | 'no-guest' | 'no-device' | 'orphan';
}

export class FocusRouter {
  readonly clock: ModelClock;
  readonly routeCostUs: number;
  readonly log: RouteRecord[] = [];
  readonly focusChanges: { at: number; from: string | null; to: string }[] = [];
  private readonly guests = new Map<string, FocusGuest>();
  private focused: string | null = null;
  /** The physical touchscreen's state, and the guest that owns the interaction in progress. */
  private readonly screen = new EvdevState();
  private touchOwner: string | null = null;
  /** The touch state each guest has been sent, to send it only changes against what it knows. */
  private readonly touchViews = new Map<string, EvdevState>();
  /** Key code -> the guest that received its press. */
  private readonly keyOwner = new Map<number, string>();

  constructor(opts: FocusRouterOptions) {
    this.clock = opts.clock;
    this.routeCostUs = opts.routeCostUs ?? 200;
    if (!Number.isFinite(this.routeCostUs) || this.routeCostUs < 0) throw new RangeError('routeCostUs: a non-negative time');
  }

  addGuest(g: FocusGuest): void {
    if (this.guests.has(g.name)) throw new RangeError(`guest ${g.name} already added`);
    this.guests.set(g.name, g);
    this.touchViews.set(g.name, new EvdevState());
    this.focused ??= g.name;
  }

  get focus(): string | null {
    return this.focused;
  }

  /** The guest that owns the touch interaction in progress, or null between interactions. */
  get touchInteractionOwner(): string | null {
    return this.touchOwner;
  }

  /** Keys held down and the guest each one belongs to. */
  get heldKeys(): ReadonlyMap<number, string> {
    return this.keyOwner;
  }

  // #region set-focus
  /**
   * Moves the focus. It applies to the next touch interaction and the next key press; an
   * interaction in progress and keys held down stay with the guest that has them.
   */
  setFocus(name: string): void {
    if (!this.guests.has(name)) throw new RangeError(`no guest ${name}`);
    if (name === this.focused) return;
    this.focusChanges.push({ at: this.clock.now, from: this.focused, to: name });
    this.focused = name;
  }
  // #endregion set-focus

  // #region route-touch
  /** One physical touchscreen frame (without SYN_REPORT), at model time `at` (default now). */
  touch(events: readonly InputEvent[], at = this.clock.now): RouteRecord {
    const startsInteraction = this.screen.contacts === 0;
    const owner = startsInteraction ? this.focused : this.touchOwner;
    this.screen.applyAll(events);
    this.touchOwner = this.screen.contacts > 0 ? owner : null;
    const g = owner === null ? undefined : this.guests.get(owner);
    if (!g) return this.record({ at, source: 'touch', to: null, events, result: 'no-guest' });
    if (!g.touch) return this.record({ at, source: 'touch', to: g.name, events, result: 'no-device' });
    // The guest gets the change from what it last saw to the screen as it is now: a guest that
    // did not see the previous interaction still learns the current slot and positions.
    const view = this.touchViews.get(g.name)!;
    const out = stateDiff(view, this.screen);
    this.touchViews.set(g.name, this.screen.clone());
    const result = g.touch.inject(out, { at, earliest: at + this.routeCostUs });
    return this.record({ at, source: 'touch', to: g.name, events: out, result });
  }
  // #endregion route-touch

  // #region route-keys
  /**
   * One physical frame of the steering-wheel keys (without SYN_REPORT). Each key event goes to
   * its owner (the guest that saw the press) or, for a press, to the focus; other events
   * (scan codes) go with the key event that follows them. A frame whose keys go to two
   * guests becomes one frame for each, in the order of their first event.
   */
  keys(events: readonly InputEvent[], at = this.clock.now): RouteRecord[] {
    const parts = new Map<string | null, InputEvent[]>();
    let pending: InputEvent[] = [];
    const orphans: InputEvent[] = [];
    for (const e of events) {
      if (e.type !== EV_KEY) {
        pending.push(e);
        continue;
      }
      let to: string | null;
      if (e.value === 1) {
        to = this.keyOwner.get(e.code) ?? this.focused; // a second press without release stays put
        if (to !== null) this.keyOwner.set(e.code, to);
      } else {
        to = this.keyOwner.get(e.code) ?? null;
        if (e.value === 0) this.keyOwner.delete(e.code);
      }
      if (to === null) {
        orphans.push(...pending, e); // a release or repeat of a key nobody saw pressed
        pending = [];
        continue;
      }
      if (!parts.has(to)) parts.set(to, []);
      parts.get(to)!.push(...pending, e);
      pending = [];
    }
    if (pending.length > 0 && this.focused !== null) {
      if (!parts.has(this.focused)) parts.set(this.focused, []);
      parts.get(this.focused)!.push(...pending);
    }
    const out: RouteRecord[] = [];
    if (orphans.length > 0) out.push(this.record({ at, source: 'keys', to: null, events: orphans, result: 'orphan' }));
    for (const [name, evs] of parts) {
      const g = this.guests.get(name!)!;
      const result = g.keys ? g.keys.inject(evs, { at, earliest: at + this.routeCostUs }) : 'no-device';
      out.push(this.record({ at, source: 'keys', to: name, events: evs, result }));
    }
    return out;
  }
  // #endregion route-keys

  private record(r: RouteRecord): RouteRecord {
    this.log.push(r);
    return r;
  }
}
