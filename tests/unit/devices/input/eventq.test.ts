// The eventq (VIRTIO 1.4 §5.8.6): how events reach the driver's buffers, what happens when
// there are none, and how the device keeps the driver's picture of keys and contacts right.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as C from '../../../../src/lib/devices/input/codes.ts';
import { INPUT_EVENTQ } from '../../../../src/lib/devices/input/device.ts';
import { decodeInputEvent, encodeInputEvent, ev, isSynReport } from '../../../../src/lib/devices/input/event.ts';
import * as P from '../../../../src/lib/devices/input/profile.ts';
import { EvdevState } from '../../../../src/lib/devices/input/state.ts';
import { fmt, guest, needsReset } from './harness.ts';

const key = (code: number, value: number) => ev(C.EV_KEY, code, value);

describe('virtio_input_event', () => {
  it('is 8 bytes, le16 type, le16 code, le32 value in two\'s complement', () => {
    const b = encodeInputEvent(ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, -1));
    expect([...b]).toEqual([3, 0, 0x39, 0, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeInputEvent(b)).toEqual({ type: 3, code: 0x39, value: -1 });
    expect([...encodeInputEvent(key(C.KEY_VOICECOMMAND, 1))]).toEqual([1, 0, 0x46, 0x02, 1, 0, 0, 0]);
  });
});

describe.each(RING_TYPES)('input eventq (%s ring)', (ring) => {
  it('[AVP-INPUT-13] places one event per buffer with used length 8, also in larger buffers', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile() }, 0);
    g.drv.autoRepost = false;
    g.drv.post(2, 64);
    g.dev.inject([key(C.KEY_OK, 1)]);
    const used = g.lb.poll(INPUT_EVENTQ);
    expect(used.map((c) => c.len)).toEqual([8, 8]);
    expect(used.map((c) => decodeInputEvent(c.data))).toEqual([key(C.KEY_OK, 1), ev(C.EV_SYN, C.SYN_REPORT, 0)]);
  });

  it('[AVP-INPUT-14] ends every frame with EV_SYN SYN_REPORT, adding it when the source left it out', () => {
    const g = guest(ring, { profile: P.relPointerProfile() });
    g.dev.inject([ev(C.EV_REL, C.REL_X, -3), ev(C.EV_REL, C.REL_Y, 5)]);
    g.dev.inject([key(C.BTN_LEFT, 1), ev(C.EV_SYN, C.SYN_REPORT, 0)]);
    expect(fmt(g.drv.frames())).toEqual(['EV_REL REL_X -3, EV_REL REL_Y 5, EV_SYN SYN_REPORT 0', 'EV_KEY BTN_LEFT 1, EV_SYN SYN_REPORT 0']);
    expect(() => g.dev.inject([key(C.BTN_LEFT, 0), ev(C.EV_SYN, C.SYN_REPORT, 0), key(C.BTN_LEFT, 1)])).toThrow(RangeError);
  });

  it('[AVP-INPUT-14] frames multi-touch as protocol B: slot, tracking ID, positions, then SYN_REPORT', () => {
    const g = guest(ring, { profile: P.touchscreenProfile() });
    g.dev.inject([ev(C.EV_ABS, C.ABS_MT_SLOT, 0), ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, 7), ev(C.EV_ABS, C.ABS_MT_POSITION_X, 100), ev(C.EV_ABS, C.ABS_MT_POSITION_Y, 50), key(C.BTN_TOUCH, 1)]);
    g.dev.inject([ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, -1), key(C.BTN_TOUCH, 0)]);
    const frames = g.drv.frames();
    expect(frames).toHaveLength(2);
    for (const f of frames) expect(isSynReport(f[f.length - 1])).toBe(true);
    expect(frames[1].map((e) => e.value)).toEqual([-1, 0, 0]);
  });

  it('[AVP-INPUT-15] never sends an event its configuration does not advertise, and counts it', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile() });
    g.dev.inject([key(C.KEY_VOLUMEUP, 1), key(C.KEY_A, 1), ev(C.EV_REL, C.REL_X, 1), ev(C.EV_LED, C.LED_CAPSL, 1)]);
    expect(g.dev.inject([key(C.KEY_A, 0)])).toBe('empty');
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_VOLUMEUP 1, EV_SYN SYN_REPORT 0']);
    expect(g.dev.stats.unadvertised).toBe(4);
  });

  it('[AVP-INPUT-16] holds events while the driver has no buffer and delivers them in order once it offers some', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile(), backlog: 16 }, 0);
    expect(g.dev.inject([key(C.KEY_VOLUMEUP, 1)])).toBe('queued');
    expect(g.dev.inject([key(C.KEY_VOLUMEUP, 0)])).toBe('queued');
    expect(g.dev.held).toBe(4);
    g.drv.post(3); // room for three of the four events: the rest waits, in order
    expect(g.dev.held).toBe(1);
    g.drv.autoRepost = false;
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_VOLUMEUP 1, EV_SYN SYN_REPORT 0']);
    g.drv.post(1);
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_VOLUMEUP 0, EV_SYN SYN_REPORT 0']);
    expect(g.dev.held).toBe(0);
    expect(g.dev.stats.overflowFrames).toBe(0);
  });

  it('[AVP-INPUT-17] [AVP-INPUT-18] admits a frame whole or drops it whole, and counts what it dropped', () => {
    const g = guest(ring, { profile: P.touchscreenProfile(), backlog: 10 }, 0);
    const touch = [ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, 1), ev(C.EV_ABS, C.ABS_MT_POSITION_X, 10), ev(C.EV_ABS, C.ABS_MT_POSITION_Y, 10), key(C.BTN_TOUCH, 1)];
    expect(g.dev.inject(touch)).toBe('queued'); // 5 events with SYN_REPORT
    expect(g.dev.inject([ev(C.EV_ABS, C.ABS_MT_POSITION_X, 20), ev(C.EV_ABS, C.ABS_MT_POSITION_Y, 20), ev(C.EV_ABS, C.ABS_X, 20), ev(C.EV_ABS, C.ABS_Y, 20)])).toBe('queued');
    expect(g.dev.held).toBe(10);
    expect(g.dev.inject([ev(C.EV_ABS, C.ABS_MT_POSITION_X, 30)])).toBe('overflow');
    expect(g.dev.held).toBe(10); // not one event of the dropped frame got in
    expect(g.dev.stats.overflowFrames).toBe(1);
    expect(g.dev.stats.overflowEvents).toBe(1);
    g.drv.post(16);
    const frames = g.drv.frames();
    expect(frames.map((f) => f.length)).toEqual([5, 5]);
  });

  it('[AVP-INPUT-19] after a loss, brings the driver to the physical state: a lost key release is delivered, not forgotten', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile(), backlog: 4 }, 0);
    g.dev.inject([key(C.KEY_VOLUMEUP, 1)]); // 2 events held
    g.dev.inject([key(C.KEY_PHONE, 1)]); // 4 held: full
    expect(g.dev.inject([key(C.KEY_VOLUMEUP, 0)])).toBe('overflow');
    expect(g.dev.inject([key(C.KEY_PHONE, 0)])).toBe('overflow');
    g.drv.post(8);
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_VOLUMEUP 1, EV_SYN SYN_REPORT 0', 'EV_KEY KEY_PHONE 1, EV_SYN SYN_REPORT 0']);
    // The next frame from the wheel is rewritten to include both lost releases.
    g.dev.inject([key(C.KEY_OK, 1)]);
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_VOLUMEUP 0, EV_KEY KEY_PHONE 0, EV_KEY KEY_OK 1, EV_SYN SYN_REPORT 0']);
    expect(g.dev.stats.resyncFrames).toBe(1);
    g.dev.inject([key(C.KEY_OK, 0)]);
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_OK 0, EV_SYN SYN_REPORT 0']); // in step again
  });

  it('[AVP-INPUT-19] after a loss, lifts a contact whose lift was lost and keeps relative motion of the new frame', () => {
    const g = guest(ring, { profile: P.touchscreenProfile(), backlog: 6 }, 0);
    const state = new EvdevState();
    const down = [ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, 5), ev(C.EV_ABS, C.ABS_MT_POSITION_X, 10), key(C.BTN_TOUCH, 1)];
    g.dev.inject(down);
    state.applyAll(down);
    expect(g.dev.inject([ev(C.EV_ABS, C.ABS_MT_POSITION_X, 11), ev(C.EV_ABS, C.ABS_MT_POSITION_X, 12), ev(C.EV_ABS, C.ABS_MT_POSITION_X, 13)])).toBe('overflow');
    expect(g.dev.inject([ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, -1), key(C.BTN_TOUCH, 0)])).toBe('overflow');
    g.drv.post(16);
    g.dev.inject([ev(C.EV_ABS, C.ABS_MT_SLOT, 1), ev(C.EV_ABS, C.ABS_MT_TRACKING_ID, 6), ev(C.EV_ABS, C.ABS_MT_POSITION_X, 50), key(C.BTN_TOUCH, 1)]);
    const got = g.drv.frames();
    const view = new EvdevState();
    for (const f of got) view.applyAll(f);
    expect(view.contacts).toBe(1);
    expect(view.slots.get(0)?.get(C.ABS_MT_TRACKING_ID)).toBe(-1); // the first contact is lifted
    expect(view.slots.get(1)?.get(C.ABS_MT_POSITION_X)).toBe(50);
    expect(view.keys.has(C.BTN_TOUCH)).toBe(true);
    expect(g.dev.physicalState.contacts).toBe(1);
  });

  it('[AVP-INPUT-20] reports keys held at DRIVER_OK in a first frame', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile(), pressed: [C.KEY_MUTE] });
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_MUTE 1, EV_SYN SYN_REPORT 0']);
    g.dev.inject([key(C.KEY_MUTE, 0)]);
    expect(fmt(g.drv.frames())).toEqual(['EV_KEY KEY_MUTE 0, EV_SYN SYN_REPORT 0']);
  });

  it('[AVP-INPUT-21] hands back a buffer with a device-readable part or under 8 bytes unused, and puts the event in the next one', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile() }, 0);
    g.lb.submit(INPUT_EVENTQ, [new Uint8Array(8)], [8]); // device-readable part
    g.lb.submit(INPUT_EVENTQ, [], [4]); // too short
    g.lb.submit(INPUT_EVENTQ, [], [4, 4]); // 8 bytes in two pieces: usable
    g.lb.submit(INPUT_EVENTQ, [], [8]);
    g.dev.inject([key(C.KEY_BACK, 1)]);
    const used = g.lb.poll(INPUT_EVENTQ);
    expect(used.map((c) => c.len)).toEqual([0, 0, 8, 8]);
    expect(decodeInputEvent(used[2].data)).toEqual(key(C.KEY_BACK, 1));
    expect(g.dev.stats.badEventBuffers).toBe(2);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-INPUT-22] forgets held events at a reset, and reports frames before DRIVER_OK as inactive', () => {
    const g = guest(ring, { profile: P.steeringKeysProfile() }, 0);
    g.dev.inject([key(C.KEY_UP, 1)]);
    g.dev.inject([key(C.KEY_UP, 0)]);
    expect(g.dev.held).toBe(4);
    g.dev.reset();
    expect(g.dev.held).toBe(0);
    expect(g.dev.inject([key(C.KEY_DOWN, 1)])).toBe('inactive');
    expect(g.dev.stats.inactiveFrames).toBe(1);
  });
});
