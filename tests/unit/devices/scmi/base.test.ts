// The SCMI base protocol (0x10) on the device: versions, discovery of the vendor, the agent and
// the protocols it may use, message attributes, and the permission messages no guest gets.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as H from '../../../../src/lib/devices/scmi/header.ts';
import * as M from '../../../../src/lib/devices/scmi/messages.ts';
import { readAsciiName } from '../../../../src/lib/devices/scmi/sensor-table.ts';
import { cmd, guest, world } from './harness.ts';

const BASE = M.SCMI_PROTOCOL_BASE;

describe.each(RING_TYPES)('SCMI base protocol (%s ring)', (ring) => {
  it('[AVP-SENS-29] implements the version, attribute and discovery messages of the base protocol', () => {
    const w = world({ vendor: 'Tier1', subVendor: 'zone-ctrl', implementationVersion: 0x0102_0304 });
    const g = guest(ring, w);
    expect(g.agent.version(BASE)).toBe(0x20000);
    expect(g.agent.vendor()).toBe('Tier1');
    const sub = g.agent.command(BASE, M.BASE_DISCOVER_SUB_VENDOR);
    expect([sub.status, sub.len]).toEqual([H.SCMI_SUCCESS, 8 + 16]);
    expect(readAsciiName(new Uint8Array(sub.ret.buffer, sub.ret.byteOffset, 16))).toBe('zone-ctrl');
    const impl = g.agent.command(BASE, M.BASE_DISCOVER_IMPLEMENTATION_VERSION);
    expect(impl.ret.getUint32(0, true)).toBe(0x0102_0304);
    for (const m of [M.PROTOCOL_VERSION, M.PROTOCOL_ATTRIBUTES, M.PROTOCOL_MESSAGE_ATTRIBUTES, M.BASE_DISCOVER_VENDOR, M.BASE_DISCOVER_SUB_VENDOR, M.BASE_DISCOVER_IMPLEMENTATION_VERSION, M.BASE_DISCOVER_LIST_PROTOCOLS, M.BASE_DISCOVER_AGENT]) {
      expect(g.agent.command(BASE, M.PROTOCOL_MESSAGE_ATTRIBUTES, new Uint8Array(new Uint32Array([m]).buffer)).status).toBe(H.SCMI_SUCCESS);
    }
  });

  it('[AVP-SENS-30] lists and counts exactly the protocols the agent may use, ascending, past a skip too', () => {
    const w = world({ agents: [{ name: 'ivi', sensors: ['imu_accel'] }, { name: 'telematics', sensors: [] }] });
    const g = guest(ring, w);
    const attrs = g.agent.command(BASE, M.PROTOCOL_ATTRIBUTES).ret.getUint32(0, true);
    expect(attrs & 0xff).toBe(1); // the sensor protocol besides the base
    expect((attrs >>> 8) & 0xff).toBe(2); // two agents
    expect(g.agent.listProtocols()).toEqual([M.SCMI_PROTOCOL_SENSOR]);
    const r = g.agent.raw([cmd(BASE, M.BASE_DISCOVER_LIST_PROTOCOLS, [0])], [136]);
    expect([r.len, r.ret.getUint32(0, true), r.ret.getUint8(4), r.ret.getUint8(5)]).toEqual([8 + 8, 1, 0x15, 0]);
    const past = g.agent.raw([cmd(BASE, M.BASE_DISCOVER_LIST_PROTOCOLS, [1])], [136]);
    expect([past.status, past.len, past.ret.getUint32(0, true)]).toEqual([H.SCMI_SUCCESS, 12, 0]);
    expect(g.agent.raw([cmd(BASE, M.BASE_DISCOVER_LIST_PROTOCOLS, [2])], [136]).status).toBe(H.SCMI_INVALID_PARAMETERS);
    const t = guest(ring, w, 'telematics');
    expect(t.agent.command(BASE, M.PROTOCOL_ATTRIBUTES).ret.getUint32(0, true) & 0xff).toBe(0);
    expect(t.agent.listProtocols()).toEqual([]);
  });

  it('[AVP-SENS-31] answers PROTOCOL_MESSAGE_ATTRIBUTES with SUCCESS for an implemented message and NOT_FOUND otherwise', () => {
    const g = guest(ring, world());
    const ask = (p: number, m: number) => g.agent.raw([cmd(p, M.PROTOCOL_MESSAGE_ATTRIBUTES, [m])], [136]);
    const ok = ask(BASE, M.BASE_DISCOVER_AGENT);
    expect([ok.status, ok.len, ok.ret.getUint32(0, true)]).toEqual([H.SCMI_SUCCESS, 12, 0]);
    for (const m of [M.BASE_NOTIFY_ERRORS, M.BASE_SET_DEVICE_PERMISSIONS, 0x10, 0xff, 0xffff_ffff]) expect(ask(BASE, m).status).toBe(H.SCMI_NOT_FOUND);
    for (const m of [M.SENSOR_DESCRIPTION_GET, M.SENSOR_READING_GET, M.SENSOR_CONFIG_SET, M.SENSOR_TRIP_POINT_NOTIFY, M.SENSOR_CONTINUOUS_UPDATE_NOTIFY]) expect(ask(M.SCMI_PROTOCOL_SENSOR, m).status).toBe(H.SCMI_SUCCESS);
    for (const m of [0x0c, 0x10, 0x100]) expect(ask(M.SCMI_PROTOCOL_SENSOR, m).status).toBe(H.SCMI_NOT_FOUND);
  });

  it('[AVP-SENS-32] answers NOT_SUPPORTED to the permission messages: no guest sets permissions', () => {
    const g = guest(ring, world());
    expect(g.agent.raw([cmd(BASE, M.BASE_SET_DEVICE_PERMISSIONS, [1, 0, 1])], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    expect(g.agent.raw([cmd(BASE, M.BASE_SET_PROTOCOL_PERMISSIONS, [1, 0, 0x15, 1])], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
    expect(g.agent.raw([cmd(BASE, M.BASE_RESET_AGENT_CONFIGURATION, [1, 1])], [136]).status).toBe(H.SCMI_NOT_SUPPORTED);
  });

  it('[AVP-SENS-33] gives each guest a device and an agent of its own: its ID and name, the platform as agent 0', () => {
    const w = world();
    const ivi = guest(ring, w, 'ivi');
    const cluster = guest(ring, w, 'cluster');
    expect(cluster.agent.agentInfo()).toEqual({ id: 1, name: 'cluster' });
    expect(ivi.agent.agentInfo()).toEqual({ id: 2, name: 'ivi' });
    expect(ivi.agent.agentInfo(0)).toEqual({ id: 0, name: 'platform' });
    expect(ivi.agent.agentInfo(1)).toEqual({ id: 1, name: 'cluster' });
    expect(ivi.agent.agentInfo(3)).toEqual({ status: H.SCMI_NOT_FOUND });
    expect(cluster.dev.session).not.toBe(ivi.dev.session);
  });

  it('[AVP-SENS-4] reports a sensor shared memory region of length 0 without VIRTIO_SCMI_F_SHARED_MEMORY', () => {
    for (const noP2a of [false, true]) {
      const g = guest(ring, world(), 'ivi', { noP2a });
      const r = g.agent.command(M.SCMI_PROTOCOL_SENSOR, M.PROTOCOL_ATTRIBUTES);
      expect(r.len).toBe(8 + 16);
      expect([r.ret.getUint32(4, true), r.ret.getUint32(8, true), r.ret.getUint32(12, true)]).toEqual([0, 0, 0]);
      expect(g.agent.sensorAttributes().shmemLength).toBe(0);
    }
  });
});
