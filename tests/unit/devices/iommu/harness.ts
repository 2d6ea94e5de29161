// Shared set-up for the virtio-iommu tests: a guest's memory, an IOMMU that manages three of
// its endpoints (1 and 2 with an MSI doorbell, 3 without), the IOMMU's own Loopback and driver,
// and helpers to send raw requests and to act as a DMA-capable endpoint.
import { Loopback, type LoopbackOptions } from '../../../../src/lib/virtio/loopback.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { TranslatedMemory } from '../../../../src/lib/virtio/dma.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { IommuDevice, type IommuDeviceOptions } from '../../../../src/lib/devices/iommu/device.ts';
import { IommuDriver } from '../../../../src/lib/devices/iommu/driver.ts';
import { type ResvRegion, VIRTIO_IOMMU_RESV_MEM_T_MSI, VIRTIO_IOMMU_RESV_MEM_T_RESERVED } from '../../../../src/lib/devices/iommu/protocol.ts';

/** The MSI doorbell page of the example platform's interrupt controller, as an IOVA range. */
export const MSI: ResvRegion = { subtype: VIRTIO_IOMMU_RESV_MEM_T_MSI, start: 0x0809_0000, end: 0x0809_ffff };
/** A window the platform keeps for its own DMA mappings of endpoint 2. */
export const PLATFORM_WINDOW: ResvRegion = { subtype: VIRTIO_IOMMU_RESV_MEM_T_RESERVED, start: 0xf000_0000, end: 0xf00f_ffff };

export const GUEST_RAM = 1 << 20;
export const PAGE = 0x1000;

export interface Rig {
  memory: GuestMemory;
  dev: IommuDevice;
  lb: Loopback;
  drv: IommuDriver;
}

/** The IOMMU's own queues live in memory of their own (see dma.test.ts); `memory` is the guest RAM it maps. */
export function rig(ring: RingType, opts: Partial<IommuDeviceOptions> = {}, lbOpts: LoopbackOptions = {}): Rig {
  const memory = opts.memory ?? GuestMemory.create(GUEST_RAM);
  const dev = new IommuDevice({ endpoints: [{ id: 1, reserved: [MSI] }, { id: 2, reserved: [MSI, PLATFORM_WINDOW] }, { id: 3 }], ...opts, memory });
  const lb = new Loopback(dev, { ring, ...lbOpts });
  return { memory, dev, lb, drv: new IommuDriver(lb) };
}

export const needsReset = (lb: Loopback): boolean => (lb.status & DEVICE_NEEDS_RESET) !== 0;

/** Every feature bit but those given, as Loopback's `features` option. */
export const declining = (...bits: number[]): bigint => bits.reduce((f, b) => f & ~(1n << BigInt(b)), (1n << 64n) - 1n);

/**
 * A request laid out by hand: each readable part in a descriptor of its own, then writable
 * buffers of the given lengths, pre-filled with `fill` so that what the device wrote shows.
 * Returns the used length and the writable bytes as they are after the device returned them.
 */
export function raw(lb: Loopback, readable: readonly Uint8Array[], writable: readonly number[], fill = 0xee): { len: number; written: Uint8Array } {
  const q = lb.queues[0];
  const bufs: { addr: number; len: number; writable: boolean }[] = [];
  for (const r of readable) {
    const a = lb.alloc(r.length);
    lb.mem.write(a, r);
    bufs.push({ addr: a, len: r.length, writable: false });
  }
  for (const n of writable) {
    const a = lb.alloc(n);
    lb.mem.write(a, new Uint8Array(n).fill(fill));
    bufs.push({ addr: a, len: n, writable: true });
  }
  q.add(bufs);
  lb.device.queueNotify(0);
  const u = q.pollUsed();
  if (!u) throw new Error(`request not completed${lb.error ? ` (${lb.error.code})` : ''}`);
  const written = new Uint8Array(writable.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const b of bufs.filter((x) => x.writable)) {
    written.set(lb.mem.read(b.addr, b.len), at);
    at += b.len;
  }
  return { len: u.len, written };
}

/**
 * A bus master behind the IOMMU as endpoint `endpoint` (a passed-through controller, say): it
 * reads and writes guest memory through its translation. Returns what it read, or the error code.
 */
export function dmaRead(r: Rig, endpoint: number, addr: number, len: number): Uint8Array | string {
  try {
    return new TranslatedMemory(r.memory, r.dev, endpoint).read(addr, len);
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

export function dmaWrite(r: Rig, endpoint: number, addr: number, data: Uint8Array): 'ok' | string {
  try {
    new TranslatedMemory(r.memory, r.dev, endpoint).write(addr, data);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
