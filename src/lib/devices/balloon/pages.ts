// The pages in the balloon, and the checks an inflate or deflate request passes before the
// device takes any of its pages (VIRTIO 1.4 §5.5.6). The device keeps its own set: `actual`,
// which the driver writes, is what the driver says, not what the device accepted.
import type { BalloonErrorCode } from './errors.ts';
import { BALLOON_PFN_SIZE } from './protocol.ts';

/** A run of 4 KiB pages by page frame number. */
export interface PageRange {
  readonly first: number;
  readonly count: number;
}

// #region parse-pfns
/**
 * The page frame numbers of a request's device-readable bytes, or why there are none: an empty
 * request, or one that is not a whole number of le32 entries, is refused whole rather than read
 * up to its last complete entry.
 */
export function parsePfns(bytes: Uint8Array): number[] | 'BAD_LENGTH' {
  if (bytes.length === 0 || bytes.length % BALLOON_PFN_SIZE !== 0) return 'BAD_LENGTH';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / BALLOON_PFN_SIZE);
  for (let i = 0; i < out.length; i++) out[i] = v.getUint32(i * BALLOON_PFN_SIZE, true);
  return out;
}
// #endregion parse-pfns

export class BalloonPages {
  /** Whether a page frame number is guest memory the balloon covers. */
  private readonly inRange: (pfn: number) => boolean;
  private readonly protectedRanges: readonly PageRange[];
  private readonly pages = new Set<number>();

  constructor(inRange: (pfn: number) => boolean, protectedRanges: readonly PageRange[] = []) {
    this.inRange = inRange;
    this.protectedRanges = protectedRanges;
  }

  get size(): number {
    return this.pages.size;
  }

  has(pfn: number): boolean {
    return this.pages.has(pfn);
  }

  isProtected(pfn: number): boolean {
    return this.protectedRanges.some((r) => pfn >= r.first && pfn < r.first + r.count);
  }

  // #region check-pages
  /**
   * Why the device cannot take every page of a request, or null. The checks run page by page in
   * the request's order, each page through all of them, and the first failure names the request:
   * the device then takes none of its pages.
   */
  check(op: 'inflate' | 'deflate', pfns: readonly number[]): BalloonErrorCode | null {
    const seen = new Set<number>();
    for (const pfn of pfns) {
      if (!this.inRange(pfn)) return 'PFN_OUT_OF_RANGE';
      if (this.isProtected(pfn)) return 'PFN_PROTECTED';
      if (seen.has(pfn)) return 'PFN_REPEATED';
      seen.add(pfn);
      if (op === 'inflate' && this.pages.has(pfn)) return 'PFN_ALREADY_INFLATED';
      if (op === 'deflate' && !this.pages.has(pfn)) return 'PFN_NOT_INFLATED';
    }
    return null;
  }
  // #endregion check-pages

  /** Why a page the driver reports as free is not its to report, or null. */
  checkReported(pfn: number): BalloonErrorCode | null {
    if (!this.inRange(pfn)) return 'PFN_OUT_OF_RANGE';
    if (this.isProtected(pfn)) return 'PFN_PROTECTED';
    if (this.pages.has(pfn)) return 'REPORT_IN_BALLOON';
    return null;
  }

  add(pfns: readonly number[]): void {
    for (const p of pfns) this.pages.add(p);
  }

  remove(pfns: readonly number[]): void {
    for (const p of pfns) this.pages.delete(p);
  }

  /** Empties the balloon; returns how many pages were in it. */
  clear(): number {
    const n = this.pages.size;
    this.pages.clear();
    return n;
  }
}
