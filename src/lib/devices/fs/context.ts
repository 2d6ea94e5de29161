// What every request handler works with: the share, the session, the byte order of this
// request, the device's limits, and the request itself with the room left for its reply.
import type { FuseInHeader } from './fuse-header.ts';
import type { FuseEndian } from './fuse-wire.ts';
import type { MemNode } from './memfs.ts';
import type { FsSession } from './session.ts';
import type { FsShare } from './share.ts';

export interface FsLimits {
  /** max_write offered in FUSE_INIT: the largest WRITE payload. */
  readonly maxWrite: number;
  /** How long the driver may cache names and attributes, in seconds. */
  readonly entryValidSec: number;
  readonly attrValidSec: number;
}

export interface FsContext {
  readonly share: FsShare;
  readonly session: FsSession;
  readonly endian: FuseEndian;
  readonly limits: FsLimits;
  /** Who the tree's change events name for this device's own writes. */
  readonly origin: unknown;
}

export interface FsRequest {
  readonly hdr: FuseInHeader;
  /** The opcode's arguments: after the header, before any extensions. */
  readonly body: Uint8Array;
  /** Bytes the device-writable part holds after the fuse_out_header. */
  readonly room: number;
}

/** The node behind a nodeid the session holds, or undefined (ESTALE). */
export function knownNode(ctx: FsContext, nodeid: bigint): MemNode | undefined {
  return ctx.session.knows(nodeid) ? ctx.share.nodeOf(nodeid) : undefined;
}
