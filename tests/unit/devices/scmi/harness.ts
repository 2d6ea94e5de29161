// Shared set-up for the SCMI device tests: a model clock, a platform with the vehicle sensor
// table (speed, IMU, cabin temperature) and its two agents, and a device per guest on a
// Loopback with a guest-side agent.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { bit } from '../../../../src/lib/virtio/feature-bits.ts';
import { ScmiDevice } from '../../../../src/lib/devices/scmi/device.ts';
import { ScmiAgent } from '../../../../src/lib/devices/scmi/agent.ts';
import { VIRTIO_SCMI_F_P2A_CHANNELS, packHeader } from '../../../../src/lib/devices/scmi/header.ts';
import { type AgentSpec, ScmiPlatform, type ScmiPlatformOptions } from '../../../../src/lib/devices/scmi/platform.ts';
import type { SensorSpec } from '../../../../src/lib/devices/scmi/sensor-table.ts';
import { VEHICLE_AGENTS, type VehicleSignals, vehicleSensorTable } from '../../../../src/lib/devices/scmi/vehicle.ts';

export interface World {
  clock: ModelClock;
  platform: ScmiPlatform;
}

export function world(opts: { signals?: Partial<VehicleSignals>; sensors?: SensorSpec[]; agents?: readonly AgentSpec[] } & Partial<Omit<ScmiPlatformOptions, 'clock' | 'sensors' | 'agents'>> = {}): World {
  const { signals, sensors, agents, ...rest } = opts;
  const clock = new ModelClock();
  const platform = new ScmiPlatform({ clock, sensors: sensors ?? vehicleSensorTable(signals), agents: agents ?? VEHICLE_AGENTS, ...rest });
  return { clock, platform };
}

export interface Guest {
  dev: ScmiDevice;
  lb: Loopback;
  agent: ScmiAgent;
}

/** A guest on `w` as agent `name` (default ivi); noP2a declines VIRTIO_SCMI_F_P2A_CHANNELS. */
export function guest(ring: RingType, w: World, name = 'ivi', opts: { noP2a?: boolean; eventBacklog?: number; queueSize?: number } = {}): Guest {
  const dev = new ScmiDevice({ platform: w.platform, agent: name, eventBacklog: opts.eventBacklog });
  const lb = new Loopback(dev, { ring, queueSize: opts.queueSize, features: opts.noP2a ? ~bit(VIRTIO_SCMI_F_P2A_CHANNELS) & ((1n << 64n) - 1n) : undefined });
  return { dev, lb, agent: new ScmiAgent(lb) };
}

export const needsReset = (g: Guest): boolean => (g.lb.status & DEVICE_NEEDS_RESET) !== 0;

/** A command's bytes: a header with `token`, then 32-bit little-endian parameters. */
export function cmd(protocolId: number, messageId: number, params: readonly number[] = [], token = 7, extra: Partial<{ type: number; reserved: number }> = {}): Uint8Array {
  const b = new Uint8Array(4 + params.length * 4);
  const v = new DataView(b.buffer);
  v.setUint32(0, packHeader({ messageId, protocolId, token, type: extra.type ?? 0, reserved: extra.reserved ?? 0 }), true);
  params.forEach((p, i) => v.setUint32(4 + i * 4, p >>> 0, true));
  return b;
}

export const i32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getInt32(at, true);
export const u32at = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
