// A video decoder as a virtio-media memory-to-memory device, following V4L2's stateful
// decoder interface: the driver queues bitstream on the OUTPUT queue and empty frames on the
// CAPTURE queue; the device reads the stream's header, reports the resolution (a
// V4L2_EVENT_SOURCE_CHANGE event, if the session subscribed), and then turns each OUTPUT
// buffer into one CAPTURE frame, copying the OUTPUT timestamp so the driver can match them.
// The bitstream is the TOY codec of toy-codec.ts. A bad frame costs one CAPTURE buffer
// flagged V4L2_BUF_FLAG_ERROR, never the session. Decoding takes no model time.
import { BufferQueue, type MediaBuffer, readFromBuffer, writeToBuffer } from './buffers.ts';
import { pixFormat, TYPE_AT_4 } from './camera.ts';
import { type IoctlAnswer, MediaDevice, type MediaDeviceOptions, type MediaSession } from './device.ts';
import { EINVAL } from './errno.ts';
import { le } from './protocol.ts';
import { toyDecode, toyHeader } from './toy-codec.ts';
import {
  decodeReqBufs,
  encodeFmtDesc,
  encodeFormat,
  encodeReqBufs,
  type IoctlSpec,
  type PixFormat,
  PIX_FMT_TOY_RLE,
  V4L2_BUF_CAP_SUPPORTS_USERPTR,
  V4L2_BUF_FLAG_ERROR,
  V4L2_BUF_FLAG_TIMESTAMP_COPY,
  V4L2_BUF_TYPE_VIDEO_CAPTURE,
  V4L2_BUF_TYPE_VIDEO_OUTPUT,
  V4L2_CAP_EXT_PIX_FORMAT,
  V4L2_CAP_STREAMING,
  V4L2_CAP_VIDEO_M2M,
  V4L2_COLORSPACE_SRGB,
  V4L2_EVENT_SOURCE_CHANGE,
  V4L2_EVENT_SRC_CH_RESOLUTION,
  V4L2_FIELD_NONE,
  V4L2_FMT_FLAG_COMPRESSED,
  V4L2_MEMORY_USERPTR,
  V4L2_PIX_FMT_RGB24,
  VIDIOC_ENUM_FMT,
  VIDIOC_G_FMT,
  VIDIOC_QBUF,
  VIDIOC_REQBUFS,
  VIDIOC_S_FMT,
  VIDIOC_STREAMOFF,
  VIDIOC_STREAMON,
  VIDIOC_SUBSCRIBE_EVENT,
  VIDIOC_TRY_FMT,
  VIDIOC_UNSUBSCRIBE_EVENT,
} from './v4l2.ts';

/** Room the decoder asks for per bitstream buffer. */
export const DECODER_OUTPUT_SIZEIMAGE = 64 * 1024;

export interface DecoderSession extends MediaSession {
  readonly output: BufferQueue;
  readonly capture: BufferQueue;
  /** The decoded resolution, known once the first header has been read. */
  frame: PixFormat | null;
  readonly subscribed: Set<number>;
  eventSeq: number;
}

const OUTPUT_FORMAT: PixFormat = { width: 0, height: 0, pixelformat: PIX_FMT_TOY_RLE, field: V4L2_FIELD_NONE, bytesperline: 0, sizeimage: DECODER_OUTPUT_SIZEIMAGE, colorspace: V4L2_COLORSPACE_SRGB };

export class DecoderDevice extends MediaDevice<DecoderSession> {
  readonly name = 'virtio-media decoder';
  protected readonly ioctls = [VIDIOC_ENUM_FMT, VIDIOC_G_FMT, VIDIOC_S_FMT, VIDIOC_TRY_FMT, VIDIOC_REQBUFS, VIDIOC_QBUF, VIDIOC_STREAMON, VIDIOC_STREAMOFF, VIDIOC_SUBSCRIBE_EVENT, VIDIOC_UNSUBSCRIBE_EVENT];

  constructor(opts: Partial<MediaDeviceOptions> = {}) {
    super({ deviceCaps: V4L2_CAP_VIDEO_M2M | V4L2_CAP_STREAMING | V4L2_CAP_EXT_PIX_FORMAT, card: opts.card ?? 'AVP toy-RLE decoder', clock: opts.clock, maxSessions: opts.maxSessions });
  }

  protected createSession(id: number): DecoderSession {
    return { id, errored: false, output: new BufferQueue(V4L2_BUF_TYPE_VIDEO_OUTPUT), capture: new BufferQueue(V4L2_BUF_TYPE_VIDEO_CAPTURE), frame: null, subscribed: new Set(), eventSeq: 0 };
  }

  protected endSession(s: DecoderSession): void {
    for (const q of [s.output, s.capture]) {
      q.streamoff();
      q.reqbufs(0, V4L2_MEMORY_USERPTR);
    }
  }

  private queueOf(s: DecoderSession, type: number): BufferQueue | null {
    return type === V4L2_BUF_TYPE_VIDEO_OUTPUT ? s.output : type === V4L2_BUF_TYPE_VIDEO_CAPTURE ? s.capture : null;
  }

  private formatOf(s: DecoderSession, type: number): PixFormat {
    return type === V4L2_BUF_TYPE_VIDEO_OUTPUT ? OUTPUT_FORMAT : (s.frame ?? pixFormat(0, 0, V4L2_PIX_FMT_RGB24));
  }

  // #region decoder-ioctl
  protected ioctl(s: DecoderSession, spec: IoctlSpec, p: Uint8Array): IoctlAnswer {
    const v = le(p);
    if (spec.code === VIDIOC_SUBSCRIBE_EVENT || spec.code === VIDIOC_UNSUBSCRIBE_EVENT) {
      const type = v.getUint32(0, true);
      if (type !== V4L2_EVENT_SOURCE_CHANGE) return { status: EINVAL }; // the only event it raises
      if (spec.code === VIDIOC_SUBSCRIBE_EVENT) s.subscribed.add(type);
      else s.subscribed.delete(type);
      return { status: 0 };
    }
    const type = v.getUint32(TYPE_AT_4.includes(spec.code) ? 4 : 0, true);
    const q = this.queueOf(s, type);
    if (!q) return { status: EINVAL };
    switch (spec.code) {
      case VIDIOC_ENUM_FMT: {
        if (v.getUint32(0, true) !== 0) return { status: EINVAL }; // one format per side
        return type === V4L2_BUF_TYPE_VIDEO_OUTPUT
          ? { status: 0, payload: encodeFmtDesc(0, type, V4L2_FMT_FLAG_COMPRESSED, 'AVP toy RLE (not a real codec)', PIX_FMT_TOY_RLE) }
          : { status: 0, payload: encodeFmtDesc(0, type, 0, 'RGB 24-bit', V4L2_PIX_FMT_RGB24) };
      }
      case VIDIOC_G_FMT:
      case VIDIOC_S_FMT:
      case VIDIOC_TRY_FMT:
        // Both sides have one fixed format; the CAPTURE size is the stream's. S_FMT adjusts to it.
        return { status: 0, payload: encodeFormat(type, this.formatOf(s, type)) };
      case VIDIOC_REQBUFS: {
        const r = decodeReqBufs(p);
        const a = q.reqbufs(r.count, r.memory);
        return a.status ? { status: a.status } : { status: 0, payload: encodeReqBufs(a.count, type, r.memory, V4L2_BUF_CAP_SUPPORTS_USERPTR) };
      }
      case VIDIOC_QBUF: {
        const min = type === V4L2_BUF_TYPE_VIDEO_OUTPUT ? 1 : Math.max(1, this.formatOf(s, type).sizeimage);
        const r = q.qbuf(p, this.env.mem, min);
        if (r.status !== 0 || !('buffer' in r)) return { status: r.status };
        if (type === V4L2_BUF_TYPE_VIDEO_OUTPUT && (r.buffer.bytesused === 0 || r.buffer.bytesused > r.buffer.length)) {
          r.buffer.state = 'dequeued';
          return { status: EINVAL }; // no bitstream in it, or more than it holds
        }
        this.pump(s);
        return { status: 0, payload: p.subarray(0, spec.size) };
      }
      case VIDIOC_STREAMON:
        if (q.buffers.length === 0) return { status: EINVAL };
        q.streaming = true;
        this.pump(s);
        return { status: 0 };
      default: // VIDIOC_STREAMOFF
        q.streamoff();
        return { status: 0 };
    }
  }
  // #endregion decoder-ioctl

  // #region pump
  /** Decodes while there is bitstream and, once the resolution is known, a frame to put it in. */
  private pump(s: DecoderSession): void {
    while (s.output.streaming && !s.errored) {
      const out = s.output.next();
      if (!out) return;
      const bits = readFromBuffer(this.env.mem, out, out.bytesused);
      if (!s.frame) {
        const h = toyHeader(bits);
        if (h) {
          s.frame = pixFormat(h.width, h.height, V4L2_PIX_FMT_RGB24);
          if (s.subscribed.has(V4L2_EVENT_SOURCE_CHANGE)) {
            this.emitV4l2Event(s.id, { type: V4L2_EVENT_SOURCE_CHANGE, u32: V4L2_EVENT_SRC_CH_RESOLUTION, sequence: s.eventSeq++, timestampUs: this.clock.now });
          }
        } else {
          // Nothing decodable before the first header: the OUTPUT buffer goes back flagged.
          this.stats.decodeErrors++;
          this.returnBuffer(s, s.output, out, out.bytesused, V4L2_BUF_FLAG_ERROR, out.timestampUs);
          continue;
        }
      }
      if (!s.capture.streaming) return;
      const cap = s.capture.next();
      if (!cap) return;
      const d = toyDecode(bits);
      const ok = d.ok && d.width === s.frame.width && d.height === s.frame.height && cap.length >= d.rgb.length;
      if (ok) {
        this.stats.framesDecoded++;
        this.returnBuffer(s, s.capture, cap, writeToBuffer(this.env.mem, cap, d.rgb), 0, out.timestampUs);
      } else {
        this.stats.decodeErrors++;
        this.returnBuffer(s, s.capture, cap, 0, V4L2_BUF_FLAG_ERROR, out.timestampUs);
      }
      this.returnBuffer(s, s.output, out, out.bytesused, ok ? 0 : V4L2_BUF_FLAG_ERROR, out.timestampUs);
    }
  }
  // #endregion pump

  private returnBuffer(s: DecoderSession, q: BufferQueue, b: MediaBuffer, bytesused: number, flags: number, timestampUs: number): void {
    b.state = 'dequeued';
    this.emitDqbuf(s.id, {
      index: b.index, type: q.type, bytesused, flags: flags | V4L2_BUF_FLAG_TIMESTAMP_COPY, field: V4L2_FIELD_NONE,
      timestampUs, sequence: q.sequence++, memory: V4L2_MEMORY_USERPTR, m: 0n, length: b.length,
    });
  }
}
