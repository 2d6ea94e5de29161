// Host-side 2D resources (VIRTIO 1.4 §5.7.6): a resource is the host's copy of an image, with
// an ID the driver chose, a format and a size. The guest's pixels reach it only through
// TRANSFER_TO_HOST_2D, from the backing store the driver attached as a scatter list of guest
// memory entries. Every entry is checked against guest memory when it is attached, so a later
// transfer can never read outside the guest.
import type { GuestMemory } from '../../virtio/memory.ts';
import { GPU_BYTES_PER_PIXEL, GPU_FORMATS, type GpuRect } from './protocol.ts';

export interface GpuMemEntry {
  readonly addr: bigint;
  readonly length: number;
}

export interface Resource2D {
  readonly id: number;
  readonly format: number;
  readonly width: number;
  readonly height: number;
  /** The host copy, width × height pixels of 4 bytes in the resource's format. */
  readonly data: Uint8Array;
  backing: readonly GpuMemEntry[] | null;
}

/** A 32-bit colour 0xAARRGGBB, the compositor's pixel. */
export type Argb = number;

// #region rect-inside
/** Whether `r` is non-empty and lies entirely inside a width × height area (no wrap-around). */
export function rectInside(r: GpuRect, width: number, height: number): boolean {
  return r.width > 0 && r.height > 0 && r.x + r.width <= width && r.y + r.height <= height;
}
// #endregion rect-inside

export function resourceBytes(width: number, height: number): number {
  return width * height * GPU_BYTES_PER_PIXEL;
}

// #region backing-check
/** Why a scatter list cannot back a resource, or null: every entry non-empty and inside guest memory. */
export function checkBacking(mem: GuestMemory, entries: readonly GpuMemEntry[]): string | null {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.length === 0) return `entry ${i} is empty`;
    if (!mem.contains(e.addr, e.length)) return `entry ${i} [0x${e.addr.toString(16)}, +${e.length}) is outside guest memory`;
  }
  return null;
}
// #endregion backing-check

export function backingLength(entries: readonly GpuMemEntry[]): number {
  return entries.reduce((n, e) => n + e.length, 0);
}

/** Reads `len` bytes at `offset` of the backing store seen as one linear buffer. */
export function readBacking(mem: GuestMemory, entries: readonly GpuMemEntry[], offset: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let at = 0;
  let base = 0;
  for (const e of entries) {
    if (at >= len) break;
    const end = base + e.length;
    if (offset + at < end) {
      const from = offset + at - base;
      const n = Math.min(e.length - from, len - at);
      out.set(mem.read(e.addr + BigInt(from), n), at);
      at += n;
    }
    base = end;
  }
  return out;
}

// #region transfer-2d
/**
 * TRANSFER_TO_HOST_2D: row h of the rectangle comes from backing offset `offset + stride × h`
 * (stride = the resource's width in bytes) and lands at row r.y + h, column r.x. Returns null,
 * or why the transfer is refused, before anything is copied.
 */
export function transfer2d(mem: GuestMemory, res: Resource2D, r: GpuRect, offset: bigint): string | null {
  if (!res.backing) return 'no backing';
  if (!rectInside(r, res.width, res.height)) return 'rectangle outside the resource';
  const stride = res.width * GPU_BYTES_PER_PIXEL;
  const rowBytes = r.width * GPU_BYTES_PER_PIXEL;
  const last = offset + BigInt(stride) * BigInt(r.height - 1) + BigInt(rowBytes);
  if (last > BigInt(backingLength(res.backing))) return 'source beyond the backing store';
  const off = Number(offset);
  for (let h = 0; h < r.height; h++) {
    const row = readBacking(mem, res.backing, off + stride * h, rowBytes);
    res.data.set(row, (r.y + h) * stride + r.x * GPU_BYTES_PER_PIXEL);
  }
  return null;
}
// #endregion transfer-2d

/** The pixels of `r` of a resource as 0xAARRGGBB; formats without alpha read as opaque. */
export function readPixels(res: Resource2D, r: GpuRect): Uint32Array {
  const f = GPU_FORMATS.get(res.format)!;
  const out = new Uint32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const p = ((r.y + y) * res.width + r.x + x) * GPU_BYTES_PER_PIXEL;
      const d = res.data;
      const a = f.a < 0 ? 0xff : d[p + f.a];
      out[y * r.width + x] = ((a << 24) | (d[p + f.r] << 16) | (d[p + f.g] << 8) | d[p + f.b]) >>> 0;
    }
  }
  return out;
}

/** Packs 0xAARRGGBB pixels into a format's byte order: what a guest writes into its backing. */
export function packPixels(format: number, argb: ArrayLike<number>): Uint8Array {
  const f = GPU_FORMATS.get(format);
  if (!f) throw new RangeError(`unknown format ${format}`);
  const out = new Uint8Array(argb.length * GPU_BYTES_PER_PIXEL);
  for (let i = 0; i < argb.length; i++) {
    const c = argb[i] >>> 0;
    const p = i * GPU_BYTES_PER_PIXEL;
    out[p + f.r] = (c >>> 16) & 0xff;
    out[p + f.g] = (c >>> 8) & 0xff;
    out[p + f.b] = c & 0xff;
    out[p + (f.a < 0 ? 6 - f.r - f.g - f.b : f.a)] = f.a < 0 ? 0xff : (c >>> 24) & 0xff;
  }
  return out;
}
