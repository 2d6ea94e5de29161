// The SCMI device's features and queues (VIRTIO 1.4 §5.17.2-§5.17.4) and its cmdq (§5.17.6.1):
// one command per chain, the header echoed, errors as the header and status alone, chains too
// short to answer, malformed headers and parameters, responses that do not fit, the order of
// the checks, and a burst of commands.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { bit, hasFeature, VIRTIO_F_SUSPEND } from '../../../../src/lib/virtio/feature-bits.ts';
import * as H from '../../../../src/lib/devices/scmi/header.ts';
import * as M from '../../../../src/lib/devices/scmi/messages.ts';
import { ScmiDevice } from '../../../../src/lib/devices/scmi/device.ts';
import { cmd, guest, i32, needsReset, u32at, world } from './harness.ts';

const SENSOR = M.SCMI_PROTOCOL_SENSOR;
const BASE = M.SCMI_PROTOCOL_BASE;

describe.each(RING_TYPES)('SCMI device and cmdq (%s ring)', (ring) => {
  it('[AVP-SENS-1] has device ID 32, no configuration, the cmdq at 0 and the eventq at 1 only with P2A channels', () => {
    const w = world();
    const g = guest(ring, w);
    expect(g.dev.deviceId).toBe(32);
    expect(g.dev.config.size).toBe(0);
    expect(g.lb.queues.length).toBe(2);
    expect(g.dev.queueCount(bit(H.VIRTIO_SCMI_F_P2A_CHANNELS))).toBe(2);
    expect(g.dev.queueCount(0n)).toBe(1);
    expect(guest(ring, w, 'cluster', { noP2a: true }).lb.queues.length).toBe(1);
  });

  it('[AVP-SENS-2] [AVP-SENS-3] offers VIRTIO_SCMI_F_P2A_CHANNELS, not VIRTIO_SCMI_F_SHARED_MEMORY, and VIRTIO_F_SUSPEND', () => {
    const dev = new ScmiDevice({ platform: world().platform, agent: 'ivi' });
    const f = dev.offeredFeatures();
    expect(hasFeature(f, H.VIRTIO_SCMI_F_P2A_CHANNELS)).toBe(true);
    expect(hasFeature(f, H.VIRTIO_SCMI_F_SHARED_MEMORY)).toBe(false);
    expect(hasFeature(f, VIRTIO_F_SUSPEND)).toBe(true);
  });

  it('[AVP-SENS-6] reads a command split anywhere over descriptors and writes the response across several buffers', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(30_000);
    const c = cmd(SENSOR, M.SENSOR_READING_GET, [1, 0], 42);
    const r = g.agent.raw([c.subarray(0, 1), c.subarray(1, 6), c.subarray(6)], [3, 5, 20, 40]);
    expect(r.len).toBe(8 + 48);
    expect(r.status).toBe(H.SCMI_SUCCESS);
    expect(r.header).toBe(u32at(c, 0));
    expect(r.ret.getBigInt64(0, true)).toBe(2000n); // ACCEL_X while accelerating, mm/s²
    expect(r.ret.getBigInt64(32, true)).toBe(9807n); // ACCEL_Z: gravity
  });

  it('[AVP-SENS-7] begins every response with the command header unchanged, token included, errors too', () => {
    const w = world();
    const g = guest(ring, w);
    for (const token of [0, 1, 0x155, H.SCMI_TOKEN_MAX]) {
      for (const [p, m, params] of [[BASE, M.PROTOCOL_VERSION, []], [SENSOR, M.SENSOR_CONFIG_GET, [0]], [SENSOR, M.SENSOR_CONFIG_GET, [99]], [0x14, 0, []]] as const) {
        const c = cmd(p, m, params, token);
        const r = g.agent.raw([c], [136]);
        expect(r.header).toBe(u32at(c, 0));
        expect(H.unpackHeader(r.header).token).toBe(token);
      }
    }
  });

  it('[AVP-SENS-8] writes the header and the status alone for any status but SUCCESS', () => {
    const g = guest(ring, world());
    for (const c of [cmd(SENSOR, M.SENSOR_CONFIG_GET, [9]), cmd(0x14, 0), cmd(SENSOR, 0x7f), cmd(SENSOR, M.SENSOR_CONFIG_GET, [0, 0]), cmd(SENSOR, M.SENSOR_DESCRIPTION_GET, [17])]) {
      const r = g.agent.raw([c], [136]);
      expect(r.status).not.toBe(H.SCMI_SUCCESS);
      expect(r.len).toBe(8);
    }
  });

  it('[AVP-SENS-9] hands back a chain without a header or without 8 bytes of room unused, executes nothing, and counts it', () => {
    const w = world();
    const g = guest(ring, w, 'cluster');
    for (const n of [0, 1, 3]) expect(g.agent.raw(n ? [new Uint8Array(n).fill(0x10)] : [], [136]).len).toBe(0);
    expect(g.dev.stats.noHeader).toBe(3);
    const off = M.encodeConfigInterval(20_000) | M.SENSOR_CONFIG_TIMESTAMPS; // would switch the speed off for the cluster, at 20 ms
    for (const room of [[], [7], [3, 4]]) expect(g.agent.raw([cmd(SENSOR, M.SENSOR_CONFIG_SET, [0, off])], room).len).toBe(0);
    expect(g.dev.stats.noRoom).toBe(3);
    expect(w.platform.sensors[0].view(1).enabled).toBe(true);
    expect(w.platform.sensors[0].intervalUs).toBe(10_000);
  });

  it('[AVP-SENS-10] answers PROTOCOL_ERROR for a header that is not a command or has reserved bits, and for parameters of the wrong size', () => {
    const g = guest(ring, world());
    for (const type of [1, 2, 3]) expect(g.agent.raw([cmd(BASE, M.PROTOCOL_VERSION, [], 1, { type })], [136]).status).toBe(H.SCMI_PROTOCOL_ERROR);
    for (const reserved of [1, 8, 0xf]) expect(g.agent.raw([cmd(BASE, M.PROTOCOL_VERSION, [], 1, { reserved })], [136]).status).toBe(H.SCMI_PROTOCOL_ERROR);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_READING_GET, [0])], [136]).status).toBe(H.SCMI_PROTOCOL_ERROR);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_READING_GET, [0, 0, 0])], [136]).status).toBe(H.SCMI_PROTOCOL_ERROR);
    expect(g.agent.raw([cmd(BASE, M.PROTOCOL_VERSION, [0])], [136]).status).toBe(H.SCMI_PROTOCOL_ERROR);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_CONFIG_GET, [0]), new Uint8Array(1)], [136]).status).toBe(H.SCMI_PROTOCOL_ERROR);
    expect(g.dev.stats.byStatus.get(H.SCMI_PROTOCOL_ERROR)).toBe(10);
  });

  it('[AVP-SENS-11] answers NOT_SUPPORTED for a protocol it lacks or hides from the agent, and for a message a protocol lacks', () => {
    const w = world({ agents: [{ name: 'ivi', sensors: ['vehicle_speed'] }, { name: 'telematics', sensors: [] }] });
    const g = guest(ring, w);
    for (const p of [0x11, 0x12, 0x13, 0x14, 0x16, 0x80, 0xff]) expect(g.agent.raw([cmd(p, M.PROTOCOL_VERSION)], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    for (const m of [0x0c, 0x0d, 0x10, 0xff]) expect(g.agent.raw([cmd(SENSOR, m, [0])], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    for (const m of [M.BASE_NOTIFY_ERRORS, 0x10, 0xff]) expect(g.agent.raw([cmd(BASE, m, [0])], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    // An agent that sees no sensor has no sensor protocol at all.
    const t = guest(ring, w, 'telematics');
    expect(t.agent.raw([cmd(SENSOR, M.PROTOCOL_VERSION)], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    expect(t.agent.version(BASE)).toBe(M.BASE_PROTOCOL_VERSION_2_0);
  });

  it('[AVP-SENS-12] answers COMMS_ERROR, and nothing else, when the return values do not fit the room', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(30_000);
    const read = cmd(SENSOR, M.SENSOR_READING_GET, [1, 0]);
    const short = g.agent.raw([read], [8 + 47]);
    expect([short.len, short.status]).toEqual([8, H.SCMI_COMMS_ERROR]);
    expect(g.agent.raw([read], [8 + 48]).status).toBe(H.SCMI_SUCCESS);
    const vendor = g.agent.raw([cmd(BASE, M.BASE_DISCOVER_VENDOR)], [8 + 15]);
    expect([vendor.len, vendor.status]).toEqual([8, H.SCMI_COMMS_ERROR]);
    expect(g.agent.raw([cmd(SENSOR, M.SENSOR_DESCRIPTION_GET, [0])], [8 + 4 + 27]).status).toBe(H.SCMI_COMMS_ERROR);
  });

  it('[AVP-SENS-13] returns only the list entries that fit, and counts the rest as remaining', () => {
    const g = guest(ring, world());
    const d = g.agent.raw([cmd(SENSOR, M.SENSOR_DESCRIPTION_GET, [1])], [8 + 4 + 2 * 28 + 27]);
    expect(d.status).toBe(H.SCMI_SUCCESS);
    expect(d.len).toBe(8 + 4 + 56);
    expect(d.ret.getUint32(0, true)).toBe((1 << 16) | 2); // 2 returned, 1 remaining (4 sensors from index 1)
    expect([d.ret.getUint32(4, true), d.ret.getUint32(32, true)]).toEqual([1, 2]);
    const a = g.agent.raw([cmd(SENSOR, M.SENSOR_AXIS_DESCRIPTION_GET, [2, 0])], [8 + 4 + 28]);
    expect(a.ret.getUint32(0, true)).toBe((2 << 26) | 1);
    const i = g.agent.raw([cmd(SENSOR, M.SENSOR_LIST_UPDATE_INTERVALS, [0, 1])], [8 + 4 + 4]);
    expect(i.ret.getUint32(0, true)).toBe((1 << 16) | 1);
    expect(M.decodeIntervalEntry(i.ret.getUint32(4, true))).toEqual({ secs: 2, exp: -2 }); // 20 ms
    // Linux's 136-byte buffer takes four descriptors at a time; the agent asks until none remain.
    const all = g.agent.raw([cmd(SENSOR, M.SENSOR_DESCRIPTION_GET, [0])], [136]);
    expect(all.ret.getUint32(0, true)).toBe(4);
    expect(g.agent.describeSensors().map((s) => s.name)).toEqual(['vehicle_speed', 'imu_accel', 'imu_gyro', 'cabin_temp']);
  });

  it('[AVP-SENS-14] reports the first failed check in the fixed order', () => {
    const w = world();
    const g = guest(ring, w);
    const np = guest(ring, w, 'cluster', { noP2a: true });
    const st = (x: typeof g, c: Uint8Array, room = 136) => x.agent.raw([c], [room]).status;
    const badConfig = M.SENSOR_CONFIG_ENABLED | 0x4; // a reserved bit
    // header before protocol; protocol before message; message before parameter size
    expect(st(g, cmd(0x14, 0x7f, [1, 2, 3], 1, { type: 3 }))).toBe(H.SCMI_PROTOCOL_ERROR);
    expect(st(g, cmd(0x14, 0x7f, [1, 2, 3]))).toBe(H.SCMI_NOT_SUPPORTED);
    expect(st(g, cmd(SENSOR, 0x7f, [1, 2, 3]))).toBe(H.SCMI_NOT_SUPPORTED);
    // parameter size before the P2A check and the sensor ID
    expect(st(np, cmd(SENSOR, M.SENSOR_TRIP_POINT_NOTIFY, [99]))).toBe(H.SCMI_PROTOCOL_ERROR);
    // no eventq before the sensor ID
    expect(st(np, cmd(SENSOR, M.SENSOR_TRIP_POINT_NOTIFY, [99, 0xff]))).toBe(H.SCMI_NOT_SUPPORTED);
    expect(st(np, cmd(SENSOR, M.SENSOR_READING_GET, [99, 0xff]))).toBe(H.SCMI_NOT_SUPPORTED);
    // sensor ID before what the sensor supports; that before parameter values
    expect(st(g, cmd(SENSOR, M.SENSOR_TRIP_POINT_NOTIFY, [99, 0xff]))).toBe(H.SCMI_NOT_FOUND);
    expect(st(g, cmd(SENSOR, M.SENSOR_TRIP_POINT_NOTIFY, [1, 0xff]))).toBe(H.SCMI_NOT_SUPPORTED);
    expect(st(g, cmd(SENSOR, M.SENSOR_READING_GET, [1, 0xff]))).toBe(H.SCMI_NOT_SUPPORTED); // async on a sync-only sensor
    expect(st(g, cmd(SENSOR, M.SENSOR_READING_GET, [0, 0x2]))).toBe(H.SCMI_INVALID_PARAMETERS);
    // parameter values before rights; rights before range
    expect(st(g, cmd(SENSOR, M.SENSOR_CONFIG_SET, [0, badConfig]))).toBe(H.SCMI_INVALID_PARAMETERS);
    expect(st(g, cmd(SENSOR, M.SENSOR_CONFIG_SET, [0, M.encodeConfigInterval(7) | 1]))).toBe(H.SCMI_DENIED);
    expect(st(g, cmd(SENSOR, M.SENSOR_CONFIG_SET, [3, M.encodeConfigInterval(7) | 1]))).toBe(H.SCMI_OUT_OF_RANGE);
    // state before room: a stale sensor answers HARDWARE_ERROR even with no room for a reading
    expect(st(g, cmd(SENSOR, M.SENSOR_READING_GET, [3, 0]), 8)).toBe(H.SCMI_HARDWARE_ERROR);
    w.clock.advance(60_000);
    expect(st(g, cmd(SENSOR, M.SENSOR_READING_GET, [3, 0]), 8)).toBe(H.SCMI_COMMS_ERROR);
  });

  it('[AVP-SENS-15] never needs a reset for what a message holds, only for a broken ring', () => {
    const w = world();
    const g = guest(ring, w);
    for (const junk of [new Uint8Array(4).fill(0xff), new Uint8Array(64).fill(0xa5), cmd(SENSOR, M.SENSOR_TRIP_POINT_CONFIG, [0, 0xffff_ffff, 1, 2])]) g.agent.raw([junk], [136]);
    g.agent.raw([cmd(SENSOR, M.SENSOR_READING_GET, [0, 0])], []);
    expect(needsReset(g)).toBe(false);
    expect(g.agent.version(SENSOR)).toBe(M.SENSOR_PROTOCOL_VERSION_3_0);
    g.lb.queues[H.SCMI_CMDQ].add([{ addr: 0x7fff_0000, len: 16, writable: false }]);
    g.dev.queueNotify(H.SCMI_CMDQ);
    expect(needsReset(g)).toBe(true);
  });

  it('[AVP-SENS-16] executes every command of a burst offered before one notification', () => {
    const w = world();
    const g = guest(ring, w);
    w.clock.advance(30_000);
    g.dev.suspend(); // the notifications of the submissions below find the device not taking buffers
    const ids = Array.from({ length: 30 }, (_, i) => g.lb.submit(H.SCMI_CMDQ, [cmd(SENSOR, M.SENSOR_READING_GET, [i % 4 === 3 ? 0 : i % 4, 0], i)], [136]));
    expect(g.lb.poll(H.SCMI_CMDQ)).toEqual([]);
    g.dev.resume();
    g.dev.queueNotify(H.SCMI_CMDQ);
    const done = g.lb.poll(H.SCMI_CMDQ);
    expect(done.map((d) => d.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    for (const d of done) expect(i32(d.data, 4)).toBe(H.SCMI_SUCCESS);
  });

  it('[AVP-SENS-17] the agent gives every command 136 bytes of room, enough for any response of this device', () => {
    const w = world();
    const g = guest(ring, w);
    expect(g.agent.room).toBe(136);
    w.clock.advance(30_000);
    const seen: number[] = [];
    const orig = g.lb.request.bind(g.lb);
    g.lb.request = (q, out, inLens, o) => (seen.push(inLens.reduce((a, b) => a + b, 0)), orig(q, out, inLens, o));
    g.agent.describeSensors();
    g.agent.read(2);
    g.agent.axisNames(1);
    g.agent.listProtocols();
    expect(seen.length).toBeGreaterThan(4);
    expect(seen.every((n) => n === 136)).toBe(true);
    for (const s of [0, 1, 2, 3]) {
      const r = g.agent.raw([cmd(SENSOR, M.SENSOR_READING_GET, [s, 0])], [136]);
      expect(r.status === H.SCMI_SUCCESS || r.status === H.SCMI_HARDWARE_ERROR).toBe(true);
    }
  });
});
