// File attributes as FUSE carries them: struct fuse_attr inside the replies to LOOKUP
// (struct fuse_entry_out) and GETATTR (struct fuse_attr_out), and GETATTR's own argument.
import { type FuseEndian, FuseReader, FuseWriter } from './fuse-wire.ts';

// #region mode-bits
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
/** Any of the three write permission bits (owner, group, others). */
export const S_IWANY = 0o222;
// #endregion mode-bits

// #region fuse-attr
/**
 * struct fuse_attr, 88 bytes: ino, size, blocks, atime, mtime, ctime (u64 each), then
 * atimensec, mtimensec, ctimensec, mode, nlink, uid, gid, rdev, blksize, flags (u32 each).
 */
export const FUSE_ATTR_SIZE = 88;

export interface FuseAttr {
  readonly ino: number;
  readonly size: number;
  /** 512-byte blocks allocated. */
  readonly blocks: number;
  readonly atime: number;
  readonly mtime: number;
  readonly ctime: number;
  readonly atimensec: number;
  readonly mtimensec: number;
  readonly ctimensec: number;
  /** File type and permissions (S_IFDIR | 0755 ...). */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly blksize: number;
  readonly flags: number;
}

export function writeAttr(w: FuseWriter, at: number, a: FuseAttr): void {
  w.u64(at, a.ino).u64(at + 8, a.size).u64(at + 16, a.blocks).u64(at + 24, a.atime).u64(at + 32, a.mtime).u64(at + 40, a.ctime)
    .u32(at + 48, a.atimensec).u32(at + 52, a.mtimensec).u32(at + 56, a.ctimensec).u32(at + 60, a.mode).u32(at + 64, a.nlink)
    .u32(at + 68, a.uid).u32(at + 72, a.gid).u32(at + 76, a.rdev).u32(at + 80, a.blksize).u32(at + 84, a.flags);
}

export function readAttr(r: FuseReader, at: number): FuseAttr {
  return {
    ino: Number(r.u64(at)), size: Number(r.u64(at + 8)), blocks: Number(r.u64(at + 16)),
    atime: Number(r.u64(at + 24)), mtime: Number(r.u64(at + 32)), ctime: Number(r.u64(at + 40)),
    atimensec: r.u32(at + 48), mtimensec: r.u32(at + 52), ctimensec: r.u32(at + 56), mode: r.u32(at + 60),
    nlink: r.u32(at + 64), uid: r.u32(at + 68), gid: r.u32(at + 72), rdev: r.u32(at + 76), blksize: r.u32(at + 80),
    flags: r.u32(at + 84),
  };
}
// #endregion fuse-attr

// #region entry-out
/**
 * struct fuse_entry_out, 128 bytes: nodeid, generation, entry_valid, attr_valid (u64),
 * entry_valid_nsec, attr_valid_nsec (u32), then a struct fuse_attr.
 */
export const FUSE_ENTRY_OUT_SIZE = 128;

export interface FuseEntryOut {
  readonly nodeid: bigint;
  /** nodeid and generation together never name two different files in one session. */
  readonly generation: bigint;
  /** How long the driver may cache the name, and the attributes: seconds + nanoseconds. */
  readonly entryValid: number;
  readonly attrValid: number;
  readonly entryValidNsec: number;
  readonly attrValidNsec: number;
  readonly attr: FuseAttr;
}

export function encodeEntryOut(e: FuseEntryOut, endian: FuseEndian): Uint8Array {
  const w = new FuseWriter(FUSE_ENTRY_OUT_SIZE, endian)
    .u64(0, e.nodeid).u64(8, e.generation).u64(16, e.entryValid).u64(24, e.attrValid).u32(32, e.entryValidNsec).u32(36, e.attrValidNsec);
  writeAttr(w, 40, e.attr);
  return w.bytes;
}

export function decodeEntryOut(bytes: Uint8Array, endian: FuseEndian): FuseEntryOut {
  const r = new FuseReader(bytes, endian);
  return {
    nodeid: r.u64(0), generation: r.u64(8), entryValid: Number(r.u64(16)), attrValid: Number(r.u64(24)),
    entryValidNsec: r.u32(32), attrValidNsec: r.u32(36), attr: readAttr(r, 40),
  };
}
// #endregion entry-out

// #region attr-out
/** struct fuse_attr_out, 104 bytes: attr_valid u64, attr_valid_nsec u32, dummy u32, struct fuse_attr. */
export const FUSE_ATTR_OUT_SIZE = 104;

export interface FuseAttrOut {
  readonly attrValid: number;
  readonly attrValidNsec: number;
  readonly attr: FuseAttr;
}

export function encodeAttrOut(a: FuseAttrOut, endian: FuseEndian): Uint8Array {
  const w = new FuseWriter(FUSE_ATTR_OUT_SIZE, endian).u64(0, a.attrValid).u32(8, a.attrValidNsec).u32(12, 0);
  writeAttr(w, 16, a.attr);
  return w.bytes;
}

export function decodeAttrOut(bytes: Uint8Array, endian: FuseEndian): FuseAttrOut {
  const r = new FuseReader(bytes, endian);
  return { attrValid: Number(r.u64(0)), attrValidNsec: r.u32(8), attr: readAttr(r, 16) };
}

/** struct fuse_getattr_in, 16 bytes: getattr_flags u32, dummy u32, fh u64. */
export const FUSE_GETATTR_IN_SIZE = 16;
/** getattr_flags: `fh` names an open file whose attributes are wanted. */
export const FUSE_GETATTR_FH = 1 << 0;

export interface FuseGetattrIn {
  readonly getattrFlags: number;
  readonly fh: bigint;
}

export function decodeGetattrIn(body: Uint8Array, endian: FuseEndian): FuseGetattrIn {
  const r = new FuseReader(body, endian);
  return { getattrFlags: r.u32(0), fh: r.u64(8) };
}

export function encodeGetattrIn(g: FuseGetattrIn, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_GETATTR_IN_SIZE, endian).u32(0, g.getattrFlags).u32(4, 0).u64(8, g.fh).bytes;
}
// #endregion attr-out
