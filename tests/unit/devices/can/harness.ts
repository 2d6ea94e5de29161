// Shared set-up for the CAN device tests: a virtual bus, guests on it (a device, a Loopback on
// a given ring layout, and the guest-side driver), and a host tap that injects and watches.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { type Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { CanBus, type CanBusOptions, type CanNode, type CanNodeOptions } from '../../../../src/lib/devices/can/bus.ts';
import { CanDevice, type CanDeviceOptions } from '../../../../src/lib/devices/can/device.ts';
import { CanDriver } from '../../../../src/lib/devices/can/driver.ts';
import { CanTap } from '../../../../src/lib/devices/can/tap.ts';

export const ALL: Features = (1n << 64n) - 1n;

export function withoutBits(all: Features, ...bits: number[]): Features {
  return bits.reduce((f, b) => f & ~(1n << BigInt(b)), all);
}

export interface Guest {
  dev: CanDevice;
  lb: Loopback;
  drv: CanDriver;
  node: CanNode;
}

export interface GuestOptions {
  readonly name?: string;
  readonly dev?: CanDeviceOptions;
  readonly node?: CanNodeOptions;
  readonly features?: Features;
  /** Receive buffers posted at start; default 8. */
  readonly rx?: number;
  /** Send START at once; default true. */
  readonly start?: boolean;
  readonly queueSize?: number;
}

export function fdBus(opts: CanBusOptions = {}): CanBus {
  return new CanBus({ bitrate: 500_000, dataBitrate: 2_000_000, ...opts });
}

/** A guest on `bus`: device attached, driver negotiated, buffers posted and (by default) started. */
export function guestOn(bus: CanBus, ring: RingType, o: GuestOptions = {}): Guest {
  const dev = new CanDevice(o.dev);
  const node = bus.attach(dev, { name: o.name, ...o.node });
  const lb = new Loopback(dev, { ring, features: o.features ?? ALL, queueSize: o.queueSize });
  const drv = new CanDriver(lb);
  drv.postRx(o.rx ?? 8);
  if (o.start ?? true) {
    const r = drv.start();
    if (r !== 0) throw new Error(`START answered ${r}`);
  }
  return { dev, lb, drv, node };
}

export function tapOn(bus: CanBus, name = 'tap', opts: CanNodeOptions = {}): CanTap {
  const tap = new CanTap();
  bus.attach(tap, { name, ...opts });
  return tap;
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

export const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
