// A vehicle's sensor table for the examples and tests: the vehicle speed as the brake ECU sends
// it on CAN every 10 ms, a six-axis IMU (accelerometer and gyroscope) on the platform's SPI bus
// at 200 Hz, and the cabin temperature once a second; and the two guests that use them, the
// instrument cluster (speed, which it may configure) and the infotainment system (everything,
// the speed read-only). Every signal is a function of model time, so runs are reproducible.
import * as M from './messages.ts';
import type { AgentSpec } from './platform.ts';
import type { SensorSpec } from './sensor-table.ts';

// #region vehicle-signals
export interface VehicleSignals {
  /** Speed in mm/s at a time in µs; null when the frame did not arrive. */
  speedMmS(tUs: number): number | null;
  /** Acceleration along X (forward), Y (left), Z (up), in mm/s², gravity included. */
  accelMmS2(tUs: number): readonly number[] | null;
  /** Rotation rate about X, Y, Z, in µrad/s. */
  gyroUradS(tUs: number): readonly number[] | null;
  /** Cabin temperature in hundredths of a degree Celsius. */
  cabinCentiC(tUs: number): number | null;
}

/** Default drive: 2 m/s² from standstill to 20 m/s (72 km/h), reached at 10 s, then a steady left curve. */
export const DEFAULT_DRIVE: VehicleSignals = {
  speedMmS: (t) => Math.min(Math.floor(t / 500), 20_000),
  accelMmS2: (t) => [t < 10_000_000 ? 2000 : 0, t < 10_000_000 ? 0 : 800, 9807],
  gyroUradS: (t) => [0, 0, t < 10_000_000 ? 0 : 40_000],
  cabinCentiC: (t) => 2150 + Math.floor(t / 1_000_000) * 5,
};
// #endregion vehicle-signals

// #region vehicle-table
export const SPEED_SENSOR = 'vehicle_speed';
export const ACCEL_SENSOR = 'imu_accel';
export const GYRO_SENSOR = 'imu_gyro';
export const CABIN_SENSOR = 'cabin_temp';

export function vehicleSensorTable(signals: Partial<VehicleSignals> = {}): SensorSpec[] {
  const s = { ...DEFAULT_DRIVE, ...signals };
  const one = (v: number | null) => (v === null ? null : [v]);
  return [
    // CAN: a 10 ms cycle, 2 ms from the wheel-speed sensors to the platform; one frame may be
    // lost, so a reading is at most 22 ms old at the 10 ms interval.
    { name: SPEED_SENSOR, type: M.SCMI_UNIT_METERS_SEC, scale: -3, intervalsUs: [10_000, 20_000, 100_000], latencyUs: 2_000, lostSamples: 1, tripPoints: 2, async: true, updates: true, source: (t) => one(s.speedMmS(t)) },
    { name: ACCEL_SENSOR, type: M.SCMI_UNIT_METERS_SEC_SQUARED, scale: -3, axes: [{ name: 'ACCEL_X' }, { name: 'ACCEL_Y' }, { name: 'ACCEL_Z' }], intervalsUs: [5_000, 10_000, 20_000], latencyUs: 500, lostSamples: 1, updates: true, source: s.accelMmS2 },
    { name: GYRO_SENSOR, type: M.SCMI_UNIT_RADIANS_SEC, scale: -6, axes: [{ name: 'GYRO_X' }, { name: 'GYRO_Y' }, { name: 'GYRO_Z' }], intervalsUs: [5_000, 10_000, 20_000], latencyUs: 500, lostSamples: 1, updates: true, source: s.gyroUradS },
    { name: CABIN_SENSOR, type: M.SCMI_UNIT_DEGREES_C, scale: -2, intervalsUs: [1_000_000], latencyUs: 50_000, lostSamples: 2, tripPoints: 2, source: (t) => one(s.cabinCentiC(t)) },
  ];
}

/** The cluster sees the speed and may configure it; the infotainment guest reads it and sees the rest. */
export const VEHICLE_AGENTS: readonly AgentSpec[] = [
  { name: 'cluster', sensors: [{ sensor: SPEED_SENSOR, access: 'configure' }] },
  { name: 'ivi', sensors: [SPEED_SENSOR, ACCEL_SENSOR, GYRO_SENSOR, { sensor: CABIN_SENSOR, access: 'configure' }] },
];
// #endregion vehicle-table
