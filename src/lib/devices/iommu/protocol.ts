// The virtio-iommu wire format, VIRTIO 1.4 §5.13: feature bits, request types and status codes,
// the five requests and their flags, PROBE properties and the fault report of the event queue.
// Every multi-byte field is little-endian. Encoders build what a driver sends (tests, vectors
// and the guest-side driver use them); decoders read what a device returns.

// #region feature-bits
// §5.13.3
export const VIRTIO_IOMMU_F_INPUT_RANGE = 0; //   input_range says which IOVAs can be mapped
export const VIRTIO_IOMMU_F_DOMAIN_RANGE = 1; //  domain_range says which domain IDs exist
export const VIRTIO_IOMMU_F_MAP_UNMAP = 2; //     MAP and UNMAP requests are available
export const VIRTIO_IOMMU_F_BYPASS = 3; //        unattached endpoints bypass (superseded by BYPASS_CONFIG)
export const VIRTIO_IOMMU_F_PROBE = 4; //         PROBE requests are available
export const VIRTIO_IOMMU_F_MMIO = 5; //          MAP may carry VIRTIO_IOMMU_MAP_F_MMIO
export const VIRTIO_IOMMU_F_BYPASS_CONFIG = 6; // the bypass field and ATTACH_F_BYPASS decide bypass
// #endregion feature-bits

// #region request-types
// §5.13.6: the type in struct virtio_iommu_req_head
export const VIRTIO_IOMMU_T_ATTACH = 1;
export const VIRTIO_IOMMU_T_DETACH = 2;
export const VIRTIO_IOMMU_T_MAP = 3;
export const VIRTIO_IOMMU_T_UNMAP = 4;
export const VIRTIO_IOMMU_T_PROBE = 5;

// §5.13.6: the status in struct virtio_iommu_req_tail
export const VIRTIO_IOMMU_S_OK = 0; //     the request was carried out
export const VIRTIO_IOMMU_S_IOERR = 1; //  virtio communication error
export const VIRTIO_IOMMU_S_UNSUPP = 2; // request not supported
export const VIRTIO_IOMMU_S_DEVERR = 3; // internal device error
export const VIRTIO_IOMMU_S_INVAL = 4; //  invalid parameters
export const VIRTIO_IOMMU_S_RANGE = 5; //  parameters out of range
export const VIRTIO_IOMMU_S_NOENT = 6; //  no such endpoint or domain
export const VIRTIO_IOMMU_S_FAULT = 7; //  bad address
export const VIRTIO_IOMMU_S_NOMEM = 8; //  out of resources
// #endregion request-types

// #region request-flags
export const VIRTIO_IOMMU_ATTACH_F_BYPASS = 1 << 0; // §5.13.6.3: a bypass domain
export const VIRTIO_IOMMU_MAP_F_READ = 1 << 0; //      §5.13.6.5: endpoints may read
export const VIRTIO_IOMMU_MAP_F_WRITE = 1 << 1; //     endpoints may write
export const VIRTIO_IOMMU_MAP_F_MMIO = 1 << 2; //      the range is device registers, not memory
// #endregion request-flags

// #region request-layouts
/** struct virtio_iommu_req_head and struct virtio_iommu_req_tail: 4 bytes each. */
export const IOMMU_HEAD_SIZE = 4;
export const IOMMU_TAIL_SIZE = 4;

/**
 * Bytes of the device-readable part of each request, head included (§5.13.6.3 to §5.13.6.7):
 *   ATTACH  head, le32 domain @4, le32 endpoint @8, le32 flags @12, u8 reserved[4] @16
 *   DETACH  head, le32 domain @4, le32 endpoint @8, u8 reserved[8] @12
 *   MAP     head, le32 domain @4, le64 virt_start @8, le64 virt_end @16, le64 phys_start @24, le32 flags @32
 *   UNMAP   head, le32 domain @4, le64 virt_start @8, le64 virt_end @16, u8 reserved[4] @24
 *   PROBE   head, le32 endpoint @4, u8 reserved[64] @8
 * The device-writable part is the tail, after probe_size bytes of properties for PROBE.
 */
export const IOMMU_REQ_SIZE: Readonly<Record<number, number>> = {
  [VIRTIO_IOMMU_T_ATTACH]: 20,
  [VIRTIO_IOMMU_T_DETACH]: 20,
  [VIRTIO_IOMMU_T_MAP]: 36,
  [VIRTIO_IOMMU_T_UNMAP]: 28,
  [VIRTIO_IOMMU_T_PROBE]: 72,
};
// #endregion request-layouts

// #region probe-properties
// §5.13.6.7, §5.13.6.8: struct virtio_iommu_probe_property is le16 {type:12, reserved:4}, le16
// length (of the value, without this 4-byte header); the next property starts length + 4
// bytes after this one. A type of 0 ends the list.
export const VIRTIO_IOMMU_PROBE_T_NONE = 0;
export const VIRTIO_IOMMU_PROBE_T_RESV_MEM = 1;
export const IOMMU_PROBE_PROPERTY_HEADER = 4;
/** struct virtio_iommu_probe_resv_mem: header, u8 subtype @4, u8 reserved[3] @5, le64 start @8, le64 end @16. */
export const IOMMU_RESV_MEM_SIZE = 24;
export const VIRTIO_IOMMU_RESV_MEM_T_RESERVED = 0; // never map these IOVAs
export const VIRTIO_IOMMU_RESV_MEM_T_MSI = 1; //      an MSI doorbell: never map, the platform routes it
// #endregion probe-properties

// #region fault-report
// §5.13.6.9: struct virtio_iommu_fault, 24 bytes:
//   u8 reason @0, u8 reserved[3] @1, le32 flags @4, le32 endpoint @8, le32 reserved1 @12, le64 address @16
export const IOMMU_FAULT_SIZE = 24;
export const VIRTIO_IOMMU_FAULT_R_UNKNOWN = 0; // an internal error, or none of the below
export const VIRTIO_IOMMU_FAULT_R_DOMAIN = 1; //  the endpoint is not attached to a domain
export const VIRTIO_IOMMU_FAULT_R_MAPPING = 2; // no mapping, or not with the access's permission
export const VIRTIO_IOMMU_FAULT_F_READ = 1 << 0;
export const VIRTIO_IOMMU_FAULT_F_WRITE = 1 << 1;
export const VIRTIO_IOMMU_FAULT_F_ADDRESS = 1 << 8; // `address` holds the faulting address
// #endregion fault-report

export const STATUS_NAMES: Readonly<Record<number, string>> = {
  [VIRTIO_IOMMU_S_OK]: 'OK',
  [VIRTIO_IOMMU_S_IOERR]: 'IOERR',
  [VIRTIO_IOMMU_S_UNSUPP]: 'UNSUPP',
  [VIRTIO_IOMMU_S_DEVERR]: 'DEVERR',
  [VIRTIO_IOMMU_S_INVAL]: 'INVAL',
  [VIRTIO_IOMMU_S_RANGE]: 'RANGE',
  [VIRTIO_IOMMU_S_NOENT]: 'NOENT',
  [VIRTIO_IOMMU_S_FAULT]: 'FAULT',
  [VIRTIO_IOMMU_S_NOMEM]: 'NOMEM',
};

/** VIRTIO_IOMMU_S_<name> for a status, or its number when VIRTIO defines none. */
export const statusName = (s: number | null): string => (s === null ? 'no status (used length 0)' : (STATUS_NAMES[s] ?? `status ${s}`));

export const FAULT_REASON_NAMES: Readonly<Record<number, string>> = {
  [VIRTIO_IOMMU_FAULT_R_UNKNOWN]: 'UNKNOWN',
  [VIRTIO_IOMMU_FAULT_R_DOMAIN]: 'DOMAIN',
  [VIRTIO_IOMMU_FAULT_R_MAPPING]: 'MAPPING',
};

// ---- Encoding requests (the driver's side) ----

/** A u64 field: a bigint, or a number that is a safe non-negative integer. */
export type U64 = bigint | number;

const u64 = (v: U64): bigint => BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(v));

function request(type: number, size: number, fill: (v: DataView) => void): Uint8Array {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint8(0, type);
  fill(v);
  return out;
}

export interface AttachRequest {
  readonly domain: number;
  readonly endpoint: number;
  readonly flags?: number;
  /** The four reserved bytes (a well-behaved driver leaves them zero). */
  readonly reserved?: number;
}

export const encodeAttach = (r: AttachRequest): Uint8Array =>
  request(VIRTIO_IOMMU_T_ATTACH, 20, (v) => {
    v.setUint32(4, r.domain >>> 0, true);
    v.setUint32(8, r.endpoint >>> 0, true);
    v.setUint32(12, (r.flags ?? 0) >>> 0, true);
    v.setUint32(16, (r.reserved ?? 0) >>> 0, true);
  });

export const encodeDetach = (r: { domain: number; endpoint: number; reserved?: number }): Uint8Array =>
  request(VIRTIO_IOMMU_T_DETACH, 20, (v) => {
    v.setUint32(4, r.domain >>> 0, true);
    v.setUint32(8, r.endpoint >>> 0, true);
    v.setUint32(12, (r.reserved ?? 0) >>> 0, true);
  });

export interface MapRequest {
  readonly domain: number;
  /** First IOVA of the range. */
  readonly virtStart: U64;
  /** Last IOVA of the range (inclusive). */
  readonly virtEnd: U64;
  readonly physStart: U64;
  readonly flags: number;
}

export const encodeMap = (r: MapRequest): Uint8Array =>
  request(VIRTIO_IOMMU_T_MAP, 36, (v) => {
    v.setUint32(4, r.domain >>> 0, true);
    v.setBigUint64(8, u64(r.virtStart), true);
    v.setBigUint64(16, u64(r.virtEnd), true);
    v.setBigUint64(24, u64(r.physStart), true);
    v.setUint32(32, r.flags >>> 0, true);
  });

export interface UnmapRequest {
  readonly domain: number;
  readonly virtStart: U64;
  readonly virtEnd: U64;
  readonly reserved?: number;
}

export const encodeUnmap = (r: UnmapRequest): Uint8Array =>
  request(VIRTIO_IOMMU_T_UNMAP, 28, (v) => {
    v.setUint32(4, r.domain >>> 0, true);
    v.setBigUint64(8, u64(r.virtStart), true);
    v.setBigUint64(16, u64(r.virtEnd), true);
    v.setUint32(24, (r.reserved ?? 0) >>> 0, true);
  });

export const encodeProbe = (endpoint: number): Uint8Array => request(VIRTIO_IOMMU_T_PROBE, 72, (v) => v.setUint32(4, endpoint >>> 0, true));

// ---- PROBE properties ----

// #region resv-region
/** A reserved IOVA range of one endpoint, [start, end] inclusive, as a RESV_MEM property says. */
export interface ResvRegion {
  readonly subtype: number;
  readonly start: number;
  readonly end: number;
}
// #endregion resv-region

/** One RESV_MEM property: 4-byte header, then 20 bytes of value. */
export function encodeResvMem(r: ResvRegion): Uint8Array {
  const out = new Uint8Array(IOMMU_RESV_MEM_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, VIRTIO_IOMMU_PROBE_T_RESV_MEM, true);
  v.setUint16(2, IOMMU_RESV_MEM_SIZE - IOMMU_PROBE_PROPERTY_HEADER, true);
  v.setUint8(4, r.subtype);
  v.setBigUint64(8, BigInt(r.start), true);
  v.setBigUint64(16, BigInt(r.end), true);
  return out;
}

export interface ProbeProperty {
  readonly type: number;
  /** The four reserved bits of the type field. */
  readonly reservedBits: number;
  readonly value: Uint8Array;
}

/**
 * The property list as a driver parses it (§5.13.6.7): type, then length, the next property
 * length + 4 bytes on, until a type of 0 or the end of the list; a property that runs past the
 * end is not returned.
 */
export function parseProperties(list: Uint8Array): ProbeProperty[] {
  const v = new DataView(list.buffer, list.byteOffset, list.byteLength);
  const out: ProbeProperty[] = [];
  for (let at = 0; at + IOMMU_PROBE_PROPERTY_HEADER <= list.length; ) {
    const word = v.getUint16(at, true);
    const type = word & 0xfff;
    if (type === VIRTIO_IOMMU_PROBE_T_NONE) break;
    const length = v.getUint16(at + 2, true);
    const end = at + IOMMU_PROBE_PROPERTY_HEADER + length;
    if (end > list.length) break;
    out.push({ type, reservedBits: word >>> 12, value: list.subarray(at + IOMMU_PROBE_PROPERTY_HEADER, end) });
    at = end;
  }
  return out;
}

/** The RESV_MEM regions of a property list, as a driver keeps them (unknown subtypes count as RESERVED). */
export function resvRegionsOf(list: Uint8Array): ResvRegion[] {
  return parseProperties(list)
    .filter((p) => p.type === VIRTIO_IOMMU_PROBE_T_RESV_MEM && p.reservedBits === 0 && p.value.length >= IOMMU_RESV_MEM_SIZE - IOMMU_PROBE_PROPERTY_HEADER)
    .map((p) => {
      const v = new DataView(p.value.buffer, p.value.byteOffset, p.value.byteLength);
      const subtype = v.getUint8(0);
      return {
        subtype: subtype === VIRTIO_IOMMU_RESV_MEM_T_MSI ? subtype : VIRTIO_IOMMU_RESV_MEM_T_RESERVED,
        start: Number(v.getBigUint64(4, true)),
        end: Number(v.getBigUint64(12, true)),
      };
    });
}

// ---- Fault reports ----

export interface FaultReport {
  readonly reason: number;
  readonly flags: number;
  readonly endpoint: number;
  readonly address: bigint;
}

export function encodeFault(f: FaultReport): Uint8Array {
  const out = new Uint8Array(IOMMU_FAULT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint8(0, f.reason);
  v.setUint32(4, f.flags >>> 0, true);
  v.setUint32(8, f.endpoint >>> 0, true);
  v.setBigUint64(16, BigInt.asUintN(64, f.address), true);
  return out;
}

/**
 * A fault report as a driver reads it (§5.13.6.9.1): null when a reserved byte of the first
 * word is set (the driver ignores such a report); reserved1 and unknown flags are ignored.
 */
export function decodeFault(b: Uint8Array): FaultReport | null {
  if (b.length < IOMMU_FAULT_SIZE) return null;
  const v = new DataView(b.buffer, b.byteOffset, IOMMU_FAULT_SIZE);
  if (v.getUint8(1) | v.getUint8(2) | v.getUint8(3)) return null;
  return { reason: v.getUint8(0), flags: v.getUint32(4, true), endpoint: v.getUint32(8, true), address: v.getBigUint64(16, true) };
}

/** A fault report in one line, as a driver would log it. */
export function describeFault(f: FaultReport): string {
  const access = `${f.flags & VIRTIO_IOMMU_FAULT_F_READ ? 'R' : ''}${f.flags & VIRTIO_IOMMU_FAULT_F_WRITE ? 'W' : ''}`;
  const at = f.flags & VIRTIO_IOMMU_FAULT_F_ADDRESS ? ` at 0x${f.address.toString(16)}` : '';
  return `${FAULT_REASON_NAMES[f.reason] ?? 'UNKNOWN'} fault from endpoint ${f.endpoint}${at}${access ? ` [${access}]` : ''}`;
}
