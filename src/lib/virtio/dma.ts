// What a device behind an IOMMU may reach (VIRTIO 1.4 §2.6, §6.1: with VIRTIO_F_ACCESS_PLATFORM
// the addresses a driver gives the device are translated by the platform; §5.13: the virtio-iommu
// device is one such platform IOMMU). The device model then sees guest memory through
// TranslatedMemory: an address space of I/O virtual addresses (IOVAs) made of exactly the ranges
// mapped for its endpoint, each readable and writable as the mapping allows. An access outside
// them is not a read of whatever lies there: it is a fault, reported to the IOMMU (which tells the
// driver on its event queue) and recorded by the device as IOMMU_FAULT.
import { VirtqError } from './errors.ts';
import { checkAddrRange, GuestMemory, type MemoryRegion } from './memory.ts';

/**
 * The error a device records for a refused DMA. It is not one of the ring rules of
 * VIRTQ_ERROR_CODES (plain guest memory never raises it), so conformance vectors, which have no
 * IOMMU, never expect it.
 */
export const IOMMU_FAULT = 'IOMMU_FAULT';

// #region dma-translation
/** One mapping of an endpoint's domain: IOVAs [iova, iova + size) to guest-physical gpa. */
export interface DmaMapping {
  readonly iova: number;
  readonly size: number;
  readonly gpa: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** A DMA access the IOMMU refused. */
export interface DmaFault {
  readonly endpoint: number;
  /** The IOVA of the access (a bigint: the driver may have named any u64). */
  readonly address: bigint;
  readonly len: number;
  /** The access was a write (else a read). */
  readonly write: boolean;
  /** unmapped: no mapping covers the range; permission: a mapping does, but not for this access. */
  readonly reason: 'unmapped' | 'permission';
}

/** The IOMMU as a device model's memory sees it: what an endpoint may reach, and where faults go. */
export interface DmaTranslation {
  /** The endpoint's mappings now; 'bypass' for untranslated access to all guest memory. */
  mappings(endpoint: number): readonly DmaMapping[] | 'bypass';
  /** Calls `changed` after every change of the endpoint's mappings (map, unmap, attach, detach). */
  watch(endpoint: number, changed: () => void): void;
  /** Reports a refused access (the IOMMU queues a fault event for the driver). */
  fault(f: DmaFault): void;
}
// #endregion dma-translation

// #region translated-memory
/**
 * Guest memory as one endpoint behind an IOMMU sees it: its regions are the endpoint's mappings
 * (IOVA base, the guest-physical bytes mapped there, the mapping's write permission), rebuilt
 * whenever they change, so every access the device makes is checked against them.
 */
export class TranslatedMemory extends GuestMemory {
  private readonly phys: GuestMemory;
  private readonly iommu: DmaTranslation;
  readonly endpoint: number;
  private gen = 0;

  constructor(phys: GuestMemory, iommu: DmaTranslation, endpoint: number) {
    super(regionsFor(phys, iommu.mappings(endpoint)));
    this.phys = phys;
    this.iommu = iommu;
    this.endpoint = endpoint;
    iommu.watch(endpoint, () => {
      this.replaceRegions(regionsFor(this.phys, this.iommu.mappings(this.endpoint)));
      this.gen++;
    });
  }

  /** Changes with every change of the mappings: a device queue re-checks its ring areas then. */
  override get generation(): number {
    return this.gen;
  }

  /** A refused access: reported to the IOMMU as a fault, recorded by the device as IOMMU_FAULT. */
  override fault(addr: bigint, len: number, write: boolean, what: string): never {
    checkAddrRange(addr, len); // a range that wraps past 2^64 is the driver's ADDR_OVERFLOW, not a DMA
    // Inside a mapping (whatever its permissions) means the access lacked the right, not the mapping.
    const reason = this.contains(addr, len) ? 'permission' : 'unmapped';
    this.iommu.fault({ endpoint: this.endpoint, address: addr, len, write, reason });
    throw new VirtqError(IOMMU_FAULT, `${what ? `${what} ` : ''}[0x${addr.toString(16)}, +${len}) ${reason === 'unmapped' ? 'is not mapped' : `is mapped without ${write ? 'write' : 'read'} permission`} for endpoint ${this.endpoint}`);
  }
}

/** The regions an endpoint's mappings make: one per mapping, over the guest-physical bytes. */
function regionsFor(phys: GuestMemory, mappings: readonly DmaMapping[] | 'bypass'): MemoryRegion[] {
  if (mappings === 'bypass') return [...phys.regions];
  return mappings
    .filter((m) => m.read || m.write)
    .map((m) => {
      const at = phys.regionAt(m.gpa, m.size); // the IOMMU maps only guest memory (it checked)
      const bytes = phys.regions[at].bytes;
      const offset = m.gpa - phys.start(at);
      return { base: m.iova, bytes: bytes.subarray(offset, offset + m.size), writable: m.write, readable: m.read };
    });
}
// #endregion translated-memory
