// The requests about the session and the name space: FUSE_INIT, LOOKUP, GETATTR and the
// forget family. Each checks its argument length and the room for its reply before it
// changes anything, so a refused request leaves the session as it was.
import { type FsContext, type FsRequest, knownNode } from './context.ts';
import { decodeGetattrIn, encodeAttrOut, encodeEntryOut, FUSE_ATTR_OUT_SIZE, FUSE_ENTRY_OUT_SIZE, FUSE_GETATTR_FH, FUSE_GETATTR_IN_SIZE } from './fuse-attr.ts';
import { decodeBatchForget, decodeForgetIn, FUSE_BATCH_FORGET_IN_SIZE, FUSE_FORGET_IN_SIZE } from './fuse-file.ts';
import {
  decodeInitIn,
  encodeInitOut,
  FUSE_COMPAT_INIT_OUT_SIZE,
  FUSE_INIT_IN_MIN_SIZE,
  FUSE_KERNEL_VERSION,
  FUSE_MAX_PAGES,
  FUSE_MIN_MINOR,
  FUSE_MODEL_INIT_FLAGS,
  FUSE_MODEL_MINOR,
  initOutSize,
} from './fuse-init.ts';
import { fail, type FuseOutcome, lookupReason, reply } from './outcome.ts';

// #region op-init
/** Opens the session (§5.11.5); its byte order is the one the request arrived in (§5.11.6.1). */
export function opInit(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_INIT_IN_MIN_SIZE) return fail('short-body');
  const i = decodeInitIn(req.body, ctx.endian);
  const session = ctx.session;
  if (i.major > FUSE_KERNEL_VERSION) {
    // A newer protocol: answer with our version only, and let the driver ask again (FUSE rule).
    if (req.room < FUSE_COMPAT_INIT_OUT_SIZE) return fail('reply-room');
    session.end();
    return reply(encodeInitOut(initAnswer(ctx, FUSE_MODEL_MINOR, 0), ctx.endian, FUSE_COMPAT_INIT_OUT_SIZE));
  }
  if (i.major < FUSE_KERNEL_VERSION || i.minor < FUSE_MIN_MINOR) {
    session.end(); // any FUSE_INIT ends the session in progress (§5.11.6.1), even one refused
    return fail('bad-version');
  }
  const minor = Math.min(i.minor, FUSE_MODEL_MINOR);
  const size = initOutSize(minor);
  if (req.room < size) return fail('reply-room'); // not carried out: the session stays
  const flags = i.flags & FUSE_MODEL_INIT_FLAGS;
  session.start({ endian: ctx.endian, minor, flags, maxWrite: ctx.limits.maxWrite });
  return reply(encodeInitOut({ ...initAnswer(ctx, minor, flags), maxReadahead: i.maxReadahead }, ctx.endian, size));
}

function initAnswer(ctx: FsContext, minor: number, flags: number) {
  return {
    major: FUSE_KERNEL_VERSION, minor, maxReadahead: 0, flags, maxBackground: 16, congestionThreshold: 12,
    maxWrite: ctx.limits.maxWrite, timeGran: 1_000_000, // the host tree keeps milliseconds
    maxPages: flags & FUSE_MAX_PAGES ? Math.ceil(ctx.limits.maxWrite / 4096) : 0,
    mapAlignment: 0, flags2: 0, // no DAX window, no extended flags
  };
}
// #endregion op-init

// #region op-lookup
export function opLookup(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.room < FUSE_ENTRY_OUT_SIZE) return fail('reply-room');
  const parent = knownNode(ctx, req.hdr.nodeid);
  if (!parent) return fail('stale-nodeid');
  const nul = req.body.indexOf(0);
  if (nul < 0) return fail('bad-name'); // FUSE sends the name NUL-terminated
  const found = ctx.share.lookup(parent, req.body.subarray(0, nul));
  if (typeof found === 'number') return fail(lookupReason(found));
  const nodeid = ctx.share.nodeidOf(found);
  ctx.session.looked(nodeid); // one more reference the driver must FORGET
  const { entryValidSec, attrValidSec } = ctx.limits;
  return reply(encodeEntryOut({
    nodeid, generation: 0n, // inode numbers are never reused, so generation 0 stays unique
    entryValid: entryValidSec, attrValid: attrValidSec, entryValidNsec: 0, attrValidNsec: 0, attr: ctx.share.attr(found),
  }, ctx.endian));
}
// #endregion op-lookup

export function opGetattr(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_GETATTR_IN_SIZE) return fail('short-body');
  if (req.room < FUSE_ATTR_OUT_SIZE) return fail('reply-room');
  const g = decodeGetattrIn(req.body, ctx.endian);
  let node;
  if (g.getattrFlags & FUSE_GETATTR_FH) {
    const h = ctx.session.handle(g.fh);
    if (!h) return fail('bad-handle');
    node = h.node;
  } else {
    node = knownNode(ctx, req.hdr.nodeid);
    if (!node) return fail('stale-nodeid');
  }
  return reply(encodeAttrOut({ attrValid: ctx.limits.attrValidSec, attrValidNsec: 0, attr: ctx.share.attr(node) }, ctx.endian));
}

// #region op-forget
/** FORGET and BATCH_FORGET never have a reply; a malformed one is dropped, and counted. */
export function opForget(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_FORGET_IN_SIZE) return { kind: 'none', reason: 'short-body' };
  ctx.session.forget(req.hdr.nodeid, decodeForgetIn(req.body, ctx.endian));
  return { kind: 'none' };
}

export function opBatchForget(ctx: FsContext, req: FsRequest): FuseOutcome {
  const items = req.body.length >= FUSE_BATCH_FORGET_IN_SIZE ? decodeBatchForget(req.body, ctx.endian) : null;
  if (!items) return { kind: 'none', reason: 'short-body' };
  for (const f of items) ctx.session.forget(f.nodeid, f.nlookup);
  return { kind: 'none' };
}
// #endregion op-forget
