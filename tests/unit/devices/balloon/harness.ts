// Shared set-up for the balloon tests: a device on a Loopback of a given ring layout, the
// guest-side driver, and a few ways to offer requests the driver would never send.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { bit, type Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { BalloonDevice, type BalloonDeviceOptions } from '../../../../src/lib/devices/balloon/device.ts';
import { BalloonDriver } from '../../../../src/lib/devices/balloon/driver.ts';
import type { BalloonQueueRole } from '../../../../src/lib/devices/balloon/protocol.ts';

export const ALL: Features = (1n << 128n) - 1n;

/** Every feature but the ones listed. */
export const without = (...bits: number[]): Features => bits.reduce((f, b) => f & ~bit(b), ALL);

export interface Rig {
  dev: BalloonDevice;
  lb: Loopback;
  drv: BalloonDriver;
}

/** A balloon over 4096 pages (16 MiB) of guest memory; the driver gives frames 0x100 to 0x8ff. */
export function rig(ring: RingType, opts: BalloonDeviceOptions = {}, features: Features = ALL): Rig {
  const dev = new BalloonDevice({ guestPages: 0x1000, ...opts });
  const lb = new Loopback(dev, { ring, features });
  const drv = new BalloonDriver(lb, { firstPfn: 0x100, pageCount: 0x800 });
  return { dev, lb, drv };
}

/** One request on the queue of `role`: device-readable parts, then writable lengths. */
export function send(r: Rig, role: BalloonQueueRole, out: readonly Uint8Array[], inLens: readonly number[] = []) {
  return r.lb.request(r.drv.queueOf(role), out, inLens);
}

export const needsReset = (r: Rig): boolean => (r.lb.status & DEVICE_NEEDS_RESET) !== 0;

export const errorCount = (r: Rig, code: string): number => r.dev.errors.get(code as never) ?? 0;
