// Linux evdev codes (include/uapi/linux/input-event-codes.h) that the input device models use.
// VIRTIO 1.4 §5.8 carries evdev events unchanged and leaves their meaning to evdev, so these
// numbers are part of the wire format in practice: a guest driver hands type, code and value
// to its input layer as they arrive. Only the codes the models need are listed.

// #region event-types
export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_REL = 0x02;
export const EV_ABS = 0x03;
export const EV_MSC = 0x04;
export const EV_SW = 0x05;
export const EV_LED = 0x11;
export const EV_SND = 0x12;
export const EV_REP = 0x14;

/** EV_SYN codes: SYN_REPORT ends a frame; SYN_DROPPED tells an evdev reader that events were lost. */
export const SYN_REPORT = 0;
export const SYN_DROPPED = 3;
// #endregion event-types

// Keys of a keyboard (a subset) and of a steering wheel.
export const KEY_ESC = 1;
export const KEY_ENTER = 28;
export const KEY_A = 30;
export const KEY_LEFTSHIFT = 42;
export const KEY_SPACE = 57;
export const KEY_CAPSLOCK = 58;
export const KEY_F12 = 88;
export const KEY_NUMLOCK = 69;
export const KEY_SCROLLLOCK = 70;
export const KEY_UP = 103;
export const KEY_LEFT = 105;
export const KEY_RIGHT = 106;
export const KEY_DOWN = 108;
export const KEY_MUTE = 113;
export const KEY_VOLUMEDOWN = 114;
export const KEY_VOLUMEUP = 115;
export const KEY_MENU = 139;
export const KEY_BACK = 158;
export const KEY_NEXTSONG = 163;
export const KEY_PLAYPAUSE = 164;
export const KEY_PREVIOUSSONG = 165;
export const KEY_PHONE = 169;
export const KEY_HOMEPAGE = 172;
export const KEY_OK = 0x160;
export const KEY_VOICECOMMAND = 0x246;

// Buttons.
export const BTN_LEFT = 0x110;
export const BTN_RIGHT = 0x111;
export const BTN_MIDDLE = 0x112;
export const BTN_TOOL_FINGER = 0x145;
export const BTN_TOUCH = 0x14a;

// Relative axes.
export const REL_X = 0x00;
export const REL_Y = 0x01;
export const REL_WHEEL = 0x08;

// #region abs-axes
export const ABS_X = 0x00;
export const ABS_Y = 0x01;
/** Multi-touch protocol B: the slot the following ABS_MT_* events describe. */
export const ABS_MT_SLOT = 0x2f;
export const ABS_MT_TOUCH_MAJOR = 0x30;
export const ABS_MT_POSITION_X = 0x35;
export const ABS_MT_POSITION_Y = 0x36;
/** A contact's identity in its slot; -1 lifts the contact. */
export const ABS_MT_TRACKING_ID = 0x39;
/** The last per-contact axis code (ABS_MT_TOOL_Y); ABS_MT_TOUCH_MAJOR .. this are per slot. */
export const ABS_MT_LAST = 0x3d;
// #endregion abs-axes

export const MSC_SCAN = 0x04;

export const LED_NUML = 0x00;
export const LED_CAPSL = 0x01;
export const LED_SCROLLL = 0x02;

export const REP_DELAY = 0x00;
export const REP_PERIOD = 0x01;

export const INPUT_PROP_POINTER = 0x00;
export const INPUT_PROP_DIRECT = 0x01;

export const BUS_VIRTUAL = 0x06;

/** True for the ABS_MT_* codes that describe one contact (everything after ABS_MT_SLOT). */
export function isPerSlotAxis(code: number): boolean {
  return code > ABS_MT_SLOT && code <= ABS_MT_LAST;
}

const TYPE_NAMES: Record<number, string> = {
  [EV_SYN]: 'EV_SYN', [EV_KEY]: 'EV_KEY', [EV_REL]: 'EV_REL', [EV_ABS]: 'EV_ABS', [EV_MSC]: 'EV_MSC',
  [EV_SW]: 'EV_SW', [EV_LED]: 'EV_LED', [EV_SND]: 'EV_SND', [EV_REP]: 'EV_REP',
};

const CODE_NAMES: Record<number, Record<number, string>> = {
  [EV_SYN]: { [SYN_REPORT]: 'SYN_REPORT', [SYN_DROPPED]: 'SYN_DROPPED' },
  [EV_KEY]: {
    [KEY_ESC]: 'KEY_ESC', [KEY_ENTER]: 'KEY_ENTER', [KEY_A]: 'KEY_A', [KEY_LEFTSHIFT]: 'KEY_LEFTSHIFT', [KEY_SPACE]: 'KEY_SPACE',
    [KEY_CAPSLOCK]: 'KEY_CAPSLOCK', [KEY_NUMLOCK]: 'KEY_NUMLOCK', [KEY_SCROLLLOCK]: 'KEY_SCROLLLOCK', [KEY_UP]: 'KEY_UP',
    [KEY_LEFT]: 'KEY_LEFT', [KEY_RIGHT]: 'KEY_RIGHT', [KEY_DOWN]: 'KEY_DOWN', [KEY_MUTE]: 'KEY_MUTE',
    [KEY_VOLUMEDOWN]: 'KEY_VOLUMEDOWN', [KEY_VOLUMEUP]: 'KEY_VOLUMEUP', [KEY_MENU]: 'KEY_MENU', [KEY_BACK]: 'KEY_BACK',
    [KEY_NEXTSONG]: 'KEY_NEXTSONG', [KEY_PLAYPAUSE]: 'KEY_PLAYPAUSE', [KEY_PREVIOUSSONG]: 'KEY_PREVIOUSSONG', [KEY_PHONE]: 'KEY_PHONE',
    [KEY_HOMEPAGE]: 'KEY_HOMEPAGE', [KEY_OK]: 'KEY_OK', [KEY_VOICECOMMAND]: 'KEY_VOICECOMMAND', [BTN_LEFT]: 'BTN_LEFT',
    [BTN_RIGHT]: 'BTN_RIGHT', [BTN_MIDDLE]: 'BTN_MIDDLE', [BTN_TOOL_FINGER]: 'BTN_TOOL_FINGER', [BTN_TOUCH]: 'BTN_TOUCH',
  },
  [EV_REL]: { [REL_X]: 'REL_X', [REL_Y]: 'REL_Y', [REL_WHEEL]: 'REL_WHEEL' },
  [EV_ABS]: {
    [ABS_X]: 'ABS_X', [ABS_Y]: 'ABS_Y', [ABS_MT_SLOT]: 'ABS_MT_SLOT', [ABS_MT_TOUCH_MAJOR]: 'ABS_MT_TOUCH_MAJOR',
    [ABS_MT_POSITION_X]: 'ABS_MT_POSITION_X', [ABS_MT_POSITION_Y]: 'ABS_MT_POSITION_Y', [ABS_MT_TRACKING_ID]: 'ABS_MT_TRACKING_ID',
  },
  [EV_MSC]: { [MSC_SCAN]: 'MSC_SCAN' },
  [EV_LED]: { [LED_NUML]: 'LED_NUML', [LED_CAPSL]: 'LED_CAPSL', [LED_SCROLLL]: 'LED_SCROLLL' },
  [EV_REP]: { [REP_DELAY]: 'REP_DELAY', [REP_PERIOD]: 'REP_PERIOD' },
};

/** "EV_KEY", or the number in hex for a type without a name here. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type 0x${type.toString(16)}`;
}

/** "KEY_VOLUMEUP", or the number in hex for a code without a name here. */
export function codeName(type: number, code: number): string {
  return CODE_NAMES[type]?.[code] ?? `0x${code.toString(16)}`;
}
