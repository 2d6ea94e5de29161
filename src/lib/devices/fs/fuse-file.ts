// The arguments and replies of the file and handle requests: OPEN/OPENDIR, READ/READDIR,
// WRITE, RELEASE/RELEASEDIR, and the forget and interrupt messages of the hiprio queue.
import { type FuseEndian, FuseReader, FuseWriter } from './fuse-wire.ts';

// #region open-flags
/** open(2) flags as Linux numbers them (the generic values, also on Arm64). */
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
// #endregion open-flags

// #region open
/** struct fuse_open_in, 8 bytes: flags u32 (open(2) flags), open_flags u32 (FUSE_OPEN_*). */
export const FUSE_OPEN_IN_SIZE = 8;
/** struct fuse_open_out, 16 bytes: fh u64, open_flags u32 (FOPEN_*), backing_id i32. */
export const FUSE_OPEN_OUT_SIZE = 16;
/** FOPEN_KEEP_CACHE: the driver may keep cached pages across opens. */
export const FOPEN_KEEP_CACHE = 1 << 1;

export interface FuseOpenIn {
  readonly flags: number;
  readonly openFlags: number;
}

export interface FuseOpenOut {
  readonly fh: bigint;
  readonly openFlags: number;
}

export function decodeOpenIn(body: Uint8Array, endian: FuseEndian): FuseOpenIn {
  const r = new FuseReader(body, endian);
  return { flags: r.u32(0), openFlags: r.u32(4) };
}

export function encodeOpenIn(o: FuseOpenIn, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_OPEN_IN_SIZE, endian).u32(0, o.flags).u32(4, o.openFlags).bytes;
}

export function encodeOpenOut(o: FuseOpenOut, endian: FuseEndian): Uint8Array {
  return new FuseWriter(FUSE_OPEN_OUT_SIZE, endian).u64(0, o.fh).u32(8, o.openFlags).i32(12, 0).bytes;
}

export function decodeOpenOut(bytes: Uint8Array, endian: FuseEndian): FuseOpenOut {
  const r = new FuseReader(bytes, endian);
  return { fh: r.u64(0), openFlags: r.u32(8) };
}
// #endregion open

// #region read-write
/**
 * struct fuse_read_in (READ and READDIR) and struct fuse_write_in share one 40-byte layout:
 * fh u64, offset u64, size u32, read_flags/write_flags u32, lock_owner u64, flags u32, padding u32.
 * A WRITE's data follows its fuse_write_in.
 */
export const FUSE_READ_IN_SIZE = 40;
export const FUSE_WRITE_IN_SIZE = 40;
/** struct fuse_write_out, 8 bytes: size u32 (bytes written), padding u32. */
export const FUSE_WRITE_OUT_SIZE = 8;

export interface FuseIoIn {
  readonly fh: bigint;
  readonly offset: bigint;
  readonly size: number;
  /** read_flags or write_flags. */
  readonly ioFlags: number;
  readonly lockOwner: bigint;
  /** The open(2) flags of the handle, as the driver remembers them. */
  readonly flags: number;
}

export function decodeIoIn(body: Uint8Array, endian: FuseEndian): FuseIoIn {
  const r = new FuseReader(body, endian);
  return { fh: r.u64(0), offset: r.u64(8), size: r.u32(16), ioFlags: r.u32(20), lockOwner: r.u64(24), flags: r.u32(32) };
}

export function encodeIoIn(i: Partial<FuseIoIn> & { fh: bigint; size: number }, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_READ_IN_SIZE, endian)
    .u64(0, i.fh).u64(8, i.offset ?? 0n).u32(16, i.size).u32(20, i.ioFlags ?? 0).u64(24, i.lockOwner ?? 0n).u32(32, i.flags ?? 0).u32(36, 0).bytes;
}

export function encodeWriteOut(size: number, endian: FuseEndian): Uint8Array {
  return new FuseWriter(FUSE_WRITE_OUT_SIZE, endian).u32(0, size).u32(4, 0).bytes;
}

export function decodeWriteOut(bytes: Uint8Array, endian: FuseEndian): number {
  return new FuseReader(bytes, endian).u32(0);
}
// #endregion read-write

// #region release
/** struct fuse_release_in (RELEASE and RELEASEDIR), 24 bytes: fh u64, flags u32, release_flags u32, lock_owner u64. */
export const FUSE_RELEASE_IN_SIZE = 24;

export interface FuseReleaseIn {
  readonly fh: bigint;
  readonly flags: number;
  readonly releaseFlags: number;
  readonly lockOwner: bigint;
}

export function decodeReleaseIn(body: Uint8Array, endian: FuseEndian): FuseReleaseIn {
  const r = new FuseReader(body, endian);
  return { fh: r.u64(0), flags: r.u32(8), releaseFlags: r.u32(12), lockOwner: r.u64(16) };
}

export function encodeReleaseIn(i: Partial<FuseReleaseIn> & { fh: bigint }, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_RELEASE_IN_SIZE, endian).u64(0, i.fh).u32(8, i.flags ?? 0).u32(12, i.releaseFlags ?? 0).u64(16, i.lockOwner ?? 0n).bytes;
}
// #endregion release

// #region forget
/** struct fuse_forget_in, 8 bytes: nlookup u64; the nodeid is the header's. */
export const FUSE_FORGET_IN_SIZE = 8;
/** struct fuse_batch_forget_in, 8 bytes: count u32, dummy u32; then `count` struct fuse_forget_one. */
export const FUSE_BATCH_FORGET_IN_SIZE = 8;
/** struct fuse_forget_one, 16 bytes: nodeid u64, nlookup u64. */
export const FUSE_FORGET_ONE_SIZE = 16;
/** struct fuse_interrupt_in, 8 bytes: unique u64 of the request to interrupt. */
export const FUSE_INTERRUPT_IN_SIZE = 8;

export interface FuseForgetOne {
  readonly nodeid: bigint;
  readonly nlookup: bigint;
}

export function decodeForgetIn(body: Uint8Array, endian: FuseEndian): bigint {
  return new FuseReader(body, endian).u64(0);
}

export function encodeForgetIn(nlookup: bigint, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_FORGET_IN_SIZE, endian).u64(0, nlookup).bytes;
}

/** The entries of a BATCH_FORGET body, or null if it is shorter than its count says. */
export function decodeBatchForget(body: Uint8Array, endian: FuseEndian): FuseForgetOne[] | null {
  const r = new FuseReader(body, endian);
  const count = r.u32(0);
  if (body.length < FUSE_BATCH_FORGET_IN_SIZE + count * FUSE_FORGET_ONE_SIZE) return null;
  const out: FuseForgetOne[] = [];
  for (let i = 0, at = FUSE_BATCH_FORGET_IN_SIZE; i < count; i++, at += FUSE_FORGET_ONE_SIZE) {
    out.push({ nodeid: r.u64(at), nlookup: r.u64(at + 8) });
  }
  return out;
}

export function encodeBatchForget(items: readonly FuseForgetOne[], endian: FuseEndian = 'little'): Uint8Array {
  const w = new FuseWriter(FUSE_BATCH_FORGET_IN_SIZE + items.length * FUSE_FORGET_ONE_SIZE, endian).u32(0, items.length).u32(4, 0);
  items.forEach((f, i) => w.u64(8 + i * 16, f.nodeid).u64(16 + i * 16, f.nlookup));
  return w.bytes;
}
// #endregion forget
