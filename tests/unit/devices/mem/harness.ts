// Shared set-up for the memory device tests: a 64 MiB region of 2 MiB blocks at 4 GiB on a
// Loopback of a given ring layout, its guest-side driver, and raw requests.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import type { Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { MemDevice, type MemDeviceOptions } from '../../../../src/lib/devices/mem/device.ts';
import { MemDriver } from '../../../../src/lib/devices/mem/driver.ts';
import * as P from '../../../../src/lib/devices/mem/protocol.ts';

export const MiB = 1 << 20;
export const BASE = 0x1_0000_0000;
export const BS = 2 * MiB;
export const ALL: Features = (1n << 128n) - 1n;

export interface Rig {
  dev: MemDevice;
  lb: Loopback;
  drv: MemDriver;
}

/** requested_size 16 MiB, usable region 32 MiB (16 blocks), region 64 MiB (32 blocks). */
export function rig(ring: RingType, opts: Partial<MemDeviceOptions> = {}, features: Features = ALL): Rig {
  const dev = new MemDevice({ addr: BASE, regionSize: 64 * MiB, blockSize: BS, requestedSize: 16 * MiB, usableExtent: 16 * MiB, ...opts });
  const lb = new Loopback(dev, { ring, features });
  return { dev, lb, drv: new MemDriver(lb) };
}

/** The address of block `b`. */
export const at = (b: number): bigint => BigInt(BASE) + BigInt(b) * BigInt(BS);

/** A raw request: device-readable parts, device-writable lengths; the used length and response. */
export function raw(r: Rig, out: readonly Uint8Array[], inLens: readonly number[] = [P.MEM_RESP_SIZE]) {
  const c = r.lb.request(P.MEM_GUEST_REQUEST_Q, out, inLens);
  return { len: c.len, data: c.data, ...P.decodeMemResponse(c.data) };
}

export const needsReset = (r: Rig): boolean => (r.lb.status & DEVICE_NEEDS_RESET) !== 0;
export const errorCount = (r: Rig, code: string): number => r.dev.errors.get(code as never) ?? 0;
