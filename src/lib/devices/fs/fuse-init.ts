// FUSE_INIT, which opens a FUSE session (§5.11.5): the driver offers its protocol version and
// capability flags, the device answers with the version both will speak and the flags it
// accepts. struct fuse_init_in is 64 bytes since protocol 7.36 (16 before); struct
// fuse_init_out is 64 bytes, and shorter for drivers older than 7.23.
import { type FuseEndian, FuseReader, FuseWriter } from './fuse-wire.ts';

// #region init-version
export const FUSE_KERNEL_VERSION = 7;
/** The newest minor version the model speaks: 7.38 brought total_extlen, which it honours. */
export const FUSE_MODEL_MINOR = 38;
/** The oldest minor version the AVP accepts: 7.31 brought DAX mappings, i.e. virtio-fs. */
export const FUSE_MIN_MINOR = 31;
// #endregion init-version

// #region init-flags
export const FUSE_ASYNC_READ = 1 << 0;
export const FUSE_POSIX_LOCKS = 1 << 1;
export const FUSE_ATOMIC_O_TRUNC = 1 << 3;
export const FUSE_EXPORT_SUPPORT = 1 << 4;
export const FUSE_BIG_WRITES = 1 << 5;
export const FUSE_DO_READDIRPLUS = 1 << 13;
export const FUSE_WRITEBACK_CACHE = 1 << 16;
export const FUSE_MAX_PAGES = 1 << 22;
export const FUSE_MAP_ALIGNMENT = 1 << 26; // a DAX window exists; map_alignment is valid
export const FUSE_INIT_EXT = 1 << 30; //      flags2 is valid
/** What the model accepts when the driver offers it; everything else is answered 0. */
export const FUSE_MODEL_INIT_FLAGS = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_MAX_PAGES;
// #endregion init-flags

export const FUSE_INIT_IN_SIZE = 64;
/** The part of fuse_init_in every protocol 7 driver sends: major, minor, max_readahead, flags. */
export const FUSE_INIT_IN_MIN_SIZE = 16;
export const FUSE_INIT_OUT_SIZE = 64;
export const FUSE_COMPAT_INIT_OUT_SIZE = 8; //    minor < 5
export const FUSE_COMPAT_22_INIT_OUT_SIZE = 24; // minor < 23

export interface FuseInitIn {
  readonly major: number;
  readonly minor: number;
  readonly maxReadahead: number;
  readonly flags: number;
  /** Flags 32..63, present when `flags` has FUSE_INIT_EXT; 0 otherwise. */
  readonly flags2: number;
}

export function decodeInitIn(body: Uint8Array, endian: FuseEndian): FuseInitIn {
  const r = new FuseReader(body, endian);
  const flags = r.u32(12);
  const flags2 = body.length >= 20 && (flags & FUSE_INIT_EXT) !== 0 ? r.u32(16) : 0;
  return { major: r.u32(0), minor: r.u32(4), maxReadahead: r.u32(8), flags, flags2 };
}

export function encodeInitIn(i: FuseInitIn, endian: FuseEndian = 'little'): Uint8Array {
  return new FuseWriter(FUSE_INIT_IN_SIZE, endian).u32(0, i.major).u32(4, i.minor).u32(8, i.maxReadahead).u32(12, i.flags).u32(16, i.flags2).bytes;
}

// #region init-out
export interface FuseInitOut {
  readonly major: number;
  readonly minor: number;
  readonly maxReadahead: number;
  readonly flags: number;
  readonly maxBackground: number;
  readonly congestionThreshold: number;
  /** The largest FUSE_WRITE payload the device accepts. */
  readonly maxWrite: number;
  /** Timestamp granularity in nanoseconds. */
  readonly timeGran: number;
  readonly maxPages: number;
  /** log2 of the DAX mapping alignment; 0 without a DAX window. */
  readonly mapAlignment: number;
  readonly flags2: number;
}

/** The reply length a driver of this minor version expects. */
export function initOutSize(minor: number): number {
  if (minor < 5) return FUSE_COMPAT_INIT_OUT_SIZE;
  if (minor < 23) return FUSE_COMPAT_22_INIT_OUT_SIZE;
  return FUSE_INIT_OUT_SIZE;
}

export function encodeInitOut(o: FuseInitOut, endian: FuseEndian, size = FUSE_INIT_OUT_SIZE): Uint8Array {
  const w = new FuseWriter(FUSE_INIT_OUT_SIZE, endian)
    .u32(0, o.major).u32(4, o.minor).u32(8, o.maxReadahead).u32(12, o.flags)
    .u16(16, o.maxBackground).u16(18, o.congestionThreshold).u32(20, o.maxWrite).u32(24, o.timeGran)
    .u16(28, o.maxPages).u16(30, o.mapAlignment).u32(32, o.flags2); // max_stack_depth and the rest stay 0
  return w.bytes.slice(0, size);
}

export function decodeInitOut(bytes: Uint8Array, endian: FuseEndian): FuseInitOut {
  const full = new Uint8Array(FUSE_INIT_OUT_SIZE);
  full.set(bytes.subarray(0, FUSE_INIT_OUT_SIZE));
  const r = new FuseReader(full, endian);
  return {
    major: r.u32(0), minor: r.u32(4), maxReadahead: r.u32(8), flags: r.u32(12), maxBackground: r.u16(16),
    congestionThreshold: r.u16(18), maxWrite: r.u32(20), timeGran: r.u32(24), maxPages: r.u16(28),
    mapAlignment: r.u16(30), flags2: r.u32(32),
  };
}
// #endregion init-out
