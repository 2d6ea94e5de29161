// The statusq (VIRTIO 1.4 §5.8.6): LED and repeat settings from the driver, and what the
// device does with buffers it cannot use.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as C from '../../../../src/lib/devices/input/codes.ts';
import { INPUT_STATUSQ } from '../../../../src/lib/devices/input/device.ts';
import { encodeInputEvent, ev } from '../../../../src/lib/devices/input/event.ts';
import * as P from '../../../../src/lib/devices/input/profile.ts';
import { guest, needsReset } from './harness.ts';

describe.each(RING_TYPES)('input statusq (%s ring)', (ring) => {
  it('[AVP-INPUT-23] records the LEDs the driver sets and tells the platform', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    const seen: string[] = [];
    g.dev.onStatus = (e) => seen.push(`${e.code}=${e.value}`);
    g.drv.status(ev(C.EV_LED, C.LED_CAPSL, 1));
    g.drv.status(ev(C.EV_LED, C.LED_NUML, 1));
    g.drv.status(ev(C.EV_LED, C.LED_NUML, 0));
    g.drv.status(ev(C.EV_REP, C.REP_DELAY, 250));
    expect(g.dev.leds.get(C.LED_CAPSL)).toBe(true);
    expect(g.dev.leds.get(C.LED_NUML)).toBe(false);
    expect(g.dev.repeat.get(C.REP_DELAY)).toBe(250);
    expect(seen).toEqual(['1=1', '0=1', '0=0', '0=250']);
    expect(g.dev.stats.statusAccepted).toBe(4);
    g.dev.reset();
    expect(g.dev.leds.size).toBe(0);
  });

  it('[AVP-INPUT-24] returns every status buffer with used length 0', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    expect(g.drv.status(ev(C.EV_LED, C.LED_SCROLLL, 1))).toBe(0);
    expect(g.drv.rawStatus([new Uint8Array(3)])).toBe(0);
    expect(g.drv.rawStatus([encodeInputEvent(ev(C.EV_LED, 0, 1))], [8])).toBe(0);
  });

  it('[AVP-INPUT-25] ignores and counts status buffers under 8 readable bytes or with a device-writable part', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    const caps = encodeInputEvent(ev(C.EV_LED, C.LED_CAPSL, 1));
    g.drv.rawStatus([caps.subarray(0, 7)]);
    g.drv.rawStatus([], [8]);
    g.drv.rawStatus([caps], [4]);
    expect(g.dev.leds.size).toBe(0);
    expect(g.dev.stats.statusRejected['too-short']).toBe(1);
    expect(g.dev.stats.statusRejected['writable-part']).toBe(2);
    // An event split over two descriptors is whole, and is accepted.
    g.drv.rawStatus([caps.subarray(0, 3), caps.subarray(3)]);
    expect(g.dev.leds.get(C.LED_CAPSL)).toBe(true);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-INPUT-26] ignores and counts status events of a type, code or value it does not accept', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    g.drv.status(ev(C.EV_KEY, C.KEY_A, 1));
    g.drv.status(ev(C.EV_SND, 1, 1)); // the keyboard has no sound
    g.drv.status(ev(C.EV_LED, 0x0a, 1)); // an LED it does not have
    g.drv.status(ev(C.EV_LED, C.LED_CAPSL, 2));
    g.drv.status(ev(C.EV_REP, C.REP_PERIOD, -1));
    const s = g.dev.stats.statusRejected;
    expect([s['unsupported-type'], s['unsupported-code'], s['bad-value']]).toEqual([2, 1, 2]);
    expect(g.dev.stats.lastStatusReject).toBe('bad-value');
    expect(g.dev.leds.size).toBe(0);
    const wheel = guest(ring, { profile: P.steeringKeysProfile() });
    wheel.drv.status(ev(C.EV_LED, C.LED_CAPSL, 1));
    expect(wheel.dev.stats.statusRejected['unsupported-type']).toBe(1);
  });

  it('[AVP-INPUT-27] enters DEVICE_NEEDS_RESET for a broken ring, not for what a buffer holds', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    for (const junk of [[new Uint8Array(100).fill(0xff)], [new Uint8Array(1)], [new Uint8Array(8).fill(0x11)]]) g.drv.rawStatus(junk);
    expect(needsReset(g)).toBe(false);
    // A descriptor pointing outside guest memory is a ring error.
    const q = g.lb.queues[INPUT_STATUSQ];
    q.add([{ addr: 0x7fff_0000, len: 8, writable: false }]);
    g.dev.queueNotify(INPUT_STATUSQ);
    expect(needsReset(g)).toBe(true);
  });
});
