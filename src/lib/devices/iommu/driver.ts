// The guest side of a virtio-iommu over the in-process Loopback: what an IOMMU driver does with
// the request and event queues, and a small DMA layer on top that maps exactly the pages a
// device is given and unmaps them when it is done. Tests and the example use it; it trusts
// nothing the device returns beyond what the queue layer checked.
import type { VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_RING_PACKED } from '../../virtio/feature-bits.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import { ringAreas, type RingType } from '../../virtio/queue-factory.ts';
import {
  IOMMU_CFG_BYPASS,
  IOMMU_CFG_DOMAIN_END,
  IOMMU_CFG_DOMAIN_START,
  IOMMU_CFG_INPUT_END,
  IOMMU_CFG_INPUT_START,
  IOMMU_CFG_PAGE_SIZE_MASK,
  IOMMU_CFG_PROBE_SIZE,
  granuleOf,
} from './config.ts';
import { IOMMU_EVENTQ, IOMMU_REQUESTQ } from './device.ts';
import {
  decodeFault,
  encodeAttach,
  encodeDetach,
  encodeMap,
  encodeProbe,
  encodeUnmap,
  type FaultReport,
  IOMMU_FAULT_SIZE,
  IOMMU_TAIL_SIZE,
  type ResvRegion,
  resvRegionsOf,
  VIRTIO_IOMMU_ATTACH_F_BYPASS,
  VIRTIO_IOMMU_F_BYPASS_CONFIG,
  VIRTIO_IOMMU_F_DOMAIN_RANGE,
  VIRTIO_IOMMU_F_INPUT_RANGE,
  VIRTIO_IOMMU_F_PROBE,
  VIRTIO_IOMMU_MAP_F_READ,
  VIRTIO_IOMMU_MAP_F_WRITE,
} from './protocol.ts';

export interface IommuReply {
  /** The status in the tail, or null when the device returned the buffer unwritten. */
  readonly status: number | null;
  /** The used length. */
  readonly len: number;
  /** What the device wrote into the device-writable part. */
  readonly data: Uint8Array;
}

export class IommuDriver {
  readonly lb: Loopback;
  readonly pageSizeMask: bigint;
  /** The smallest mapping unit, in bytes. */
  readonly granule: number;
  readonly inputRange: { readonly start: number; readonly end: number };
  readonly domainRange: { readonly start: number; readonly end: number };
  readonly probeSize: number;
  /** Fault reports the driver ignored: a reserved byte set (§5.13.6.9.1), or too short. */
  ignoredReports = 0;

  constructor(lb: Loopback) {
    this.lb = lb;
    const c = lb.device.config;
    this.pageSizeMask = c.u64(IOMMU_CFG_PAGE_SIZE_MASK);
    this.granule = granuleOf(this.pageSizeMask);
    // Without a feature its field means nothing, and VIRTIO's default applies (§5.13.6).
    this.inputRange = hasFeature(lb.features, VIRTIO_IOMMU_F_INPUT_RANGE) ? { start: Number(c.u64(IOMMU_CFG_INPUT_START)), end: Number(c.u64(IOMMU_CFG_INPUT_END)) } : { start: 0, end: Number.MAX_SAFE_INTEGER };
    this.domainRange = hasFeature(lb.features, VIRTIO_IOMMU_F_DOMAIN_RANGE) ? { start: c.u32(IOMMU_CFG_DOMAIN_START), end: c.u32(IOMMU_CFG_DOMAIN_END) } : { start: 0, end: 0xffff_ffff };
    this.probeSize = hasFeature(lb.features, VIRTIO_IOMMU_F_PROBE) ? c.u32(IOMMU_CFG_PROBE_SIZE) : 0;
  }

  /** Any request bytes, with `writable` bytes of room for the answer (the tail at its end). */
  send(request: Uint8Array, writable = IOMMU_TAIL_SIZE): IommuReply {
    const c = this.lb.request(IOMMU_REQUESTQ, [request], writable > 0 ? [writable] : []);
    // A used length of zero is a failed request (§5.13.6.1).
    const status = c.len >= IOMMU_TAIL_SIZE ? c.data[c.len - IOMMU_TAIL_SIZE] : null;
    return { status, len: c.len, data: c.data };
  }

  attach(domain: number, endpoint: number, opts: { bypass?: boolean } = {}): number | null {
    return this.send(encodeAttach({ domain, endpoint, flags: opts.bypass ? VIRTIO_IOMMU_ATTACH_F_BYPASS : 0 })).status;
  }

  detach(domain: number, endpoint: number): number | null {
    return this.send(encodeDetach({ domain, endpoint })).status;
  }

  /** Maps IOVAs [iova, iova + size) to guest-physical `gpa` onwards, READ and WRITE unless `flags` says otherwise. */
  map(domain: number, iova: number, size: number, gpa: number, flags = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE): number | null {
    return this.send(encodeMap({ domain, virtStart: iova, virtEnd: BigInt(iova) + BigInt(size) - 1n, physStart: gpa, flags })).status;
  }

  unmap(domain: number, iova: number, size: number): number | null {
    return this.send(encodeUnmap({ domain, virtStart: iova, virtEnd: BigInt(iova) + BigInt(size) - 1n })).status;
  }

  /** PROBE: the endpoint's reserved regions, as the driver keeps them. */
  probe(endpoint: number): { status: number | null; regions: ResvRegion[] } {
    const r = this.send(encodeProbe(endpoint), this.probeSize + IOMMU_TAIL_SIZE);
    return { status: r.status, regions: r.status === 0 ? resvRegionsOf(r.data.subarray(0, this.probeSize)) : [] };
  }

  /** Writes the `bypass` field (only meaningful with VIRTIO_IOMMU_F_BYPASS_CONFIG). */
  setBypass(value: number): void {
    if (!hasFeature(this.lb.features, VIRTIO_IOMMU_F_BYPASS_CONFIG)) throw new Error('bypass is writable only with VIRTIO_IOMMU_F_BYPASS_CONFIG');
    this.lb.device.writeConfig(IOMMU_CFG_BYPASS, Uint8Array.of(value));
  }

  get bypass(): number {
    return this.lb.device.config.u8(IOMMU_CFG_BYPASS);
  }

  // #region event-buffers
  /** Gives the device `count` event buffers of `size` bytes (a fault report is 24). */
  postEventBuffers(count: number, size = IOMMU_FAULT_SIZE): void {
    for (let i = 0; i < count; i++) this.lb.submit(IOMMU_EVENTQ, [], [size]);
  }

  /** The fault reports the device has returned since the last call; each buffer is given back. */
  faults(): FaultReport[] {
    const out: FaultReport[] = [];
    for (const c of this.lb.poll(IOMMU_EVENTQ)) {
      const f = c.len === IOMMU_FAULT_SIZE ? decodeFault(c.data) : null;
      if (f) out.push(f);
      else this.ignoredReports++;
      this.postEventBuffers(1);
    }
    return out;
  }
  // #endregion event-buffers
}

// #region guest-dma
/**
 * A guest's DMA layer for one domain, in the strict style: before a buffer is given to a
 * device, the pages that hold it are mapped (at IOVA = guest-physical address, as the
 * Loopback's drivers hand out addresses), and they are unmapped as soon as the device has
 * returned it, with the UNMAP completed before the memory is used for anything else.
 */
export class GuestDma {
  readonly driver: IommuDriver;
  readonly domain: number;
  /** IOVA ranges the driver must leave unmapped: what PROBE reported for the domain's endpoints. */
  readonly reserved: readonly ResvRegion[];

  constructor(driver: IommuDriver, domain: number, reserved: readonly ResvRegion[] = []) {
    this.driver = driver;
    this.domain = domain;
    this.reserved = reserved;
  }

  /** The pages covering [addr, addr + len): their first address and length. */
  pages(addr: number, len: number): { addr: number; size: number } {
    const g = this.driver.granule;
    const first = Math.floor(addr / g) * g;
    return { addr: first, size: Math.ceil((addr + len) / g) * g - first };
  }

  /** Maps the pages of [addr, addr + len) for the device: `access` says which way it may use them. */
  map(addr: number, len: number, access: 'read' | 'write' | 'read-write'): number | null {
    const p = this.pages(addr, len);
    const clash = this.reserved.find((r) => r.start <= p.addr + p.size - 1 && p.addr <= r.end);
    if (clash) throw new RangeError(`DMA map [0x${p.addr.toString(16)}, +0x${p.size.toString(16)}) would cover the reserved IOVAs [0x${clash.start.toString(16)}, 0x${clash.end.toString(16)}]`);
    const flags = (access === 'write' ? 0 : VIRTIO_IOMMU_MAP_F_READ) | (access === 'read' ? 0 : VIRTIO_IOMMU_MAP_F_WRITE);
    return this.driver.map(this.domain, p.addr, p.size, p.addr, flags);
  }

  unmap(addr: number, len: number): number | null {
    const p = this.pages(addr, len);
    return this.driver.unmap(this.domain, p.addr, p.size);
  }
}
// #endregion guest-dma

// #region ring-window
/**
 * Where a Loopback will put a device's queues: its allocator hands out guest memory first-fit
 * from 0x1000 in 16-byte units, each queue's descriptor area, driver area, device area and
 * indirect-table area in turn. A guest maps these before it tells the device where its rings are
 * (the Loopback does both in its constructor), just as a kernel maps the rings it allocates.
 */
export function loopbackRingWindow(
  device: VirtioDevice,
  opts: { ring?: RingType; queueSize?: number; indirectBytes?: number; features?: Features } = {},
): { addr: number; size: number } {
  const ring = opts.ring ?? 'split';
  let wanted = opts.features ?? (1n << 64n) - 1n;
  wanted = ring === 'packed' ? wanted | bit(VIRTIO_F_RING_PACKED) : wanted & ~bit(VIRTIO_F_RING_PACKED);
  const features = (device.offeredFeatures() & wanted & ~bit(VIRTIO_F_ACCESS_PLATFORM)) | bit(VIRTIO_F_ACCESS_PLATFORM);
  const up = (n: number) => Math.max(16, Math.ceil(n / 16) * 16);
  let size = 0;
  for (let i = 0; i < device.queueCount(features); i++) {
    const a = ringAreas(ring, Math.min(opts.queueSize ?? 64, device.maxQueueSize(i)));
    size += up(a.desc.bytes) + up(a.driver.bytes) + up(a.device.bytes) + up(opts.indirectBytes ?? 4096);
  }
  return { addr: 0x1000, size };
}
// #endregion ring-window
