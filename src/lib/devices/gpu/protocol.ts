// The wire format of the GPU device's queues, VIRTIO 1.4 §5.7.6.7–§5.7.6.10: every request and
// every response starts with the 24-byte struct virtio_gpu_ctrl_hdr, and the command type in
// it says what follows. Pure encoding and decoding; what a command means is the device's job
// (device.ts), so a driver, a test and a conformance vector can all build the same bytes.

// #region ctrl-types
// 2D commands (controlq)
export const VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100;
export const VIRTIO_GPU_CMD_RESOURCE_CREATE_2D = 0x0101;
export const VIRTIO_GPU_CMD_RESOURCE_UNREF = 0x0102;
export const VIRTIO_GPU_CMD_SET_SCANOUT = 0x0103;
export const VIRTIO_GPU_CMD_RESOURCE_FLUSH = 0x0104;
export const VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D = 0x0105;
export const VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING = 0x0106;
export const VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING = 0x0107;
export const VIRTIO_GPU_CMD_GET_CAPSET_INFO = 0x0108;
export const VIRTIO_GPU_CMD_GET_CAPSET = 0x0109;
export const VIRTIO_GPU_CMD_GET_EDID = 0x010a;
export const VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID = 0x010b;
export const VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB = 0x010c;
export const VIRTIO_GPU_CMD_SET_SCANOUT_BLOB = 0x010d;
// 3D commands (controlq, VIRTIO_GPU_F_VIRGL)
export const VIRTIO_GPU_CMD_CTX_CREATE = 0x0200;
export const VIRTIO_GPU_CMD_CTX_DESTROY = 0x0201;
export const VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE = 0x0202;
export const VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE = 0x0203;
export const VIRTIO_GPU_CMD_RESOURCE_CREATE_3D = 0x0204;
export const VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D = 0x0205;
export const VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D = 0x0206;
export const VIRTIO_GPU_CMD_SUBMIT_3D = 0x0207;
export const VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB = 0x0208;
export const VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB = 0x0209;
// cursor commands (cursorq)
export const VIRTIO_GPU_CMD_UPDATE_CURSOR = 0x0300;
export const VIRTIO_GPU_CMD_MOVE_CURSOR = 0x0301;
// success responses
export const VIRTIO_GPU_RESP_OK_NODATA = 0x1100;
export const VIRTIO_GPU_RESP_OK_DISPLAY_INFO = 0x1101;
export const VIRTIO_GPU_RESP_OK_CAPSET_INFO = 0x1102;
export const VIRTIO_GPU_RESP_OK_CAPSET = 0x1103;
export const VIRTIO_GPU_RESP_OK_EDID = 0x1104;
export const VIRTIO_GPU_RESP_OK_RESOURCE_UUID = 0x1105;
export const VIRTIO_GPU_RESP_OK_MAP_INFO = 0x1106;
// error responses
export const VIRTIO_GPU_RESP_ERR_UNSPEC = 0x1200;
export const VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY = 0x1201;
export const VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID = 0x1202;
export const VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID = 0x1203;
export const VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID = 0x1204;
export const VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER = 0x1205;
// #endregion ctrl-types

// #region ctrl-hdr
export const VIRTIO_GPU_FLAG_FENCE = 1 << 0;
export const VIRTIO_GPU_FLAG_INFO_RING_IDX = 1 << 1;

/**
 * struct virtio_gpu_ctrl_hdr, little-endian:
 *   0 le32 type   4 le32 flags   8 le64 fence_id   16 le32 ctx_id   20 u8 ring_idx   21 u8 padding[3]
 */
export const GPU_CTRL_HDR_SIZE = 24;

export interface GpuCtrlHdr {
  readonly type: number;
  readonly flags: number;
  readonly fenceId: bigint;
  readonly ctxId: number;
  readonly ringIdx: number;
}
// #endregion ctrl-hdr

export const VIRTIO_GPU_MAX_SCANOUTS = 16;
/** The cursor image is a resource of exactly this size in each direction (§5.7.6.6). */
export const VIRTIO_GPU_CURSOR_SIZE = 64;
export const VIRTIO_GPU_EDID_MAX = 1024;

// #region formats
export const VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM = 1;
export const VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM = 2;
export const VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM = 3;
export const VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM = 4;
export const VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM = 67;
export const VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM = 68;
export const VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM = 121;
export const VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM = 134;

/**
 * Byte order in memory of each format (the names list components from the lowest byte up),
 * as indices of red, green and blue, and of alpha where the format has it (-1 where not).
 */
export const GPU_FORMATS: ReadonlyMap<number, { readonly name: string; readonly r: number; readonly g: number; readonly b: number; readonly a: number }> = new Map([
  [VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, { name: 'B8G8R8A8_UNORM', b: 0, g: 1, r: 2, a: 3 }],
  [VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, { name: 'B8G8R8X8_UNORM', b: 0, g: 1, r: 2, a: -1 }],
  [VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM, { name: 'A8R8G8B8_UNORM', a: 0, r: 1, g: 2, b: 3 }],
  [VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM, { name: 'X8R8G8B8_UNORM', a: -1, r: 1, g: 2, b: 3 }],
  [VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM, { name: 'R8G8B8A8_UNORM', r: 0, g: 1, b: 2, a: 3 }],
  [VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM, { name: 'X8B8G8R8_UNORM', a: -1, b: 1, g: 2, r: 3 }],
  [VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM, { name: 'A8B8G8R8_UNORM', a: 0, b: 1, g: 2, r: 3 }],
  [VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM, { name: 'R8G8B8X8_UNORM', r: 0, g: 1, b: 2, a: -1 }],
]);
/** Every 2D format is four bytes a pixel. */
export const GPU_BYTES_PER_PIXEL = 4;
// #endregion formats

// #region capsets
export const VIRTIO_GPU_CAPSET_VIRGL = 1;
export const VIRTIO_GPU_CAPSET_VIRGL2 = 2;
export const VIRTIO_GPU_CAPSET_GFXSTREAM = 3;
export const VIRTIO_GPU_CAPSET_VENUS = 4;
export const VIRTIO_GPU_CAPSET_CROSS_DOMAIN = 5;
export const VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK = 0xff;
// #endregion capsets

// #region struct-sizes
/** Request sizes, header included; ATTACH_BACKING is followed by nr_entries 16-byte entries. */
export const GPU_REQ_SIZE: ReadonlyMap<number, number> = new Map([
  [VIRTIO_GPU_CMD_GET_DISPLAY_INFO, 24],
  [VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, 40], //      resource_id, format, width, height
  [VIRTIO_GPU_CMD_RESOURCE_UNREF, 32], //          resource_id, padding
  [VIRTIO_GPU_CMD_SET_SCANOUT, 48], //             rect, scanout_id, resource_id
  [VIRTIO_GPU_CMD_RESOURCE_FLUSH, 48], //          rect, resource_id, padding
  [VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, 56], //     rect, le64 offset, resource_id, padding
  [VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, 32], // resource_id, nr_entries (+ entries)
  [VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 32], // resource_id, padding
  [VIRTIO_GPU_CMD_GET_CAPSET_INFO, 32], //         capset_index, padding
  [VIRTIO_GPU_CMD_GET_CAPSET, 32], //              capset_id, capset_version
  [VIRTIO_GPU_CMD_GET_EDID, 32], //                scanout, padding
  [VIRTIO_GPU_CMD_CTX_CREATE, 96], //              nlen, context_init, debug_name[64]
  [VIRTIO_GPU_CMD_CTX_DESTROY, 24],
  [VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 32], //     resource_id, padding
  [VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, 32],
  [VIRTIO_GPU_CMD_SUBMIT_3D, 32], //               size, padding (+ size bytes of commands)
  [VIRTIO_GPU_CMD_UPDATE_CURSOR, 56], //           cursor_pos (16), resource_id, hot_x, hot_y, padding
  [VIRTIO_GPU_CMD_MOVE_CURSOR, 56],
]);
export const GPU_MEM_ENTRY_SIZE = 16; // le64 addr, le32 length, le32 padding
export const GPU_DISPLAY_ONE_SIZE = 24; // rect (16), le32 enabled, le32 flags
export const GPU_RESP_DISPLAY_INFO_SIZE = GPU_CTRL_HDR_SIZE + VIRTIO_GPU_MAX_SCANOUTS * GPU_DISPLAY_ONE_SIZE; // 408
export const GPU_RESP_EDID_SIZE = GPU_CTRL_HDR_SIZE + 8 + VIRTIO_GPU_EDID_MAX; // 1056
export const GPU_RESP_CAPSET_INFO_SIZE = GPU_CTRL_HDR_SIZE + 16; // 40
// #endregion struct-sizes

export interface GpuRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export function decodeHdr(b: Uint8Array): GpuCtrlHdr {
  const v = new DataView(b.buffer, b.byteOffset, GPU_CTRL_HDR_SIZE);
  return { type: v.getUint32(0, true), flags: v.getUint32(4, true), fenceId: v.getBigUint64(8, true), ctxId: v.getUint32(16, true), ringIdx: v.getUint8(20) };
}

export function encodeHdr(h: Partial<GpuCtrlHdr> & { type: number }): Uint8Array {
  const out = new Uint8Array(GPU_CTRL_HDR_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, h.type >>> 0, true);
  v.setUint32(4, (h.flags ?? 0) >>> 0, true);
  v.setBigUint64(8, BigInt.asUintN(64, h.fenceId ?? 0n), true);
  v.setUint32(16, (h.ctxId ?? 0) >>> 0, true);
  v.setUint8(20, (h.ringIdx ?? 0) & 0xff);
  return out;
}

/** Little-endian fields after the header, as a request or response body. */
export class Fields {
  readonly bytes: Uint8Array;
  private readonly v: DataView;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  static alloc(n: number): Fields {
    return new Fields(new Uint8Array(n));
  }
  u32(off: number): number {
    return this.v.getUint32(off, true);
  }
  u64(off: number): bigint {
    return this.v.getBigUint64(off, true);
  }
  rect(off: number): GpuRect {
    return { x: this.u32(off), y: this.u32(off + 4), width: this.u32(off + 8), height: this.u32(off + 12) };
  }
  setU32(off: number, x: number): this {
    this.v.setUint32(off, x >>> 0, true);
    return this;
  }
  setU64(off: number, x: bigint): this {
    this.v.setBigUint64(off, BigInt.asUintN(64, x), true);
    return this;
  }
  setRect(off: number, r: GpuRect): this {
    return this.setU32(off, r.x).setU32(off + 4, r.y).setU32(off + 8, r.width).setU32(off + 12, r.height);
  }
}

/** A request: the header for `type`, then little-endian u32 fields (a rect is four of them). */
export function gpuRequest(type: number, fields: readonly (number | bigint)[] = [], hdr: Partial<GpuCtrlHdr> = {}): Uint8Array {
  const size = fields.reduce<number>((n, f) => n + (typeof f === 'bigint' ? 8 : 4), GPU_CTRL_HDR_SIZE);
  const out = new Uint8Array(size);
  out.set(encodeHdr({ ...hdr, type }), 0);
  const f = new Fields(out);
  let at = GPU_CTRL_HDR_SIZE;
  for (const x of fields) {
    if (typeof x === 'bigint') {
      f.setU64(at, x);
      at += 8;
    } else {
      f.setU32(at, x);
      at += 4;
    }
  }
  return out;
}

const NAMES = new Map<number, string>([
  [VIRTIO_GPU_CMD_GET_DISPLAY_INFO, 'GET_DISPLAY_INFO'], [VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, 'RESOURCE_CREATE_2D'],
  [VIRTIO_GPU_CMD_RESOURCE_UNREF, 'RESOURCE_UNREF'], [VIRTIO_GPU_CMD_SET_SCANOUT, 'SET_SCANOUT'],
  [VIRTIO_GPU_CMD_RESOURCE_FLUSH, 'RESOURCE_FLUSH'], [VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, 'TRANSFER_TO_HOST_2D'],
  [VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, 'RESOURCE_ATTACH_BACKING'], [VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, 'RESOURCE_DETACH_BACKING'],
  [VIRTIO_GPU_CMD_GET_CAPSET_INFO, 'GET_CAPSET_INFO'], [VIRTIO_GPU_CMD_GET_CAPSET, 'GET_CAPSET'], [VIRTIO_GPU_CMD_GET_EDID, 'GET_EDID'],
  [VIRTIO_GPU_CMD_CTX_CREATE, 'CTX_CREATE'], [VIRTIO_GPU_CMD_CTX_DESTROY, 'CTX_DESTROY'], [VIRTIO_GPU_CMD_SUBMIT_3D, 'SUBMIT_3D'],
  [VIRTIO_GPU_CMD_UPDATE_CURSOR, 'UPDATE_CURSOR'], [VIRTIO_GPU_CMD_MOVE_CURSOR, 'MOVE_CURSOR'],
  [VIRTIO_GPU_RESP_OK_NODATA, 'OK_NODATA'], [VIRTIO_GPU_RESP_OK_DISPLAY_INFO, 'OK_DISPLAY_INFO'],
  [VIRTIO_GPU_RESP_OK_CAPSET_INFO, 'OK_CAPSET_INFO'], [VIRTIO_GPU_RESP_OK_CAPSET, 'OK_CAPSET'], [VIRTIO_GPU_RESP_OK_EDID, 'OK_EDID'],
  [VIRTIO_GPU_RESP_ERR_UNSPEC, 'ERR_UNSPEC'], [VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, 'ERR_OUT_OF_MEMORY'],
  [VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, 'ERR_INVALID_SCANOUT_ID'], [VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, 'ERR_INVALID_RESOURCE_ID'],
  [VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID, 'ERR_INVALID_CONTEXT_ID'], [VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 'ERR_INVALID_PARAMETER'],
]);

/** "VIRTIO_GPU_RESP_OK_NODATA", "VIRTIO_GPU_CMD_SET_SCANOUT", or the number in hex. */
export function gpuTypeName(t: number): string {
  const n = NAMES.get(t);
  if (!n) return `type 0x${t.toString(16).padStart(4, '0')}`;
  return `VIRTIO_GPU_${n.startsWith('OK') || n.startsWith('ERR') ? 'RESP' : 'CMD'}_${n}`;
}
