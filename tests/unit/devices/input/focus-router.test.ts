// The focus router: a shared touchscreen and steering-wheel keys for several guests, and the
// latency budget from a physical event to the guest's eventq.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { ModelClock } from '../../../../src/lib/devices/input/clock.ts';
import * as C from '../../../../src/lib/devices/input/codes.ts';
import { DEFAULT_INPUT_LATENCY_BUDGET_US } from '../../../../src/lib/devices/input/device.ts';
import { ev, type InputEvent } from '../../../../src/lib/devices/input/event.ts';
import { FocusRouter } from '../../../../src/lib/devices/input/focus-router.ts';
import * as P from '../../../../src/lib/devices/input/profile.ts';
import { EvdevState } from '../../../../src/lib/devices/input/state.ts';
import { fmt, guest, type Guest } from './harness.ts';

const abs = (code: number, v: number) => ev(C.EV_ABS, code, v);
const key = (code: number, v: number) => ev(C.EV_KEY, code, v);
const down = (slot: number, id: number, x: number, y: number) => [abs(C.ABS_MT_SLOT, slot), abs(C.ABS_MT_TRACKING_ID, id), abs(C.ABS_MT_POSITION_X, x), abs(C.ABS_MT_POSITION_Y, y)];
const lift = (slot: number) => [abs(C.ABS_MT_SLOT, slot), abs(C.ABS_MT_TRACKING_ID, -1)];

function cockpit(ring: RingType, buffers = 32) {
  const clock = new ModelClock();
  const router = new FocusRouter({ clock, routeCostUs: 300 });
  const mk = (name: string) => {
    const touch = guest(ring, { profile: P.touchscreenProfile({ slots: 4 }), clock }, buffers);
    const keys = guest(ring, { profile: P.steeringKeysProfile(), clock }, buffers);
    router.addGuest({ name, touch: touch.dev, keys: keys.dev });
    return { touch, keys };
  };
  const cluster = mk('cluster');
  const ivi = mk('ivi');
  return { clock, router, cluster, ivi };
}

/** The touch state a guest's driver holds after reading everything it received. */
function viewOf(g: Guest, frames: InputEvent[][]): EvdevState {
  const s = new EvdevState();
  for (const f of frames) s.applyAll(f);
  return s;
}

describe.each(RING_TYPES)('focus router (%s ring)', (ring) => {
  it('[AVP-INPUT-29] finishes a touch in the guest where it began, though the focus moved', () => {
    const { router, cluster, ivi } = cockpit(ring);
    router.setFocus('ivi');
    router.touch(down(0, 1, 100, 100));
    router.setFocus('cluster');
    router.touch([abs(C.ABS_MT_POSITION_X, 150)]);
    router.touch(down(1, 2, 500, 100)); // a second finger joins the same interaction
    router.touch(lift(0));
    expect(router.touchInteractionOwner).toBe('ivi');
    router.touch(lift(1));
    expect(router.touchInteractionOwner).toBeNull();
    const got = ivi.touch.drv.frames();
    expect(got).toHaveLength(5);
    expect(viewOf(ivi.touch, got).contacts).toBe(0);
    expect(cluster.touch.drv.frames()).toEqual([]);
  });

  it('[AVP-INPUT-30] sends a key\'s repeats and release to the guest that saw its press', () => {
    const { router, cluster, ivi } = cockpit(ring);
    router.keys([key(C.KEY_VOLUMEUP, 1)]); // focus: cluster, the first guest added
    router.setFocus('ivi');
    router.keys([key(C.KEY_VOLUMEUP, 2)]);
    router.keys([key(C.KEY_VOLUMEUP, 0)]);
    expect(fmt(cluster.keys.drv.frames())).toEqual(['EV_KEY KEY_VOLUMEUP 1, EV_SYN SYN_REPORT 0', 'EV_KEY KEY_VOLUMEUP 2, EV_SYN SYN_REPORT 0', 'EV_KEY KEY_VOLUMEUP 0, EV_SYN SYN_REPORT 0']);
    expect(ivi.keys.drv.frames()).toEqual([]);
    expect(router.heldKeys.size).toBe(0);
    // A release nobody saw pressed reaches no guest.
    const r = router.keys([key(C.KEY_PHONE, 0)]);
    expect(r.map((x) => x.result)).toEqual(['orphan']);
    expect(ivi.keys.drv.frames()).toEqual([]);
  });

  it('[AVP-INPUT-31] sends a new press and a new touch to the guest that has the focus', () => {
    const { router, cluster, ivi } = cockpit(ring);
    router.setFocus('ivi');
    router.keys([key(C.KEY_NEXTSONG, 1)]);
    router.touch(down(0, 9, 10, 10));
    router.touch(lift(0));
    router.setFocus('cluster');
    router.keys([key(C.KEY_OK, 1)]);
    router.touch(down(0, 10, 20, 20));
    expect(fmt(ivi.keys.drv.frames())).toEqual(['EV_KEY KEY_NEXTSONG 1, EV_SYN SYN_REPORT 0']);
    expect(fmt(cluster.keys.drv.frames())).toEqual(['EV_KEY KEY_OK 1, EV_SYN SYN_REPORT 0']);
    expect(ivi.touch.drv.frames()).toHaveLength(2);
    expect(cluster.touch.drv.frames()).toHaveLength(1);
  });

  it('[AVP-INPUT-32] splits a frame whose keys belong to two guests into one whole frame for each', () => {
    const { router, cluster, ivi } = cockpit(ring);
    router.keys([key(C.KEY_VOLUMEDOWN, 1)]);
    router.setFocus('ivi');
    const recs = router.keys([ev(C.EV_MSC, C.MSC_SCAN, 0x42), key(C.KEY_VOLUMEDOWN, 0), key(C.KEY_PLAYPAUSE, 1)]);
    expect(recs.map((r) => r.to)).toEqual(['cluster', 'ivi']);
    expect(fmt(cluster.keys.drv.frames()).at(-1)).toBe('EV_KEY KEY_VOLUMEDOWN 0, EV_SYN SYN_REPORT 0'); // MSC_SCAN is not advertised: filtered
    expect(fmt(ivi.keys.drv.frames())).toEqual(['EV_KEY KEY_PLAYPAUSE 1, EV_SYN SYN_REPORT 0']);
    expect(cluster.keys.dev.stats.unadvertised).toBe(1);
    expect(router.focusChanges.map((f) => f.to)).toEqual(['ivi']);
  });

  it('[AVP-INPUT-33] gives a guest the current slot and every position of a contact it did not see begin elsewhere', () => {
    const { router, cluster, ivi } = cockpit(ring);
    router.setFocus('ivi');
    router.touch([...down(2, 1, 300, 400), key(C.BTN_TOUCH, 1), abs(C.ABS_X, 300), abs(C.ABS_Y, 400)]);
    router.touch([...lift(2), key(C.BTN_TOUCH, 0)]);
    router.setFocus('cluster');
    // The physical screen leaves out the slot (still 2) and Y (still 400): evdev sends changes only.
    router.touch([abs(C.ABS_MT_TRACKING_ID, 2), abs(C.ABS_MT_POSITION_X, 310), key(C.BTN_TOUCH, 1), abs(C.ABS_X, 310)]);
    const view = viewOf(cluster.touch, cluster.touch.drv.frames());
    expect(view.slot).toBe(2);
    expect([...view.slots.get(2)!]).toEqual([[C.ABS_MT_TRACKING_ID, 2], [C.ABS_MT_POSITION_X, 310], [C.ABS_MT_POSITION_Y, 400]]);
    expect(view.values.get(`${C.EV_ABS}:${C.ABS_Y}`)).toBe(400);
    expect(viewOf(ivi.touch, ivi.touch.drv.frames()).contacts).toBe(0);
  });

  it('[AVP-INPUT-34] [AVP-INPUT-35] places frames within the 5 ms budget while the guest has buffers, and counts late ones', () => {
    const { clock, router, cluster } = cockpit(ring, 8);
    expect(DEFAULT_INPUT_LATENCY_BUDGET_US).toBe(5_000);
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      router.keys([key(C.KEY_UP, 1)]);
      router.keys([key(C.KEY_UP, 0)]);
      cluster.keys.drv.frames();
    }
    const l = cluster.keys.dev.stats.latency;
    expect(l.frames).toBe(6);
    expect(l.maxUs).toBe(300); // the router's cost, nothing more
    expect(l.overBudget).toBe(0);
    // The guest stops posting buffers: a frame waits 7 ms and is counted late, but not lost.
    cluster.keys.drv.autoRepost = false;
    router.keys([key(C.KEY_DOWN, 1)]);
    router.keys([key(C.KEY_DOWN, 0)]);
    router.keys([key(C.KEY_DOWN, 1)]);
    router.keys([key(C.KEY_DOWN, 0)]);
    router.keys([key(C.KEY_DOWN, 1)]);
    expect(cluster.keys.dev.held).toBe(2);
    clock.advance(7_000);
    cluster.keys.drv.post(4);
    expect(cluster.keys.dev.stats.latency.maxUs).toBe(7_000);
    expect(cluster.keys.dev.stats.latency.overBudget).toBe(1);
    expect(cluster.keys.dev.stats.overflowFrames).toBe(0);
  });

  it('refuses unknown guests and reports a guest without the device a frame needs', () => {
    const clock = new ModelClock();
    const router = new FocusRouter({ clock });
    expect(router.touch(down(0, 1, 1, 1)).result).toBe('no-guest');
    router.addGuest({ name: 'rse', touch: null, keys: null });
    expect(() => router.addGuest({ name: 'rse', touch: null, keys: null })).toThrow(RangeError);
    expect(() => router.setFocus('nobody')).toThrow(RangeError);
    expect(router.touch(lift(0)).result).toBe('no-guest'); // the interaction began with no guest to own it
    expect(router.touch(down(0, 2, 1, 1)).result).toBe('no-device');
    expect(router.keys([key(C.KEY_OK, 1)]).map((r) => r.result)).toEqual(['no-device']);
  });
});
