// The FUSE file system a virtio-fs device serves: one share, one session, and a dispatcher
// from opcode to handler. It sees decoded requests and returns outcomes; how they travel
// (queues, descriptor chains, byte order detection) is the device's business (device.ts).
import type { FsContext, FsLimits, FsRequest } from './context.ts';
import {
  FUSE_BATCH_FORGET,
  FUSE_FORGET,
  FUSE_GETATTR,
  FUSE_INIT,
  FUSE_INTERRUPT,
  FUSE_LOOKUP,
  FUSE_OPEN,
  FUSE_OPENDIR,
  FUSE_READ,
  FUSE_READDIR,
  FUSE_RELEASE,
  FUSE_RELEASEDIR,
  FUSE_WRITE,
} from './fuse-header.ts';
import type { FuseEndian } from './fuse-wire.ts';
import { opOpen, opOpendir, opRead, opReaddir, opRelease, opWrite } from './ops-io.ts';
import { opBatchForget, opForget, opGetattr, opInit, opLookup } from './ops-session.ts';
import { fail, type FuseOutcome } from './outcome.ts';
import { FsSession } from './session.ts';
import type { FsShare } from './share.ts';

// #region no-reply
/** The requests that never get a reply; the hiprio queue carries only these (§5.11.6.2). */
export const FUSE_NO_REPLY_OPCODES: readonly number[] = [FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT];
// #endregion no-reply

export class FsServer {
  readonly share: FsShare;
  readonly session = new FsSession();
  readonly limits: FsLimits;
  /** The origin this server's writes carry in the tree's change events. */
  readonly origin: unknown;

  constructor(share: FsShare, limits: FsLimits, origin: unknown) {
    this.share = share;
    this.limits = limits;
    this.origin = origin;
  }

  /** The byte order of the session, little-endian before there is one. */
  get endian(): FuseEndian {
    return this.session.negotiated?.endian ?? 'little';
  }

  // #region dispatch
  /** Serves one request. `endian` is the session's, or the one FUSE_INIT itself revealed. */
  handle(req: FsRequest, endian: FuseEndian): FuseOutcome {
    const ctx: FsContext = { share: this.share, session: this.session, endian, limits: this.limits, origin: this.origin };
    const op = req.hdr.opcode;
    if (op === FUSE_INIT) return opInit(ctx, req);
    if (!this.session.active) return FUSE_NO_REPLY_OPCODES.includes(op) ? { kind: 'none', reason: 'no-session' } : fail('no-session');
    switch (op) {
      case FUSE_FORGET: return opForget(ctx, req);
      case FUSE_BATCH_FORGET: return opBatchForget(ctx, req);
      case FUSE_INTERRUPT: return { kind: 'none' }; // every request completes before the next is read: nothing to interrupt
      case FUSE_LOOKUP: return opLookup(ctx, req);
      case FUSE_GETATTR: return opGetattr(ctx, req);
      case FUSE_OPEN: return opOpen(ctx, req);
      case FUSE_READ: return opRead(ctx, req);
      case FUSE_WRITE: return opWrite(ctx, req);
      case FUSE_RELEASE: return opRelease(ctx, req, 'file');
      case FUSE_OPENDIR: return opOpendir(ctx, req);
      case FUSE_READDIR: return opReaddir(ctx, req);
      case FUSE_RELEASEDIR: return opRelease(ctx, req, 'dir');
      default: return fail('unknown-opcode'); // SETUPMAPPING included: the model has no DAX window
    }
  }
  // #endregion dispatch
}
