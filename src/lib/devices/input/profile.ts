// What an input device is: the description a platform gives each virtio-input instance, from
// which the configuration space answers every question (§5.8.4), and the device kinds of a
// vehicle: a keyboard, a relative or absolute pointer, a multi-touch screen and the keys of a
// steering wheel. Every code here is a Linux evdev code, because that is what guests expect.
import {
  ABS_MT_POSITION_X,
  ABS_MT_POSITION_Y,
  ABS_MT_SLOT,
  ABS_MT_TRACKING_ID,
  ABS_X,
  ABS_Y,
  BTN_LEFT,
  BTN_MIDDLE,
  BTN_RIGHT,
  BTN_TOUCH,
  BUS_VIRTUAL,
  EV_ABS,
  EV_KEY,
  EV_LED,
  EV_REL,
  EV_REP,
  EV_SYN,
  INPUT_PROP_DIRECT,
  INPUT_PROP_POINTER,
  KEY_BACK,
  KEY_DOWN,
  KEY_F12,
  KEY_HOMEPAGE,
  KEY_LEFT,
  KEY_MUTE,
  KEY_NEXTSONG,
  KEY_OK,
  KEY_PHONE,
  KEY_PLAYPAUSE,
  KEY_PREVIOUSSONG,
  KEY_RIGHT,
  KEY_UP,
  KEY_VOICECOMMAND,
  KEY_VOLUMEDOWN,
  KEY_VOLUMEUP,
  LED_CAPSL,
  LED_NUML,
  LED_SCROLLL,
  REL_WHEEL,
  REL_X,
  REL_Y,
  REP_DELAY,
  REP_PERIOD,
} from './codes.ts';
import { type AbsInfo, type DevIds, INPUT_CFG_UNION_SIZE } from './config.ts';

// #region profile
export interface InputProfile {
  /** ID_NAME: at most 128 bytes of UTF-8, no NUL. */
  readonly name: string;
  /** ID_SERIAL; empty: the device has none and answers size 0. */
  readonly serial: string;
  readonly ids: DevIds;
  /** INPUT_PROP_* bits (PROP_BITS). */
  readonly props: readonly number[];
  /** Event type -> the codes of that type the device sends or accepts (EV_BITS, subsel = type). */
  readonly events: ReadonlyMap<number, readonly number[]>;
  /** Absolute axis -> its range (ABS_INFO, subsel = axis); one entry per EV_ABS code. */
  readonly abs: ReadonlyMap<number, AbsInfo>;
}
// #endregion profile

/** Codes a 128-byte bitmap can hold. */
export const MAX_BITMAP_CODE = INPUT_CFG_UNION_SIZE * 8 - 1;

/** Why a profile cannot be a device's configuration, or null. */
export function profileError(p: InputProfile): string | null {
  const enc = new TextEncoder();
  for (const [field, s] of [['name', p.name], ['serial', p.serial]] as const) {
    if (enc.encode(s).length > INPUT_CFG_UNION_SIZE) return `${field}: more than ${INPUT_CFG_UNION_SIZE} bytes`;
    if (s.includes('\0')) return `${field}: contains NUL`;
  }
  if (p.name.length === 0) return 'name: empty';
  for (const x of p.props) if (!Number.isInteger(x) || x < 0 || x > MAX_BITMAP_CODE) return `props: ${x} out of range`;
  for (const [type, codes] of p.events) {
    if (!Number.isInteger(type) || type <= EV_SYN || type > 0x1f) return `events: type ${type} out of range (EV_SYN is implied)`;
    for (const c of codes) if (!Number.isInteger(c) || c < 0 || c > MAX_BITMAP_CODE) return `events: code ${c} of type ${type} out of range`;
  }
  const absCodes = p.events.get(EV_ABS) ?? [];
  for (const c of absCodes) if (!p.abs.has(c)) return `abs: axis 0x${c.toString(16)} has no range`;
  for (const [c, a] of p.abs) {
    if (!absCodes.includes(c)) return `abs: axis 0x${c.toString(16)} is not an EV_ABS code`;
    if (a.min > a.max) return `abs: axis 0x${c.toString(16)} has min above max`;
  }
  return null;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const ids = (product: number): DevIds => ({ bustype: BUS_VIRTUAL, vendor: 0x0627, product, version: 1 });
const axis = (min: number, max: number, res = 0): AbsInfo => ({ min, max, fuzz: 0, flat: 0, res });

// #region device-kinds
/** A keyboard: the keys ESC..F12 and the arrows, the three lock LEDs, and autorepeat (EV_REP). */
export function keyboardProfile(name = 'AVP virtio keyboard'): InputProfile {
  return {
    name, serial: '', ids: ids(0x0001), props: [],
    events: new Map<number, readonly number[]>([
      [EV_KEY, [...range(1, KEY_F12), KEY_UP, KEY_LEFT, KEY_RIGHT, KEY_DOWN]],
      [EV_LED, [LED_NUML, LED_CAPSL, LED_SCROLLL]],
      [EV_REP, [REP_DELAY, REP_PERIOD]],
    ]),
    abs: new Map(),
  };
}

/** A mouse: relative X/Y, a wheel, three buttons. */
export function relPointerProfile(name = 'AVP virtio mouse'): InputProfile {
  return {
    name, serial: '', ids: ids(0x0002), props: [INPUT_PROP_POINTER],
    events: new Map<number, readonly number[]>([[EV_KEY, [BTN_LEFT, BTN_RIGHT, BTN_MIDDLE]], [EV_REL, [REL_X, REL_Y, REL_WHEEL]]]),
    abs: new Map(),
  };
}

/** A tablet-like pointer: absolute X/Y over `width` x `height`, with buttons. */
export function absPointerProfile(width = 1920, height = 720, name = 'AVP virtio tablet'): InputProfile {
  return {
    name, serial: '', ids: ids(0x0003), props: [INPUT_PROP_POINTER],
    events: new Map<number, readonly number[]>([[EV_KEY, [BTN_LEFT, BTN_RIGHT]], [EV_ABS, [ABS_X, ABS_Y]]]),
    abs: new Map([[ABS_X, axis(0, width - 1)], [ABS_Y, axis(0, height - 1)]]),
  };
}

/**
 * A multi-touch screen (protocol B): `slots` contacts, each with a tracking ID and a position,
 * plus the single-touch ABS_X/ABS_Y and BTN_TOUCH that older readers use. INPUT_PROP_DIRECT
 * says the touches are on a display, not a touchpad.
 */
export function touchscreenProfile(opts: { width?: number; height?: number; slots?: number; name?: string; serial?: string } = {}): InputProfile {
  const w = opts.width ?? 1920;
  const h = opts.height ?? 720;
  const slots = opts.slots ?? 10;
  return {
    name: opts.name ?? 'AVP virtio touchscreen', serial: opts.serial ?? '', ids: ids(0x0004), props: [INPUT_PROP_DIRECT],
    events: new Map<number, readonly number[]>([
      [EV_KEY, [BTN_TOUCH]],
      [EV_ABS, [ABS_X, ABS_Y, ABS_MT_SLOT, ABS_MT_POSITION_X, ABS_MT_POSITION_Y, ABS_MT_TRACKING_ID]],
    ]),
    abs: new Map([
      [ABS_X, axis(0, w - 1)],
      [ABS_Y, axis(0, h - 1)],
      [ABS_MT_SLOT, axis(0, slots - 1)],
      [ABS_MT_POSITION_X, axis(0, w - 1)],
      [ABS_MT_POSITION_Y, axis(0, h - 1)],
      [ABS_MT_TRACKING_ID, axis(0, 0xffff)],
    ]),
  };
}

/** The keys of a steering wheel: volume, media, phone, voice and a five-way pad. */
export function steeringKeysProfile(name = 'AVP steering wheel keys'): InputProfile {
  return {
    name, serial: '', ids: ids(0x0005), props: [],
    events: new Map<number, readonly number[]>([[EV_KEY, [
      KEY_UP, KEY_LEFT, KEY_RIGHT, KEY_DOWN, KEY_MUTE, KEY_VOLUMEDOWN, KEY_VOLUMEUP, KEY_BACK, KEY_NEXTSONG,
      KEY_PLAYPAUSE, KEY_PREVIOUSSONG, KEY_PHONE, KEY_HOMEPAGE, KEY_OK, KEY_VOICECOMMAND,
    ]]]),
    abs: new Map(),
  };
}
// #endregion device-kinds

export function advertises(p: InputProfile, type: number, code: number): boolean {
  return p.events.get(type)?.includes(code) ?? false;
}
