// The media device, VIRTIO 1.4 §5.22 (device ID 48): V4L2 carried over a commandq (0) and an
// eventq (1). This base class owns what every virtio-media device shares: the configuration
// space, sessions (one per open of the video node), the parsing and checking of commands, and
// the eventq. A camera (camera.ts) and a decoder (decoder.ts) supply the ioctls. Every
// command, however malformed, gets a response header with a Linux errno as long as the chain
// has room for one; only a broken ring, which the queue layer reports, needs a reset.
import { type DescriptorChain } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import { MediaClock } from './clock.ts';
import { EBADF, EBUSY, EINVAL, EIO, ENOTTY } from './errno.ts';
import { type EventSink, MediaEventQueue, type PendingEvent } from './event-queue.ts';
import {
  CMD_SIZE,
  concat,
  EVENT_DQBUF_SIZE,
  header,
  le,
  MEDIA_CARD_LEN,
  MEDIA_CFG_CARD,
  MEDIA_CFG_DEVICE_CAPS,
  MEDIA_CFG_DEVICE_TYPE,
  MEDIA_COMMANDQ,
  MEDIA_CONFIG_SIZE,
  MEDIA_EVENTQ,
  RESP_HEADER_SIZE,
  RESP_OPEN_SIZE,
  VFL_TYPE_VIDEO,
  VIRTIO_ID_MEDIA,
  VIRTIO_MEDIA_CMD_CLOSE,
  VIRTIO_MEDIA_CMD_IOCTL,
  VIRTIO_MEDIA_CMD_MMAP,
  VIRTIO_MEDIA_CMD_MUNMAP,
  VIRTIO_MEDIA_CMD_OPEN,
  VIRTIO_MEDIA_EVT_DQBUF,
  VIRTIO_MEDIA_EVT_ERROR,
  VIRTIO_MEDIA_EVT_EVENT,
} from './protocol.ts';
import { type MediaDeviceStats, newMediaStats } from './stats.ts';
import { encodeBuffer, encodeEvent, type IoctlSpec, ioctlSpec, REPLACED_IOCTLS, type V4l2Buffer, type V4l2Event, V4L2_CAP_DEVICE_CAPS, V4L2_CAP_READWRITE } from './v4l2.ts';

export interface MediaSession {
  readonly id: number;
  /** After an error event: every command but CLOSE fails with EIO until the driver closes it. */
  errored: boolean;
}

export interface MediaDeviceOptions {
  /** device_caps of the video node. */
  readonly deviceCaps: number;
  /** The card name: at most 32 bytes of UTF-8. */
  readonly card: string;
  readonly clock?: MediaClock;
  /** Sessions open at once; OPEN beyond this fails with EBUSY. Default 16. */
  readonly maxSessions?: number;
}

/** What an ioctl handler answers: a status, and on success the payload the device writes back. */
export interface IoctlAnswer {
  readonly status: number;
  readonly payload?: Uint8Array;
}

export abstract class MediaDevice<S extends MediaSession = MediaSession> extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_MEDIA;
  readonly clock: MediaClock;
  readonly stats: MediaDeviceStats = newMediaStats();
  readonly sessions = new Map<number, S>();
  readonly maxSessions: number;
  /** Called for every event placed in the eventq, with the model time (the platform's probe). */
  onEventPlaced: ((e: PendingEvent, at: number) => void) | null = null;
  protected readonly events = new MediaEventQueue();
  private nextId = 1;

  constructor(opts: MediaDeviceOptions) {
    super(MEDIA_CONFIG_SIZE);
    this.clock = opts.clock ?? new MediaClock();
    this.maxSessions = opts.maxSessions ?? 16;
    const card = new TextEncoder().encode(opts.card);
    if (card.length > MEDIA_CARD_LEN || card.length === 0) throw new RangeError('card: 1 to 32 bytes of UTF-8');
    if ((opts.deviceCaps & (V4L2_CAP_DEVICE_CAPS | V4L2_CAP_READWRITE)) !== 0) throw new RangeError('deviceCaps: DEVICE_CAPS and READWRITE have no meaning over virtio-media');
    // #region config
    this.config.setU32(MEDIA_CFG_DEVICE_CAPS, opts.deviceCaps >>> 0);
    this.config.setU32(MEDIA_CFG_DEVICE_TYPE, VFL_TYPE_VIDEO);
    this.config.setBytes(MEDIA_CFG_CARD, card); // the rest stays 0: NUL-terminated below 32 bytes
    // #endregion config
  }

  protected deviceFeatures(): Features {
    return 0n; // §5.22.3: no feature bits
  }

  queueCount(): number {
    return 2;
  }

  /** The ioctl codes this device implements (others answer ENOTTY). */
  protected abstract readonly ioctls: readonly number[];
  protected abstract createSession(id: number): S;
  protected abstract ioctl(s: S, spec: IoctlSpec, payload: Uint8Array): IoctlAnswer;
  /** A session ends (CLOSE, an error, a reset): stop its streams and release its buffers. */
  protected abstract endSession(s: S): void;

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === MEDIA_COMMANDQ) this.drain(MEDIA_COMMANDQ, (chain) => this.serve(chain));
    else if (index === MEDIA_EVENTQ) this.events.flush(this.sink());
  }

  // #region serve
  /** One commandq chain: the command in its device-readable part, the response in its writable part. */
  private serve(chain: DescriptorChain): number {
    const mem = this.env.mem;
    const w = new ChainWriter(mem, chain);
    if (w.remaining < RESP_HEADER_SIZE) {
      this.stats.noResponse++; // nowhere to put a status: handed back with used length 0
      return 0;
    }
    const req = readChain(mem, chain);
    const cmd = req.length >= 4 ? le(req).getUint32(0, true) : -1;
    const reply = this.command(cmd, req, w.remaining);
    const status = le(reply).getUint32(0, true);
    this.stats.commands++;
    if (status !== 0) {
      this.stats.failed++;
      this.stats.lastError = { cmd, status };
    }
    w.write(reply);
    return w.written;
  }

  private command(cmd: number, req: Uint8Array, room: number): Uint8Array {
    const fail = (errno: number) => header(errno);
    const need = CMD_SIZE[cmd];
    if (need === undefined) return fail(EINVAL); // not a command VIRTIO defines
    if (req.length < need) return fail(EINVAL); // shorter than its structure
    const v = le(req);
    switch (cmd) {
      case VIRTIO_MEDIA_CMD_OPEN: {
        if (room < RESP_OPEN_SIZE) return fail(EINVAL);
        if (this.sessions.size >= this.maxSessions) return fail(EBUSY);
        const id = this.allocateId();
        this.sessions.set(id, this.createSession(id));
        const out = new Uint8Array(RESP_OPEN_SIZE);
        le(out).setUint32(8, id, true);
        return out;
      }
      case VIRTIO_MEDIA_CMD_CLOSE: {
        const s = this.sessions.get(v.getUint32(8, true));
        if (!s) return fail(EBADF);
        this.close(s);
        return header(0);
      }
      case VIRTIO_MEDIA_CMD_IOCTL: {
        const s = this.sessions.get(v.getUint32(8, true));
        if (!s) return fail(EBADF);
        if (s.errored) return fail(EIO);
        const code = v.getUint32(12, true);
        const spec = ioctlSpec(code);
        if (!spec || REPLACED_IOCTLS.includes(code) || !this.ioctls.includes(code)) return fail(ENOTTY);
        const payload = req.subarray(16);
        if (spec.dir !== 'R' && payload.length < spec.size) return fail(EINVAL); // 32-bit layouts land here
        if (spec.dir !== 'W' && room < RESP_HEADER_SIZE + spec.size) return fail(EINVAL); // checked before any effect
        const a = this.ioctl(s, spec, payload);
        if (a.status !== 0 || spec.dir === 'W') return header(a.status); // on failure: the header only
        const body = new Uint8Array(spec.size);
        body.set((a.payload ?? new Uint8Array(0)).subarray(0, spec.size));
        return concat(header(0), body);
      }
      case VIRTIO_MEDIA_CMD_MMAP: {
        const s = this.sessions.get(v.getUint32(8, true));
        if (!s) return fail(EBADF);
        if (s.errored) return fail(EIO);
        return fail(EINVAL); // the models offer no MMAP buffers, so no offset names one
      }
      default: // VIRTIO_MEDIA_CMD_MUNMAP: nothing was ever mapped
        return fail(EINVAL);
    }
  }
  // #endregion serve

  /** The lowest ID above the last one given that no session holds, errored ones included. */
  private allocateId(): number {
    let id = this.nextId;
    while (this.sessions.has(id) || id === 0) id = (id + 1) >>> 0;
    this.nextId = (id + 1) >>> 0;
    return id;
  }

  private close(s: S): void {
    this.endSession(s);
    this.sessions.delete(s.id);
    this.events.dropSession(s.id);
  }

  // #region emit
  /** Returns a buffer to the driver: the implicit VIDIOC_DQBUF. Pointers are zeroed (§5.22.6.2.3.1). */
  protected emitDqbuf(session: number, b: V4l2Buffer): void {
    const bytes = new Uint8Array(EVENT_DQBUF_SIZE);
    const v = le(bytes);
    v.setUint32(0, VIRTIO_MEDIA_EVT_DQBUF, true);
    v.setUint32(4, session, true);
    bytes.set(encodeBuffer({ ...b, m: 0n }), 8); // planes[] stay zero: single-planar queues
    this.events.push({ session, kind: 'dqbuf', bytes }, this.sinkIfActive());
  }

  protected emitV4l2Event(session: number, e: V4l2Event): void {
    const head = new Uint8Array(8);
    le(head).setUint32(0, VIRTIO_MEDIA_EVT_EVENT, true);
    le(head).setUint32(4, session, true);
    this.events.push({ session, kind: 'event', bytes: concat(head, encodeEvent(e)) }, this.sinkIfActive());
  }

  /** An unrecoverable error of one session: it fails every command until closed; its ID stays taken. */
  protected failSession(s: S, errno: number): void {
    if (s.errored) return;
    this.endSession(s);
    s.errored = true;
    this.events.dropSession(s.id); // nothing of the dead session follows its error event
    const bytes = new Uint8Array(16);
    const v = le(bytes);
    v.setUint32(0, VIRTIO_MEDIA_EVT_ERROR, true);
    v.setUint32(4, s.id, true);
    v.setUint32(8, errno, true);
    this.events.push({ session: s.id, kind: 'error', bytes }, this.sinkIfActive());
  }
  // #endregion emit

  /** Events waiting for eventq buffers. */
  get heldEvents(): number {
    return this.events.length;
  }

  private sinkIfActive(): EventSink | null {
    return this.active ? this.sink() : null;
  }

  private sink(): EventSink {
    const env = this.env;
    const s = this.stats;
    return {
      mem: env.mem,
      queue: this.queue(MEDIA_EVENTQ),
      notify: () => env.notifyUsed(MEDIA_EVENTQ),
      needsReset: (e) => env.needsReset(e),
      badBuffer: () => void s.badEventBuffers++,
      placed: (e) => {
        if (e.kind === 'dqbuf') s.dqbufEvents++;
        else if (e.kind === 'event') s.v4l2Events++;
        else s.errorEvents++;
        this.onEventPlaced?.(e, this.clock.now);
      },
    };
  }

  protected onActivate(_env: DeviceEnv): void {
    this.events.flush(this.sink());
  }

  protected onReset(): void {
    for (const s of this.sessions.values()) this.endSession(s);
    this.sessions.clear();
    this.events.clear();
    this.nextId = 1;
  }
}
