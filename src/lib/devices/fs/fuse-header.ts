// The two headers every virtio-fs message starts with (§5.11.6.1, struct virtio_fs_req): the
// driver's struct fuse_in_header in the device-readable part, the device's struct
// fuse_out_header at the start of the device-writable part. Layouts and opcode numbers are
// those of the Linux FUSE protocol, version 7.
import { type FuseEndian, FuseReader, FuseWriter } from './fuse-wire.ts';

// #region in-header
/** struct fuse_in_header: len u32, opcode u32, unique u64, nodeid u64, uid u32, gid u32, pid u32, total_extlen u16, padding u16. */
export const FUSE_IN_HEADER_SIZE = 40;

export interface FuseInHeader {
  /** The whole request in bytes, this header included. */
  readonly len: number;
  readonly opcode: number;
  /** The driver's request ID; the reply carries it back. 0 is reserved for notifications. */
  readonly unique: bigint;
  /** The inode the request is about (FUSE_ROOT_ID for the root); unused by some opcodes. */
  readonly nodeid: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  /** Length of request extensions after the opcode's arguments, in units of 8 bytes (7.38). */
  readonly totalExtlen: number;
}

export function decodeInHeader(bytes: Uint8Array, endian: FuseEndian): FuseInHeader {
  const r = new FuseReader(bytes, endian);
  return {
    len: r.u32(0), opcode: r.u32(4), unique: r.u64(8), nodeid: r.u64(16),
    uid: r.u32(24), gid: r.u32(28), pid: r.u32(32), totalExtlen: r.u16(36),
  };
}

export function encodeInHeader(h: Partial<FuseInHeader> & { len: number; opcode: number }, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_IN_HEADER_SIZE, endian)
    .u32(0, h.len).u32(4, h.opcode).u64(8, h.unique ?? 0n).u64(16, h.nodeid ?? 0n)
    .u32(24, h.uid ?? 0).u32(28, h.gid ?? 0).u32(32, h.pid ?? 0).u16(36, h.totalExtlen ?? 0).u16(38, 0).bytes;
}
// #endregion in-header

// #region out-header
/** struct fuse_out_header: len u32, error i32, unique u64. */
export const FUSE_OUT_HEADER_SIZE = 16;

export interface FuseOutHeader {
  /** The whole reply in bytes, this header included. */
  readonly len: number;
  /** 0, or a negated errno; for a notification (unique 0), the notify code. */
  readonly error: number;
  readonly unique: bigint;
}

export function encodeOutHeader(h: FuseOutHeader, endian: FuseEndian): Uint8Array {
  return new FuseWriter(FUSE_OUT_HEADER_SIZE, endian).u32(0, h.len).i32(4, h.error).u64(8, h.unique).bytes;
}

export function decodeOutHeader(bytes: Uint8Array, endian: FuseEndian): FuseOutHeader {
  const r = new FuseReader(bytes, endian);
  return { len: r.u32(0), error: r.i32(4), unique: r.u64(8) };
}
// #endregion out-header

// #region opcodes
export const FUSE_LOOKUP = 1;
export const FUSE_FORGET = 2; //        no reply
export const FUSE_GETATTR = 3;
export const FUSE_SETATTR = 4;
export const FUSE_OPEN = 14;
export const FUSE_READ = 15;
export const FUSE_WRITE = 16;
export const FUSE_STATFS = 17;
export const FUSE_RELEASE = 18;
export const FUSE_FLUSH = 25;
export const FUSE_INIT = 26;
export const FUSE_OPENDIR = 27;
export const FUSE_READDIR = 28;
export const FUSE_RELEASEDIR = 29;
export const FUSE_CREATE = 35;
export const FUSE_INTERRUPT = 36; //    hiprio queue
export const FUSE_DESTROY = 38;
export const FUSE_BATCH_FORGET = 42; // hiprio queue, no reply
export const FUSE_READDIRPLUS = 44;
export const FUSE_SETUPMAPPING = 48; // DAX window (§5.11.6.4)
export const FUSE_REMOVEMAPPING = 49;

/** The nodeid of the root of the exported tree. */
export const FUSE_ROOT_ID = 1n;
// #endregion opcodes

const NAMES: Record<number, string> = {
  [FUSE_LOOKUP]: 'LOOKUP', [FUSE_FORGET]: 'FORGET', [FUSE_GETATTR]: 'GETATTR', [FUSE_SETATTR]: 'SETATTR',
  [FUSE_OPEN]: 'OPEN', [FUSE_READ]: 'READ', [FUSE_WRITE]: 'WRITE', [FUSE_STATFS]: 'STATFS', [FUSE_RELEASE]: 'RELEASE',
  [FUSE_FLUSH]: 'FLUSH', [FUSE_INIT]: 'INIT', [FUSE_OPENDIR]: 'OPENDIR', [FUSE_READDIR]: 'READDIR',
  [FUSE_RELEASEDIR]: 'RELEASEDIR', [FUSE_CREATE]: 'CREATE', [FUSE_INTERRUPT]: 'INTERRUPT', [FUSE_DESTROY]: 'DESTROY',
  [FUSE_BATCH_FORGET]: 'BATCH_FORGET', [FUSE_READDIRPLUS]: 'READDIRPLUS', [FUSE_SETUPMAPPING]: 'SETUPMAPPING',
  [FUSE_REMOVEMAPPING]: 'REMOVEMAPPING',
};

/** `FUSE_LOOKUP` for 1, `opcode N` for one this file does not name. */
export function fuseOpcodeName(op: number): string {
  const n = NAMES[op];
  return n ? `FUSE_${n}` : `opcode ${op}`;
}

// #region detect-endian
/**
 * The byte order of a FUSE_INIT request, from its opcode field alone (§5.11.6.1): 26 read
 * little-endian means a little-endian driver, 26 read big-endian (0x1a000000 the other way
 * round) a big-endian one; null if the request is not FUSE_INIT in either order.
 */
export function initEndian(request: Uint8Array): FuseEndian | null {
  if (request.length < 8) return null;
  const v = new DataView(request.buffer, request.byteOffset, 8);
  if (v.getUint32(4, true) === FUSE_INIT) return 'little';
  if (v.getUint32(4, false) === FUSE_INIT) return 'big';
  return null;
}
// #endregion detect-endian
