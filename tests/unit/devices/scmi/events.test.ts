// The SCMI device's eventq (VIRTIO 1.4 §5.17.6.2, §5.17.6.3): trip point events, continuous
// updates and delayed responses to asynchronous reads; what the device does without the eventq,
// without buffers, with bad buffers, across a reset and a suspend; and each agent's
// notifications kept apart from the others'.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as H from '../../../../src/lib/devices/scmi/header.ts';
import * as M from '../../../../src/lib/devices/scmi/messages.ts';
import { decodeReadings, type P2aEvent } from '../../../../src/lib/devices/scmi/agent.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ScmiAgent } from '../../../../src/lib/devices/scmi/agent.ts';
import { cmd, guest, type Guest, world } from './harness.ts';

const SENSOR = M.SCMI_PROTOCOL_SENSOR;
/** The speed crosses 100 mm/s at 50 ms (the car accelerates at 2 m/s²). */
const TRIP_MM_S = 100n;

const kinds = (evs: P2aEvent[]) => evs.map((e) => [e.header.type, e.header.messageId, e.header.token]);
const trip = (e: P2aEvent) => ({ agent: e.payload.getUint32(0, true), sensor: e.payload.getUint32(4, true), desc: e.payload.getUint32(8, true) });

describe.each(RING_TYPES)('SCMI eventq (%s ring)', (ring) => {
  it('[AVP-SENS-45] sends SENSOR_TRIP_POINT_EVENT when samples reach or cross a trip point in an enabled direction', () => {
    let speed = (t: number) => Math.min(Math.floor(t / 500), 20_000);
    const w = world({ signals: { speedMmS: (t) => speed(t) } });
    const g = guest(ring, w);
    g.agent.postEventBuffers(8);
    expect(g.agent.tripPointConfig(0, 0, M.TRIP_POINT_POSITIVE, TRIP_MM_S)).toBe(H.SCMI_SUCCESS);
    expect(g.agent.tripPointConfig(0, 1, M.TRIP_POINT_NEGATIVE, 50n)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(70_000);
    expect(g.agent.events()).toEqual([]); // configured, but notifications not switched on yet
    expect(g.agent.tripPointNotify(0, true)).toBe(H.SCMI_SUCCESS);
    speed = (t) => (t < 100_000 ? Math.floor(t / 500) : 90); // reached 100 at 50 ms; now falls back
    w.clock.advance(30_000); // measured 80, 90 (180 mm/s), then 90 at 100 ms: nothing crosses up
    expect(g.agent.events()).toEqual([]);
    speed = (t) => (t < 130_000 ? 90 : 40); // 90 → 40 crosses 50 downwards
    w.clock.advance(40_000);
    const ev = g.agent.events();
    expect(kinds(ev)).toEqual([[H.MSG_TYPE_NOTIFICATION, M.SENSOR_TRIP_POINT_EVENT, 0]]);
    expect(ev[0].header.protocolId).toBe(SENSOR);
    expect(trip(ev[0])).toEqual({ agent: 0, sensor: 0, desc: 1 }); // negative direction (bit 16 clear), trip point 1
    speed = (t) => (t < 170_000 ? 40 : 100); // 40 → exactly 100 reaches trip point 0 upwards
    w.clock.advance(33_000); // the sample measured at 170 ms arrives at 172 ms
    const up = g.agent.events();
    expect(up.map(trip)).toEqual([{ agent: 0, sensor: 0, desc: M.TRIP_EVENT_POSITIVE | 0 }]);
    // Trip point 0 off: no event for the next crossing.
    expect(g.agent.tripPointConfig(0, 0, M.TRIP_POINT_DISABLED, 0n)).toBe(H.SCMI_SUCCESS);
    speed = (t) => (t < 230_000 ? 100 : t < 260_000 ? 0 : 200);
    w.clock.advance(100_000); // 100 → 0 crosses 50 down; 0 → 200 crosses both upwards, which nobody watches now
    expect(g.agent.events().map(trip)).toEqual([{ agent: 0, sensor: 0, desc: 1 }]);
    expect(g.agent.tripPointConfig(0, 2, M.TRIP_POINT_BOTH, 0n)).toBe(H.SCMI_INVALID_PARAMETERS); // two trip points: 0 and 1
    expect(g.agent.tripPointConfig(1, 0, M.TRIP_POINT_BOTH, 0n)).toBe(H.SCMI_NOT_SUPPORTED); // the IMU has none
  });

  it('[AVP-SENS-46] sends SENSOR_UPDATE with the readings of every sample while updates are on', () => {
    const w = world();
    const g = guest(ring, w);
    g.agent.postEventBuffers(16);
    w.clock.advance(1_000);
    expect(g.agent.continuousUpdates(1, true)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(10_000); // the IMU's samples arrive at 5.5 and 10.5 ms
    const ev = g.agent.events();
    expect(kinds(ev)).toEqual([
      [H.MSG_TYPE_NOTIFICATION, M.SENSOR_UPDATE, 0],
      [H.MSG_TYPE_NOTIFICATION, M.SENSOR_UPDATE, 0],
    ]);
    expect(ev[0].len).toBe(4 + 8 + 48);
    expect([ev[0].payload.getUint32(0, true), ev[0].payload.getUint32(4, true)]).toEqual([0, 1]);
    expect(decodeReadings(ev[1].payload, 8, 3)).toEqual([
      { value: 2000n, timestamp: 10_000n },
      { value: 0n, timestamp: 10_000n },
      { value: 9807n, timestamp: 10_000n },
    ]);
    expect(g.agent.continuousUpdates(1, false)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(20_000);
    expect(g.agent.events()).toEqual([]);
    expect(g.agent.continuousUpdates(3, true)).toBe(H.SCMI_NOT_SUPPORTED); // the cabin sensor has no updates
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_CONTINUOUS_UPDATE_NOTIFY, [1, 2])], [136]).status).toBe(H.SCMI_INVALID_PARAMETERS);
  });

  it('[AVP-SENS-43] [AVP-SENS-23] completes an asynchronous read with the next sample to arrive, as a delayed response with the command’s header', () => {
    const w = world();
    const g = guest(ring, w);
    g.agent.postEventBuffers(4);
    w.clock.advance(5_000); // the last speed sample arrived at 2 ms
    const r = g.agent.readAsync(0);
    if (!('token' in r)) throw new Error(`status ${r.status}`);
    expect(g.agent.events()).toEqual([]);
    w.clock.advance(6_000);
    expect(g.agent.events()).toEqual([]);
    w.clock.advance(1_000); // the next arrives at 12 ms, measured at 10 ms
    const ev = g.agent.events();
    expect(kinds(ev)).toEqual([[H.MSG_TYPE_DELAYED_RESPONSE, M.SENSOR_READING_COMPLETE, r.token]]);
    expect(ev[0].header.protocolId).toBe(SENSOR);
    expect(ev[0].len).toBe(4 + 4 + 4 + 16);
    expect([ev[0].payload.getInt32(0, true), ev[0].payload.getUint32(4, true)]).toEqual([H.SCMI_SUCCESS, 0]);
    expect(decodeReadings(ev[0].payload, 8, 1)).toEqual([{ value: 20n, timestamp: 10_000n }]);
  });

  it('[AVP-SENS-43] [AVP-SENS-23] fails an asynchronous read that no sample answers in time with HARDWARE_ERROR, the status alone', () => {
    let lost = false;
    const w = world({ signals: { speedMmS: (t) => (lost ? null : Math.floor(t / 500)) } });
    const g = guest(ring, w);
    g.agent.postEventBuffers(4);
    w.clock.advance(3_000);
    lost = true;
    const r = g.agent.readAsync(0) as { token: number };
    w.clock.advance(22_000); // 22 ms: not yet past the maximum age
    expect(g.agent.events()).toEqual([]);
    w.clock.advance(1_000);
    const ev = g.agent.events();
    expect(kinds(ev)).toEqual([[H.MSG_TYPE_DELAYED_RESPONSE, M.SENSOR_READING_COMPLETE, r.token]]);
    expect([ev[0].len, ev[0].payload.getInt32(0, true)]).toEqual([8, H.SCMI_HARDWARE_ERROR]);
    // One of a sensor the agent switched off meanwhile fails as a read of it would.
    lost = false;
    const r2 = g.agent.readAsync(0) as { token: number };
    expect(g.agent.configSet(0, M.SENSOR_CONFIG_TIMESTAMPS)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(1);
    const off = g.agent.events();
    expect(kinds(off)).toEqual([[H.MSG_TYPE_DELAYED_RESPONSE, M.SENSOR_READING_COMPLETE, r2.token]]);
    expect(off[0].payload.getInt32(0, true)).toBe(H.SCMI_PROTOCOL_ERROR);
  });

  it('[AVP-SENS-19] [AVP-SENS-22] answers SUCCESS without eventq buffers and sends every delayed response once buffers come', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(3_000);
    expect(g.agent.tripPointNotify(0, true)).toBe(H.SCMI_SUCCESS);
    expect(g.agent.continuousUpdates(0, true)).toBe(H.SCMI_SUCCESS);
    const tokens = [g.agent.readAsync(0), g.agent.readAsync(0)].map((r) => (r as { token: number }).token);
    w.clock.advance(1_000_000); // a hundred speed samples with no buffer: updates pile up, the responses wait
    expect(g.dev.backlogLength).toBe(32 + 2);
    g.agent.postEventBuffers(40);
    const ev = g.agent.events(false);
    const delayed = ev.filter((e) => e.header.type === H.MSG_TYPE_DELAYED_RESPONSE).map((e) => e.header.token);
    expect(delayed).toEqual(tokens);
    expect(g.dev.stats.delayedResponsesSent).toBe(2);
    expect(g.dev.backlogLength).toBe(0);
  });

  it('[AVP-SENS-24] [AVP-SENS-26] keeps the latest notifications up to its backlog, drops the oldest beyond, counts them, and sends in order', () => {
    const w = world();
    const g = guest(ring, w, 'ivi', { eventBacklog: 4 });
    w.clock.advance(1_000);
    g.agent.continuousUpdates(1, true); // the IMU: a sample every 5 ms
    w.clock.advance(50_000); // ten samples, at 5.5 … 50.5 ms
    expect(g.dev.backlogLength).toBe(4);
    expect(g.dev.stats.notificationsDropped).toBe(6);
    g.agent.postEventBuffers(8);
    const ev = g.agent.events();
    expect(ev.map((e) => Number(e.payload.getBigUint64(16, true)))).toEqual([35_000, 40_000, 45_000, 50_000]); // the newest four, oldest first
    expect(g.dev.stats.notificationsSent).toBe(4);
  });

  it('[AVP-SENS-25] hands back a device-readable or too small eventq buffer unused and counts it; a delayed response waits for the next', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(3_000);
    g.agent.continuousUpdates(1, true);
    const r = g.agent.readAsync(0) as { token: number };
    g.lb.submit(H.SCMI_EVENTQ, [new Uint8Array(4)], [136]); // device-readable part: refused
    g.lb.submit(H.SCMI_EVENTQ, [], [20]); // too small for a 60-byte update: the update is dropped
    g.lb.submit(H.SCMI_EVENTQ, [], [27]); // too small for the 28-byte delayed response: it waits
    w.clock.advance(3_000); // an IMU update at 5.5 ms
    w.clock.advance(6_000); // the speed sample at 12 ms answers the read
    const used = g.lb.poll(H.SCMI_EVENTQ);
    expect(used.map((u) => u.len)).toEqual([0, 0, 0]);
    expect(g.dev.stats.badEventBuffers).toBe(3);
    expect(g.dev.stats.notificationsDropped).toBe(2);
    g.agent.postEventBuffers(1);
    const ev = g.agent.events();
    expect(kinds(ev)).toEqual([[H.MSG_TYPE_DELAYED_RESPONSE, M.SENSOR_READING_COMPLETE, r.token]]);
  });

  it('[AVP-SENS-20] [AVP-SENS-21] without VIRTIO_SCMI_F_P2A_CHANNELS refuses every request for P2A messages and shows none', () => {
    const w = world();
    const g = guest(ring, w, 'ivi', { noP2a: true });
    w.clock.advance(3_000);
    for (const c of [cmd(SENSOR, M.SENSOR_TRIP_POINT_NOTIFY, [0, 1]), cmd(SENSOR, M.SENSOR_TRIP_POINT_CONFIG, [0, 0x01, 100, 0]), cmd(SENSOR, M.SENSOR_CONTINUOUS_UPDATE_NOTIFY, [1, 1]), cmd(SENSOR, M.SENSOR_READING_GET, [0, 1])]) {
      const r = g.agent.raw([c], [136]);
      expect([r.status, r.len]).toEqual([H.SCMI_NOT_SUPPORTED, 8]);
    }
    for (const s of g.agent.describeSensors()) expect([s.async, s.updates, s.tripPoints]).toEqual([false, false, 0]);
    for (const m of [M.SENSOR_TRIP_POINT_NOTIFY, M.SENSOR_TRIP_POINT_CONFIG, M.SENSOR_CONTINUOUS_UPDATE_NOTIFY]) expect(g.agent.raw([cmd(SENSOR, M.PROTOCOL_MESSAGE_ATTRIBUTES, [m])], [136]).status).toBe(H.SCMI_NOT_FOUND);
    expect(g.agent.sensorAttributes().maxPending).toBe(0);
    expect(g.agent.read(0)).toEqual([{ value: 0n, timestamp: 0n }]); // a synchronous read still works
  });

  it('[AVP-SENS-27] [AVP-SENS-28] the agent asks for no P2A message without the eventq, and posts only writable 136-byte eventq buffers', () => {
    const w = world();
    const np = guest(ring, w, 'ivi', { noP2a: true });
    const before = np.dev.stats.byStatus.size;
    expect(np.agent.tripPointNotify(0, true)).toBe(H.SCMI_NOT_SUPPORTED);
    expect(np.agent.tripPointConfig(0, 0, 1, 5n)).toBe(H.SCMI_NOT_SUPPORTED);
    expect(np.agent.continuousUpdates(1, true)).toBe(H.SCMI_NOT_SUPPORTED);
    expect(np.dev.stats.byStatus.size).toBe(before); // nothing reached the device
    expect(() => np.agent.postEventBuffers(1)).toThrow();
    const g = guest(ring, w, 'cluster');
    g.agent.postEventBuffers(3);
    w.clock.advance(3_000);
    g.agent.readAsync(0);
    w.clock.advance(10_000);
    const used = g.lb.poll(H.SCMI_EVENTQ);
    expect(used.length).toBe(1);
    expect(g.dev.stats.badEventBuffers).toBe(0);
  });

  it('[AVP-SENS-44] answers BUSY past the asynchronous reads it states, delayed responses not yet delivered included', () => {
    const w = world({ maxPendingAsync: 2 });
    const g = guest(ring, w);
    w.clock.advance(3_000);
    expect(g.agent.sensorAttributes().maxPending).toBe(2);
    expect('token' in g.agent.readAsync(0)).toBe(true);
    expect('token' in g.agent.readAsync(0)).toBe(true);
    expect(g.agent.readAsync(0)).toEqual({ status: H.SCMI_BUSY });
    w.clock.advance(10_000); // both complete, but there is no eventq buffer to take them
    expect(g.agent.readAsync(0)).toEqual({ status: H.SCMI_BUSY });
    g.agent.postEventBuffers(2);
    expect(g.agent.events().length).toBe(2);
    expect('token' in g.agent.readAsync(0)).toBe(true);
  });

  it('[AVP-SENS-37] keeps each agent’s trip points and subscriptions its own', () => {
    const w = world();
    const ivi = guest(ring, w, 'ivi');
    const cluster = guest(ring, w, 'cluster');
    ivi.agent.postEventBuffers(16);
    cluster.agent.postEventBuffers(16);
    // The cluster watches 100 mm/s; the infotainment guest 60 mm/s and IMU updates.
    expect(cluster.agent.tripPointConfig(0, 0, M.TRIP_POINT_POSITIVE, TRIP_MM_S)).toBe(H.SCMI_SUCCESS);
    expect(cluster.agent.tripPointNotify(0, true)).toBe(H.SCMI_SUCCESS);
    expect(ivi.agent.tripPointConfig(0, 0, M.TRIP_POINT_POSITIVE, 60n)).toBe(H.SCMI_SUCCESS);
    expect(ivi.agent.tripPointNotify(0, true)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(60_000);
    expect(cluster.agent.events().map(trip)).toEqual([{ agent: 0, sensor: 0, desc: M.TRIP_EVENT_POSITIVE }]); // 100 at 50 ms
    expect(ivi.agent.events().map(trip)).toEqual([{ agent: 0, sensor: 0, desc: M.TRIP_EVENT_POSITIVE }]); // 60 at 30 ms
    // The infotainment guest switching its notifications off does not silence the cluster's.
    expect(ivi.agent.tripPointNotify(0, false)).toBe(H.SCMI_SUCCESS);
    expect(cluster.agent.tripPointConfig(0, 1, M.TRIP_POINT_POSITIVE, 200n)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(60_000);
    expect(cluster.agent.events().length).toBe(1);
    expect(ivi.agent.events()).toEqual([]);
    expect(ivi.agent.continuousUpdates(1, true)).toBe(H.SCMI_SUCCESS);
    w.clock.advance(10_000);
    expect(ivi.agent.events().length).toBe(2);
    expect(cluster.agent.events()).toEqual([]);
  });

  it('[AVP-SENS-38] forgets the agent’s subscriptions, trip points and reads in flight at a reset, not the sensors’ configuration', () => {
    const w = world();
    const g = guest(ring, w, 'cluster');
    w.clock.advance(3_000);
    g.agent.tripPointConfig(0, 0, M.TRIP_POINT_POSITIVE, TRIP_MM_S);
    g.agent.tripPointNotify(0, true);
    g.agent.continuousUpdates(0, true);
    g.agent.readAsync(0);
    expect(g.agent.configSet(0, M.encodeConfigInterval(20_000) | 3)).toBe(H.SCMI_SUCCESS);
    // A new driver: the device is reset and negotiates again.
    const again: Guest = { dev: g.dev, lb: new Loopback(g.dev, { ring }), agent: null as unknown as ScmiAgent };
    again.agent = new ScmiAgent(again.lb);
    again.agent.postEventBuffers(16);
    w.clock.advance(100_000); // the speed crosses 100 mm/s, samples arrive, the old read would have completed
    expect(again.agent.events()).toEqual([]);
    expect(g.dev.session.outstanding).toBe(0);
    expect(again.agent.configGet(0)).toBe(M.encodeConfigInterval(20_000) | 3);
  });

  it('[AVP-SENS-5] puts nothing on the eventq while suspended, and delivers what it kept after resume', () => {
    const w = world();
    const g = guest(ring, w);
    g.agent.postEventBuffers(8);
    w.clock.advance(3_000);
    g.agent.continuousUpdates(0, true);
    const r = g.agent.readAsync(0) as { token: number };
    g.dev.suspend();
    w.clock.advance(20_000); // two speed samples: two updates and the delayed response, held
    expect(g.lb.poll(H.SCMI_EVENTQ)).toEqual([]);
    expect(g.dev.backlogLength).toBe(3);
    g.dev.resume();
    g.dev.queueNotify(H.SCMI_EVENTQ); // the driver kicks the eventq after resuming
    const ev = g.agent.events();
    expect(kinds(ev)).toEqual([
      [H.MSG_TYPE_NOTIFICATION, M.SENSOR_UPDATE, 0],
      [H.MSG_TYPE_DELAYED_RESPONSE, M.SENSOR_READING_COMPLETE, r.token],
      [H.MSG_TYPE_NOTIFICATION, M.SENSOR_UPDATE, 0],
    ]);
  });
});
