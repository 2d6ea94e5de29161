// The block device, VIRTIO 1.4 §5.2 (device ID 2): one or more request queues in front of a
// back end that stores 512-byte sectors. Every request is checked before the back end sees
// it; a request the device cannot honour is answered VIRTIO_BLK_S_IOERR or
// VIRTIO_BLK_S_UNSUPP in its status byte and never stops the queue. Only a broken ring, which
// the queue layer reports, puts the device into DEVICE_NEEDS_RESET.
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { type ChainBuffer, type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { DeviceBudget, drainWithBudget } from '../budget.ts';
import type { BlockBackend } from './backend.ts';
import { BLK_ERROR_REASONS, type BlkErrorReason, type BlkSegmentLimits, type BlockDeviceOptions, type BlockStats, checkInt, checkLimits, encodeSerial } from './options.ts';
import * as C from './config.ts';
import * as F from './features.ts';
import {
  BLK_LIFETIME_SIZE,
  BLK_REQ_HEADER_SIZE,
  BLK_SEGMENT_SIZE,
  BLK_ZONE_REQUEST_TYPES,
  type BlkReqHeader,
  decodeBlkHeader,
  decodeBlkSegments,
  encodeBlkLifetime,
  lifetimeIsValid,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_GET_LIFETIME,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_SECURE_ERASE,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
} from './request.ts';

export const VIRTIO_ID_BLOCK = 2;

export * from './options.ts';

const DEFAULT_DISCARD: BlkSegmentLimits = { maxSectors: 0x10000, maxSegments: 16, sectorAlignment: 8 };
const DEFAULT_WRITE_ZEROES = { maxSectors: 0x10000, maxSegments: 16, mayUnmap: true };

class Failure {
  readonly status: number;
  readonly reason: BlkErrorReason;
  constructor(status: number, reason: BlkErrorReason) {
    this.status = status;
    this.reason = reason;
  }
}
const ioerr = (r: BlkErrorReason) => new Failure(VIRTIO_BLK_S_IOERR, r);
const unsupp = (r: BlkErrorReason) => new Failure(VIRTIO_BLK_S_UNSUPP, r);

/** A parsed request: header, its device-readable data, the buffers, and the room to answer in. */
interface Request {
  readonly hdr: BlkReqHeader;
  /** Device-readable bytes after the header. */
  readonly out: Uint8Array;
  /** The device-writable bytes before the status byte, zero until the device fills them. */
  readonly inData: Uint8Array;
  readonly chain: DescriptorChain;
}

export class BlockDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly name = 'virtio-blk';
  readonly backend: BlockBackend;
  readonly readOnly: boolean;
  readonly numQueues: number;
  readonly serial: Uint8Array;
  readonly stats: BlockStats;
  /** The guest's budget on this device, or null (the default): no limit. */
  readonly budget: DeviceBudget | null;
  private readonly opts: BlockDeviceOptions;
  private readonly maxQSize: number;
  private readonly offered: Features;
  private readonly discardLimits: BlkSegmentLimits | null;
  private readonly zeroesLimits: (BlkSegmentLimits & { readonly mayUnmap?: boolean }) | null;
  private readonly eraseLimits: BlkSegmentLimits | null;
  private capacity: number;
  /** The features of the current negotiation, known from FEATURES_OK on; null before. */
  private negotiated: Features | null = null;

  constructor(backend: BlockBackend, opts: BlockDeviceOptions = {}) {
    super(C.BLK_CONFIG_SIZE);
    this.backend = backend;
    this.opts = opts;
    this.readOnly = opts.readOnly ?? false;
    this.numQueues = checkInt('numQueues', opts.numQueues ?? 1, 1, 0xffff);
    this.maxQSize = checkInt('maxQueueSize', opts.maxQueueSize ?? 256, 1, 32768);
    this.serial = encodeSerial(opts.serial ?? 'avp-virtio-blk');
    this.discardLimits = opts.discard === false ? null : checkLimits('discard', opts.discard ?? DEFAULT_DISCARD);
    this.zeroesLimits = opts.writeZeroes === false ? null : checkLimits('writeZeroes', opts.writeZeroes ?? DEFAULT_WRITE_ZEROES);
    this.eraseLimits = opts.secureErase ? checkLimits('secureErase', opts.secureErase) : null;
    this.capacity = backend.sectors;
    this.offered = this.computeOffered();
    this.budget = opts.budget ? new DeviceBudget(opts.budget) : null;
    this.stats = {
      requests: 0, ok: 0, ioerr: 0, unsupp: 0, unanswerable: 0, sectorsRead: 0, sectorsWritten: 0, flushes: 0,
      errors: Object.fromEntries(BLK_ERROR_REASONS.map((r) => [r, 0])) as Record<BlkErrorReason, number>,
      lastError: null,
    };
    this.initConfig();
  }

  // #region offered-features
  private computeOffered(): Features {
    const o = this.opts;
    let f = bit(F.VIRTIO_BLK_F_FLUSH) | bit(F.VIRTIO_BLK_F_BLK_SIZE); // FLUSH always: AVP-BLK-5
    if (o.configWce ?? true) f |= bit(F.VIRTIO_BLK_F_CONFIG_WCE); // only ever with FLUSH (§5.2.5.2)
    if (this.readOnly) f |= bit(F.VIRTIO_BLK_F_RO);
    if (this.numQueues > 1) f |= bit(F.VIRTIO_BLK_F_MQ);
    if (o.segMax !== null) f |= bit(F.VIRTIO_BLK_F_SEG_MAX);
    if (o.sizeMax != null) f |= bit(F.VIRTIO_BLK_F_SIZE_MAX);
    if (o.geometry) f |= bit(F.VIRTIO_BLK_F_GEOMETRY);
    if (o.topology) f |= bit(F.VIRTIO_BLK_F_TOPOLOGY);
    if (this.discardLimits) f |= bit(F.VIRTIO_BLK_F_DISCARD);
    if (this.zeroesLimits) f |= bit(F.VIRTIO_BLK_F_WRITE_ZEROES);
    if (this.eraseLimits) f |= bit(F.VIRTIO_BLK_F_SECURE_ERASE);
    // Lifetime only where the medium has wear data to give (§5.2.6.2); never ZONED: not a zoned disk.
    if (this.backend.lifetime?.() != null) f |= bit(F.VIRTIO_BLK_F_LIFETIME);
    return f;
  }

  protected deviceFeatures(): Features {
    return this.offered;
  }
  // #endregion offered-features

  // #region config-init
  private initConfig(): void {
    const c = this.config;
    const o = this.opts;
    c.setU64(C.BLK_CFG_CAPACITY, BigInt(this.capacity));
    if (o.sizeMax != null) c.setU32(C.BLK_CFG_SIZE_MAX, checkInt('sizeMax', o.sizeMax, 1, 0xffffffff));
    if (o.segMax !== null) c.setU32(C.BLK_CFG_SEG_MAX, checkInt('segMax', o.segMax ?? Math.max(1, this.maxQSize - 2), 1, 0xffffffff));
    if (o.geometry) {
      c.setU16(C.BLK_CFG_GEOMETRY_CYLINDERS, checkInt('geometry.cylinders', o.geometry.cylinders, 0, 0xffff));
      c.setU8(C.BLK_CFG_GEOMETRY_HEADS, checkInt('geometry.heads', o.geometry.heads, 0, 0xff));
      c.setU8(C.BLK_CFG_GEOMETRY_SECTORS, checkInt('geometry.sectors', o.geometry.sectors, 0, 0xff));
    }
    const bs = o.blockSize ?? C.SECTOR_SIZE;
    if (!Number.isInteger(bs) || bs < C.SECTOR_SIZE || (bs & (bs - 1)) !== 0 || bs > 0x80000000) throw new RangeError(`blockSize ${bs}: a power of 2, at least 512`);
    c.setU32(C.BLK_CFG_BLK_SIZE, bs);
    if (o.topology) {
      c.setU8(C.BLK_CFG_PHYSICAL_BLOCK_EXP, checkInt('topology.physicalBlockExp', o.topology.physicalBlockExp, 0, 0xff));
      c.setU8(C.BLK_CFG_ALIGNMENT_OFFSET, checkInt('topology.alignmentOffset', o.topology.alignmentOffset, 0, 0xff));
      c.setU16(C.BLK_CFG_MIN_IO_SIZE, checkInt('topology.minIoSize', o.topology.minIoSize, 0, 0xffff));
      c.setU32(C.BLK_CFG_OPT_IO_SIZE, checkInt('topology.optIoSize', o.topology.optIoSize, 0, 0xffffffff));
    }
    c.setU8(C.BLK_CFG_WRITEBACK, this.defaultWriteback());
    c.setU16(C.BLK_CFG_NUM_QUEUES, this.numQueues);
    if (this.discardLimits) {
      c.setU32(C.BLK_CFG_MAX_DISCARD_SECTORS, this.discardLimits.maxSectors);
      c.setU32(C.BLK_CFG_MAX_DISCARD_SEG, this.discardLimits.maxSegments);
      c.setU32(C.BLK_CFG_DISCARD_SECTOR_ALIGNMENT, this.discardLimits.sectorAlignment ?? 1);
    }
    if (this.zeroesLimits) {
      c.setU32(C.BLK_CFG_MAX_WRITE_ZEROES_SECTORS, this.zeroesLimits.maxSectors);
      c.setU32(C.BLK_CFG_MAX_WRITE_ZEROES_SEG, this.zeroesLimits.maxSegments);
      c.setU8(C.BLK_CFG_WRITE_ZEROES_MAY_UNMAP, this.zeroesLimits.mayUnmap ? 1 : 0);
    }
    if (this.eraseLimits) {
      c.setU32(C.BLK_CFG_MAX_SECURE_ERASE_SECTORS, this.eraseLimits.maxSectors);
      c.setU32(C.BLK_CFG_MAX_SECURE_ERASE_SEG, this.eraseLimits.maxSegments);
      c.setU32(C.BLK_CFG_SECURE_ERASE_SECTOR_ALIGNMENT, this.eraseLimits.sectorAlignment ?? 1);
    }
    // unused0, unused1 and the zoned block stay 0 (§5.2.5.2).
  }
  // #endregion config-init

  /** Request queues the driver may set up: num_queues with VIRTIO_BLK_F_MQ, otherwise 1 (§5.2.2). */
  queueCount(features: Features): number {
    return hasFeature(features, F.VIRTIO_BLK_F_MQ) ? this.numQueues : 1;
  }

  maxQueueSize(_index: number): number {
    return this.maxQSize;
  }

  // #region cache-mode
  private defaultWriteback(): number {
    return (this.opts.writeback ?? true) ? C.VIRTIO_BLK_WRITEBACK : C.VIRTIO_BLK_WRITETHROUGH;
  }

  /** FEATURES_OK: the point from which the driver may read `writeback` (§5.2.5.1). */
  checkFeatures(accepted: Features): string | null {
    const refused = super.checkFeatures(accepted);
    if (refused === null) this.negotiate(accepted);
    return refused;
  }

  private negotiate(features: Features): void {
    this.negotiated = features;
    // CONFIG_WCE without FLUSH: the driver could never flush a writeback cache (§5.2.5.2).
    const wce = hasFeature(features, F.VIRTIO_BLK_F_CONFIG_WCE);
    this.config.setU8(C.BLK_CFG_WRITEBACK, wce && !hasFeature(features, F.VIRTIO_BLK_F_FLUSH) ? C.VIRTIO_BLK_WRITETHROUGH : this.defaultWriteback());
  }

  /** Only `writeback` is writable, only with VIRTIO_BLK_F_CONFIG_WCE, and only to 0 or 1. */
  writeConfig(offset: number, data: Uint8Array): void {
    const at = C.BLK_CFG_WRITEBACK - offset;
    if (at < 0 || at >= data.length || this.negotiated === null) return;
    if (!hasFeature(this.negotiated, F.VIRTIO_BLK_F_CONFIG_WCE)) return;
    if (data[at] === C.VIRTIO_BLK_WRITETHROUGH || data[at] === C.VIRTIO_BLK_WRITEBACK) this.config.setU8(C.BLK_CFG_WRITEBACK, data[at]);
  }

  /**
   * True if a write must be durable before it completes (§5.2.6.2): with CONFIG_WCE when
   * `writeback` is 0; without it when the driver did not accept FLUSH (it could never flush);
   * with FLUSH alone, when the device's own cache mode is writethrough.
   */
  writeThrough(): boolean {
    const f = this.negotiated ?? 0n;
    if (hasFeature(f, F.VIRTIO_BLK_F_CONFIG_WCE)) return this.config.u8(C.BLK_CFG_WRITEBACK) === C.VIRTIO_BLK_WRITETHROUGH;
    if (!hasFeature(f, F.VIRTIO_BLK_F_FLUSH)) return true;
    return this.defaultWriteback() === C.VIRTIO_BLK_WRITETHROUGH;
  }
  // #endregion cache-mode

  // ---- Host side ----

  /** Capacity in sectors as the driver sees it. */
  get capacitySectors(): number {
    return this.capacity;
  }

  // #region resize
  /** The back end changed size: publish it, with a configuration change notification (§5.2.6.2). */
  refreshCapacity(): boolean {
    const now = this.backend.sectors;
    if (now === this.capacity) return false;
    this.capacity = now;
    this.config.update((c) => c.setU64(C.BLK_CFG_CAPACITY, BigInt(now)));
    return true;
  }
  // #endregion resize

  // ---- Lifecycle ----

  protected onActivate(env: DeviceEnv): void {
    if (this.negotiated !== env.features) this.negotiate(env.features);
  }

  protected onReset(): void {
    this.budget?.reset();
    this.negotiated = null;
    this.config.setU8(C.BLK_CFG_WRITEBACK, this.defaultWriteback());
  }

  queueNotify(index: number): void {
    if (!this.active || index >= this.queueCount(this.env.features)) return;
    if (this.budget) this.serveBudgeted(index, true);
    else this.drain(index, (chain) => this.serve(chain));
  }

  // #region budget
  /**
   * With a budget, a request queue is served only as far as the guest's tokens go: the rest
   * stays in the ring, untaken and unanswered, until budgetTick() finds tokens for it.
   */
  private serveBudgeted(index: number, notified: boolean): void {
    const budget = this.budget!;
    if (notified && !budget.admitNotification(index)) return;
    drainWithBudget(budget, this.env, index, this.queue(index), (chain) => this.serve(chain));
  }

  /** The model clock moved: serves the queues the budget held back, as far as tokens allow now. */
  budgetTick(): void {
    if (!this.active || !this.budget) return;
    for (const index of this.budget.held) this.serveBudgeted(index, false);
  }
  // #endregion budget

  // #region serve-request
  /**
   * Answers one request. The status byte is the last device-writable byte; everything before
   * it is data (read results, or zeroes where the device had nothing to return), so the used
   * length always covers the status byte. Without any writable byte there is nowhere to
   * answer: the chain goes back with used length 0 and nothing done.
   */
  private serve(chain: DescriptorChain): number {
    const mem = this.env.mem;
    const w = new ChainWriter(mem, chain);
    if (w.remaining < 1) {
      this.stats.unanswerable++;
      return 0;
    }
    this.stats.requests++;
    const reply = new Uint8Array(w.remaining);
    const inData = reply.subarray(0, reply.length - 1);
    let status = VIRTIO_BLK_S_OK;
    const result = this.execute(chain, inData);
    if (result instanceof Failure) {
      inData.fill(0); // a failed read returns no stale or partial data
      status = result.status;
      this.stats.errors[result.reason]++;
      this.stats.lastError = result.reason;
    }
    if (status === VIRTIO_BLK_S_OK) this.stats.ok++;
    else if (status === VIRTIO_BLK_S_IOERR) this.stats.ioerr++;
    else this.stats.unsupp++;
    reply[reply.length - 1] = status;
    w.write(reply);
    return w.written;
  }

  private execute(chain: DescriptorChain, inData: Uint8Array): Failure | null {
    const readable = totalLength(readableBuffers(chain));
    if (readable < BLK_REQ_HEADER_SIZE) return ioerr('short-header');
    const bytes = readChain(this.env.mem, chain);
    const req: Request = { hdr: decodeBlkHeader(bytes), out: bytes.subarray(BLK_REQ_HEADER_SIZE), inData, chain };
    try {
      switch (req.hdr.type) {
        case VIRTIO_BLK_T_IN: return this.read(req);
        case VIRTIO_BLK_T_OUT: return this.write(req);
        case VIRTIO_BLK_T_FLUSH: return this.flush(req);
        case VIRTIO_BLK_T_GET_ID: return this.getId(req);
        case VIRTIO_BLK_T_GET_LIFETIME: return this.getLifetime(req);
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
        case VIRTIO_BLK_T_SECURE_ERASE: return this.segmented(req);
        default:
          // Zone requests without VIRTIO_BLK_F_ZONED (never offered here) are UNSUPP (§5.2.6.2).
          return unsupp(BLK_ZONE_REQUEST_TYPES.includes(req.hdr.type) ? 'zoned-not-negotiated' : 'unknown-type');
      }
    } catch {
      return ioerr('backend-error'); // a back end that throws is a failed medium, not a device crash
    }
  }
  // #endregion serve-request

  // #region read
  private read(req: Request): Failure | null {
    if (req.out.length > 0) return ioerr('data-direction'); // a read carries no device-readable data
    if (req.inData.length % C.SECTOR_SIZE !== 0) return ioerr('bad-length'); // §5.2.6.1
    const segs = this.checkSegments(writableBuffers(req.chain), 0, req.inData.length);
    if (segs) return segs;
    const count = req.inData.length / C.SECTOR_SIZE;
    if (!this.inRange(req.hdr.sector, count)) return ioerr('out-of-range');
    if (count > 0 && !this.backend.read(Number(req.hdr.sector), req.inData)) return ioerr('backend-error');
    this.stats.sectorsRead += count;
    return null;
  }
  // #endregion read

  // #region write
  private write(req: Request): Failure | null {
    if (req.inData.length > 0) return ioerr('data-direction'); // only the status byte is writable
    if (req.out.length % C.SECTOR_SIZE !== 0) return ioerr('bad-length'); // §5.2.6.1
    if (this.readOnly) return ioerr('read-only'); // §5.2.6.2: nothing is written
    const segs = this.checkSegments(readableBuffers(req.chain), BLK_REQ_HEADER_SIZE, BLK_REQ_HEADER_SIZE + req.out.length);
    if (segs) return segs;
    const count = req.out.length / C.SECTOR_SIZE;
    if (!this.inRange(req.hdr.sector, count)) return ioerr('out-of-range');
    if (count > 0) {
      if (!this.backend.write(Number(req.hdr.sector), req.out)) return ioerr('backend-error');
      // Durable before completion whenever the cache is writethrough (§5.2.6.2).
      if (this.writeThrough() && !this.backend.flush()) return ioerr('backend-error');
    }
    this.stats.sectorsWritten += count;
    return null;
  }
  // #endregion write

  // #region flush
  private flush(req: Request): Failure | null {
    if (!this.accepted(F.VIRTIO_BLK_F_FLUSH)) return unsupp('not-negotiated');
    if (req.hdr.sector !== 0n) return ioerr('flush-sector'); // §5.2.6.1; data, if any, is ignored
    if (!this.backend.flush()) return ioerr('backend-error');
    this.stats.flushes++;
    return null;
  }
  // #endregion flush

  // #region get-id
  private getId(req: Request): Failure | null {
    if (req.out.length > 0) return ioerr('data-direction');
    if (req.inData.length !== VIRTIO_BLK_ID_BYTES) return ioerr('bad-length'); // exactly 20 bytes (§5.2.6.1)
    req.inData.set(this.serial);
    return null;
  }

  private getLifetime(req: Request): Failure | null {
    if (!this.accepted(F.VIRTIO_BLK_F_LIFETIME)) return unsupp('not-negotiated');
    if (req.out.length > 0) return ioerr('data-direction');
    if (req.inData.length !== BLK_LIFETIME_SIZE) return ioerr('bad-length');
    const l = this.backend.lifetime?.() ?? null;
    // Reserved values are never passed on (§5.2.6.2): a medium reporting them has failed.
    if (l === null || !lifetimeIsValid(l)) return ioerr('backend-error');
    req.inData.set(encodeBlkLifetime(l));
    return null;
  }
  // #endregion get-id

  // #region discard
  /** DISCARD, WRITE_ZEROES and SECURE_ERASE: a list of struct virtio_blk_discard_write_zeroes. */
  private segmented(req: Request): Failure | null {
    const type = req.hdr.type;
    const [feature, limits] =
      type === VIRTIO_BLK_T_DISCARD ? [F.VIRTIO_BLK_F_DISCARD, this.discardLimits]
      : type === VIRTIO_BLK_T_WRITE_ZEROES ? [F.VIRTIO_BLK_F_WRITE_ZEROES, this.zeroesLimits]
      : [F.VIRTIO_BLK_F_SECURE_ERASE, this.eraseLimits];
    if (!limits || !this.accepted(feature)) return unsupp('not-negotiated');
    if (req.inData.length > 0) return ioerr('data-direction');
    // One or more whole segments (§5.2.6.1).
    if (req.out.length === 0 || req.out.length % BLK_SEGMENT_SIZE !== 0) return ioerr('bad-length');
    const segs = decodeBlkSegments(req.out);
    if (segs.length > limits.maxSegments) return ioerr('too-many-segments');
    // Flags first: a request the device does not understand is UNSUPP whatever else is wrong.
    for (const s of segs) {
      if (s.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) return unsupp('unknown-flags');
      if (s.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP && type !== VIRTIO_BLK_T_WRITE_ZEROES) return unsupp('unmap-not-allowed');
    }
    if (this.readOnly) return ioerr('read-only');
    for (const s of segs) {
      if (s.numSectors > limits.maxSectors) return ioerr('too-many-sectors');
      if (!this.inRange(s.sector, s.numSectors)) return ioerr('out-of-range');
    }
    // Every segment is checked before any is carried out, so a bad request changes nothing.
    const mayUnmap = this.config.u8(C.BLK_CFG_WRITE_ZEROES_MAY_UNMAP) !== 0;
    for (const s of segs) {
      if (s.numSectors === 0) continue;
      const at = Number(s.sector);
      const ok =
        type === VIRTIO_BLK_T_DISCARD ? this.backend.discard(at, s.numSectors)
        : type === VIRTIO_BLK_T_SECURE_ERASE ? this.backend.secureErase(at, s.numSectors)
        : this.backend.writeZeroes(at, s.numSectors, mayUnmap && (s.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) !== 0);
      if (!ok) return ioerr('backend-error');
    }
    // Like a write, a request that changed no sector has nothing to make durable.
    const changed = segs.some((s) => s.numSectors > 0);
    if (changed && type !== VIRTIO_BLK_T_DISCARD && this.writeThrough() && !this.backend.flush()) return ioerr('backend-error');
    return null;
  }
  // #endregion discard

  // #region range-check
  /** sector + count within capacity, in 64-bit arithmetic (sector comes straight from the driver). */
  private inRange(sector: bigint, count: number): boolean {
    return sector + BigInt(count) <= BigInt(this.capacity);
  }
  // #endregion range-check

  // #region segment-limits
  /**
   * seg_max and size_max, when negotiated, bound the buffers that carry a read's or a
   * write's data: those overlapping bytes [from, to) of the readable or writable stream.
   */
  private checkSegments(buffers: readonly ChainBuffer[], from: number, to: number): Failure | null {
    const f = this.env.features;
    const segMax = hasFeature(f, F.VIRTIO_BLK_F_SEG_MAX) ? this.config.u32(C.BLK_CFG_SEG_MAX) : Infinity;
    const sizeMax = hasFeature(f, F.VIRTIO_BLK_F_SIZE_MAX) ? this.config.u32(C.BLK_CFG_SIZE_MAX) : Infinity;
    let at = 0;
    let count = 0;
    for (const b of buffers) {
      const overlap = Math.min(at + b.len, to) - Math.max(at, from);
      at += b.len;
      if (overlap <= 0) continue;
      count++;
      if (overlap > sizeMax) return ioerr('segment-too-large');
    }
    return count > segMax ? ioerr('too-many-segments') : null;
  }
  // #endregion segment-limits

  private accepted(feature: number): boolean {
    return hasFeature(this.env.features, feature);
  }
}
