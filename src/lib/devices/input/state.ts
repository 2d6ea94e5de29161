// The state an evdev stream describes: which keys are down, where each absolute axis is, and,
// for multi-touch protocol B, which contact each slot holds. The device keeps two of these:
// the physical state (every frame the source produced) and the state the driver has been
// told (every frame placed in, or held for, the eventq). When frames are lost they differ,
// and diff() gives the events that bring the driver back in step: a release for a key whose
// release was lost, a lift for a contact whose lift was lost. Relative motion carries no state
// and cannot be repaired; it is simply lost.
import { ABS_MT_SLOT, ABS_MT_TRACKING_ID, EV_ABS, EV_KEY, EV_SW, isPerSlotAxis } from './codes.ts';
import type { InputEvent } from './event.ts';

export class EvdevState {
  readonly keys = new Set<number>();
  /** Single axes (ABS_X ...) and switches, by `${type}:${code}`. */
  readonly values = new Map<string, number>();
  /** Per-slot ABS_MT_* values; a slot whose ABS_MT_TRACKING_ID is not >= 0 holds no contact. */
  readonly slots = new Map<number, Map<number, number>>();
  slot = 0;

  apply(e: InputEvent): void {
    if (e.type === EV_KEY) {
      if (e.value === 0) this.keys.delete(e.code);
      else this.keys.add(e.code); // 1 press, 2 autorepeat: both mean down
    } else if (e.type === EV_ABS && e.code === ABS_MT_SLOT) {
      this.slot = e.value;
    } else if (e.type === EV_ABS && isPerSlotAxis(e.code)) {
      let s = this.slots.get(this.slot);
      if (!s) this.slots.set(this.slot, (s = new Map()));
      // A lift (tracking ID -1) ends the contact; the slot keeps its last positions, as
      // evdev does, and a reader only hears of the ones that change.
      s.set(e.code, e.code === ABS_MT_TRACKING_ID && e.value < 0 ? -1 : e.value);
    } else if (e.type === EV_ABS || e.type === EV_SW) {
      this.values.set(`${e.type}:${e.code}`, e.value);
    }
  }

  applyAll(events: readonly InputEvent[]): void {
    for (const e of events) this.apply(e);
  }

  /** Contacts currently down. */
  get contacts(): number {
    let n = 0;
    for (const s of this.slots.values()) if ((s.get(ABS_MT_TRACKING_ID) ?? -1) >= 0) n++;
    return n;
  }

  get empty(): boolean {
    return this.keys.size === 0 && this.contacts === 0;
  }

  clone(): EvdevState {
    const c = new EvdevState();
    for (const k of this.keys) c.keys.add(k);
    for (const [k, v] of this.values) c.values.set(k, v);
    for (const [s, m] of this.slots) c.slots.set(s, new Map(m));
    c.slot = this.slot;
    return c;
  }

  clear(): void {
    this.keys.clear();
    this.values.clear();
    this.slots.clear();
    this.slot = 0;
  }
}

// #region state-diff
/**
 * The events (without SYN_REPORT) that turn a reader holding `from` into one holding `to`:
 * key presses and releases, changed axes and switches, and per slot a lift, a new contact
 * (tracking ID first) or changed positions, ending on the slot `to` has selected.
 */
export function stateDiff(from: EvdevState, to: EvdevState): InputEvent[] {
  const out: InputEvent[] = [];
  const keys = [...new Set([...from.keys, ...to.keys])].sort((a, b) => a - b);
  for (const k of keys) if (from.keys.has(k) !== to.keys.has(k)) out.push({ type: EV_KEY, code: k, value: to.keys.has(k) ? 1 : 0 });
  const vals = [...to.values.keys()].sort();
  for (const key of vals) {
    const v = to.values.get(key)!;
    if (from.values.get(key) === v) continue;
    const [type, code] = key.split(':').map(Number);
    out.push({ type, code, value: v });
  }
  let slot = from.slot;
  const select = (s: number) => {
    if (slot !== s) out.push({ type: EV_ABS, code: ABS_MT_SLOT, value: s });
    slot = s;
  };
  const slots = [...new Set([...from.slots.keys(), ...to.slots.keys()])].sort((a, b) => a - b);
  for (const s of slots) {
    const a = from.slots.get(s) ?? new Map<number, number>();
    const b = to.slots.get(s) ?? new Map<number, number>();
    const idA = a.get(ABS_MT_TRACKING_ID) ?? -1;
    const idB = b.get(ABS_MT_TRACKING_ID) ?? -1;
    if (idB < 0) {
      if (idA >= 0) {
        select(s);
        out.push({ type: EV_ABS, code: ABS_MT_TRACKING_ID, value: -1 });
      }
      continue;
    }
    const changed = [...b].filter(([c, v]) => c !== ABS_MT_TRACKING_ID && (idA !== idB || a.get(c) !== v)).sort((x, y) => x[0] - y[0]);
    if (idA === idB && changed.length === 0) continue;
    select(s);
    if (idA !== idB) out.push({ type: EV_ABS, code: ABS_MT_TRACKING_ID, value: idB });
    for (const [c, v] of changed) out.push({ type: EV_ABS, code: c, value: v });
  }
  select(to.slot);
  return out;
}
// #endregion state-diff
