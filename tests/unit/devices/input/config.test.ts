// Identity, queues and the configuration window of the input device (VIRTIO 1.4 §5.8.2-§5.8.5).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as C from '../../../../src/lib/devices/input/codes.ts';
import * as K from '../../../../src/lib/devices/input/config.ts';
import { codeBitmap, configAnswer } from '../../../../src/lib/devices/input/config-select.ts';
import { INPUT_EVENTQ, INPUT_STATUSQ, InputDevice, VIRTIO_ID_INPUT } from '../../../../src/lib/devices/input/device.ts';
import * as P from '../../../../src/lib/devices/input/profile.ts';
import { guest } from './harness.ts';

const bitsOf = (b: Uint8Array) => [...b].flatMap((x, i) => [0, 1, 2, 3, 4, 5, 6, 7].filter((j) => x & (1 << j)).map((j) => 8 * i + j));

describe('input device identity', () => {
  it('[AVP-INPUT-1] has device ID 18, eventq 0 and statusq 1, no feature bits, and a 136-byte configuration', () => {
    const dev = new InputDevice({ profile: P.keyboardProfile() });
    expect(VIRTIO_ID_INPUT).toBe(18);
    expect(dev.deviceId).toBe(18);
    expect([INPUT_EVENTQ, INPUT_STATUSQ]).toEqual([0, 1]);
    expect(dev.queueCount()).toBe(2);
    expect(dev.offeredFeatures() & 0xffffffn).toBe(0n);
    expect(dev.config.size).toBe(136);
    expect([K.INPUT_CFG_SELECT, K.INPUT_CFG_SUBSEL, K.INPUT_CFG_SIZE, K.INPUT_CFG_RESERVED, K.INPUT_CFG_UNION]).toEqual([0, 1, 2, 3, 8]);
    expect([K.VIRTIO_INPUT_CFG_UNSET, K.VIRTIO_INPUT_CFG_ID_NAME, K.VIRTIO_INPUT_CFG_ID_SERIAL, K.VIRTIO_INPUT_CFG_ID_DEVIDS, K.VIRTIO_INPUT_CFG_PROP_BITS, K.VIRTIO_INPUT_CFG_EV_BITS, K.VIRTIO_INPUT_CFG_ABS_INFO]).toEqual([0, 1, 2, 3, 0x10, 0x11, 0x12]);
  });

  it('refuses a profile the configuration cannot express', () => {
    const kb = P.keyboardProfile();
    expect(() => new InputDevice({ profile: { ...kb, name: 'x'.repeat(129) } })).toThrow(/name/);
    expect(() => new InputDevice({ profile: { ...kb, events: new Map([[C.EV_KEY, [1024]]]) } })).toThrow(/code 1024/);
    expect(() => new InputDevice({ profile: { ...kb, events: new Map([[C.EV_ABS, [C.ABS_X]]]) } })).toThrow(/no range/);
    expect(() => new InputDevice({ profile: kb, backlog: 0 })).toThrow(RangeError);
    expect(() => new InputDevice({ profile: kb, pressed: [C.BTN_TOUCH] })).toThrow(/not advertised/);
  });
});

describe.each(RING_TYPES)('input configuration window (%s ring)', (ring) => {
  it('[AVP-INPUT-2] answers size 0 for UNSET, undefined selects and unsupported event types and axes', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    expect(g.dev.config.u8(K.INPUT_CFG_SIZE)).toBe(0); // after reset: select UNSET
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_UNSET, 0)).toHaveLength(0);
    for (const sel of [0x04, 0x0f, 0x13, 0x7f, 0xff]) expect(g.drv.query(sel, 0)).toHaveLength(0);
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_ABS)).toHaveLength(0);
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_REL)).toHaveLength(0);
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_SYN)).toHaveLength(0);
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_ABS_INFO, C.ABS_X)).toHaveLength(0);
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_ID_SERIAL, 0)).toHaveLength(0); // the keyboard has no serial
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_PROP_BITS, 0)).toHaveLength(0); // nor properties
  });

  it('[AVP-INPUT-3] recomputes the answer after every write, whichever of select and subsel comes first', () => {
    const g = guest(ring, { profile: P.touchscreenProfile() });
    const d = g.dev;
    d.writeConfig(K.INPUT_CFG_SELECT, Uint8Array.of(K.VIRTIO_INPUT_CFG_ABS_INFO));
    d.writeConfig(K.INPUT_CFG_SUBSEL, Uint8Array.of(C.ABS_MT_SLOT));
    expect(K.decodeAbsInfo(d.config.read(K.INPUT_CFG_UNION, 20)).max).toBe(9);
    d.writeConfig(K.INPUT_CFG_SUBSEL, Uint8Array.of(C.ABS_MT_POSITION_Y)); // only subsel changes
    expect(d.config.u8(K.INPUT_CFG_SIZE)).toBe(20);
    expect(K.decodeAbsInfo(d.config.read(K.INPUT_CFG_UNION, 20)).max).toBe(719);
    d.writeConfig(K.INPUT_CFG_SELECT, Uint8Array.of(K.VIRTIO_INPUT_CFG_ID_NAME, 0)); // one 2-byte write of both
    expect(new TextDecoder().decode(d.config.read(K.INPUT_CFG_UNION, d.config.u8(K.INPUT_CFG_SIZE)))).toBe('AVP virtio touchscreen');
    expect([d.config.u8(0), d.config.u8(1)]).toEqual([K.VIRTIO_INPUT_CFG_ID_NAME, 0]);
  });

  it('[AVP-INPUT-4] leaves every byte of u past size zero, whatever an earlier answer held there', () => {
    const g = guest(ring, { profile: P.touchscreenProfile({ serial: 'TS-0042' }) });
    const d = g.dev;
    g.drv.query(K.VIRTIO_INPUT_CFG_ID_NAME, 0);
    expect(d.config.u8(K.INPUT_CFG_SIZE)).toBe(22);
    g.drv.query(K.VIRTIO_INPUT_CFG_ID_SERIAL, 0);
    expect(d.config.u8(K.INPUT_CFG_SIZE)).toBe(7);
    expect([...d.config.read(K.INPUT_CFG_UNION + 7, 121)].every((b) => b === 0)).toBe(true);
    g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_REL);
    expect([...d.config.read(K.INPUT_CFG_UNION, 128)].every((b) => b === 0)).toBe(true);
    expect([...d.config.read(K.INPUT_CFG_RESERVED, 5)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('[AVP-INPUT-5] ignores driver writes to size, reserved and u, and counts them', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    const d = g.dev;
    g.drv.query(K.VIRTIO_INPUT_CFG_ID_NAME, 0);
    const before = d.config.read(0, 136);
    const gen = d.config.generation;
    d.writeConfig(K.INPUT_CFG_SIZE, Uint8Array.of(99, 1, 2, 3, 4, 5, 0x41, 0x42));
    expect(d.config.read(0, 136)).toEqual(before);
    expect(d.stats.configWritesIgnored).toBe(8);
    expect(d.config.generation).toBe(gen);
    expect(g.lb.configNotifications).toBe(0);
  });

  it('[AVP-INPUT-6] answers size 0 to ID_NAME, ID_SERIAL, ID_DEVIDS and PROP_BITS with a nonzero subsel', () => {
    const g = guest(ring, { profile: P.touchscreenProfile({ serial: 'S1' }) });
    for (const sel of [K.VIRTIO_INPUT_CFG_ID_NAME, K.VIRTIO_INPUT_CFG_ID_SERIAL, K.VIRTIO_INPUT_CFG_ID_DEVIDS, K.VIRTIO_INPUT_CFG_PROP_BITS]) {
      expect(g.drv.query(sel, 0).length).toBeGreaterThan(0);
      for (const sub of [1, 2, 0xff]) expect(g.drv.query(sel, sub)).toHaveLength(0);
    }
  });

  it('[AVP-INPUT-7] answers ABS_INFO with 20 bytes for every advertised axis and size 0 for any other', () => {
    const p = P.touchscreenProfile({ width: 1280, height: 480, slots: 5 });
    const g = guest(ring, { profile: p });
    const axes = bitsOf(g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_ABS));
    expect(axes).toEqual([C.ABS_X, C.ABS_Y, C.ABS_MT_SLOT, C.ABS_MT_POSITION_X, C.ABS_MT_POSITION_Y, C.ABS_MT_TRACKING_ID]);
    for (let axis = 0; axis < 0x40; axis++) {
      const a = g.drv.query(K.VIRTIO_INPUT_CFG_ABS_INFO, axis);
      expect(a.length).toBe(axes.includes(axis) ? 20 : 0);
    }
    expect(K.decodeAbsInfo(g.drv.query(K.VIRTIO_INPUT_CFG_ABS_INFO, C.ABS_MT_POSITION_X))).toEqual({ min: 0, max: 1279, fuzz: 0, flat: 0, res: 0 });
    expect(K.decodeAbsInfo(g.drv.query(K.VIRTIO_INPUT_CFG_ABS_INFO, C.ABS_MT_SLOT)).max).toBe(4);
    const ids = K.decodeDevIds(g.drv.query(K.VIRTIO_INPUT_CFG_ID_DEVIDS, 0));
    expect(ids.bustype).toBe(C.BUS_VIRTUAL);
  });

  it('[AVP-INPUT-8] sizes a bitmap up to its last nonzero byte', () => {
    expect(codeBitmap([])).toHaveLength(0);
    expect([...codeBitmap([0])]).toEqual([1]);
    expect([...codeBitmap([9])]).toEqual([0, 2]);
    expect(codeBitmap([C.KEY_VOICECOMMAND])).toHaveLength((C.KEY_VOICECOMMAND >> 3) + 1);
    const g = guest(ring, { profile: P.keyboardProfile() });
    expect(g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_KEY)).toHaveLength((C.KEY_DOWN >> 3) + 1);
    expect([...g.drv.query(K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_LED)]).toEqual([0b111]);
  });

  it('a reset puts select and subsel back to UNSET', () => {
    const g = guest(ring, { profile: P.keyboardProfile() });
    g.drv.query(K.VIRTIO_INPUT_CFG_ID_NAME, 0);
    g.dev.reset();
    expect([...g.dev.config.read(0, 3)]).toEqual([0, 0, 0]);
  });
});

describe('input device kinds', () => {
  it('[AVP-INPUT-9] uses the Linux evdev numbers for types and codes', () => {
    expect([C.EV_SYN, C.EV_KEY, C.EV_REL, C.EV_ABS, C.EV_MSC, C.EV_SW, C.EV_LED, C.EV_SND, C.EV_REP]).toEqual([0, 1, 2, 3, 4, 5, 0x11, 0x12, 0x14]);
    expect([C.SYN_REPORT, C.SYN_DROPPED]).toEqual([0, 3]);
    expect([C.ABS_X, C.ABS_Y, C.ABS_MT_SLOT, C.ABS_MT_POSITION_X, C.ABS_MT_POSITION_Y, C.ABS_MT_TRACKING_ID]).toEqual([0, 1, 0x2f, 0x35, 0x36, 0x39]);
    expect([C.BTN_LEFT, C.BTN_RIGHT, C.BTN_MIDDLE, C.BTN_TOUCH]).toEqual([0x110, 0x111, 0x112, 0x14a]);
    expect([C.KEY_MUTE, C.KEY_VOLUMEDOWN, C.KEY_VOLUMEUP, C.KEY_NEXTSONG, C.KEY_PLAYPAUSE, C.KEY_PREVIOUSSONG, C.KEY_PHONE, C.KEY_OK, C.KEY_VOICECOMMAND]).toEqual([113, 114, 115, 163, 164, 165, 169, 0x160, 0x246]);
    expect([C.LED_NUML, C.LED_CAPSL, C.LED_SCROLLL, C.REP_DELAY, C.REP_PERIOD, C.REL_X, C.REL_Y, C.REL_WHEEL]).toEqual([0, 1, 2, 0, 1, 0, 1, 8]);
    expect([C.INPUT_PROP_POINTER, C.INPUT_PROP_DIRECT, C.BUS_VIRTUAL]).toEqual([0, 1, 6]);
  });

  it('[AVP-INPUT-10] [AVP-INPUT-11] makes a touchscreen a protocol-B multi-touch device on a display, with single-touch axes too', () => {
    const p = P.touchscreenProfile();
    expect(bitsOf(configAnswer(p, K.VIRTIO_INPUT_CFG_PROP_BITS, 0))).toEqual([C.INPUT_PROP_DIRECT]);
    for (const c of [C.ABS_MT_SLOT, C.ABS_MT_TRACKING_ID, C.ABS_MT_POSITION_X, C.ABS_MT_POSITION_Y, C.ABS_X, C.ABS_Y]) expect(P.advertises(p, C.EV_ABS, c)).toBe(true);
    expect(P.advertises(p, C.EV_KEY, C.BTN_TOUCH)).toBe(true);
    expect(P.profileError(p)).toBeNull();
  });

  it('[AVP-INPUT-12] gives a keyboard lock LEDs and autorepeat; pointers and wheel keys get their own codes', () => {
    const kb = P.keyboardProfile();
    expect(bitsOf(configAnswer(kb, K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_LED))).toEqual([C.LED_NUML, C.LED_CAPSL, C.LED_SCROLLL]);
    expect(configAnswer(kb, K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_REP).length).toBeGreaterThan(0);
    expect(P.advertises(kb, C.EV_KEY, C.KEY_CAPSLOCK)).toBe(true);
    const mouse = P.relPointerProfile();
    expect(bitsOf(configAnswer(mouse, K.VIRTIO_INPUT_CFG_EV_BITS, C.EV_REL))).toEqual([C.REL_X, C.REL_Y, C.REL_WHEEL]);
    expect(bitsOf(configAnswer(mouse, K.VIRTIO_INPUT_CFG_PROP_BITS, 0))).toEqual([C.INPUT_PROP_POINTER]);
    const tablet = P.absPointerProfile(800, 480);
    expect(K.decodeAbsInfo(configAnswer(tablet, K.VIRTIO_INPUT_CFG_ABS_INFO, C.ABS_Y)).max).toBe(479);
    const wheel = P.steeringKeysProfile();
    expect(P.advertises(wheel, C.EV_KEY, C.KEY_VOLUMEUP)).toBe(true);
    expect(wheel.events.has(C.EV_LED)).toBe(false);
    for (const p of [kb, mouse, tablet, wheel]) expect(P.profileError(p)).toBeNull();
  });
});
