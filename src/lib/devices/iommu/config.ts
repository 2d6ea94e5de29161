// The virtio-iommu configuration space, struct virtio_iommu_config (VIRTIO 1.4 §5.13.4), and
// the limits a platform gives one instance of the device.
import { IOMMU_RESV_MEM_SIZE, type ResvRegion, VIRTIO_IOMMU_RESV_MEM_T_MSI, VIRTIO_IOMMU_RESV_MEM_T_RESERVED } from './protocol.ts';

// #region config-layout
export const IOMMU_CFG_PAGE_SIZE_MASK = 0; //   le64 page_size_mask  (always present)
export const IOMMU_CFG_INPUT_START = 8; //      le64 input_range.start (VIRTIO_IOMMU_F_INPUT_RANGE)
export const IOMMU_CFG_INPUT_END = 16; //       le64 input_range.end   (inclusive)
export const IOMMU_CFG_DOMAIN_START = 24; //    le32 domain_range.start (VIRTIO_IOMMU_F_DOMAIN_RANGE)
export const IOMMU_CFG_DOMAIN_END = 28; //      le32 domain_range.end   (inclusive)
export const IOMMU_CFG_PROBE_SIZE = 32; //      le32 probe_size (VIRTIO_IOMMU_F_PROBE)
export const IOMMU_CFG_BYPASS = 36; //          u8 bypass (VIRTIO_IOMMU_F_BYPASS_CONFIG), u8 reserved[3]
export const IOMMU_CONFIG_SIZE = 40;
// #endregion config-layout

// #region input-range-limit
/**
 * The widest input_range the AVP allows, and the model's default: IOVAs [0, 2^48 - 1]. Forty-eight
 * bits is what the 4-level page tables of Arm SMMUv3 and Intel VT-d translate, so a virtio-iommu
 * that stands in front of a physical IOMMU never promises more than it can keep. It also keeps
 * every IOVA far below 2^53, where a JavaScript number (and a JSON one) stops being exact:
 * TranslatedMemory shows each mapping as a memory region whose end must be a safe integer.
 */
export const IOMMU_INPUT_END_MAX = 2 ** 48 - 1;
export const IOMMU_DEFAULT_INPUT_END = IOMMU_INPUT_END_MAX;
// #endregion input-range-limit

/** 4 KiB granule, with 2 MiB and 1 GiB blocks as hints (§5.13.6: the lowest set bit is the granule). */
export const IOMMU_DEFAULT_PAGE_SIZE_MASK = (1n << 12n) | (1n << 21n) | (1n << 30n);

export interface IommuEndpointSpec {
  /** The endpoint ID the platform gives the device (the `iommus` cell in the device tree). */
  readonly id: number;
  /** IOVA ranges the driver must not map, reported by PROBE as RESV_MEM properties. */
  readonly reserved?: readonly ResvRegion[];
}

export interface IommuLimits {
  readonly pageSizeMask: bigint;
  readonly inputRange: { readonly start: number; readonly end: number };
  readonly domainRange: { readonly start: number; readonly end: number };
  readonly probeSize: number;
  /** Mappings the device keeps in all its domains together; more are refused with NOMEM. */
  readonly maxMappings: number;
}

/** The granule: the lowest set bit of page_size_mask, in bytes. */
export function granuleOf(mask: bigint): number {
  let g = 1;
  while ((mask & BigInt(g)) === 0n) g *= 2;
  return g;
}

/** Why this set of limits and endpoints cannot be offered, or null. */
export function limitsError(l: IommuLimits, endpoints: readonly IommuEndpointSpec[], probe = true): string | null {
  if (l.pageSizeMask <= 0n || l.pageSizeMask >= 1n << 64n) return 'page_size_mask: at least one bit of 64';
  // A granule above 4 KiB cannot map a 4 KiB guest page on its own (Linux refuses such a device).
  if (granuleOf(l.pageSizeMask) > 4096) return `page_size_mask 0x${l.pageSizeMask.toString(16)}: granule above 4 KiB`;
  const { start, end } = l.inputRange;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) return 'input_range: start <= end, both integers';
  if (start !== 0 || end > IOMMU_INPUT_END_MAX) return `input_range [0x${start.toString(16)}, 0x${end.toString(16)}]: from 0, up to 2^48 - 1`;
  const d = l.domainRange;
  if (!Number.isInteger(d.start) || !Number.isInteger(d.end) || d.start < 0 || d.end > 0xffff_ffff || d.end < d.start) return 'domain_range: 0 <= start <= end < 2^32';
  if (!Number.isInteger(l.maxMappings) || l.maxMappings < 1) return 'maxMappings: at least 1';
  const ids = new Set<number>();
  for (const ep of endpoints) {
    if (!Number.isInteger(ep.id) || ep.id < 0 || ep.id > 0xffff_ffff) return `endpoint ${ep.id}: a u32`;
    if (ids.has(ep.id)) return `endpoint ${ep.id} given twice`;
    ids.add(ep.id);
    const regions = [...(ep.reserved ?? [])].sort((a, b) => a.start - b.start);
    if (regions.filter((r) => r.subtype === VIRTIO_IOMMU_RESV_MEM_T_MSI).length > 1) return `endpoint ${ep.id}: more than one MSI region`;
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i];
      if (r.subtype !== VIRTIO_IOMMU_RESV_MEM_T_MSI && r.subtype !== VIRTIO_IOMMU_RESV_MEM_T_RESERVED) return `endpoint ${ep.id}: reserved region subtype ${r.subtype}`;
      if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end < r.start) return `endpoint ${ep.id}: reserved region [${r.start}, ${r.end}]`;
      if (i > 0 && regions[i - 1].end >= r.start) return `endpoint ${ep.id}: reserved regions overlap`;
    }
    if (probe && regions.length * IOMMU_RESV_MEM_SIZE > l.probeSize) return `endpoint ${ep.id}: ${regions.length} RESV_MEM properties do not fit probe_size ${l.probeSize}`;
  }
  if (!Number.isInteger(l.probeSize) || l.probeSize < 0 || l.probeSize > 0x1_0000) return 'probeSize: 0 to 65536';
  return null;
}
