// Shared set-up for the GPU device tests: a device, a Loopback on a given ring layout, and the
// guest-side driver; and helpers to read response types.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import type { Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { GpuDevice, type GpuDeviceOptions } from '../../../../src/lib/devices/gpu/device.ts';
import { GpuDriver, type GpuResponse } from '../../../../src/lib/devices/gpu/driver.ts';
import * as P from '../../../../src/lib/devices/gpu/protocol.ts';

export const ALL: Features = (1n << 64n) - 1n;

export interface Guest {
  dev: GpuDevice;
  lb: Loopback;
  drv: GpuDriver;
}

export function gpuGuest(ring: RingType, dev: GpuDeviceOptions = {}, features: Features = ALL): Guest {
  const d = new GpuDevice(dev);
  const lb = new Loopback(d, { ring, features, memSize: 1 << 21 });
  return { dev: d, lb, drv: new GpuDriver(lb) };
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

/** The response type's short name, or 'none' when the device wrote no header. */
export function t(r: GpuResponse): string {
  return r.hdr ? P.gpuTypeName(r.hdr.type).replace('VIRTIO_GPU_RESP_', '') : 'none';
}

export const R = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });
export const XRGB = P.VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM;

/** A w×h resource `id`, backed by guest memory, ready to draw. */
export function backed(g: Guest, id: number, w: number, h: number, pieces = 1): void {
  if (t(g.drv.create2d(id, w, h)) !== 'OK_NODATA') throw new Error('create failed');
  if (t(g.drv.allocBacking(id, w, h, XRGB, pieces)) !== 'OK_NODATA') throw new Error('attach failed');
}
