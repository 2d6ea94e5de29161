// The SCMI sensor protocol (0x15) on the device, synchronously: each guest's view of the
// sensors, descriptors and axes, readings with the time they were measured, stale and disabled
// sensors, the shared configuration and who may change it.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as H from '../../../../src/lib/devices/scmi/header.ts';
import * as M from '../../../../src/lib/devices/scmi/messages.ts';
import { isFresh, readingAgeUs, type Reading } from '../../../../src/lib/devices/scmi/agent.ts';
import { ScmiPlatform } from '../../../../src/lib/devices/scmi/platform.ts';
import { MAX_SENSOR_AXES, SCMI_TIMESTAMP_EXP, type SensorSpec } from '../../../../src/lib/devices/scmi/sensor-table.ts';
import { vehicleSensorTable } from '../../../../src/lib/devices/scmi/vehicle.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import { cmd, guest, world } from './harness.ts';

const SENSOR = M.SCMI_PROTOCOL_SENSOR;
const readings = (r: Reading[] | { status: number }): Reading[] => {
  if (!Array.isArray(r)) throw new Error(`status ${r.status}`);
  return r;
};

describe.each(RING_TYPES)('SCMI sensors (%s ring)', (ring) => {
  it('[AVP-SENS-34] shows a guest only the sensors granted to it, numbered from 0 to the count it is told', () => {
    const w = world();
    const cluster = guest(ring, w, 'cluster');
    const ivi = guest(ring, w, 'ivi');
    expect(cluster.agent.sensorAttributes().sensors).toBe(1);
    expect(cluster.agent.describeSensors().map((s) => [s.id, s.name])).toEqual([[0, 'vehicle_speed']]);
    expect(ivi.agent.sensorAttributes().sensors).toBe(4);
    expect(ivi.agent.describeSensors().map((s) => [s.id, s.name])).toEqual([[0, 'vehicle_speed'], [1, 'imu_accel'], [2, 'imu_gyro'], [3, 'cabin_temp']]);
    // The same platform sensor under another ID in another view: the IMU is ivi's sensor 1 and nobody else's.
    const other = world({ agents: [{ name: 'adas', sensors: ['imu_gyro', 'vehicle_speed'] }] });
    expect(guest(ring, other, 'adas').agent.describeSensors().map((s) => s.name)).toEqual(['imu_gyro', 'vehicle_speed']);
  });

  it('[AVP-SENS-35] answers NOT_FOUND for a sensor ID outside the agent’s view', () => {
    const w = world();
    const c = guest(ring, w, 'cluster');
    for (const [m, extra] of [[M.SENSOR_READING_GET, [0]], [M.SENSOR_CONFIG_GET, []], [M.SENSOR_CONFIG_SET, [1]], [M.SENSOR_AXIS_DESCRIPTION_GET, [0]], [M.SENSOR_LIST_UPDATE_INTERVALS, [0]], [M.SENSOR_TRIP_POINT_NOTIFY, [1]], [M.SENSOR_TRIP_POINT_CONFIG, [0x11, 0, 0]], [M.SENSOR_CONTINUOUS_UPDATE_NOTIFY, [1]]] as const) {
      for (const id of [1, 3, 0xffff_ffff]) expect(c.agent.raw([cmd(SENSOR, m, [id, ...extra])], [136]).status).toBe(H.SCMI_NOT_FOUND);
    }
    expect(c.agent.raw([cmd(SENSOR, M.SENSOR_DESCRIPTION_GET, [1])], [136]).status).toBe(H.SCMI_INVALID_PARAMETERS);
  });

  it('[AVP-SENS-39] describes each sensor with its unit, scale, axes, timestamp support and exponent from the table', () => {
    const g = guest(ring, world());
    const s = g.agent.describeSensors();
    expect(s[0]).toMatchObject({ type: M.SCMI_UNIT_METERS_SEC, scale: -3, axes: 0, tripPoints: 2, async: true, updates: true, timestamped: true, timestampExp: SCMI_TIMESTAMP_EXP });
    expect(s[1]).toMatchObject({ type: M.SCMI_UNIT_METERS_SEC_SQUARED, scale: -3, axes: 3, tripPoints: 0, async: false, updates: true });
    expect(s[2]).toMatchObject({ type: M.SCMI_UNIT_RADIANS_SEC, scale: -6, axes: 3 });
    expect(s[3]).toMatchObject({ type: M.SCMI_UNIT_DEGREES_C, scale: -2, axes: 0, tripPoints: 2, updates: false });
    expect(g.agent.axisNames(1)).toEqual(['ACCEL_X', 'ACCEL_Y', 'ACCEL_Z']);
    expect(g.agent.axisNames(2)).toEqual(['GYRO_X', 'GYRO_Y', 'GYRO_Z']);
    const ax = g.agent.raw([cmd(SENSOR, M.SENSOR_AXIS_DESCRIPTION_GET, [2, 1])], [136]);
    expect(ax.ret.getUint32(4, true)).toBe(1); // axis ID
    expect(ax.ret.getUint32(12, true)).toBe((((-6 & 0x1f) << 11) | M.SCMI_UNIT_RADIANS_SEC) >>> 0);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_AXIS_DESCRIPTION_GET, [0, 0])], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_AXIS_DESCRIPTION_GET, [1, 3])], [136]).status).toBe(H.SCMI_INVALID_PARAMETERS);
    expect(g.agent.intervalsUs(0)).toEqual([10_000, 20_000, 100_000]);
    expect(g.agent.intervalsUs(3)).toEqual([1_000_000]);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_LIST_UPDATE_INTERVALS, [0, 3])], [136]).status).toBe(H.SCMI_INVALID_PARAMETERS);
  });

  it('[AVP-SENS-40] stamps every reading with the time it was measured, in µs as the exponent -6 says', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(35_000);
    // The speed is measured every 10 ms and reaches the platform 2 ms later: at 35 ms the latest
    // arrived at 32 ms and was measured at 30 ms, when the car did 60 mm/s.
    expect(readings(g.agent.read(0))).toEqual([{ value: 60n, timestamp: 30_000n }]);
    // The IMU: every 5 ms, 0.5 ms late; the latest was measured at 30 ms, all axes at once.
    expect(readings(g.agent.read(1))).toEqual([{ value: 2000n, timestamp: 30_000n }, { value: 0n, timestamp: 30_000n }, { value: 9807n, timestamp: 30_000n }]);
    w.clock.advance(10_000_000);
    expect(readings(g.agent.read(2))).toEqual([{ value: 0n, timestamp: 10_030_000n }, { value: 0n, timestamp: 10_030_000n }, { value: 40_000n, timestamp: 10_030_000n }]);
    // Timestamp reporting off in this guest's view: its timestamps read 0; another guest's do not.
    const cluster = guest(ring, w, 'cluster');
    expect(g.agent.configSet(0, M.SENSOR_CONFIG_ENABLED)).toBe(H.SCMI_SUCCESS);
    expect(readings(g.agent.read(0))[0].timestamp).toBe(0n);
    expect(readings(cluster.agent.read(0))[0].timestamp).toBe(10_030_000n);
  });

  it('[AVP-SENS-41] answers HARDWARE_ERROR rather than hand out a sample past the sensor’s maximum age, or none', () => {
    let lost = false;
    const w = world({ signals: { speedMmS: (t) => (lost ? null : Math.floor(t / 500)) } });
    const g = guest(ring, w);
    expect(g.agent.read(0)).toEqual({ status: H.SCMI_HARDWARE_ERROR }); // nothing has arrived yet
    w.clock.advance(2_000);
    expect(readings(g.agent.read(0))).toEqual([{ value: 0n, timestamp: 0n }]);
    w.clock.advance(40_000);
    lost = true; // the brake ECU's frames stop
    w.clock.advance(25_000); // last measured at 40 ms; at 67 ms it is 27 ms old, past 25 ms
    expect(g.agent.read(0)).toEqual({ status: H.SCMI_HARDWARE_ERROR });
    lost = false;
    w.clock.advance(10_000);
    expect(readings(g.agent.read(0))[0].timestamp).toBe(70_000n);
  });

  it('[AVP-SENS-42] answers PROTOCOL_ERROR to a read of a sensor disabled in the agent’s view, and reads it again once enabled', () => {
    const w = world();
    const ivi = guest(ring, w);
    const cluster = guest(ring, w, 'cluster');
    w.clock.advance(20_000);
    expect(ivi.agent.configSet(0, M.SENSOR_CONFIG_TIMESTAMPS)).toBe(H.SCMI_SUCCESS); // off, for the infotainment guest
    expect(ivi.agent.read(0)).toEqual({ status: H.SCMI_PROTOCOL_ERROR });
    expect((ivi.agent.configGet(0) as number) & M.SENSOR_CONFIG_ENABLED).toBe(0);
    expect(readings(cluster.agent.read(0))[0].timestamp).toBe(10_000n);
    expect(cluster.agent.configSet(0, M.SENSOR_CONFIG_TIMESTAMPS)).toBe(H.SCMI_SUCCESS); // off for both: the sensor stops
    expect(w.platform.sensors[0].enabled).toBe(false);
    w.clock.advance(1_000_000);
    expect(w.platform.sensors[0].last?.measuredAtUs).toBe(10_000);
    expect(ivi.agent.configSet(0, M.SENSOR_CONFIG_TIMESTAMPS | M.SENSOR_CONFIG_ENABLED)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(2_000); // back on: it measures at once, and the sample arrives 2 ms later
    expect(readings(ivi.agent.read(0))).toEqual([{ value: 2040n, timestamp: 1_020_000n }]);
    expect(cluster.agent.read(0)).toEqual({ status: H.SCMI_PROTOCOL_ERROR });
  });

  it('[AVP-SENS-36] answers DENIED to an update interval from an agent without the right to configure, changing nothing', () => {
    const w = world();
    const ivi = guest(ring, w);
    const cluster = guest(ring, w, 'cluster');
    const before = ivi.agent.configGet(0);
    expect(before).toBe(M.encodeConfigInterval(10_000) | M.SENSOR_CONFIG_TIMESTAMPS | M.SENSOR_CONFIG_ENABLED);
    for (const cfg of [M.encodeConfigInterval(100_000) | 3, M.encodeConfigInterval(10_000), before as number, (before as number) | M.SENSOR_CONFIG_ROUND_AUTO]) expect(ivi.agent.configSet(0, cfg)).toBe(H.SCMI_DENIED);
    expect(ivi.agent.configGet(0)).toBe(before);
    expect(cluster.agent.configGet(0)).toBe(before);
    expect(w.platform.sensors[0].intervalUs).toBe(10_000);
    // The IMU is nobody's to configure; the cabin temperature is the infotainment guest's.
    expect(ivi.agent.configSet(1, M.encodeConfigInterval(20_000) | 3)).toBe(H.SCMI_DENIED);
    expect(ivi.agent.configSet(3, M.encodeConfigInterval(1_000_000) | 3)).toBe(H.SCMI_SUCCESS);
    expect(cluster.agent.configSet(0, M.encodeConfigInterval(20_000) | 3)).toBe(H.SCMI_SUCCESS);
    expect(ivi.agent.configGet(0)).toBe(M.encodeConfigInterval(20_000) | 3);
  });

  it('[AVP-SENS-51] lets any agent set its own state and timestamp bits, as Linux’s IIO driver does around a raw read, without touching another guest’s view', () => {
    const w = world();
    const ivi = guest(ring, w);
    const cluster = guest(ring, w, 'cluster');
    w.clock.advance(30_000);
    // scmi_iio's raw read: CONFIG_SET enable (interval 0, timestamps 0), READING_GET, CONFIG_SET disable.
    expect(ivi.agent.configSet(1, M.SENSOR_CONFIG_ENABLED)).toBe(H.SCMI_SUCCESS);
    expect(readings(ivi.agent.read(1))[0]).toEqual({ value: 2000n, timestamp: 0n });
    expect(ivi.agent.configSet(1, 0)).toBe(H.SCMI_SUCCESS);
    expect(ivi.agent.read(1)).toEqual({ status: H.SCMI_PROTOCOL_ERROR });
    // The same on the speed, which the cluster also reads: the cluster's view does not move.
    expect(ivi.agent.configSet(0, 0)).toBe(H.SCMI_SUCCESS);
    expect(cluster.agent.configGet(0)).toBe(M.encodeConfigInterval(10_000) | 3);
    expect(readings(cluster.agent.read(0))[0].timestamp).toBe(20_000n);
    w.clock.advance(10_000);
    expect(readings(cluster.agent.read(0))[0].timestamp).toBe(30_000n); // still sampling
  });

  it('[AVP-SENS-47] applies only a listed update interval, rounded as asked, and answers OUT_OF_RANGE when none is on the side asked', () => {
    const w = world();
    const c = guest(ring, w, 'cluster');
    const set = (secs: number, exp: number, round: number) => c.agent.configSet(0, ((secs << 16) | ((exp & 0x1f) << 11) | round | 3) >>> 0);
    const interval = () => w.platform.sensors[0].intervalUs;
    expect(set(20, -3, 0)).toBe(H.SCMI_SUCCESS); // exactly 20 ms
    expect(interval()).toBe(20_000);
    expect(set(15, -3, M.SENSOR_CONFIG_ROUND_UP)).toBe(H.SCMI_SUCCESS); // 15 ms up: 20 ms
    expect(interval()).toBe(20_000);
    expect(set(15, -3, 0)).toBe(H.SCMI_SUCCESS); // 15 ms down: 10 ms
    expect(interval()).toBe(10_000);
    expect(set(6, -2, M.SENSOR_CONFIG_ROUND_AUTO)).toBe(H.SCMI_SUCCESS); // 60 ms: as near 20 as 100, the shorter wins
    expect(interval()).toBe(20_000);
    expect(set(7, -2, M.SENSOR_CONFIG_ROUND_AUTO)).toBe(H.SCMI_SUCCESS); // 70 ms: nearer 100
    expect(interval()).toBe(100_000);
    expect(set(5, -3, 0)).toBe(H.SCMI_OUT_OF_RANGE); // below 10 ms, rounding down
    expect(set(1, 0, M.SENSOR_CONFIG_ROUND_UP)).toBe(H.SCMI_OUT_OF_RANGE); // above 100 ms, rounding up
    expect(set(1, -16, M.SENSOR_CONFIG_ROUND_UP)).toBe(H.SCMI_SUCCESS); // 10^-16 s up: 10 ms
    expect(interval()).toBe(10_000);
    expect(set(0, 7, 0)).toBe(H.SCMI_SUCCESS); // 0 s: keep the interval
    expect(interval()).toBe(10_000);
    // The sensor then measures at the new interval, from the moment it was set, and its stated
    // maximum age grows with it (2 ms + 2 × 100 ms).
    w.clock.advance(1_000_000);
    expect(set(1, -1, 0)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(195_000);
    expect(readings(c.agent.read(0))[0].timestamp).toBe(1_100_000n);
    expect(w.platform.sensors[0].maxAgeUs).toBe(202_000);
  });

  it('[AVP-SENS-18] refuses a sensor table with more than 7 axes on a sensor, as no guest could receive its updates', () => {
    const base = vehicleSensorTable()[1];
    const axes = Array.from({ length: MAX_SENSOR_AXES + 1 }, (_, i) => ({ name: `A_${i}` }));
    const make = (spec: SensorSpec) => new ScmiPlatform({ clock: new ModelClock(), sensors: [spec], agents: [{ name: 'g', sensors: [spec.name] }] });
    expect(() => make({ ...base, axes, source: () => axes.map(() => 0) })).toThrow(/at most 7 axes/);
    expect(() => make({ ...base, axes: axes.slice(0, 7), source: () => axes.slice(0, 7).map(() => 0) })).not.toThrow();
  });

  it('[AVP-SENS-50] a guest takes a reading only within its own age bound, and never one without a timestamp', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(45_000);
    const [speed] = readings(g.agent.read(0)); // measured at 40 ms
    expect(readingAgeUs(speed, w.clock.now)).toBe(5_000);
    expect(isFresh(speed, w.clock.now, 20_000)).toBe(true);
    expect(isFresh(speed, w.clock.now + 16_000, 20_000)).toBe(false);
    expect(isFresh({ value: 1n, timestamp: 0n }, w.clock.now, 1_000_000)).toBe(false);
  });
});
