// Shared set-up for the network device tests: a device, the guest driver over a Loopback on
// a given ring layout, and a tap as the device's back end.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback, type LoopbackOptions } from '../../../../src/lib/virtio/loopback.ts';
import { type Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { NetDevice, type NetDeviceOptions } from '../../../../src/lib/devices/net/device.ts';
import { NetDriver } from '../../../../src/lib/devices/net/driver.ts';
import { cable, NetTap } from '../../../../src/lib/devices/net/backend.ts';
import { buildFrame, parseMac, type VlanTag } from '../../../../src/lib/devices/net/ethernet.ts';

export const MAC_A = '52:54:00:00:00:0a';
export const MAC_B = '52:54:00:00:00:0b';
export const MAC_C = '52:54:00:00:00:0c';
export const OTHER = '52:54:00:00:00:99';
/** An EtherType for local experiments (IEEE 802): the payload is opaque to everyone. */
export const ETH_P_TEST = 0x88b5;

export interface Guest {
  dev: NetDevice;
  lb: Loopback;
  drv: NetDriver;
  tap: NetTap;
}

/** A device plugged into a tap, with a driver that accepted `features` (default: all offered). */
export function guest(ring: RingType, devOpts: NetDeviceOptions = {}, lbOpts: LoopbackOptions = {}): Guest {
  const dev = new NetDevice({ mac: MAC_A, ...devOpts });
  const tap = new NetTap();
  cable(dev, tap);
  const lb = new Loopback(dev, { ring, ...lbOpts });
  return { dev, lb, drv: new NetDriver(lb), tap };
}

export function withoutBits(all: Features, ...bits: number[]): Features {
  return bits.reduce((f, b) => f & ~(1n << BigInt(b)), all);
}

export const ALL: Features = (1n << 64n) - 1n;

export function frame(dst: string | Uint8Array, src: string | Uint8Array, payload: Uint8Array | number = 46, vlan?: VlanTag): Uint8Array {
  const body = typeof payload === 'number' ? Uint8Array.from({ length: payload }, (_, i) => (i * 7 + 3) & 0xff) : payload;
  return buildFrame({ dst, src, ethertype: ETH_P_TEST, payload: body, vlan });
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

export { parseMac };
