// Two guests share the vehicle's sensors over SCMI: the infotainment guest discovers what it may see and reads the speed and the IMU with the age of each sample, the cluster watches a speed trip point, a read-only guest is refused a configuration change, and lost CAN frames make a stale speed unreadable.
import { Loopback, scmi } from '../src/lib/index.ts';

let canUp = true; // the brake ECU's speed frames arrive
const clock = new scmi.ModelClock();
const sensors = scmi.vehicleSensorTable({ speedMmS: (t) => (canUp ? scmi.DEFAULT_DRIVE.speedMmS(t) : null) });
const platform = new scmi.ScmiPlatform({ clock, sensors, agents: scmi.VEHICLE_AGENTS, vendor: 'AVP', subVendor: 'zone-ctrl' });
const ivi = new scmi.ScmiAgent(new Loopback(new scmi.ScmiDevice({ platform, agent: 'ivi' }), { ring: 'split' }));
const cluster = new scmi.ScmiAgent(new Loopback(new scmi.ScmiDevice({ platform, agent: 'cluster' }), { ring: 'packed' }));
const ms = (us: number | bigint) => `${(Number(us) / 1000).toFixed(1)} ms`;
const status = (s: number) => scmi.statusName(s);
const UNITS: Record<number, string> = { [scmi.SCMI_UNIT_METERS_SEC]: 'm/s', [scmi.SCMI_UNIT_METERS_SEC_SQUARED]: 'm/s²', [scmi.SCMI_UNIT_RADIANS_SEC]: 'rad/s', [scmi.SCMI_UNIT_DEGREES_C]: '°C' };

// Discovery, as Linux's SCMI core does it at probe time.
const me = ivi.agentInfo() as { id: number; name: string };
console.log(`ivi: vendor ${ivi.vendor()}, agent ${me.id} "${me.name}", protocols ${ivi.listProtocols().map((p) => `0x${p.toString(16)}`).join(', ')}`);
for (const s of ivi.describeSensors()) {
  const axes = s.axes ? ` axes ${ivi.axisNames(s.id).join('/')}` : '';
  const every = ivi.intervalsUs(s.id).map(ms).join(', ');
  console.log(`  sensor ${s.id} ${s.name.padEnd(13)} ${UNITS[s.type]} ×10^${s.scale}${axes}; intervals ${every}; trip points ${s.tripPoints}${s.async ? ', async' : ''}${s.updates ? ', updates' : ''}`);
}
console.log(`cluster sees: ${cluster.describeSensors().map((s) => `${s.id} ${s.name}`).join(', ')}`);

// Reading the speed and the IMU one second into the drive: each reading says when it was measured.
clock.advance(1_000_000);
const [speed] = ivi.read(0) as scmi.Reading[];
console.log(`at ${ms(clock.now)}: speed ${Number(speed.value) / 1000} m/s, measured ${ms(speed.timestamp)}, age ${ms(scmi.readingAgeUs(speed, clock.now) ?? 0)} (bound ${ms(platform.sensors[0].maxAgeUs)})`);
const accel = ivi.read(1) as scmi.Reading[];
console.log(`  accel ${accel.map((r) => Number(r.value) / 1000).join(', ')} m/s², age ${ms(scmi.readingAgeUs(accel[0], clock.now) ?? 0)}`);

// IMU samples as they come: continuous updates on the eventq for 15 ms.
ivi.postEventBuffers(8);
ivi.continuousUpdates(1, true);
clock.advance(15_000);
for (const e of ivi.events()) {
  const xyz = scmi.decodeReadings(e.payload, 8, 3);
  console.log(`  accel update measured ${ms(xyz[0].timestamp)}, on the eventq ${ms(platform.sensors[1].spec.latencyUs)} later: ${xyz.map((r) => r.value).join(', ')} mm/s²`);
}
ivi.continuousUpdates(1, false);

// An asynchronous read waits for the next speed frame: the delayed response comes on the eventq.
const asked = clock.now;
const pending = ivi.readAsync(0) as { token: number };
clock.advance(10_000);
for (const e of ivi.events()) {
  const [r] = scmi.decodeReadings(e.payload, 8, 1);
  console.log(`async read (token ${pending.token}) asked at ${ms(asked)}: ${Number(r.value) / 1000} m/s measured ${ms(r.timestamp)}, delivered within ${ms(clock.now - asked)}`);
}

// The cluster watches 50 km/h (13.889 m/s) upwards; the car gets there at 6.944 s, the sample
// measured at 6.950 s shows it, and it reaches the platform at 6.952 s.
cluster.postEventBuffers(4);
cluster.tripPointConfig(0, 0, scmi.TRIP_POINT_POSITIVE, 13_889n);
cluster.tripPointNotify(0, true);
for (let heard = false; !heard; ) {
  clock.advance(1_000);
  for (const e of cluster.events()) {
    console.log(`cluster: trip point ${e.payload.getUint32(8, true) & 0xff} crossed upwards, heard at ${ms(clock.now)}`);
    heard = true;
  }
}
console.log(`ivi heard no trip point: ${ivi.events().length} events`);

// Who may configure the speed sensor: the cluster, not the infotainment guest.
const slower = scmi.encodeConfigInterval(20_000) | scmi.SENSOR_CONFIG_TIMESTAMPS | scmi.SENSOR_CONFIG_ENABLED;
console.log(`ivi sets the speed to 20 ms: ${status(ivi.configSet(0, slower))}; cluster: ${status(cluster.configSet(0, slower))}; now every ${ms(platform.sensors[0].intervalUs)}, bound ${ms(platform.sensors[0].maxAgeUs)}`);

// Frames stop: the last speed ages past its bound and the platform refuses to hand it out.
canUp = false;
for (const step of [20_000, 30_000]) {
  clock.advance(step);
  const r = ivi.read(0);
  console.log(`CAN silent, at ${ms(clock.now)}: ${Array.isArray(r) ? `${Number(r[0].value) / 1000} m/s, age ${ms(scmi.readingAgeUs(r[0], clock.now) ?? 0)}` : status(r.status)}`);
}
