// Shared set-up for the socket device tests: a switch with the host's sockets, and guests
// (a device and its driver over a Loopback on a given ring layout) plugged into it.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback, type LoopbackOptions } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { VsockDevice, type VsockDeviceOptions } from '../../../../src/lib/devices/vsock/device.ts';
import { VsockDriver, type VsockDriverOptions } from '../../../../src/lib/devices/vsock/driver.ts';
import { VsockHost } from '../../../../src/lib/devices/vsock/host.ts';
import { VsockSwitch, type VsockSwitchOptions } from '../../../../src/lib/devices/vsock/switch.ts';
import type { ConnectionOptions } from '../../../../src/lib/devices/vsock/connection.ts';
import type { VsockPacket } from '../../../../src/lib/devices/vsock/packet.ts';
import { concatBytes } from '../../../../src/lib/virtio/bytes.ts';

export const concat = (parts: readonly Uint8Array[]): Uint8Array => concatBytes(...parts);

export interface Guest {
  dev: VsockDevice;
  lb: Loopback;
  drv: VsockDriver;
}

export interface World {
  sw: VsockSwitch;
  host: VsockHost;
  /** Every packet the switch handled, with its outcome. */
  trace: { p: VsockPacket; outcome: string }[];
}

export function world(swOpts: VsockSwitchOptions = {}, hostOpts: ConnectionOptions = {}): World {
  const sw = new VsockSwitch(swOpts);
  const host = new VsockHost(sw, hostOpts);
  const trace: World['trace'] = [];
  sw.trace = (p, outcome) => trace.push({ p, outcome });
  return { sw, host, trace };
}

/** A guest with CID `cid` on the switch, its driver up. */
export function guest(
  w: World,
  ring: RingType,
  cid: number,
  opts: { dev?: Partial<VsockDeviceOptions>; lb?: LoopbackOptions; drv?: VsockDriverOptions } = {},
): Guest {
  const dev = new VsockDevice({ guestCid: cid, ...opts.dev });
  w.sw.attach(dev);
  const lb = new Loopback(dev, { ring, ...opts.lb });
  const drv = new VsockDriver(lb, opts.drv);
  return { dev, lb, drv };
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

export const ALL = (1n << 64n) - 1n;

export function withoutBits(all: bigint, ...bits: number[]): bigint {
  return bits.reduce((f, b) => f & ~(1n << BigInt(b)), all);
}

export const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
export const text = (s: string) => new TextEncoder().encode(s);
