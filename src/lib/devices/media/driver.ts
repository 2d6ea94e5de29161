// The guest side of a media device over the in-process Loopback: what a guest's virtio-media
// driver does, reduced to calls. It reads the configuration (the stand-in for QUERYCAP),
// opens and closes sessions, runs ioctls with the payload after the command and after the
// response header, queues SHARED_PAGES buffers as SG lists of guest pages, keeps the eventq
// stocked, and closes a session when the device reports an error on it. raw() offers any
// chain at all, for the malformed cases a good driver never produces.
import type { Loopback } from '../../virtio/loopback.ts';
import { EBADF } from './errno.ts';
import {
  concat,
  encodeSg,
  EVENT_HEADER_SIZE,
  header,
  le,
  MAX_EVENT_SIZE,
  MEDIA_CARD_LEN,
  MEDIA_CFG_CARD,
  MEDIA_CFG_DEVICE_CAPS,
  MEDIA_CFG_DEVICE_TYPE,
  MEDIA_COMMANDQ,
  MEDIA_EVENTQ,
  RESP_HEADER_SIZE,
  type SgEntry,
  VIRTIO_MEDIA_CMD_CLOSE,
  VIRTIO_MEDIA_CMD_IOCTL,
  VIRTIO_MEDIA_CMD_OPEN,
  VIRTIO_MEDIA_EVT_DQBUF,
  VIRTIO_MEDIA_EVT_ERROR,
} from './protocol.ts';
import {
  decodeBuffer,
  decodeEvent,
  decodeFormat,
  decodeReqBufs,
  encodeBuffer,
  encodeFormat,
  encodeReqBufs,
  encodeSubscription,
  encodeU32,
  ioctlSpec,
  type PixFormat,
  V4L2_FIELD_NONE,
  V4L2_MEMORY_USERPTR,
  type V4l2Buffer,
  type V4l2Event,
  V4L2_FMTDESC_SIZE,
  VIDIOC_ENUM_FMT,
  VIDIOC_G_FMT,
  VIDIOC_QBUF,
  VIDIOC_REQBUFS,
  VIDIOC_S_FMT,
  VIDIOC_STREAMOFF,
  VIDIOC_STREAMON,
  VIDIOC_SUBSCRIBE_EVENT,
  VIDIOC_TRY_FMT,
} from './v4l2.ts';

export type MediaEvent =
  | { readonly kind: 'dqbuf'; readonly session: number; readonly buffer: V4l2Buffer }
  | { readonly kind: 'event'; readonly session: number; readonly event: V4l2Event }
  | { readonly kind: 'error'; readonly session: number; readonly errno: number };

export interface IoctlResult {
  readonly status: number;
  /** The payload after the response header (empty when the device wrote only the header). */
  readonly payload: Uint8Array;
}

/** Guest pages of one queued buffer. */
interface GuestBuffer {
  readonly addr: number;
  readonly length: number;
}

export class MediaDriver {
  readonly lb: Loopback;
  /** Repost an eventq buffer for every one consumed; default true. */
  autoRepost = true;
  /** Close a session as soon as the device reports an error on it (§5.22.6.2.2.2); default true. */
  autoClose = true;
  /** Eventq buffers handed back unused. */
  emptyEventBuffers = 0;
  /** SG entries are cut at this size, to show scattered guest pages. */
  pageSize = 4096;
  private readonly pages = new Map<string, GuestBuffer>();

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  // #region driver-config
  /** The configuration space: what QUERYCAP would have said. */
  config(): { deviceCaps: number; deviceType: number; card: string } {
    const c = this.lb.device.config;
    const card = c.read(MEDIA_CFG_CARD, MEDIA_CARD_LEN);
    const end = card.indexOf(0);
    return { deviceCaps: c.u32(MEDIA_CFG_DEVICE_CAPS), deviceType: c.u32(MEDIA_CFG_DEVICE_TYPE), card: new TextDecoder().decode(card.subarray(0, end < 0 ? card.length : end)) };
  }
  // #endregion driver-config

  /** Offers `count` eventq buffers of `size` bytes (default: room for any event). */
  postEvents(count: number, size = MAX_EVENT_SIZE): void {
    for (let i = 0; i < count; i++) this.lb.submit(MEDIA_EVENTQ, [], [size]);
  }

  /** One command as given: device-readable parts and device-writable lengths. */
  raw(out: readonly Uint8Array[], inLens: readonly number[]): { len: number; status: number | null; data: Uint8Array } {
    const c = this.lb.request(MEDIA_COMMANDQ, out, inLens);
    return { len: c.len, status: c.len >= 4 ? le(c.data).getUint32(0, true) : null, data: c.data };
  }

  open(): { status: number; session: number } {
    const r = this.raw([header(VIRTIO_MEDIA_CMD_OPEN)], [16]);
    return { status: r.status ?? -1, session: r.len >= 12 ? le(r.data).getUint32(8, true) : 0 };
  }

  close(session: number): number {
    return this.raw([concat(header(VIRTIO_MEDIA_CMD_CLOSE), encodeU32(session), new Uint8Array(4))], [RESP_HEADER_SIZE]).status ?? -1;
  }

  // #region driver-ioctl
  /** An ioctl: the payload follows the command; room for the payload follows the response header. */
  ioctl(session: number, code: number, payload: Uint8Array = new Uint8Array(0)): IoctlResult {
    const spec = ioctlSpec(code);
    const room = spec && spec.dir !== 'W' ? spec.size : 0;
    const cmd = concat(header(VIRTIO_MEDIA_CMD_IOCTL), encodeU32(session), encodeU32(code));
    const r = this.raw(payload.length ? [cmd, payload] : [cmd], [RESP_HEADER_SIZE + room]);
    return { status: r.status ?? -1, payload: r.data.subarray(RESP_HEADER_SIZE) };
  }
  // #endregion driver-ioctl

  gFmt(session: number, type: number): { status: number; pix: PixFormat } {
    const r = this.ioctl(session, VIDIOC_G_FMT, encodeFormat(type, { width: 0, height: 0, pixelformat: 0, field: 0, bytesperline: 0, sizeimage: 0, colorspace: 0 }));
    return { status: r.status, pix: decodeFormat(r.payload.length ? r.payload : new Uint8Array(208)).pix };
  }

  sFmt(session: number, type: number, pix: PixFormat, code = VIDIOC_S_FMT): { status: number; pix: PixFormat } {
    const r = this.ioctl(session, code, encodeFormat(type, pix));
    return { status: r.status, pix: decodeFormat(r.payload.length ? r.payload : new Uint8Array(208)).pix };
  }

  tryFmt(session: number, type: number, pix: PixFormat): { status: number; pix: PixFormat } {
    return this.sFmt(session, type, pix, VIDIOC_TRY_FMT);
  }

  /** ENUM_FMT index `index`: its fourcc and description, or the status. */
  enumFmt(session: number, type: number, index: number): { status: number; pixelformat: number; description: string } {
    const p = new Uint8Array(V4L2_FMTDESC_SIZE);
    le(p).setUint32(0, index, true);
    le(p).setUint32(4, type, true);
    const r = this.ioctl(session, VIDIOC_ENUM_FMT, p);
    if (r.status !== 0) return { status: r.status, pixelformat: 0, description: '' };
    const d = r.payload.subarray(12, 44);
    const end = d.indexOf(0);
    return { status: 0, pixelformat: le(r.payload).getUint32(44, true), description: new TextDecoder().decode(d.subarray(0, end < 0 ? 32 : end)) };
  }

  reqbufs(session: number, type: number, count: number, memory = V4L2_MEMORY_USERPTR): { status: number; count: number; capabilities: number } {
    const r = this.ioctl(session, VIDIOC_REQBUFS, encodeReqBufs(count, type, memory));
    if (r.status !== 0) return { status: r.status, count: 0, capabilities: 0 };
    const d = decodeReqBufs(r.payload);
    return { status: 0, count: d.count, capabilities: d.capabilities };
  }

  // #region driver-qbuf
  /**
   * QBUF of a SHARED_PAGES buffer: the driver's pages for buffer `index` (allocated once, at
   * `length` bytes), described by SG entries of at most one page each; `data` fills an OUTPUT
   * buffer first. Returns the status and the v4l2_buffer the device wrote back.
   */
  qbuf(session: number, type: number, index: number, length: number, opts: { data?: Uint8Array; timestampUs?: number; userptr?: bigint } = {}): { status: number; echo: V4l2Buffer | null } {
    const key = `${session}:${type}:${index}`;
    let g = this.pages.get(key);
    if (!g || g.length < length) {
      g = { addr: this.lb.alloc(length), length };
      this.pages.set(key, g);
    }
    if (opts.data) this.lb.mem.write(g.addr, opts.data);
    const sg: SgEntry[] = [];
    for (let at = 0; at < length; at += this.pageSize) sg.push({ start: BigInt(g.addr + at), len: Math.min(this.pageSize, length - at) });
    const b = encodeBuffer({
      index, type, bytesused: opts.data?.length ?? 0, flags: 0, field: V4L2_FIELD_NONE, timestampUs: opts.timestampUs ?? 0, sequence: 0,
      memory: V4L2_MEMORY_USERPTR, m: opts.userptr ?? BigInt(0x7f00_0000_0000 + index * 0x10_0000), length,
    });
    const r = this.ioctl(session, VIDIOC_QBUF, concat(b, encodeSg(sg)));
    return { status: r.status, echo: r.status === 0 ? decodeBuffer(r.payload) : null };
  }
  // #endregion driver-qbuf

  /** The bytes the device wrote into buffer `index` (what the guest's application reads). */
  read(session: number, type: number, index: number, len: number): Uint8Array {
    const g = this.pages.get(`${session}:${type}:${index}`);
    if (!g) throw new RangeError(`no buffer ${index} of type ${type} in session ${session}`);
    return this.lb.mem.read(g.addr, Math.min(len, g.length));
  }

  streamon(session: number, type: number): number {
    return this.ioctl(session, VIDIOC_STREAMON, encodeU32(type)).status;
  }

  streamoff(session: number, type: number): number {
    return this.ioctl(session, VIDIOC_STREAMOFF, encodeU32(type)).status;
  }

  subscribe(session: number, type: number): number {
    return this.ioctl(session, VIDIOC_SUBSCRIBE_EVENT, encodeSubscription(type)).status;
  }

  // #region driver-events
  /** Every event the device has placed since the last call, in order. */
  events(): MediaEvent[] {
    const out: MediaEvent[] = [];
    for (const c of this.lb.poll(MEDIA_EVENTQ)) {
      if (this.autoRepost) this.postEvents(1);
      if (c.len < EVENT_HEADER_SIZE) {
        this.emptyEventBuffers++;
        continue;
      }
      const v = le(c.data);
      const kind = v.getUint32(0, true);
      const session = v.getUint32(4, true);
      if (kind === VIRTIO_MEDIA_EVT_ERROR) {
        out.push({ kind: 'error', session, errno: v.getUint32(8, true) });
        if (this.autoClose) this.close(session);
      } else if (kind === VIRTIO_MEDIA_EVT_DQBUF) out.push({ kind: 'dqbuf', session, buffer: decodeBuffer(c.data.subarray(8)) });
      else out.push({ kind: 'event', session, event: decodeEvent(c.data.subarray(8)) });
    }
    return out;
  }
  // #endregion driver-events
}

/** True for a status that says the session does not exist. */
export const isBadSession = (status: number) => status === EBADF;
