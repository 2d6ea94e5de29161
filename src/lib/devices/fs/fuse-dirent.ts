// Directory listings and notifications. A READDIR reply is a run of struct fuse_dirent
// records, each padded to a multiple of 8 bytes; a notification is a fuse_out_header with
// unique 0 and the notify code in `error`, followed by the code's struct (§5.11.6.3).
import { type FuseEndian, FuseReader, FuseWriter } from './fuse-wire.ts';

// #region dirent
/** struct fuse_dirent: ino u64, off u64, namelen u32, type u32, then the name (no NUL). */
export const FUSE_NAME_OFFSET = 24;
/** d_type values: (mode & S_IFMT) >> 12. */
export const DT_DIR = 4;
export const DT_REG = 8;

export interface FuseDirent {
  readonly ino: number;
  /** The offset to pass to the next READDIR to continue after this entry. */
  readonly off: number;
  readonly type: number;
  readonly name: string;
}

/** Rounds up to the 8-byte alignment every record keeps (FUSE_DIRENT_ALIGN). */
export function direntAlign(n: number): number {
  return (n + 7) & ~7;
}

/** The bytes one record takes, padding included. */
export function direntSize(nameBytes: number): number {
  return direntAlign(FUSE_NAME_OFFSET + nameBytes);
}

export function encodeDirent(d: FuseDirent, endian: FuseEndian): Uint8Array {
  const name = new TextEncoder().encode(d.name);
  return new FuseWriter(direntSize(name.length), endian) // padding bytes stay 0
    .u64(0, d.ino).u64(8, d.off).u32(16, name.length).u32(20, d.type).set(FUSE_NAME_OFFSET, name).bytes;
}

/** The records of a READDIR reply; a truncated last record ends the list. */
export function decodeDirents(bytes: Uint8Array, endian: FuseEndian): FuseDirent[] {
  const r = new FuseReader(bytes, endian);
  const out: FuseDirent[] = [];
  for (let at = 0; at + FUSE_NAME_OFFSET <= bytes.length;) {
    const namelen = r.u32(at + 16);
    if (at + FUSE_NAME_OFFSET + namelen > bytes.length) break;
    const name = new TextDecoder().decode(bytes.subarray(at + FUSE_NAME_OFFSET, at + FUSE_NAME_OFFSET + namelen));
    out.push({ ino: Number(r.u64(at)), off: Number(r.u64(at + 8)), type: r.u32(at + 20), name });
    at += direntSize(namelen);
  }
  return out;
}
// #endregion dirent

// #region notify
export const FUSE_NOTIFY_INVAL_INODE = 2;
/** struct fuse_notify_inval_inode_out, 24 bytes: ino u64, off i64, len i64 (len < 0: to the end). */
export const FUSE_NOTIFY_INVAL_INODE_SIZE = 24;

export interface FuseNotifyInvalInode {
  /** The nodeid whose cached data and attributes are stale. */
  readonly ino: bigint;
  readonly off: bigint;
  readonly len: bigint;
}

export function encodeNotifyInvalInode(n: FuseNotifyInvalInode, endian: FuseEndian): Uint8Array {
  return new FuseWriter(FUSE_NOTIFY_INVAL_INODE_SIZE, endian).u64(0, n.ino).i64(8, n.off).i64(16, n.len).bytes;
}

export function decodeNotifyInvalInode(bytes: Uint8Array, endian: FuseEndian): FuseNotifyInvalInode {
  const r = new FuseReader(bytes, endian);
  return { ino: r.u64(0), off: r.i64(8), len: r.i64(16) };
}
// #endregion notify
