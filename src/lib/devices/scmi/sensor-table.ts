// The platform's sensor table: what each sensor measures, in which unit and scale, how often the
// platform takes a sample, how late a sample arrives, and the age beyond which the platform
// refuses to hand one out. This is the table the AVP asks an integrator to publish (a sensor's
// latency and age bound are part of its contract with every guest), and the sensor descriptors
// the device returns are encoded from it.
import * as M from './messages.ts';

// #region sensor-spec
export interface AxisSpec {
  /** Up to 15 ASCII characters; Linux's IIO driver takes the axis from the letter after the last '_'. */
  readonly name: string;
}

export interface SensorSpec {
  /** The sensor's key in the platform, and its SCMI name: up to 15 ASCII characters. */
  readonly name: string;
  /** SCMI unit code, e.g. SCMI_UNIT_METERS_SEC. */
  readonly type: number;
  /** Power-of-ten multiplier of the unit (-16 to 15): -3 makes a reading in mm/s of a METERS_SEC sensor. */
  readonly scale: number;
  /** Axes of a multi-axis sensor (an accelerometer's X, Y, Z); none for a scalar sensor. */
  readonly axes?: readonly AxisSpec[];
  /** The update intervals the sensor supports, in µs, ascending; the platform samples at one of them. */
  readonly intervalsUs: readonly number[];
  /** The interval it starts with; default the first. */
  readonly intervalUs?: number;
  /** From measurement to the platform (the bus, the ECU's filter): a sample's timestamp is this much before its tick. */
  readonly latencyUs: number;
  /**
   * Samples that may be lost in a row before the platform refuses the reading; default 1. With
   * the interval and the latency it gives the sensor's stated maximum age (maxAgeUs below).
   */
  readonly lostSamples?: number;
  /** Trip points an agent may set (scalar sensors only); default 0. */
  readonly tripPoints?: number;
  /** Whether the sensor answers an asynchronous read with the next sample (a delayed response). */
  readonly async?: boolean;
  /** Whether agents may ask for a SENSOR_UPDATE notification per sample. */
  readonly updates?: boolean;
  /** The measurement at a time in µs: one value per axis (one for a scalar sensor), or null when none arrived. */
  readonly source: (measuredAtUs: number) => readonly number[] | null;
}
// #endregion sensor-spec

/**
 * SCMI allows 63 axes, but a SENSOR_UPDATE of n axes is 12 + 16n bytes and Linux's virtio
 * transport posts eventq buffers of 136 bytes: beyond 7 axes a guest could never receive one.
 */
export const MAX_SENSOR_AXES = 7;

/** Timestamps are model time in µs: 10^-6 s. */
export const SCMI_TIMESTAMP_EXP = -6;

// #region max-age
/**
 * The oldest sample the platform hands out at an update interval: the latency, plus one
 * interval for the next sample to be due, plus one for each sample that may be lost in a row.
 * Vehicle speed every 10 ms, 2 ms late, one frame lost at most: 22 ms.
 */
export function maxAgeUs(s: SensorSpec, intervalUs: number): number {
  return s.latencyUs + (1 + (s.lostSamples ?? 1)) * intervalUs;
}
// #endregion max-age

/** Why a sensor table cannot be served, or null. */
export function sensorSpecError(s: SensorSpec): string | null {
  if (!/^[\x20-\x7e]{1,15}$/.test(s.name)) return `${s.name}: a name of 1 to 15 printable ASCII characters`;
  if (!Number.isInteger(s.type) || s.type < 0 || s.type > 0xff) return `${s.name}: type is an 8-bit unit code`;
  if (!Number.isInteger(s.scale) || s.scale < -16 || s.scale > 15) return `${s.name}: scale from -16 to 15`;
  const axes = s.axes?.length ?? 0;
  if (axes > MAX_SENSOR_AXES) return `${s.name}: at most ${MAX_SENSOR_AXES} axes (a SENSOR_UPDATE must fit 136 bytes)`;
  for (const a of s.axes ?? []) if (!/^[\x20-\x7e]{1,15}$/.test(a.name)) return `${s.name}: axis ${a.name}: a name of 1 to 15 printable ASCII characters`;
  if (s.intervalsUs.length === 0 || s.intervalsUs.length > 0xfff) return `${s.name}: 1 to 4095 update intervals`;
  for (let i = 0; i < s.intervalsUs.length; i++) {
    try {
      M.intervalParts(s.intervalsUs[i]);
    } catch (e) {
      return `${s.name}: ${(e as Error).message}`;
    }
    if (i > 0 && s.intervalsUs[i] <= s.intervalsUs[i - 1]) return `${s.name}: update intervals in ascending order`;
  }
  if (s.intervalUs !== undefined && !s.intervalsUs.includes(s.intervalUs)) return `${s.name}: intervalUs is not one of intervalsUs`;
  if (!Number.isSafeInteger(s.latencyUs) || s.latencyUs < 0) return `${s.name}: latencyUs a whole number of µs`;
  const lost = s.lostSamples ?? 1;
  if (!Number.isInteger(lost) || lost < 0 || lost > 1000) return `${s.name}: lostSamples from 0 to 1000`;
  const trips = s.tripPoints ?? 0;
  if (!Number.isInteger(trips) || trips < 0 || trips > 255) return `${s.name}: 0 to 255 trip points`;
  if (trips > 0 && axes > 0) return `${s.name}: trip points only on a scalar sensor`;
  return null;
}

// #region descriptor
/**
 * The 28-byte sensor descriptor (DEN0056 4.7.2.5). What a sensor can notify or answer late is
 * shown only when VIRTIO_SCMI_F_P2A_CHANNELS was negotiated: without the eventq the device
 * must not let an agent believe any notification or delayed response exists (§5.17.6.1.1).
 */
export function encodeSensorDescriptor(id: number, s: SensorSpec, p2a: boolean): Uint8Array {
  const b = new Uint8Array(M.SENSOR_DESCRIPTOR_SIZE);
  const v = new DataView(b.buffer);
  let low = M.SENSOR_ATTR_TIMESTAMP | ((SCMI_TIMESTAMP_EXP & 0x1f) << M.SENSOR_TIMESTAMP_EXP_SHIFT);
  if (p2a) {
    if (s.async) low |= M.SENSOR_ATTR_ASYNC_READ;
    if (s.updates) low |= M.SENSOR_ATTR_CONTINUOUS_UPDATE;
    low |= (s.tripPoints ?? 0) & M.SENSOR_NUM_TRIP_POINTS_MASK;
  }
  const axes = s.axes?.length ?? 0;
  let high = ((s.scale & 0x1f) << M.SENSOR_SCALE_SHIFT) | (s.type & M.SENSOR_TYPE_MASK);
  if (axes > 0) high |= M.SENSOR_ATTR_HAS_AXES | (axes << M.SENSOR_NUM_AXES_SHIFT);
  v.setUint32(0, id, true);
  v.setUint32(4, low >>> 0, true);
  v.setUint32(8, high >>> 0, true);
  b.set(asciiName(s.name), 12);
  return b;
}

/** The 28-byte axis descriptor (SENSOR_AXIS_DESCRIPTION_GET): an axis shares its sensor's unit and scale here. */
export function encodeAxisDescriptor(axisId: number, s: SensorSpec, axis: AxisSpec): Uint8Array {
  const b = new Uint8Array(M.AXIS_DESCRIPTOR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, axisId, true);
  v.setUint32(4, 0, true); // no extended attributes
  v.setUint32(8, (((s.scale & 0x1f) << M.SENSOR_SCALE_SHIFT) | (s.type & M.SENSOR_TYPE_MASK)) >>> 0, true);
  b.set(asciiName(axis.name), 12);
  return b;
}
// #endregion descriptor

/** A name as a 16-byte NUL-terminated ASCII field. */
export function asciiName(name: string): Uint8Array {
  const b = new Uint8Array(M.SCMI_SHORT_NAME_SIZE);
  for (let i = 0; i < Math.min(name.length, M.SCMI_SHORT_NAME_SIZE - 1); i++) b[i] = name.charCodeAt(i) & 0x7f;
  return b;
}

export function readAsciiName(b: Uint8Array): string {
  const end = b.indexOf(0);
  return String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end));
}
