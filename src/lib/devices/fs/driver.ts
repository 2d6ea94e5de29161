// The guest side of a virtio-fs device over the in-process Loopback: a minimal FUSE client.
// Each call builds one request (fuse_in_header + arguments), offers it with room for the
// reply, and decodes what came back. Tests and examples use it; raw() and call() send any
// bytes at all, for requests a well-behaved driver would never build.
import type { Loopback } from '../../virtio/loopback.ts';
import { decodeTag, FS_CFG_NOTIFY_BUF_SIZE, FS_CFG_NUM_REQUEST_QUEUES, FS_CFG_TAG, FS_TAG_BYTES } from './config.ts';
import { FS_HIPRIO_QUEUE, FS_NOTIFICATION_QUEUE, requestQueueIndex } from './features.ts';
import { decodeAttrOut, decodeEntryOut, encodeGetattrIn, FUSE_ATTR_OUT_SIZE, FUSE_ENTRY_OUT_SIZE, FUSE_GETATTR_FH, type FuseAttr, type FuseEntryOut } from './fuse-attr.ts';
import { decodeDirents, decodeNotifyInvalInode, type FuseDirent, type FuseNotifyInvalInode } from './fuse-dirent.ts';
import { decodeOpenOut, decodeWriteOut, encodeBatchForget, encodeForgetIn, encodeIoIn, encodeOpenIn, encodeReleaseIn, FUSE_OPEN_OUT_SIZE, FUSE_WRITE_OUT_SIZE, type FuseForgetOne } from './fuse-file.ts';
import * as H from './fuse-header.ts';
import { decodeInitOut, encodeInitIn, FUSE_INIT_OUT_SIZE, FUSE_KERNEL_VERSION, FUSE_MODEL_MINOR, type FuseInitOut } from './fuse-init.ts';
import type { FuseEndian } from './fuse-wire.ts';

export interface FuseReply {
  /** The used length the device reported. */
  readonly len: number;
  /** The fuse_out_header, or null if the device returned the buffer without one. */
  readonly header: H.FuseOutHeader | null;
  /** The reply after the header, as far as the header's `len` reaches. */
  readonly data: Uint8Array;
}

/** A decoded answer: errno 0 and a value, or a positive errno and null. */
export interface FsResult<T> {
  readonly errno: number;
  readonly value: T | null;
}

export interface FsCallOptions {
  /** Which request queue (0-based) to use; default 0. */
  readonly queue?: number;
  /** Send on the hiprio queue instead. */
  readonly hiprio?: boolean;
  readonly indirect?: boolean;
}

export class FsClient {
  readonly lb: Loopback;
  readonly endian: FuseEndian;
  private nextUnique = 1n;

  constructor(lb: Loopback, opts: { endian?: FuseEndian } = {}) {
    this.lb = lb;
    this.endian = opts.endian ?? 'little';
  }

  get tag(): string {
    return decodeTag(this.lb.device.config.read(FS_CFG_TAG, FS_TAG_BYTES));
  }
  get numRequestQueues(): number {
    return this.lb.device.config.u32(FS_CFG_NUM_REQUEST_QUEUES);
  }
  get notifyBufSize(): number {
    return this.lb.device.config.u32(FS_CFG_NOTIFY_BUF_SIZE);
  }

  /** Sends device-readable parts and device-writable buffers on virtqueue `q` as they are. */
  raw(q: number, out: readonly Uint8Array[], inLens: readonly number[], opts: { indirect?: boolean } = {}): FuseReply {
    const c = this.lb.request(q, out, inLens, { indirect: opts.indirect });
    if (c.len < H.FUSE_OUT_HEADER_SIZE) return { len: c.len, header: null, data: c.data };
    const header = H.decodeOutHeader(c.data, this.endian);
    return { len: c.len, header, data: c.data.subarray(H.FUSE_OUT_HEADER_SIZE, Math.min(c.len, header.len)) };
  }

  // #region client-call
  /** One request with a correct header: `body` after it, `replyRoom` bytes for the reply after the out header. */
  call(opcode: number, nodeid: bigint, body: Uint8Array, replyRoom: number, opts: FsCallOptions = {}): FuseReply & { unique: bigint } {
    const unique = this.nextUnique++;
    const hdr = H.encodeInHeader({ len: H.FUSE_IN_HEADER_SIZE + body.length, opcode, unique, nodeid, uid: 1000, gid: 1000, pid: 42 }, this.endian);
    const q = opts.hiprio ? FS_HIPRIO_QUEUE : requestQueueIndex(this.lb.features, opts.queue ?? 0);
    const noReply = H.FUSE_FORGET === opcode || H.FUSE_BATCH_FORGET === opcode || H.FUSE_INTERRUPT === opcode;
    const reply = this.raw(q, body.length > 0 ? [hdr, body] : [hdr], noReply ? [] : [H.FUSE_OUT_HEADER_SIZE + replyRoom], { indirect: opts.indirect });
    return { ...reply, unique };
  }
  // #endregion client-call

  private result<T>(r: FuseReply, decode: (data: Uint8Array) => T): FsResult<T> {
    if (!r.header) throw new Error(`virtio-fs: no reply (used length ${r.len})`);
    return r.header.error === 0 ? { errno: 0, value: decode(r.data) } : { errno: -r.header.error, value: null };
  }

  init(opts: { major?: number; minor?: number; flags?: number; maxReadahead?: number } = {}): FsResult<FuseInitOut> {
    const body = encodeInitIn({ major: opts.major ?? FUSE_KERNEL_VERSION, minor: opts.minor ?? FUSE_MODEL_MINOR, maxReadahead: opts.maxReadahead ?? 131072, flags: opts.flags ?? 0, flags2: 0 }, this.endian);
    return this.result(this.call(H.FUSE_INIT, 0n, body, FUSE_INIT_OUT_SIZE), (d) => decodeInitOut(d, this.endian));
  }

  lookup(parent: bigint, name: string, opts: FsCallOptions = {}): FsResult<FuseEntryOut> {
    const n = new TextEncoder().encode(name);
    const body = new Uint8Array(n.length + 1); // NUL-terminated
    body.set(n);
    return this.result(this.call(H.FUSE_LOOKUP, parent, body, FUSE_ENTRY_OUT_SIZE, opts), (d) => decodeEntryOut(d, this.endian));
  }

  getattr(nodeid: bigint, fh?: bigint, opts: FsCallOptions = {}): FsResult<FuseAttr> {
    const body = encodeGetattrIn({ getattrFlags: fh === undefined ? 0 : FUSE_GETATTR_FH, fh: fh ?? 0n }, this.endian);
    return this.result(this.call(H.FUSE_GETATTR, nodeid, body, FUSE_ATTR_OUT_SIZE, opts), (d) => decodeAttrOut(d, this.endian).attr);
  }

  /** OPEN with open(2) flags; the value is the file handle. */
  open(nodeid: bigint, flags: number, opts: FsCallOptions = {}): FsResult<bigint> {
    return this.result(this.call(H.FUSE_OPEN, nodeid, encodeOpenIn({ flags, openFlags: 0 }, this.endian), FUSE_OPEN_OUT_SIZE, opts), (d) => decodeOpenOut(d, this.endian).fh);
  }

  read(fh: bigint, offset: bigint | number, size: number, opts: FsCallOptions = {}): FsResult<Uint8Array> {
    return this.result(this.call(H.FUSE_READ, 0n, encodeIoIn({ fh, offset: BigInt(offset), size }, this.endian), size, opts), (d) => d.slice());
  }

  /** WRITE; the value is the byte count the device reports written. */
  write(fh: bigint, offset: bigint | number, data: Uint8Array, opts: FsCallOptions = {}): FsResult<number> {
    const arg = encodeIoIn({ fh, offset: BigInt(offset), size: data.length }, this.endian);
    const body = new Uint8Array(arg.length + data.length);
    body.set(arg);
    body.set(data, arg.length);
    return this.result(this.call(H.FUSE_WRITE, 0n, body, FUSE_WRITE_OUT_SIZE, opts), (d) => decodeWriteOut(d, this.endian));
  }

  release(fh: bigint, opts: FsCallOptions = {}): FsResult<true> {
    return this.result(this.call(H.FUSE_RELEASE, 0n, encodeReleaseIn({ fh }, this.endian), 0, opts), () => true as const);
  }

  opendir(nodeid: bigint, opts: FsCallOptions = {}): FsResult<bigint> {
    return this.result(this.call(H.FUSE_OPENDIR, nodeid, encodeOpenIn({ flags: 0, openFlags: 0 }, this.endian), FUSE_OPEN_OUT_SIZE, opts), (d) => decodeOpenOut(d, this.endian).fh);
  }

  readdir(fh: bigint, offset: number, size = 4096, opts: FsCallOptions = {}): FsResult<FuseDirent[]> {
    return this.result(this.call(H.FUSE_READDIR, 0n, encodeIoIn({ fh, offset: BigInt(offset), size }, this.endian), size, opts), (d) => decodeDirents(d, this.endian));
  }

  /** Every entry, READDIR after READDIR, each continuing at the last record's `off`. */
  readdirAll(fh: bigint, size = 4096): FsResult<FuseDirent[]> {
    const all: FuseDirent[] = [];
    for (let off = 0; ;) {
      const r = this.readdir(fh, off, size);
      if (r.errno !== 0 || !r.value) return r;
      if (r.value.length === 0) return { errno: 0, value: all };
      all.push(...r.value);
      off = r.value[r.value.length - 1].off;
    }
  }

  releasedir(fh: bigint, opts: FsCallOptions = {}): FsResult<true> {
    return this.result(this.call(H.FUSE_RELEASEDIR, 0n, encodeReleaseIn({ fh }, this.endian), 0, opts), () => true as const);
  }

  /** FORGET on the hiprio queue; there is no reply. Returns the used length (0). */
  forget(nodeid: bigint, nlookup: bigint | number): number {
    return this.call(H.FUSE_FORGET, nodeid, encodeForgetIn(BigInt(nlookup), this.endian), 0, { hiprio: true }).len;
  }

  batchForget(items: readonly FuseForgetOne[]): number {
    return this.call(H.FUSE_BATCH_FORGET, 0n, encodeBatchForget(items, this.endian), 0, { hiprio: true }).len;
  }

  // #region client-notify
  /** Offers `count` buffers of notify_buf_size bytes on the notification queue. */
  stockNotifications(count: number, size = this.notifyBufSize): number[] {
    return Array.from({ length: count }, () => this.lb.submit(FS_NOTIFICATION_QUEUE, [], [size]));
  }

  /** The notifications the device has delivered since the last call. */
  pollNotifications(): { code: number; inval: FuseNotifyInvalInode | null; len: number }[] {
    return this.lb.poll(FS_NOTIFICATION_QUEUE).map((c) => {
      if (c.len < H.FUSE_OUT_HEADER_SIZE) return { code: 0, inval: null, len: c.len };
      const h = H.decodeOutHeader(c.data, this.endian);
      return { code: h.error, inval: h.unique === 0n ? decodeNotifyInvalInode(c.data.subarray(H.FUSE_OUT_HEADER_SIZE), this.endian) : null, len: c.len };
    });
  }
  // #endregion client-notify
}
