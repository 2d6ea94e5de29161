// The file system device, VIRTIO 1.4 §5.11 (device ID 26): FUSE requests over virtqueues.
// Queue 0 is hiprio, queue 1 the notification queue when VIRTIO_FS_F_NOTIFICATION is
// negotiated, the rest request queues; all of them reach one FUSE session. This file frames
// requests (headers, lengths, byte order, room for the reply); server.ts decides what they do.
// A request the device cannot honour gets a FUSE error in its reply; only a broken ring,
// which the queue layer reports, puts the device into DEVICE_NEEDS_RESET.
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import type { DescriptorChain } from '../../virtio/chain.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { encodeTag, FS_CFG_NOTIFY_BUF_SIZE, FS_CFG_NUM_REQUEST_QUEUES, FS_CFG_TAG, FS_CONFIG_SIZE } from './config.ts';
import { FS_HIPRIO_QUEUE, FS_NOTIFICATION_QUEUE, firstRequestQueue, VIRTIO_FS_F_NOTIFICATION, VIRTIO_ID_FS } from './features.ts';
import { decodeInHeader, encodeOutHeader, FUSE_IN_HEADER_SIZE, FUSE_OUT_HEADER_SIZE, initEndian } from './fuse-header.ts';
import type { FuseEndian } from './fuse-wire.ts';
import type { MemChange } from './memfs.ts';
import { FS_NOTIFY_BUF_SIZE, FsNotifier } from './notify.ts';
import { fail, FS_ERROR_ERRNO, FS_ERROR_REASONS, type FsErrorReason, type FuseOutcome } from './outcome.ts';
import { FsServer, FUSE_NO_REPLY_OPCODES } from './server.ts';
import type { FsShare } from './share.ts';

export interface FsDeviceOptions {
  /** The name the guest mounts the share by: 1 to 36 bytes of UTF-8, no NUL. */
  readonly tag: string;
  readonly share: FsShare;
  /** num_request_queues; default 1. */
  readonly numRequestQueues?: number;
  /** Offer VIRTIO_FS_F_NOTIFICATION; default false. */
  readonly notifications?: boolean;
  /** The largest size a queue may have; default 256. */
  readonly maxQueueSize?: number;
  /** max_write for FUSE_INIT; default 128 KiB. */
  readonly maxWrite?: number;
  /** Cache timeouts the guest gets for names and attributes, in seconds; default 1. */
  readonly entryValidSec?: number;
  readonly attrValidSec?: number;
}

export interface FsStats {
  /** Chains taken from hiprio and request queues. */
  requests: number;
  /** Replies written, errors included. */
  replies: number;
  /** Requests handled without a reply (the forget family). */
  noReply: number;
  /** Requests with fewer than 16 device-writable bytes: returned with used length 0, not carried out. */
  unanswerable: number;
  readonly errors: Record<FsErrorReason, number>;
  lastError: FsErrorReason | null;
}

export class FsDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_FS;
  readonly name = 'virtio-fs';
  readonly tag: string;
  readonly share: FsShare;
  readonly server: FsServer;
  readonly numRequestQueues: number;
  readonly notifications: boolean;
  readonly notifier = new FsNotifier();
  readonly stats: FsStats = {
    requests: 0, replies: 0, noReply: 0, unanswerable: 0, lastError: null,
    errors: Object.fromEntries(FS_ERROR_REASONS.map((r) => [r, 0])) as Record<FsErrorReason, number>,
  };
  private readonly maxQSize: number;

  // #region config-init
  constructor(opts: FsDeviceOptions) {
    super(FS_CONFIG_SIZE);
    this.tag = opts.tag;
    this.share = opts.share;
    this.numRequestQueues = checkInt('numRequestQueues', opts.numRequestQueues ?? 1, 1, 0xfffe); // at least 1 (§5.11.4.2)
    this.notifications = opts.notifications ?? false;
    this.maxQSize = checkInt('maxQueueSize', opts.maxQueueSize ?? 256, 1, 32768);
    const limits = {
      maxWrite: checkInt('maxWrite', opts.maxWrite ?? 128 << 10, 4096, 0xffffffff),
      entryValidSec: checkInt('entryValidSec', opts.entryValidSec ?? 1, 0, 0xffffffff),
      attrValidSec: checkInt('attrValidSec', opts.attrValidSec ?? 1, 0, 0xffffffff),
    };
    this.server = new FsServer(opts.share, limits, this);
    this.config.setBytes(FS_CFG_TAG, encodeTag(opts.tag));
    this.config.setU32(FS_CFG_NUM_REQUEST_QUEUES, this.numRequestQueues);
    if (this.notifications) this.config.setU32(FS_CFG_NOTIFY_BUF_SIZE, FS_NOTIFY_BUF_SIZE);
    opts.share.fs.watch((c) => this.treeChanged(c));
  }
  // #endregion config-init

  protected deviceFeatures(): Features {
    return this.notifications ? bit(VIRTIO_FS_F_NOTIFICATION) : 0n;
  }

  /** hiprio, the notification queue if negotiated, then the request queues (§5.11.2). */
  queueCount(features: Features): number {
    return firstRequestQueue(features) + this.numRequestQueues;
  }

  maxQueueSize(_index: number): number {
    return this.maxQSize;
  }

  protected onReset(): void {
    this.server.session.end(); // the FUSE session does not survive a device reset
    this.notifier.clear();
  }

  // #region queue-notify
  queueNotify(index: number): void {
    if (!this.active) return;
    const f = this.env.features;
    if (index === FS_HIPRIO_QUEUE) this.drain(index, (c) => this.serve(c, true));
    else if (hasFeature(f, VIRTIO_FS_F_NOTIFICATION) && index === FS_NOTIFICATION_QUEUE) this.pumpNotifications();
    else if (index < this.queueCount(f)) this.drain(index, (c) => this.serve(c, false));
  }
  // #endregion queue-notify

  // #region serve-request
  /** Answers one chain; returns the used length (0 when there is no reply). */
  private serve(chain: DescriptorChain, hiprio: boolean): number {
    const bytes = readChain(this.env.mem, chain);
    const w = new ChainWriter(this.env.mem, chain);
    this.stats.requests++;
    // FUSE_INIT reveals its byte order in its opcode; anything else uses the session's.
    const endian = initEndian(bytes) ?? this.server.endian; // §5.11.6.1
    if (bytes.length < FUSE_IN_HEADER_SIZE) return this.answer(w, partialUnique(bytes, endian), fail('short-header'), endian); // §5.11.6.1
    const hdr = decodeInHeader(bytes, endian);
    const noReply = FUSE_NO_REPLY_OPCODES.includes(hdr.opcode);
    const ext = hdr.totalExtlen * 8;
    if (hdr.len !== bytes.length || ext > bytes.length - FUSE_IN_HEADER_SIZE) { // `len` covers the whole readable part (§5.11.6.1)
      return this.answer(w, hdr.unique, noReply ? { kind: 'none', reason: 'length-mismatch' } : fail('length-mismatch'), endian);
    }
    if (hiprio && !noReply) return this.answer(w, hdr.unique, fail('not-hiprio'), endian); // §5.11.6.2
    if (!noReply && w.remaining < FUSE_OUT_HEADER_SIZE) {
      this.stats.unanswerable++; // nowhere to put the answer: nothing is done
      return 0;
    }
    const body = bytes.subarray(FUSE_IN_HEADER_SIZE, bytes.length - ext);
    return this.answer(w, hdr.unique, this.server.handle({ hdr, body, room: w.remaining - FUSE_OUT_HEADER_SIZE }, endian), endian);
  }

  /** Writes fuse_out_header and the reply data; the used length is the reply's `len`. */
  private answer(w: ChainWriter, unique: bigint, o: FuseOutcome, endian: FuseEndian): number {
    if (o.kind === 'none') {
      this.stats.noReply++;
      if (o.reason) this.count(o.reason);
      return 0;
    }
    if (o.kind === 'error') this.count(o.reason);
    if (w.remaining < FUSE_OUT_HEADER_SIZE) {
      this.stats.unanswerable++;
      return 0;
    }
    let data = o.kind === 'reply' ? o.data : new Uint8Array(0);
    let error = o.kind === 'error' ? -o.errno : 0;
    if (FUSE_OUT_HEADER_SIZE + data.length > w.remaining) {
      // A handler checks its room before acting; this only guards against one that did not.
      error = -FS_ERROR_ERRNO['reply-room'];
      this.count('reply-room');
      data = new Uint8Array(0);
    }
    w.write(encodeOutHeader({ len: FUSE_OUT_HEADER_SIZE + data.length, error, unique }, endian));
    w.write(data);
    this.stats.replies++;
    return w.written;
  }
  // #endregion serve-request

  private count(reason: FsErrorReason): void {
    this.stats.errors[reason]++;
    this.stats.lastError = reason;
  }

  // #region tree-changed
  /** A change the guest did not make to a node it holds: tell it to drop its cached copy. */
  private treeChanged(c: MemChange): void {
    if (!this.active || !hasFeature(this.env.features, VIRTIO_FS_F_NOTIFICATION)) return;
    if (c.origin === this || !this.server.session.active) return;
    const nodeid = this.share.nodeidOf(c.node);
    if (this.share.nodeOf(nodeid) !== c.node || !this.server.session.knows(nodeid)) return;
    this.notifier.post(nodeid);
    this.pumpNotifications();
  }

  private pumpNotifications(): void {
    const q = this.queue(FS_NOTIFICATION_QUEUE);
    if (!q) return;
    const r = this.notifier.pump(q, this.env.mem, this.server.endian);
    if (r === true) this.env.notifyUsed(FS_NOTIFICATION_QUEUE);
    else if (r !== false) this.env.needsReset(r);
  }
  // #endregion tree-changed
}

/** The `unique` of a request too short for a whole header, as far as its bytes reach. */
function partialUnique(bytes: Uint8Array, endian: FuseEndian): bigint {
  if (bytes.length < 16) return 0n;
  return new DataView(bytes.buffer, bytes.byteOffset, 16).getBigUint64(8, endian === 'little');
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} ${v}: an integer in ${min}..${max}`);
  return v;
}
