// What a block device is built with and what it counts: the options a platform sets, the
// reasons a request fails, and the checks on options and the ID string.
import { VIRTIO_BLK_ID_BYTES } from './request.ts';
import type { DeviceBudgetOptions } from '../budget.ts';

/** Why the device answered a request with something other than VIRTIO_BLK_S_OK. */
export type BlkErrorReason =
  | 'short-header' // fewer than 16 device-readable bytes: IOERR
  | 'unknown-type' // a type VIRTIO 1.4 does not define, or a legacy one: UNSUPP
  | 'not-negotiated' // a type whose feature the driver did not accept: UNSUPP
  | 'zoned-not-negotiated' // a zone request without VIRTIO_BLK_F_ZONED (§5.2.6.2): UNSUPP
  | 'data-direction' // data in the device-readable part of a request that returns data, or the reverse: IOERR
  | 'bad-length' // data not a multiple of 512 (IN/OUT), of 16 (segments), or not the struct size: IOERR
  | 'flush-sector' // VIRTIO_BLK_T_FLUSH with a sector other than 0 (§5.2.6.1): IOERR
  | 'read-only' // a write, discard, write zeroes or secure erase with VIRTIO_BLK_F_RO: IOERR
  | 'out-of-range' // sectors past capacity: IOERR
  | 'too-many-segments' // data in more than seg_max buffers, or more than max_*_seg segments: IOERR
  | 'segment-too-large' // a data buffer longer than size_max: IOERR
  | 'too-many-sectors' // a segment over max_discard_sectors and the like: IOERR
  | 'unknown-flags' // reserved segment flag bits set (§5.2.6.2): UNSUPP
  | 'unmap-not-allowed' // the unmap flag on a discard or secure erase (§5.2.6.2): UNSUPP
  | 'backend-error'; // the back end failed, or had no valid data to report: IOERR

export const BLK_ERROR_REASONS: readonly BlkErrorReason[] = [
  'short-header', 'unknown-type', 'not-negotiated', 'zoned-not-negotiated', 'data-direction', 'bad-length', 'flush-sector',
  'read-only', 'out-of-range', 'too-many-segments', 'segment-too-large', 'too-many-sectors', 'unknown-flags',
  'unmap-not-allowed', 'backend-error',
];

/** Limits of a segment-based request type (discard, write zeroes, secure erase). */
export interface BlkSegmentLimits {
  /** The most sectors one segment may cover (1..0xffffffff). */
  readonly maxSectors: number;
  /** The most segments in one request (1..0xffffffff). */
  readonly maxSegments: number;
  /** The alignment the driver should split requests on, in sectors (a hint; not enforced). */
  readonly sectorAlignment?: number;
}

export interface BlockDeviceOptions {
  /** Offers VIRTIO_BLK_F_RO: every request that would change the disk fails with IOERR. */
  readonly readOnly?: boolean;
  /** The device ID string for VIRTIO_BLK_T_GET_ID: up to 20 ASCII characters. */
  readonly serial?: string;
  /** Request queues; above 1 the device offers VIRTIO_BLK_F_MQ. Default 1. */
  readonly numQueues?: number;
  /** The largest size a queue may have; default 256. */
  readonly maxQueueSize?: number;
  /** seg_max; default maxQueueSize − 2 (a descriptor each for header and status); null: not offered. */
  readonly segMax?: number | null;
  /** size_max in bytes; default null (not offered). */
  readonly sizeMax?: number | null;
  readonly geometry?: { cylinders: number; heads: number; sectors: number } | null;
  /** blk_size, the logical block size the driver should use: a power of 2, at least 512. Default 512. */
  readonly blockSize?: number;
  readonly topology?: { physicalBlockExp: number; alignmentOffset: number; minIoSize: number; optIoSize: number } | null;
  /** Offers VIRTIO_BLK_F_CONFIG_WCE, letting the driver switch the cache mode. Default true. */
  readonly configWce?: boolean;
  /** The cache mode after reset: writeback (true, the default) or writethrough. */
  readonly writeback?: boolean;
  /** VIRTIO_BLK_F_DISCARD and its limits; false: not offered. */
  readonly discard?: BlkSegmentLimits | false;
  /** VIRTIO_BLK_F_WRITE_ZEROES, its limits, and whether the unmap flag may deallocate; false: not offered. */
  readonly writeZeroes?: (BlkSegmentLimits & { readonly mayUnmap?: boolean }) | false;
  /** VIRTIO_BLK_F_SECURE_ERASE and its limits; default false (not offered). */
  readonly secureErase?: BlkSegmentLimits | false;
  /** This guest's budget on the device (chapter Safety): default none, every request taken at once. */
  readonly budget?: DeviceBudgetOptions | null;
}

export interface BlockStats {
  requests: number;
  ok: number;
  ioerr: number;
  unsupp: number;
  /** Requests without a device-writable byte for the status, returned with used length 0. */
  unanswerable: number;
  sectorsRead: number;
  sectorsWritten: number;
  flushes: number;
  readonly errors: Record<BlkErrorReason, number>;
  /** Why the last request that was not OK failed. */
  lastError: BlkErrorReason | null;
}

export function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} ${v}: an integer in ${min}..${max}`);
  return v;
}

export function checkLimits<T extends BlkSegmentLimits>(name: string, l: T): T {
  checkInt(`${name}.maxSectors`, l.maxSectors, 1, 0xffffffff);
  checkInt(`${name}.maxSegments`, l.maxSegments, 1, 0xffffffff);
  if (l.sectorAlignment !== undefined) checkInt(`${name}.sectorAlignment`, l.sectorAlignment, 1, 0xffffffff);
  return l;
}

/** The GET_ID string: printable ASCII, at most 20 bytes, NUL-padded to 20 (§5.2.6). */
export function encodeSerial(s: string): Uint8Array {
  if (s.length > VIRTIO_BLK_ID_BYTES || !/^[\x20-\x7e]*$/.test(s)) throw new RangeError(`serial "${s}": up to ${VIRTIO_BLK_ID_BYTES} printable ASCII characters`);
  const out = new Uint8Array(VIRTIO_BLK_ID_BYTES);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
