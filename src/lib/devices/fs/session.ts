// The state of one FUSE session (§5.11.5): it starts with a successful FUSE_INIT, is shared by
// every request queue, and ends with the next FUSE_INIT or a device reset. It holds what the
// driver negotiated, how many times each nodeid was looked up, and the open file handles.
import { FUSE_ROOT_ID } from './fuse-header.ts';
import type { FuseEndian } from './fuse-wire.ts';
import type { MemDir, MemFile, MemNode } from './memfs.ts';

export interface FsNegotiated {
  readonly endian: FuseEndian;
  readonly minor: number;
  readonly flags: number;
  readonly maxWrite: number;
}

// #region handles
export type FsHandle =
  | { readonly kind: 'file'; readonly node: MemFile; readonly flags: number }
  | { readonly kind: 'dir'; readonly node: MemDir; readonly listing: readonly { name: string; node: MemNode }[] };
// #endregion handles

export class FsSession {
  /** Null until FUSE_INIT succeeds. */
  negotiated: FsNegotiated | null = null;
  private readonly lookups = new Map<bigint, bigint>();
  private readonly handles = new Map<bigint, FsHandle>();
  private nextFh = 1n;

  get active(): boolean {
    return this.negotiated !== null;
  }

  /** Ends the session: every lookup and handle is dropped, as a new FUSE_INIT or a reset requires. */
  end(): void {
    this.negotiated = null;
    this.lookups.clear();
    this.handles.clear();
    this.nextFh = 1n;
  }

  start(n: FsNegotiated): void {
    this.end();
    this.negotiated = n;
  }

  // #region lookup-count
  /** The root is always known; any other nodeid only while its lookup count is above zero. */
  knows(nodeid: bigint): boolean {
    return nodeid === FUSE_ROOT_ID || (this.lookups.get(nodeid) ?? 0n) > 0n;
  }

  /** A reply to LOOKUP handed the nodeid out once more. */
  looked(nodeid: bigint): void {
    this.lookups.set(nodeid, (this.lookups.get(nodeid) ?? 0n) + 1n);
  }

  /** FORGET: the driver dropped `n` of its references; at zero the nodeid is no longer valid. */
  forget(nodeid: bigint, n: bigint): void {
    const left = (this.lookups.get(nodeid) ?? 0n) - n;
    if (left > 0n) this.lookups.set(nodeid, left);
    else this.lookups.delete(nodeid);
  }

  lookupCount(nodeid: bigint): bigint {
    return this.lookups.get(nodeid) ?? 0n;
  }

  /** Nodeids the driver holds, root excepted. */
  knownNodeids(): bigint[] {
    return [...this.lookups.keys()];
  }
  // #endregion lookup-count

  /** A fresh handle; handles are never reused within a session. */
  open(h: FsHandle): bigint {
    const fh = this.nextFh++;
    this.handles.set(fh, h);
    return fh;
  }

  handle(fh: bigint): FsHandle | undefined {
    return this.handles.get(fh);
  }

  close(fh: bigint): void {
    this.handles.delete(fh);
  }

  get openHandles(): number {
    return this.handles.size;
  }
}
