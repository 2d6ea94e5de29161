// The guest side of a block device over the in-process Loopback: each call builds one request
// (header, data, status byte), submits it and returns what came back. Tests and examples use
// it; raw() sends any bytes at all, for requests a well-behaved driver would never build.
import { hasFeature } from '../../virtio/feature-bits.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import { BLK_CFG_CAPACITY, BLK_CFG_NUM_QUEUES, BLK_CFG_WRITEBACK, SECTOR_SIZE } from './config.ts';
import { VIRTIO_BLK_F_MQ } from './features.ts';
import {
  BLK_LIFETIME_SIZE,
  type BlkLifetime,
  decodeBlkLifetime,
  encodeBlkHeader,
  encodeBlkSegments,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_GET_LIFETIME,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_SECURE_ERASE,
  VIRTIO_BLK_T_WRITE_ZEROES,
} from './request.ts';

export interface BlkReply {
  /** The status byte, or null if the device returned the buffer without one (used length 0). */
  readonly status: number | null;
  /** The device-writable bytes before the status byte, as far as the used length covers them. */
  readonly data: Uint8Array;
  /** The used length the device reported. */
  readonly len: number;
}

export interface BlkSegmentSpec {
  readonly sector: bigint | number;
  readonly numSectors: number;
  readonly flags?: number;
}

export class BlockDriver {
  readonly lb: Loopback;

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  /** Request queues set up: num_queues with VIRTIO_BLK_F_MQ, else 1. */
  get queues(): number {
    return hasFeature(this.lb.features, VIRTIO_BLK_F_MQ) ? this.lb.device.config.u16(BLK_CFG_NUM_QUEUES) : 1;
  }

  get capacity(): bigint {
    return this.lb.device.config.u64(BLK_CFG_CAPACITY);
  }

  get writeback(): number {
    return this.lb.device.config.u8(BLK_CFG_WRITEBACK);
  }

  /** Writes `writeback` (0 writethrough, 1 writeback), as a driver does through the transport. */
  setWriteback(v: number): void {
    this.lb.device.writeConfig(BLK_CFG_WRITEBACK, new Uint8Array([v]));
  }

  /**
   * Sends the device-readable parts `out` and device-writable buffers `inLens` as one request
   * on queue `q`; the status is the last byte the device wrote, if it wrote any.
   */
  raw(out: readonly Uint8Array[], inLens: readonly number[], opts: { queue?: number; indirect?: boolean } = {}): BlkReply {
    const c = this.lb.request(opts.queue ?? 0, out, inLens, { indirect: opts.indirect });
    if (c.len === 0) return { status: null, data: new Uint8Array(0), len: 0 };
    return { status: c.data[c.len - 1], data: c.data.subarray(0, c.len - 1), len: c.len };
  }

  read(sector: bigint | number, count: number, opts: { queue?: number } = {}): BlkReply {
    return this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector })], [count * SECTOR_SIZE + 1], opts);
  }

  write(sector: bigint | number, data: Uint8Array, opts: { queue?: number } = {}): BlkReply {
    return this.raw(data.length > 0 ? [encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector }), data] : [encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector })], [1], opts);
  }

  flush(opts: { queue?: number } = {}): BlkReply {
    return this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_FLUSH })], [1], opts);
  }

  /** The device ID string, NULs stripped, or null if the request failed. */
  getId(opts: { queue?: number } = {}): { reply: BlkReply; id: string | null } {
    const reply = this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_GET_ID })], [VIRTIO_BLK_ID_BYTES + 1], opts);
    if (reply.status !== VIRTIO_BLK_S_OK) return { reply, id: null };
    const end = reply.data.indexOf(0);
    return { reply, id: String.fromCharCode(...reply.data.subarray(0, end < 0 ? reply.data.length : end)) };
  }

  getLifetime(opts: { queue?: number } = {}): { reply: BlkReply; lifetime: BlkLifetime | null } {
    const reply = this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_GET_LIFETIME })], [BLK_LIFETIME_SIZE + 1], opts);
    return { reply, lifetime: reply.status === VIRTIO_BLK_S_OK ? decodeBlkLifetime(reply.data) : null };
  }

  discard(segs: readonly BlkSegmentSpec[], opts: { queue?: number } = {}): BlkReply {
    return this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_DISCARD }), encodeBlkSegments(segs)], [1], opts);
  }

  writeZeroes(segs: readonly BlkSegmentSpec[], opts: { queue?: number } = {}): BlkReply {
    return this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_WRITE_ZEROES }), encodeBlkSegments(segs)], [1], opts);
  }

  secureErase(segs: readonly BlkSegmentSpec[], opts: { queue?: number } = {}): BlkReply {
    return this.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_SECURE_ERASE }), encodeBlkSegments(segs)], [1], opts);
  }
}
