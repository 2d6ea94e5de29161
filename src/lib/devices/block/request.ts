// The wire format of block requests (VIRTIO 1.4 §5.2.6): a 16-byte device-readable header,
// the data, and one status byte that is the last device-writable byte of the chain. The
// helpers here only encode and decode; what a request may contain is decided in device.ts.

// #region request-header
/** struct virtio_blk_req, without data and status: type le32, reserved le32, sector le64. */
export const BLK_REQ_HEADER_SIZE = 16;

export interface BlkReqHeader {
  readonly type: number;
  /** Formerly `ioprio`; the device ignores it. */
  readonly reserved: number;
  /** In 512-byte units; 64 bits wide, so a bigint. */
  readonly sector: bigint;
}

export function decodeBlkHeader(bytes: Uint8Array): BlkReqHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, BLK_REQ_HEADER_SIZE);
  return { type: v.getUint32(0, true), reserved: v.getUint32(4, true), sector: v.getBigUint64(8, true) };
}

export function encodeBlkHeader(h: { type: number; reserved?: number; sector?: bigint | number }): Uint8Array {
  const out = new Uint8Array(BLK_REQ_HEADER_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, h.type >>> 0, true);
  v.setUint32(4, (h.reserved ?? 0) >>> 0, true);
  v.setBigUint64(8, BigInt.asUintN(64, BigInt(h.sector ?? 0)), true);
  return out;
}
// #endregion request-header

// #region request-types
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_GET_LIFETIME = 10;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
export const VIRTIO_BLK_T_SECURE_ERASE = 14;
// Zoned requests, valid only with VIRTIO_BLK_F_ZONED.
export const VIRTIO_BLK_T_ZONE_APPEND = 15;
export const VIRTIO_BLK_T_ZONE_REPORT = 16;
export const VIRTIO_BLK_T_ZONE_OPEN = 18;
export const VIRTIO_BLK_T_ZONE_CLOSE = 20;
export const VIRTIO_BLK_T_ZONE_FINISH = 22;
export const VIRTIO_BLK_T_ZONE_RESET = 24;
export const VIRTIO_BLK_T_ZONE_RESET_ALL = 26;

export const BLK_ZONE_REQUEST_TYPES: readonly number[] = [
  VIRTIO_BLK_T_ZONE_APPEND,
  VIRTIO_BLK_T_ZONE_REPORT,
  VIRTIO_BLK_T_ZONE_OPEN,
  VIRTIO_BLK_T_ZONE_CLOSE,
  VIRTIO_BLK_T_ZONE_FINISH,
  VIRTIO_BLK_T_ZONE_RESET,
  VIRTIO_BLK_T_ZONE_RESET_ALL,
];

/** The value of `status`, the request's last byte. */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;
// ZBD-specific statuses (VIRTIO_BLK_F_ZONED only).
export const VIRTIO_BLK_S_ZONE_INVALID_CMD = 3;
export const VIRTIO_BLK_S_ZONE_UNALIGNED_WP = 4;
export const VIRTIO_BLK_S_ZONE_OPEN_RESOURCE = 5;
export const VIRTIO_BLK_S_ZONE_ACTIVE_RESOURCE = 6;
// #endregion request-types

/** The device ID string of VIRTIO_BLK_T_GET_ID: ASCII, NUL-padded, exactly this many bytes. */
export const VIRTIO_BLK_ID_BYTES = 20;

const TYPE_NAMES: Record<number, string> = {
  [VIRTIO_BLK_T_IN]: 'IN',
  [VIRTIO_BLK_T_OUT]: 'OUT',
  [VIRTIO_BLK_T_FLUSH]: 'FLUSH',
  [VIRTIO_BLK_T_GET_ID]: 'GET_ID',
  [VIRTIO_BLK_T_GET_LIFETIME]: 'GET_LIFETIME',
  [VIRTIO_BLK_T_DISCARD]: 'DISCARD',
  [VIRTIO_BLK_T_WRITE_ZEROES]: 'WRITE_ZEROES',
  [VIRTIO_BLK_T_SECURE_ERASE]: 'SECURE_ERASE',
  [VIRTIO_BLK_T_ZONE_APPEND]: 'ZONE_APPEND',
  [VIRTIO_BLK_T_ZONE_REPORT]: 'ZONE_REPORT',
  [VIRTIO_BLK_T_ZONE_OPEN]: 'ZONE_OPEN',
  [VIRTIO_BLK_T_ZONE_CLOSE]: 'ZONE_CLOSE',
  [VIRTIO_BLK_T_ZONE_FINISH]: 'ZONE_FINISH',
  [VIRTIO_BLK_T_ZONE_RESET]: 'ZONE_RESET',
  [VIRTIO_BLK_T_ZONE_RESET_ALL]: 'ZONE_RESET_ALL',
};

/** `VIRTIO_BLK_T_<name>`, or the number for a type the specification does not define. */
export function blkTypeName(type: number): string {
  const n = TYPE_NAMES[type];
  return n ? `VIRTIO_BLK_T_${n}` : `type ${type}`;
}

export function blkStatusName(status: number): string {
  return (['VIRTIO_BLK_S_OK', 'VIRTIO_BLK_S_IOERR', 'VIRTIO_BLK_S_UNSUPP'] as const)[status] ?? `status ${status}`;
}

// #region segment-layout
/** struct virtio_blk_discard_write_zeroes: sector le64, num_sectors le32, flags le32. */
export const BLK_SEGMENT_SIZE = 16;
/** Bit 0 of `flags`: write zeroes may deallocate. Bits 1..31 are reserved. */
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;

export interface BlkSegment {
  readonly sector: bigint;
  readonly numSectors: number;
  readonly flags: number;
}

export function decodeBlkSegments(data: Uint8Array): BlkSegment[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: BlkSegment[] = [];
  for (let at = 0; at + BLK_SEGMENT_SIZE <= data.length; at += BLK_SEGMENT_SIZE) {
    out.push({ sector: v.getBigUint64(at, true), numSectors: v.getUint32(at + 8, true), flags: v.getUint32(at + 12, true) });
  }
  return out;
}

export function encodeBlkSegments(segs: readonly { sector: bigint | number; numSectors: number; flags?: number }[]): Uint8Array {
  const out = new Uint8Array(segs.length * BLK_SEGMENT_SIZE);
  const v = new DataView(out.buffer);
  segs.forEach((s, i) => {
    v.setBigUint64(i * BLK_SEGMENT_SIZE, BigInt.asUintN(64, BigInt(s.sector)), true);
    v.setUint32(i * BLK_SEGMENT_SIZE + 8, s.numSectors >>> 0, true);
    v.setUint32(i * BLK_SEGMENT_SIZE + 12, (s.flags ?? 0) >>> 0, true);
  });
  return out;
}
// #endregion segment-layout

// #region lifetime
/** struct virtio_blk_lifetime: three le16 fields, as eMMC reports them (JESD84-B50). */
export const BLK_LIFETIME_SIZE = 6;

export interface BlkLifetime {
  /** VIRTIO_BLK_PRE_EOL_INFO_*: how much of the reserved blocks is used up. */
  readonly preEolInfo: number;
  /** Wear of SLC cells in tenths of the lifetime: 0 unknown, 1..10, 11 exceeded. */
  readonly lifetimeEstA: number;
  /** The same for MLC cells. */
  readonly lifetimeEstB: number;
}

export const VIRTIO_BLK_PRE_EOL_INFO_UNDEFINED = 0;
export const VIRTIO_BLK_PRE_EOL_INFO_NORMAL = 1; //  under 80% of reserved blocks consumed
export const VIRTIO_BLK_PRE_EOL_INFO_WARNING = 2; // 80%
export const VIRTIO_BLK_PRE_EOL_INFO_URGENT = 3; //  90%
/** The largest non-reserved lifetime estimate: "estimated lifetime exceeded". */
export const VIRTIO_BLK_LIFETIME_EST_MAX = 11;

/** True if no field holds a reserved value (which the device must never report). */
export function lifetimeIsValid(l: BlkLifetime): boolean {
  const est = (x: number) => Number.isInteger(x) && x >= 0 && x <= VIRTIO_BLK_LIFETIME_EST_MAX;
  return Number.isInteger(l.preEolInfo) && l.preEolInfo >= 0 && l.preEolInfo <= VIRTIO_BLK_PRE_EOL_INFO_URGENT && est(l.lifetimeEstA) && est(l.lifetimeEstB);
}

export function encodeBlkLifetime(l: BlkLifetime): Uint8Array {
  const out = new Uint8Array(BLK_LIFETIME_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, l.preEolInfo, true);
  v.setUint16(2, l.lifetimeEstA, true);
  v.setUint16(4, l.lifetimeEstB, true);
  return out;
}

export function decodeBlkLifetime(bytes: Uint8Array): BlkLifetime {
  const v = new DataView(bytes.buffer, bytes.byteOffset, BLK_LIFETIME_SIZE);
  return { preEolInfo: v.getUint16(0, true), lifetimeEstA: v.getUint16(2, true), lifetimeEstB: v.getUint16(4, true) };
}
// #endregion lifetime
