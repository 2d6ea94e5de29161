// A camera as a virtio-media capture device, and the physical sensor behind it. One sensor
// (the rear-view camera) may feed several devices, one per guest, each with a role the
// platform's access policy gives it (access-policy.ts): the owner configures the sensor; a
// viewer gets copies of the owner's stream and cannot change it. The sensor produces frames in
// model time: the first one `startupUs` after a stream starts (power-up, ISP start, first
// exposure), then one every `frameIntervalUs`, whether or not anyone has a buffer queued.
import { BufferQueue, type MediaBuffer, writeToBuffer } from './buffers.ts';
import { MediaClock } from './clock.ts';
import { type IoctlAnswer, MediaDevice, type MediaSession } from './device.ts';
import { EBUSY, EINVAL, EIO } from './errno.ts';
import { le } from './protocol.ts';
import { renderScene } from './scene.ts';
import {
  decodeFormat,
  decodeReqBufs,
  encodeFmtDesc,
  encodeFormat,
  encodeReqBufs,
  type IoctlSpec,
  type PixFormat,
  V4L2_BUF_CAP_SUPPORTS_USERPTR,
  V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC,
  V4L2_BUF_TYPE_VIDEO_CAPTURE,
  V4L2_CAP_EXT_PIX_FORMAT,
  V4L2_CAP_STREAMING,
  V4L2_CAP_VIDEO_CAPTURE,
  V4L2_COLORSPACE_SRGB,
  V4L2_FIELD_NONE,
  V4L2_MEMORY_USERPTR,
  V4L2_PIX_FMT_GREY,
  V4L2_PIX_FMT_RGB24,
  VIDIOC_ENUM_FMT,
  VIDIOC_G_FMT,
  VIDIOC_QBUF,
  VIDIOC_REQBUFS,
  VIDIOC_S_FMT,
  VIDIOC_STREAMOFF,
  VIDIOC_STREAMON,
  VIDIOC_TRY_FMT,
} from './v4l2.ts';

export type CameraRole = 'owner' | 'viewer';

/** Ioctls whose payload has the buffer type at offset 4 (fmtdesc, requestbuffers, buffer); the rest at 0. */
export const TYPE_AT_4: readonly number[] = [VIDIOC_ENUM_FMT, VIDIOC_REQBUFS, VIDIOC_QBUF];

// #region sensor-formats
/** What the model sensor can deliver: two pixel formats at two sizes. */
export const SENSOR_PIXEL_FORMATS = [{ fourcc: V4L2_PIX_FMT_RGB24, bpp: 3, name: 'RGB 24-bit' }, { fourcc: V4L2_PIX_FMT_GREY, bpp: 1, name: 'Greyscale 8-bit' }] as const;
export const SENSOR_SIZES = [{ width: 64, height: 48 }, { width: 32, height: 24 }] as const;

/** The supported format nearest to a request: V4L2's S_FMT and TRY_FMT adjust, they do not refuse. */
export function nearestFormat(want: PixFormat): PixFormat {
  const pf = SENSOR_PIXEL_FORMATS.find((p) => p.fourcc === want.pixelformat) ?? SENSOR_PIXEL_FORMATS[0];
  const size = [...SENSOR_SIZES].sort((a, b) => Math.abs(a.width - want.width) + Math.abs(a.height - want.height) - (Math.abs(b.width - want.width) + Math.abs(b.height - want.height)))[0];
  return pixFormat(size.width, size.height, pf.fourcc);
}
// #endregion sensor-formats

export function pixFormat(width: number, height: number, pixelformat: number): PixFormat {
  const bpp = pixelformat === V4L2_PIX_FMT_GREY ? 1 : 3;
  return { width, height, pixelformat, field: V4L2_FIELD_NONE, bytesperline: width * bpp, sizeimage: width * height * bpp, colorspace: V4L2_COLORSPACE_SRGB };
}

const sameFormat = (a: PixFormat, b: PixFormat) => a.width === b.width && a.height === b.height && a.pixelformat === b.pixelformat;

export interface SensorOptions {
  readonly clock: MediaClock;
  /** From the first stream start to the first frame; default 250 ms. */
  readonly startupUs?: number;
  /** Between frames; default 33 333 us (30 frames a second). */
  readonly frameIntervalUs?: number;
}

// #region sensor
/** The physical camera: one format at a time, running while any stream of any device is on. */
export class CameraSensor {
  readonly clock: MediaClock;
  readonly startupUs: number;
  readonly frameIntervalUs: number;
  format: PixFormat = pixFormat(64, 48, V4L2_PIX_FMT_RGB24);
  /** Frames produced since power-up (the scene's frame number). */
  frames = 0;
  private readonly streams: { dev: CameraDevice; s: CameraSession }[] = [];
  private cancel: (() => void) | null = null;
  readonly devices: CameraDevice[] = [];

  constructor(opts: SensorOptions) {
    this.clock = opts.clock;
    this.startupUs = opts.startupUs ?? 250_000;
    this.frameIntervalUs = opts.frameIntervalUs ?? 33_333;
    if (!(this.startupUs >= 0) || !(this.frameIntervalUs > 0)) throw new RangeError('sensor: a non-negative start-up and a positive frame interval');
  }

  get running(): boolean {
    return this.cancel !== null;
  }

  attach(dev: CameraDevice, s: CameraSession): void {
    if (this.streams.some((x) => x.s === s && x.dev === dev)) return;
    this.streams.push({ dev, s });
    // Owners first: a viewer never gets a frame before the owner has had it.
    this.streams.sort((a, b) => (a.dev.role === b.dev.role ? 0 : a.dev.role === 'owner' ? -1 : 1));
    if (!this.cancel) this.schedule(this.clock.now + this.startupUs);
  }

  detach(dev: CameraDevice, s: CameraSession): void {
    const i = this.streams.findIndex((x) => x.s === s && x.dev === dev);
    if (i >= 0) this.streams.splice(i, 1);
    if (this.streams.length === 0 && this.cancel) {
      this.cancel();
      this.cancel = null;
    }
  }

  private schedule(at: number): void {
    this.cancel = this.clock.at(at, () => {
      const n = this.frames++;
      const data = renderScene(this.format.width, this.format.height, this.format.pixelformat, n);
      for (const { dev, s } of [...this.streams]) dev.deliver(s, data);
      if (this.cancel) this.schedule(this.clock.now + this.frameIntervalUs);
    });
  }
}
// #endregion sensor

export interface CameraSession extends MediaSession {
  readonly capture: BufferQueue;
  /** Model time of the STREAMON that started the current stream, until its first frame. */
  streamOnAt: number | null;
}

export interface CameraDeviceOptions {
  readonly sensor: CameraSensor;
  readonly role?: CameraRole;
  /** The guest the device belongs to (for logs). */
  readonly guest?: string;
  readonly card?: string;
  /** The device's share of the reverse-gear budget: STREAMON to first frame; default 400 ms. */
  readonly streamStartBudgetUs?: number;
}

export const DEFAULT_STREAM_START_BUDGET_US = 400_000;

export class CameraDevice extends MediaDevice<CameraSession> {
  readonly name = 'virtio-media camera';
  readonly sensor: CameraSensor;
  readonly role: CameraRole;
  readonly guest: string;
  readonly streamStartBudgetUs: number;
  protected readonly ioctls = [VIDIOC_ENUM_FMT, VIDIOC_G_FMT, VIDIOC_S_FMT, VIDIOC_TRY_FMT, VIDIOC_REQBUFS, VIDIOC_QBUF, VIDIOC_STREAMON, VIDIOC_STREAMOFF];

  constructor(opts: CameraDeviceOptions) {
    super({ deviceCaps: V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_EXT_PIX_FORMAT, card: opts.card ?? 'AVP rear-view camera', clock: opts.sensor.clock });
    this.sensor = opts.sensor;
    this.role = opts.role ?? 'owner';
    this.guest = opts.guest ?? 'guest';
    this.streamStartBudgetUs = opts.streamStartBudgetUs ?? DEFAULT_STREAM_START_BUDGET_US;
    this.sensor.devices.push(this);
  }

  protected createSession(id: number): CameraSession {
    return { id, errored: false, capture: new BufferQueue(V4L2_BUF_TYPE_VIDEO_CAPTURE), streamOnAt: null };
  }

  protected endSession(s: CameraSession): void {
    this.sensor.detach(this, s);
    s.capture.streamoff();
    s.capture.reqbufs(0, V4L2_MEMORY_USERPTR);
  }

  // #region camera-ioctl
  protected ioctl(s: CameraSession, spec: IoctlSpec, p: Uint8Array): IoctlAnswer {
    const type = le(p).getUint32(TYPE_AT_4.includes(spec.code) ? 4 : 0, true);
    if (type !== V4L2_BUF_TYPE_VIDEO_CAPTURE) return { status: EINVAL }; // a capture device has no other queue
    switch (spec.code) {
      case VIDIOC_ENUM_FMT: {
        const index = le(p).getUint32(0, true);
        const f = SENSOR_PIXEL_FORMATS[index];
        return f ? { status: 0, payload: encodeFmtDesc(index, type, 0, f.name, f.fourcc) } : { status: EINVAL };
      }
      case VIDIOC_G_FMT:
        return { status: 0, payload: encodeFormat(type, this.sensor.format) };
      case VIDIOC_TRY_FMT:
        return { status: 0, payload: encodeFormat(type, nearestFormat(decodeFormat(p).pix)) };
      case VIDIOC_S_FMT:
        return this.setFormat(nearestFormat(decodeFormat(p).pix));
      case VIDIOC_REQBUFS: {
        const r = decodeReqBufs(p);
        const a = s.capture.reqbufs(r.count, r.memory);
        return a.status ? { status: a.status } : { status: 0, payload: encodeReqBufs(a.count, type, r.memory, V4L2_BUF_CAP_SUPPORTS_USERPTR) };
      }
      case VIDIOC_QBUF: {
        const r = s.capture.qbuf(p, this.env.mem, this.sensor.format.sizeimage);
        if (r.status !== 0 || !('echo' in r)) return { status: r.status };
        return { status: 0, payload: p.subarray(0, spec.size) }; // userptr and every other field as given
      }
      case VIDIOC_STREAMON:
        if (s.capture.buffers.length === 0) return { status: EINVAL };
        if (!s.capture.streaming) {
          s.capture.streaming = true;
          s.streamOnAt = this.clock.now;
          this.stats.streamStarts++;
          this.sensor.attach(this, s);
        }
        return { status: 0 };
      default: // VIDIOC_STREAMOFF
        this.sensor.detach(this, s);
        s.capture.streamoff();
        s.streamOnAt = null;
        return { status: 0 };
    }
  }
  // #endregion camera-ioctl

  // #region set-format
  /**
   * S_FMT. One sensor has one format. The same format is always accepted. A viewer cannot
   * change it (EBUSY). The owner can, unless one of its own sessions holds buffers (EBUSY, as
   * V4L2 does); viewers holding buffers of the old format lose their sessions (an error
   * event), so no viewer can keep the owner from reconfiguring its camera.
   */
  private setFormat(f: PixFormat): IoctlAnswer {
    const ok = { status: 0, payload: encodeFormat(V4L2_BUF_TYPE_VIDEO_CAPTURE, f) };
    if (sameFormat(f, this.sensor.format)) return ok;
    if (this.role !== 'owner') return { status: EBUSY };
    for (const dev of this.sensor.devices) {
      if (dev.role !== 'owner') continue;
      for (const s of dev.sessions.values()) if (s.capture.buffers.length > 0) return { status: EBUSY };
    }
    for (const dev of this.sensor.devices) if (dev.role === 'viewer') dev.preempt();
    this.sensor.format = f;
    return ok;
  }
  // #endregion set-format

  /** The owner reconfigured the sensor: every session of this viewer that holds buffers ends. */
  preempt(): void {
    for (const s of this.sessions.values()) if (s.capture.buffers.length > 0) this.failSession(s, EIO);
  }

  // #region deliver
  /** A frame from the sensor for one stream: into the oldest queued buffer, or dropped. */
  deliver(s: CameraSession, frame: Uint8Array): void {
    const q = s.capture;
    if (!q.streaming || s.errored || !this.active) return;
    const buf: MediaBuffer | undefined = q.next();
    const sequence = q.sequence++;
    if (!buf) {
      this.stats.framesDropped++; // the guest had no buffer: its stream skips a sequence number
      return;
    }
    const bytesused = writeToBuffer(this.env.mem, buf, frame);
    buf.state = 'dequeued';
    if (s.streamOnAt !== null) {
      const us = this.clock.now - s.streamOnAt;
      this.stats.firstFrames++;
      this.stats.firstFrameMaxUs = Math.max(this.stats.firstFrameMaxUs, us);
      if (us > this.streamStartBudgetUs) this.stats.firstFrameOverBudget++;
      s.streamOnAt = null;
    }
    this.emitDqbuf(s.id, {
      index: buf.index, type: q.type, bytesused, flags: V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC, field: V4L2_FIELD_NONE,
      timestampUs: this.clock.now, sequence, memory: V4L2_MEMORY_USERPTR, m: buf.userptr, length: buf.length,
    });
  }
  // #endregion deliver
}
