// One V4L2 buffer queue of a session (a capture queue, or one side of a decoder): what
// VIDIOC_REQBUFS allocates, what VIDIOC_QBUF queues, and the order in which the device fills
// and returns buffers. The models take SHARED_PAGES memory (V4L2_MEMORY_USERPTR): the guest
// owns the pages, each QBUF carries an SG list that says where they are (§5.22.6.1.8.2), and
// the device writes a frame there. Every check answers with a Linux errno, never a throw.
import type { GuestMemory } from '../../virtio/memory.ts';
import { EBUSY, EFAULT, EINVAL } from './errno.ts';
import { SG_ENTRY_SIZE, type SgEntry, le } from './protocol.ts';
import { V4L2_BUFFER_SIZE, V4L2_MEMORY_USERPTR, VIDEO_MAX_FRAME, type V4l2Buffer, decodeBuffer } from './v4l2.ts';

export interface MediaBuffer {
  readonly index: number;
  state: 'dequeued' | 'queued';
  /** From the last QBUF: the driver's userptr (returned unchanged), length and pages. */
  userptr: bigint;
  length: number;
  sg: SgEntry[];
  /** OUTPUT buffers: the bytes the driver filled and the timestamp it gave. */
  bytesused: number;
  timestampUs: number;
  /** Model time of the QBUF, for FIFO order. */
  queuedSeq: number;
}

export type QbufResult = { readonly status: 0; readonly buffer: MediaBuffer; readonly echo: V4l2Buffer } | { readonly status: number };

// #region buffer-queue
export class BufferQueue {
  readonly type: number;
  memory = 0;
  buffers: MediaBuffer[] = [];
  streaming = false;
  /** Frame counter of the queue: V4L2's `sequence`. */
  sequence = 0;
  private seq = 0;

  constructor(type: number) {
    this.type = type;
  }

  /** VIDIOC_REQBUFS: 0 frees; more than VIDEO_MAX_FRAME is clamped. Only USERPTR memory is offered. */
  reqbufs(count: number, memory: number): { status: number; count: number } {
    if (memory !== V4L2_MEMORY_USERPTR) return { status: EINVAL, count: 0 };
    if (this.streaming) return { status: EBUSY, count: 0 };
    const n = Math.min(count, VIDEO_MAX_FRAME);
    this.memory = n === 0 ? 0 : memory;
    this.buffers = Array.from({ length: n }, (_, index) => ({ index, state: 'dequeued' as const, userptr: 0n, length: 0, sg: [], bytesused: 0, timestampUs: 0, queuedSeq: 0 }));
    return { status: 0, count: n };
  }

  /**
   * VIDIOC_QBUF. `payload` is the device-readable payload: a v4l2_buffer, then SG entries
   * covering its `length`. `minLength` is the size a buffer of this queue must have.
   */
  qbuf(payload: Uint8Array, mem: GuestMemory, minLength: number): QbufResult {
    const b = decodeBuffer(payload);
    if (b.type !== this.type || b.memory !== this.memory || this.memory === 0) return { status: EINVAL };
    const buf = this.buffers[b.index];
    if (!buf || buf.state === 'queued') return { status: EINVAL };
    if (b.length < minLength || b.m === 0n) return { status: EINVAL };
    // SG entries follow the structure until they cover `length` (§5.22.6.1.5.6).
    const sg: SgEntry[] = [];
    let covered = 0;
    const v = le(payload);
    for (let at = V4L2_BUFFER_SIZE; covered < b.length; at += SG_ENTRY_SIZE) {
      if (at + SG_ENTRY_SIZE > payload.length) return { status: EINVAL }; // too few entries
      const e = { start: v.getBigUint64(at, true), len: v.getUint32(at + 8, true) };
      if (e.len === 0) return { status: EINVAL };
      if (!mem.contains(e.start, e.len)) return { status: EFAULT };
      sg.push(e);
      covered += e.len;
    }
    Object.assign(buf, { state: 'queued', userptr: b.m, length: b.length, sg, bytesused: b.bytesused, timestampUs: b.timestampUs, queuedSeq: this.seq++ });
    return { status: 0, buffer: buf, echo: b };
  }

  /** The buffer queued longest ago, if any. */
  next(): MediaBuffer | undefined {
    let best: MediaBuffer | undefined;
    for (const b of this.buffers) if (b.state === 'queued' && (!best || b.queuedSeq < best.queuedSeq)) best = b;
    return best;
  }

  /** VIDIOC_STREAMOFF: every queued buffer goes back to the driver without an event (V4L2 semantics). */
  streamoff(): void {
    this.streaming = false;
    for (const b of this.buffers) b.state = 'dequeued';
    this.sequence = 0;
  }

  get queuedCount(): number {
    return this.buffers.filter((b) => b.state === 'queued').length;
  }
}
// #endregion buffer-queue

// #region write-frame
/** Writes `data` into a buffer's guest pages, in SG order; returns the bytes written. */
export function writeToBuffer(mem: GuestMemory, buf: MediaBuffer, data: Uint8Array): number {
  let done = 0;
  for (const e of buf.sg) {
    if (done >= data.length) break;
    const n = Math.min(e.len, data.length - done);
    mem.write(e.start, data.subarray(done, done + n));
    done += n;
  }
  return done;
}
// #endregion write-frame

/** Reads `len` bytes of a buffer's guest pages (an OUTPUT buffer's bitstream). */
export function readFromBuffer(mem: GuestMemory, buf: MediaBuffer, len: number): Uint8Array {
  const out = new Uint8Array(Math.min(len, buf.length));
  let done = 0;
  for (const e of buf.sg) {
    if (done >= out.length) break;
    const n = Math.min(e.len, out.length - done);
    out.set(mem.read(e.start, n), done);
    done += n;
  }
  return out;
}
