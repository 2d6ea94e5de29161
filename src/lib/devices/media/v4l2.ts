// The part of V4L2 (Linux include/uapi/linux/videodev2.h) the media device models speak.
// Virtio-media carries an ioctl as its number (the second argument of the _IO* macro) and a
// payload in the 64-bit little-endian layout of the V4L2 structure (VIRTIO 1.4 §5.22.6.1.5),
// whatever the guest's word size. Sizes and offsets below were checked against the Linux uapi
// headers compiled for x86-64 (sizeof and offsetof).

// #region ioctl-codes
/** An ioctl the models know: its number, payload size and direction (R: device writes, W: device reads). */
export interface IoctlSpec {
  readonly name: string;
  readonly code: number;
  readonly size: number;
  readonly dir: 'R' | 'W' | 'WR';
}

export const VIDIOC_QUERYCAP = 0; //           _IOR  struct v4l2_capability (104): answered by the configuration space
export const VIDIOC_ENUM_FMT = 2; //           _IOWR struct v4l2_fmtdesc (64)
export const VIDIOC_G_FMT = 4; //              _IOWR struct v4l2_format (208)
export const VIDIOC_S_FMT = 5; //              _IOWR struct v4l2_format
export const VIDIOC_REQBUFS = 8; //            _IOWR struct v4l2_requestbuffers (20)
export const VIDIOC_QUERYBUF = 9; //           _IOWR struct v4l2_buffer (88)
export const VIDIOC_QBUF = 15; //              _IOWR struct v4l2_buffer
export const VIDIOC_DQBUF = 17; //             _IOWR struct v4l2_buffer: replaced by the DQBUF event
export const VIDIOC_STREAMON = 18; //          _IOW  int (the buffer type)
export const VIDIOC_STREAMOFF = 19; //         _IOW  int
export const VIDIOC_TRY_FMT = 64; //           _IOWR struct v4l2_format
export const VIDIOC_LOG_STATUS = 70; //        _IO: a guest-side operation only
export const VIDIOC_DQEVENT = 89; //           _IOR  struct v4l2_event (136): replaced by the EVENT event
export const VIDIOC_SUBSCRIBE_EVENT = 90; //   _IOW  struct v4l2_event_subscription (32)
export const VIDIOC_UNSUBSCRIBE_EVENT = 91; // _IOW  struct v4l2_event_subscription

export const IOCTLS: readonly IoctlSpec[] = [
  { name: 'VIDIOC_ENUM_FMT', code: VIDIOC_ENUM_FMT, size: 64, dir: 'WR' },
  { name: 'VIDIOC_G_FMT', code: VIDIOC_G_FMT, size: 208, dir: 'WR' },
  { name: 'VIDIOC_S_FMT', code: VIDIOC_S_FMT, size: 208, dir: 'WR' },
  { name: 'VIDIOC_TRY_FMT', code: VIDIOC_TRY_FMT, size: 208, dir: 'WR' },
  { name: 'VIDIOC_REQBUFS', code: VIDIOC_REQBUFS, size: 20, dir: 'WR' },
  { name: 'VIDIOC_QUERYBUF', code: VIDIOC_QUERYBUF, size: 88, dir: 'WR' },
  { name: 'VIDIOC_QBUF', code: VIDIOC_QBUF, size: 88, dir: 'WR' },
  { name: 'VIDIOC_STREAMON', code: VIDIOC_STREAMON, size: 4, dir: 'W' },
  { name: 'VIDIOC_STREAMOFF', code: VIDIOC_STREAMOFF, size: 4, dir: 'W' },
  { name: 'VIDIOC_SUBSCRIBE_EVENT', code: VIDIOC_SUBSCRIBE_EVENT, size: 32, dir: 'W' },
  { name: 'VIDIOC_UNSUBSCRIBE_EVENT', code: VIDIOC_UNSUBSCRIBE_EVENT, size: 32, dir: 'W' },
];

/** Ioctls virtio-media replaces by other mechanisms: a device answers them ENOTTY (§5.22.6.1.5.7). */
export const REPLACED_IOCTLS: readonly number[] = [VIDIOC_QUERYCAP, VIDIOC_DQBUF, VIDIOC_DQEVENT, VIDIOC_LOG_STATUS];
// #endregion ioctl-codes

export function ioctlSpec(code: number): IoctlSpec | undefined {
  return IOCTLS.find((s) => s.code === code);
}

export function ioctlName(code: number): string {
  return ioctlSpec(code)?.name ?? (code === VIDIOC_QUERYCAP ? 'VIDIOC_QUERYCAP' : code === VIDIOC_DQBUF ? 'VIDIOC_DQBUF' : `ioctl ${code}`);
}

// Capabilities (struct v4l2_capability device_caps; the configuration space's device_caps).
export const V4L2_CAP_VIDEO_CAPTURE = 0x0000_0001;
export const V4L2_CAP_VIDEO_M2M = 0x0000_8000;
export const V4L2_CAP_EXT_PIX_FORMAT = 0x0020_0000;
export const V4L2_CAP_READWRITE = 0x0100_0000;
export const V4L2_CAP_STREAMING = 0x0400_0000;
export const V4L2_CAP_DEVICE_CAPS = 0x8000_0000;

// enum v4l2_buf_type, enum v4l2_memory, enum v4l2_field, enum v4l2_colorspace.
export const V4L2_BUF_TYPE_VIDEO_CAPTURE = 1;
export const V4L2_BUF_TYPE_VIDEO_OUTPUT = 2;
export const V4L2_MEMORY_MMAP = 1;
export const V4L2_MEMORY_USERPTR = 2;
export const V4L2_MEMORY_DMABUF = 4;
export const V4L2_FIELD_NONE = 1;
export const V4L2_COLORSPACE_SRGB = 8;

// v4l2_buffer flags.
export const V4L2_BUF_FLAG_MAPPED = 0x1;
export const V4L2_BUF_FLAG_QUEUED = 0x2;
export const V4L2_BUF_FLAG_DONE = 0x4;
export const V4L2_BUF_FLAG_KEYFRAME = 0x8;
export const V4L2_BUF_FLAG_ERROR = 0x40;
export const V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC = 0x2000;
export const V4L2_BUF_FLAG_TIMESTAMP_COPY = 0x4000;
export const V4L2_BUF_FLAG_LAST = 0x0010_0000;

/** v4l2_requestbuffers capabilities. */
export const V4L2_BUF_CAP_SUPPORTS_USERPTR = 0x2;
export const V4L2_FMT_FLAG_COMPRESSED = 0x1;

// Events.
export const V4L2_EVENT_EOS = 2;
export const V4L2_EVENT_SOURCE_CHANGE = 5;
export const V4L2_EVENT_SRC_CH_RESOLUTION = 1;

/** Linux's VIDEO_MAX_FRAME: buffers one queue may have. */
export const VIDEO_MAX_FRAME = 32;

/** v4l2_fourcc('a','b','c','d'). */
export function fourcc(s: string): number {
  if (s.length !== 4) throw new RangeError('fourcc: four characters');
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

export function fourccName(v: number): string {
  return String.fromCharCode(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

export const V4L2_PIX_FMT_RGB24 = fourcc('RGB3');
export const V4L2_PIX_FMT_GREY = fourcc('GREY');
/** Not a V4L2 format: the toy run-length codec of the decoder model (toy-codec.ts). */
export const PIX_FMT_TOY_RLE = fourcc('ARLE');

// #region pix-format
/** struct v4l2_pix_format (48 bytes), inside struct v4l2_format (208) at offset 8. */
export interface PixFormat {
  readonly width: number;
  readonly height: number;
  readonly pixelformat: number;
  readonly field: number;
  readonly bytesperline: number;
  readonly sizeimage: number;
  readonly colorspace: number;
}

export const V4L2_FORMAT_SIZE = 208;
const FMT_PIX = 8; // the union fmt is 8-aligned on 64-bit: struct v4l2_window holds pointers

export function encodeFormat(type: number, p: PixFormat): Uint8Array {
  const out = new Uint8Array(V4L2_FORMAT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  [p.width, p.height, p.pixelformat, p.field, p.bytesperline, p.sizeimage, p.colorspace].forEach((x, i) => v.setUint32(FMT_PIX + 4 * i, x >>> 0, true));
  return out;
}

export function decodeFormat(b: Uint8Array): { type: number; pix: PixFormat } {
  const v = new DataView(b.buffer, b.byteOffset, V4L2_FORMAT_SIZE);
  const f = (i: number) => v.getUint32(FMT_PIX + 4 * i, true);
  return { type: v.getUint32(0, true), pix: { width: f(0), height: f(1), pixelformat: f(2), field: f(3), bytesperline: f(4), sizeimage: f(5), colorspace: f(6) } };
}
// #endregion pix-format

/** struct v4l2_fmtdesc (64): index, type, flags, description[32] at 12, pixelformat at 44. */
export const V4L2_FMTDESC_SIZE = 64;

export function encodeFmtDesc(index: number, type: number, flags: number, description: string, pixelformat: number): Uint8Array {
  const out = new Uint8Array(V4L2_FMTDESC_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, index, true);
  v.setUint32(4, type, true);
  v.setUint32(8, flags, true);
  out.set(new TextEncoder().encode(description).subarray(0, 31), 12);
  v.setUint32(44, pixelformat, true);
  return out;
}

/** struct v4l2_requestbuffers (20): count, type, memory, capabilities, u8 flags, u8 reserved[3]. */
export const V4L2_REQBUFS_SIZE = 20;

export function encodeReqBufs(count: number, type: number, memory: number, capabilities = 0): Uint8Array {
  const out = new Uint8Array(V4L2_REQBUFS_SIZE);
  const v = new DataView(out.buffer);
  [count, type, memory, capabilities].forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  return out;
}

export function decodeReqBufs(b: Uint8Array): { count: number; type: number; memory: number; capabilities: number } {
  const v = new DataView(b.buffer, b.byteOffset, V4L2_REQBUFS_SIZE);
  return { count: v.getUint32(0, true), type: v.getUint32(4, true), memory: v.getUint32(8, true), capabilities: v.getUint32(12, true) };
}

// #region v4l2-buffer
/**
 * struct v4l2_buffer, 88 bytes on 64-bit: index 0, type 4, bytesused 8, flags 12, field 16,
 * (4 bytes of padding), struct timeval timestamp 24 (two 64-bit fields), struct v4l2_timecode
 * 40 (16), sequence 56, memory 60, union m 64 (8: offset, userptr or fd), length 72,
 * reserved2 76, request_fd 80, (4 bytes of padding). A 32-bit guest's struct is 68 bytes.
 */
export const V4L2_BUFFER_SIZE = 88;

export interface V4l2Buffer {
  readonly index: number;
  readonly type: number;
  readonly bytesused: number;
  readonly flags: number;
  readonly field: number;
  /** Timestamp in microseconds (tv_sec * 1e6 + tv_usec). */
  readonly timestampUs: number;
  readonly sequence: number;
  readonly memory: number;
  /** m.userptr for SHARED_PAGES buffers; m.offset for MMAP ones. */
  readonly m: bigint;
  readonly length: number;
}
// #endregion v4l2-buffer

export function encodeBuffer(b: V4l2Buffer): Uint8Array {
  const out = new Uint8Array(V4L2_BUFFER_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, b.index, true);
  v.setUint32(4, b.type, true);
  v.setUint32(8, b.bytesused >>> 0, true);
  v.setUint32(12, b.flags >>> 0, true);
  v.setUint32(16, b.field, true);
  v.setBigInt64(24, BigInt(Math.floor(b.timestampUs / 1e6)), true);
  v.setBigInt64(32, BigInt(Math.floor(b.timestampUs % 1e6)), true);
  v.setUint32(56, b.sequence >>> 0, true);
  v.setUint32(60, b.memory, true);
  v.setBigUint64(64, b.m, true);
  v.setUint32(72, b.length >>> 0, true);
  return out;
}

export function decodeBuffer(b: Uint8Array): V4l2Buffer {
  const v = new DataView(b.buffer, b.byteOffset, V4L2_BUFFER_SIZE);
  const sec = v.getBigInt64(24, true);
  const usec = v.getBigInt64(32, true);
  return {
    index: v.getUint32(0, true), type: v.getUint32(4, true), bytesused: v.getUint32(8, true), flags: v.getUint32(12, true),
    field: v.getUint32(16, true), timestampUs: Number(sec) * 1e6 + Number(usec), sequence: v.getUint32(56, true),
    memory: v.getUint32(60, true), m: v.getBigUint64(64, true), length: v.getUint32(72, true),
  };
}

/** struct v4l2_plane, 64 bytes on 64-bit; the DQBUF event carries eight of them. */
export const V4L2_PLANE_SIZE = 64;

// #region v4l2-event
/**
 * struct v4l2_event, 136 bytes on 64-bit: type 0, union u 8 (64 bytes; 8-aligned because one
 * member holds an s64), pending 72, sequence 76, struct timespec timestamp 80, id 96,
 * reserved[8] 100.
 */
export const V4L2_EVENT_SIZE = 136;
/** struct v4l2_event_subscription (32): type, id, flags, reserved[5]. */
export const V4L2_EVENT_SUB_SIZE = 32;
// #endregion v4l2-event

export interface V4l2Event {
  readonly type: number;
  /** The first 32-bit word of u: for SOURCE_CHANGE, the `changes` bitmask. */
  readonly u32: number;
  readonly sequence: number;
  readonly timestampUs: number;
}

export function encodeEvent(e: V4l2Event): Uint8Array {
  const out = new Uint8Array(V4L2_EVENT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, e.type, true);
  v.setUint32(8, e.u32 >>> 0, true);
  v.setUint32(76, e.sequence >>> 0, true);
  v.setBigInt64(80, BigInt(Math.floor(e.timestampUs / 1e6)), true);
  v.setBigInt64(88, BigInt(Math.floor(e.timestampUs % 1e6) * 1000), true);
  return out;
}

export function decodeEvent(b: Uint8Array): V4l2Event {
  const v = new DataView(b.buffer, b.byteOffset, V4L2_EVENT_SIZE);
  return { type: v.getUint32(0, true), u32: v.getUint32(8, true), sequence: v.getUint32(76, true), timestampUs: Number(v.getBigInt64(80, true)) * 1e6 + Number(v.getBigInt64(88, true)) / 1000 };
}

export function encodeSubscription(type: number, id = 0): Uint8Array {
  const out = new Uint8Array(V4L2_EVENT_SUB_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, id, true);
  return out;
}

export function encodeU32(x: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, x >>> 0, true);
  return out;
}
