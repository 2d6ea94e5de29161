// The SCMI messages the model implements: the base protocol (0x10, Arm DEN0056 version 3.2,
// 4.2) and the sensor management protocol (0x15, 4.7), with the exact size of every command's
// parameters, the bit fields of sensor descriptors and configurations, and the encodings of
// update intervals. Message IDs are per protocol; 0x0 to 0x2 mean the same in every protocol.

// #region protocols
export const SCMI_PROTOCOL_BASE = 0x10;
export const SCMI_PROTOCOL_SENSOR = 0x15;

/** Every protocol: 0x0 PROTOCOL_VERSION, 0x1 PROTOCOL_ATTRIBUTES, 0x2 PROTOCOL_MESSAGE_ATTRIBUTES. */
export const PROTOCOL_VERSION = 0x0;
export const PROTOCOL_ATTRIBUTES = 0x1;
export const PROTOCOL_MESSAGE_ATTRIBUTES = 0x2;

/** Base protocol version 2.0 and sensor protocol version 3.0: major in bits 31:16, minor in 15:0. */
export const BASE_PROTOCOL_VERSION_2_0 = 0x20000;
export const SENSOR_PROTOCOL_VERSION_3_0 = 0x30000;
// #endregion protocols

// #region base-messages
export const BASE_DISCOVER_VENDOR = 0x3;
export const BASE_DISCOVER_SUB_VENDOR = 0x4;
export const BASE_DISCOVER_IMPLEMENTATION_VERSION = 0x5;
export const BASE_DISCOVER_LIST_PROTOCOLS = 0x6;
export const BASE_DISCOVER_AGENT = 0x7;
export const BASE_NOTIFY_ERRORS = 0x8;
export const BASE_SET_DEVICE_PERMISSIONS = 0x9;
export const BASE_SET_PROTOCOL_PERMISSIONS = 0xa;
export const BASE_RESET_AGENT_CONFIGURATION = 0xb;

/** Parameter bytes of each base command the model implements (the header excluded). */
export const BASE_PARAM_SIZES: ReadonlyMap<number, number> = new Map([
  [PROTOCOL_VERSION, 0],
  [PROTOCOL_ATTRIBUTES, 0],
  [PROTOCOL_MESSAGE_ATTRIBUTES, 4], // message_id
  [BASE_DISCOVER_VENDOR, 0],
  [BASE_DISCOVER_SUB_VENDOR, 0],
  [BASE_DISCOVER_IMPLEMENTATION_VERSION, 0],
  [BASE_DISCOVER_LIST_PROTOCOLS, 4], // skip
  [BASE_DISCOVER_AGENT, 4], // agent_id (0xFFFFFFFF: the caller)
]);
/** BASE_DISCOVER_AGENT: the agent ID that asks for the caller itself. */
export const BASE_AGENT_ID_SELF = 0xffff_ffff;
/** Vendor, sub-vendor and agent names: 16 bytes, NUL-terminated ASCII. */
export const SCMI_SHORT_NAME_SIZE = 16;
// #endregion base-messages

// #region sensor-messages
export const SENSOR_DESCRIPTION_GET = 0x3;
export const SENSOR_TRIP_POINT_NOTIFY = 0x4;
export const SENSOR_TRIP_POINT_CONFIG = 0x5;
export const SENSOR_READING_GET = 0x6;
export const SENSOR_AXIS_DESCRIPTION_GET = 0x7;
export const SENSOR_LIST_UPDATE_INTERVALS = 0x8;
export const SENSOR_CONFIG_GET = 0x9;
export const SENSOR_CONFIG_SET = 0xa;
export const SENSOR_CONTINUOUS_UPDATE_NOTIFY = 0xb;

/** Notifications (message type 3) of the sensor protocol, by message ID. */
export const SENSOR_TRIP_POINT_EVENT = 0x0;
export const SENSOR_UPDATE = 0x1;
/** The delayed response to an asynchronous SENSOR_READING_GET carries that command's message ID. */
export const SENSOR_READING_COMPLETE = SENSOR_READING_GET;

/** Parameter bytes of each sensor command the model implements (the header excluded). */
export const SENSOR_PARAM_SIZES: ReadonlyMap<number, number> = new Map([
  [PROTOCOL_VERSION, 0],
  [PROTOCOL_ATTRIBUTES, 0],
  [PROTOCOL_MESSAGE_ATTRIBUTES, 4], // message_id
  [SENSOR_DESCRIPTION_GET, 4], // desc_index
  [SENSOR_TRIP_POINT_NOTIFY, 8], // sensor_id, event_control
  [SENSOR_TRIP_POINT_CONFIG, 16], // sensor_id, trip_point_ev_ctrl, value_low, value_high
  [SENSOR_READING_GET, 8], // sensor_id, flags
  [SENSOR_AXIS_DESCRIPTION_GET, 8], // sensor_id, axis_desc_index
  [SENSOR_LIST_UPDATE_INTERVALS, 8], // sensor_id, index
  [SENSOR_CONFIG_GET, 4], // sensor_id
  [SENSOR_CONFIG_SET, 8], // sensor_id, sensor_config
  [SENSOR_CONTINUOUS_UPDATE_NOTIFY, 8], // sensor_id, notify_enable
]);

/** The messages that ask for notifications or a delayed response (§5.17.6.1.1). */
export const SENSOR_P2A_MESSAGES: ReadonlySet<number> = new Set([SENSOR_TRIP_POINT_NOTIFY, SENSOR_TRIP_POINT_CONFIG, SENSOR_CONTINUOUS_UPDATE_NOTIFY]);
// #endregion sensor-messages

// #region sensor-descriptor
/** A sensor descriptor without extended attributes, and an axis descriptor: id, two attribute words, a 16-byte name. */
export const SENSOR_DESCRIPTOR_SIZE = 28;
export const AXIS_DESCRIPTOR_SIZE = 28;
/** One reading: value (signed 64-bit) and timestamp (unsigned 64-bit), low word first. */
export const SENSOR_READING_SIZE = 16;

// attributes_low
export const SENSOR_ATTR_ASYNC_READ = 1 << 31;
export const SENSOR_ATTR_CONTINUOUS_UPDATE = 1 << 30;
export const SENSOR_ATTR_TIMESTAMP = 1 << 9;
export const SENSOR_ATTR_EXTENDED = 1 << 8;
/** Bits 14:10: the timestamp's power-of-ten exponent in seconds, two's complement. */
export const SENSOR_TIMESTAMP_EXP_SHIFT = 10;
export const SENSOR_NUM_TRIP_POINTS_MASK = 0xff;
// attributes_high (and an axis descriptor's attributes_high)
export const SENSOR_NUM_AXES_SHIFT = 16; // bits 21:16
export const SENSOR_SCALE_SHIFT = 11; // bits 15:11, two's complement
export const SENSOR_ATTR_HAS_AXES = 1 << 8;
export const SENSOR_TYPE_MASK = 0xff;

/** SCMI unit codes (the sensor type field) the model's sensors use. */
export const SCMI_UNIT_DEGREES_C = 0x02;
export const SCMI_UNIT_RADIANS_SEC = 0x57;
export const SCMI_UNIT_METERS_SEC_SQUARED = 0x59;
export const SCMI_UNIT_METERS_SEC = 0x5a;
// #endregion sensor-descriptor

// #region sensor-config
/** SENSOR_CONFIG_GET/SET: bits 31:16 interval seconds, 15:11 its exponent, 10:9 rounding (SET), 1 timestamps, 0 enabled. */
export const SENSOR_CONFIG_ENABLED = 1 << 0;
export const SENSOR_CONFIG_TIMESTAMPS = 1 << 1;
export const SENSOR_CONFIG_RESERVED_SET = 0x1fc; // bits 8:2
export const SENSOR_CONFIG_RESERVED_GET = 0x7fc; // bits 10:2
export const SENSOR_CONFIG_ROUND_AUTO = 1 << 10;
export const SENSOR_CONFIG_ROUND_UP = 1 << 9;

/** SENSOR_READING_GET flags: bit 0 asynchronous; the rest reserved. */
export const SENSOR_READ_ASYNC = 1 << 0;
/** SENSOR_TRIP_POINT_NOTIFY event_control and SENSOR_CONTINUOUS_UPDATE_NOTIFY notify_enable: bit 0. */
export const SENSOR_NOTIFY_ENABLE = 1 << 0;
/** SENSOR_TRIP_POINT_CONFIG trip_point_ev_ctrl: bits 11:4 trip point ID, 1:0 event control; the rest reserved. */
export const TRIP_POINT_ID_SHIFT = 4;
export const TRIP_POINT_EV_MASK = 0x3;
export const TRIP_POINT_RESERVED = 0xffff_f00c;
export const TRIP_POINT_DISABLED = 0;
export const TRIP_POINT_POSITIVE = 1;
export const TRIP_POINT_NEGATIVE = 2;
export const TRIP_POINT_BOTH = 3;
/** SENSOR_TRIP_POINT_EVENT trip_point_desc: bit 16 set for a crossing upwards, bits 7:0 the trip point ID. */
export const TRIP_EVENT_POSITIVE = 1 << 16;
// #endregion sensor-config

/** A 5-bit two's complement field as a number (-16 to 15). */
export function signed5(v: number): number {
  const f = v & 0x1f;
  return f & 0x10 ? f - 0x20 : f;
}

// #region intervals
/**
 * An update interval is a count of seconds times a power of ten. Inside the model intervals are
 * whole microseconds; this finds the shortest exact form (the largest exponent) with at most
 * 16 bits of seconds, which both encodings below can carry.
 */
export function intervalParts(us: number): { secs: number; exp: number } {
  if (!Number.isSafeInteger(us) || us <= 0) throw new RangeError(`interval ${us} µs: a positive whole number`);
  for (let exp = 15; exp >= -6; exp--) {
    const unit = 10 ** (exp + 6); // µs per count at this exponent
    if (unit >= 1 && us % unit === 0 && us / unit <= 0xffff) return { secs: us / unit, exp };
  }
  throw new RangeError(`interval ${us} µs cannot be written with 16 bits of seconds`);
}

/** The interval in units of 10^-16 s, exact, from seconds and an exponent (-16 to 15). */
export function intervalFemto(secs: number, exp: number): bigint {
  return BigInt(secs) * 10n ** BigInt(exp + 16);
}

export function usToFemto(us: number): bigint {
  return BigInt(us) * 10n ** 10n;
}

/** SENSOR_LIST_UPDATE_INTERVALS entry: bits 20:5 seconds, 4:0 exponent. */
export function encodeIntervalEntry(us: number): number {
  const { secs, exp } = intervalParts(us);
  return ((secs << 5) | (exp & 0x1f)) >>> 0;
}

export function decodeIntervalEntry(word: number): { secs: number; exp: number } {
  return { secs: (word >>> 5) & 0xffff, exp: signed5(word) };
}

/** The interval field of a sensor configuration: bits 31:16 seconds, 15:11 exponent. */
export function encodeConfigInterval(us: number): number {
  const { secs, exp } = intervalParts(us);
  return ((secs << 16) | ((exp & 0x1f) << 11)) >>> 0;
}

export function decodeConfigInterval(word: number): { secs: number; exp: number } {
  return { secs: word >>> 16, exp: signed5(word >>> 11) };
}
// #endregion intervals
