// Shared set-up for the block device tests: an in-memory disk, the device over it, and the
// guest driver over a Loopback on a given ring layout.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback, type LoopbackOptions } from '../../../../src/lib/virtio/loopback.ts';
import type { Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { MemoryBlockBackend, type MemoryBlockBackendOptions } from '../../../../src/lib/devices/block/backend.ts';
import { BlockDevice, type BlockDeviceOptions } from '../../../../src/lib/devices/block/device.ts';
import { BlockDriver } from '../../../../src/lib/devices/block/driver.ts';
import { SECTOR_SIZE } from '../../../../src/lib/devices/block/config.ts';
import { concatBytes } from '../../../../src/lib/virtio/bytes.ts';

export const concat = concatBytes;

export interface Disk {
  disk: MemoryBlockBackend;
  dev: BlockDevice;
  lb: Loopback;
  drv: BlockDriver;
}

/** A 128-sector (64 KiB) disk by default, with a driver that accepted `features` (default: all offered). */
export function disk(
  ring: RingType,
  devOpts: BlockDeviceOptions = {},
  lbOpts: LoopbackOptions = {},
  diskOpts: Partial<MemoryBlockBackendOptions> = {},
): Disk {
  const d = new MemoryBlockBackend({ sectors: 128, ...diskOpts });
  const dev = new BlockDevice(d, devOpts);
  const lb = new Loopback(dev, { ring, ...lbOpts });
  return { disk: d, dev, lb, drv: new BlockDriver(lb) };
}

export const ALL: Features = (1n << 64n) - 1n;

export function without(all: Features, ...bits: number[]): Features {
  return bits.reduce((f, b) => f & ~(1n << BigInt(b)), all);
}

/** `count` sectors of a recognisable pattern that depends on `seed`. */
export function pattern(count: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: count * SECTOR_SIZE }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff);
}

export function needsReset(d: Disk): boolean {
  return (d.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

/** Cuts `bytes` into pieces of the given lengths (the rest in a last piece). */
export function cut(bytes: Uint8Array, ...lens: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of lens) {
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}
