// The address spaces a virtio-iommu keeps (VIRTIO 1.4 §5.13.6.3 to §5.13.6.6): endpoints the
// platform gave it, domains the driver creates by attaching endpoints, and each domain's
// mappings from IOVA ranges to guest-physical ranges. Nothing here knows about virtqueues: the
// device parses a request and asks this table to carry it out, and the table answers with the
// status. Every change tells the listener which endpoints now see a different address space.
import type { DmaMapping } from '../../virtio/dma.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import { granuleOf, type IommuEndpointSpec, type IommuLimits } from './config.ts';
import {
  type ResvRegion,
  VIRTIO_IOMMU_ATTACH_F_BYPASS,
  VIRTIO_IOMMU_MAP_F_READ,
  VIRTIO_IOMMU_MAP_F_WRITE,
  VIRTIO_IOMMU_S_FAULT,
  VIRTIO_IOMMU_S_INVAL,
  VIRTIO_IOMMU_S_NOENT,
  VIRTIO_IOMMU_S_NOMEM,
  VIRTIO_IOMMU_S_OK,
  VIRTIO_IOMMU_S_RANGE,
  VIRTIO_IOMMU_S_UNSUPP,
} from './protocol.ts';

/** One mapping made by one MAP request: IOVAs [start, end] (inclusive) to gpa onwards. */
export interface IommuMapping {
  readonly start: number;
  readonly end: number;
  readonly gpa: number;
  readonly read: boolean;
  readonly write: boolean;
}

interface Domain {
  readonly id: number;
  readonly bypass: boolean;
  readonly endpoints: Set<number>;
  /** Sorted by start, never overlapping. */
  mappings: IommuMapping[];
  /** What TranslatedMemory is given, rebuilt lazily after a change. */
  view: DmaMapping[] | null;
}

interface Endpoint {
  readonly id: number;
  readonly reserved: readonly ResvRegion[];
  domain: Domain | null;
}

/** The flag bits the device recognises under the negotiated features. */
export interface RequestFlags {
  readonly attach: number;
  readonly map: number;
}

/** Where an endpoint stands: what decides its DMA and the reason of a fault it causes. */
export type EndpointState = 'unknown' | 'unattached' | 'bypass-domain' | 'translated';

const overlaps = (aStart: number, aEnd: number, bStart: number, bEnd: number) => aStart <= bEnd && bStart <= aEnd;

export class AddressSpaces {
  readonly limits: IommuLimits;
  readonly granule: number;
  private readonly memory: GuestMemory;
  private readonly endpoints = new Map<number, Endpoint>();
  private readonly domains = new Map<number, Domain>();
  private mappingCount = 0;
  private readonly changed: (endpoints: Iterable<number>) => void;

  constructor(memory: GuestMemory, limits: IommuLimits, endpoints: readonly IommuEndpointSpec[], changed: (endpoints: Iterable<number>) => void) {
    this.memory = memory;
    this.limits = limits;
    this.granule = granuleOf(limits.pageSizeMask);
    for (const e of endpoints) this.endpoints.set(e.id, { id: e.id, reserved: [...(e.reserved ?? [])], domain: null });
    this.changed = changed;
  }

  /** The endpoint IDs the platform gave this device. */
  endpointIds(): number[] {
    return [...this.endpoints.keys()];
  }

  reservedOf(endpoint: number): readonly ResvRegion[] | null {
    return this.endpoints.get(endpoint)?.reserved ?? null;
  }

  /** The domain an endpoint is attached to, or null. */
  domainOf(endpoint: number): number | null {
    return this.endpoints.get(endpoint)?.domain?.id ?? null;
  }

  /** The domain IDs in use. */
  domainIds(): number[] {
    return [...this.domains.keys()].sort((a, b) => a - b);
  }

  /** A domain's mappings, in IOVA order (empty for a domain that does not exist). */
  mappingsOf(domain: number): readonly IommuMapping[] {
    return this.domains.get(domain)?.mappings ?? [];
  }

  get totalMappings(): number {
    return this.mappingCount;
  }

  stateOf(endpoint: number): EndpointState {
    const ep = this.endpoints.get(endpoint);
    if (!ep) return 'unknown';
    if (!ep.domain) return 'unattached';
    return ep.domain.bypass ? 'bypass-domain' : 'translated';
  }

  // #region view
  /**
   * What the endpoint may reach now (DmaTranslation.mappings): 'bypass' for untranslated access
   * to all guest memory, else exactly its domain's mappings. An unattached endpoint reaches
   * nothing unless the bypass rules say it bypasses; an endpoint this device does not manage
   * reaches nothing at all.
   */
  view(endpoint: number, unattachedBypass: boolean): readonly DmaMapping[] | 'bypass' {
    const ep = this.endpoints.get(endpoint);
    if (!ep) return [];
    if (!ep.domain) return unattachedBypass ? 'bypass' : [];
    if (ep.domain.bypass) return 'bypass';
    ep.domain.view ??= this.merged(ep.domain.mappings);
    return ep.domain.view;
  }
  // #endregion view

  /**
   * The mappings as TranslatedMemory regions: neighbours that continue each other in IOVA and
   * in guest memory, with the same permissions, become one, so that a buffer which spans two
   * MAP requests is reachable as it is through a real IOMMU's page tables.
   */
  private merged(mappings: readonly IommuMapping[]): DmaMapping[] {
    const out: { iova: number; size: number; gpa: number; read: boolean; write: boolean }[] = [];
    for (const m of mappings) {
      const size = m.end - m.start + 1;
      const last = out[out.length - 1];
      if (
        last && last.iova + last.size === m.start && last.gpa + last.size === m.gpa && last.read === m.read && last.write === m.write &&
        this.memory.contains(last.gpa, last.size + size)
      ) {
        last.size += size;
      } else {
        out.push({ iova: m.start, size, gpa: m.gpa, read: m.read, write: m.write });
      }
    }
    return out;
  }

  // #region attach
  /** ATTACH (§5.13.6.3). The checks come in a fixed order; the first that fails is the status. */
  attach(domainId: number, endpointId: number, flags: number, reserved: number, known: RequestFlags): number {
    if (reserved !== 0) return VIRTIO_IOMMU_S_INVAL;
    if ((flags & ~known.attach) !== 0) return VIRTIO_IOMMU_S_INVAL;
    const ep = this.endpoints.get(endpointId);
    if (!ep) return VIRTIO_IOMMU_S_NOENT;
    if (!this.domainInRange(domainId)) return VIRTIO_IOMMU_S_RANGE;
    const bypass = (flags & VIRTIO_IOMMU_ATTACH_F_BYPASS) !== 0;
    const existing = this.domains.get(domainId);
    if (existing && existing.bypass !== bypass) return VIRTIO_IOMMU_S_INVAL;
    if (existing && ep.domain === existing) return VIRTIO_IOMMU_S_OK;
    // The endpoint's reserved regions must stay unmapped in the domain it joins.
    if (existing && existing.mappings.some((m) => ep.reserved.some((r) => overlaps(m.start, m.end, r.start, r.end)))) return VIRTIO_IOMMU_S_UNSUPP;
    // Moving from another domain is a DETACH from it first (§5.13.6.3.2).
    if (ep.domain) this.leave(ep);
    const d = existing ?? { id: domainId, bypass, endpoints: new Set<number>(), mappings: [], view: null };
    this.domains.set(domainId, d);
    d.endpoints.add(ep.id);
    ep.domain = d;
    this.changed([ep.id]);
    return VIRTIO_IOMMU_S_OK;
  }
  // #endregion attach

  // #region detach
  /** DETACH (§5.13.6.4): the endpoint loses the domain's mappings at once. */
  detach(domainId: number, endpointId: number): number {
    const ep = this.endpoints.get(endpointId);
    if (!ep) return VIRTIO_IOMMU_S_NOENT;
    if (!this.domainInRange(domainId)) return VIRTIO_IOMMU_S_RANGE;
    if (!ep.domain || ep.domain.id !== domainId) return VIRTIO_IOMMU_S_INVAL;
    this.leave(ep);
    this.changed([ep.id]);
    return VIRTIO_IOMMU_S_OK;
  }

  /** Takes an endpoint out of its domain; a domain left without endpoints ceases to exist, mappings and all. */
  private leave(ep: Endpoint): void {
    const d = ep.domain!;
    d.endpoints.delete(ep.id);
    ep.domain = null;
    if (d.endpoints.size === 0) {
      this.mappingCount -= d.mappings.length;
      this.domains.delete(d.id);
    }
  }
  // #endregion detach

  // #region map
  /** MAP (§5.13.6.5), [virtStart, virtEnd] to physStart onwards. */
  map(domainId: number, virtStart: bigint, virtEnd: bigint, physStart: bigint, flags: number, known: RequestFlags): number {
    if ((flags & ~known.map) !== 0) return VIRTIO_IOMMU_S_INVAL;
    if (!this.domainInRange(domainId)) return VIRTIO_IOMMU_S_RANGE;
    const d = this.domains.get(domainId);
    if (!d) return VIRTIO_IOMMU_S_NOENT;
    if (d.bypass) return VIRTIO_IOMMU_S_INVAL;
    if (virtEnd < virtStart) return VIRTIO_IOMMU_S_INVAL;
    if (!this.inInputRange(virtStart, virtEnd)) return VIRTIO_IOMMU_S_RANGE;
    const g = BigInt(this.granule);
    if (virtStart % g !== 0n || physStart % g !== 0n || (virtEnd + 1n) % g !== 0n) return VIRTIO_IOMMU_S_RANGE;
    const start = Number(virtStart);
    const end = Number(virtEnd);
    const size = end - start + 1;
    // The guest-physical range must be this guest's memory: never another guest's, never a hole.
    if (physStart + BigInt(size) > BigInt(Number.MAX_SAFE_INTEGER) || !this.memory.contains(Number(physStart), size)) return VIRTIO_IOMMU_S_FAULT;
    for (const id of d.endpoints) {
      if (this.endpoints.get(id)!.reserved.some((r) => overlaps(start, end, r.start, r.end))) return VIRTIO_IOMMU_S_INVAL;
    }
    if (d.mappings.some((m) => overlaps(start, end, m.start, m.end))) return VIRTIO_IOMMU_S_INVAL;
    if (this.mappingCount >= this.limits.maxMappings) return VIRTIO_IOMMU_S_NOMEM;
    const m: IommuMapping = { start, end, gpa: Number(physStart), read: (flags & VIRTIO_IOMMU_MAP_F_READ) !== 0, write: (flags & VIRTIO_IOMMU_MAP_F_WRITE) !== 0 };
    const at = d.mappings.findIndex((x) => x.start > start);
    d.mappings.splice(at < 0 ? d.mappings.length : at, 0, m);
    d.view = null;
    this.mappingCount++;
    this.changed(d.endpoints);
    return VIRTIO_IOMMU_S_OK;
  }
  // #endregion map

  // #region unmap
  /**
   * UNMAP (§5.13.6.6): removes every mapping inside [virtStart, virtEnd]. A mapping that the
   * range covers only in part is never split: the request fails with RANGE and nothing is
   * removed. IOVAs in the range that no mapping covers are fine.
   */
  unmap(domainId: number, virtStart: bigint, virtEnd: bigint): number {
    if (!this.domainInRange(domainId)) return VIRTIO_IOMMU_S_RANGE;
    const d = this.domains.get(domainId);
    if (!d) return VIRTIO_IOMMU_S_NOENT;
    if (d.bypass) return VIRTIO_IOMMU_S_INVAL;
    if (virtEnd < virtStart) return VIRTIO_IOMMU_S_INVAL;
    if (!this.inInputRange(virtStart, virtEnd)) return VIRTIO_IOMMU_S_RANGE;
    const start = Number(virtStart);
    const end = Number(virtEnd);
    const hit = d.mappings.filter((m) => overlaps(start, end, m.start, m.end));
    if (hit.some((m) => m.start < start || m.end > end)) return VIRTIO_IOMMU_S_RANGE;
    if (hit.length === 0) return VIRTIO_IOMMU_S_OK;
    d.mappings = d.mappings.filter((m) => !hit.includes(m));
    d.view = null;
    this.mappingCount -= hit.length;
    this.changed(d.endpoints);
    return VIRTIO_IOMMU_S_OK;
  }
  // #endregion unmap

  /**
   * Device reset (§5.13.5): no endpoint is attached to any domain, and no domain is left. The
   * caller tells the endpoints, since a reset may change their bypass state as well.
   */
  reset(): void {
    for (const e of this.endpoints.values()) e.domain = null;
    this.domains.clear();
    this.mappingCount = 0;
  }

  private domainInRange(id: number): boolean {
    return id >= this.limits.domainRange.start && id <= this.limits.domainRange.end;
  }

  private inInputRange(start: bigint, end: bigint): boolean {
    return start >= BigInt(this.limits.inputRange.start) && end <= BigInt(this.limits.inputRange.end);
  }
}
