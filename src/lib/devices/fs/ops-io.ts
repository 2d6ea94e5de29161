// The requests on open files and directories: OPEN, READ, WRITE, RELEASE, OPENDIR, READDIR,
// RELEASEDIR. A file handle names one open of one node with one access mode; a directory
// handle holds the listing as it was at OPENDIR, so offsets stay meaningful while the host
// changes the directory.
import { type FsContext, type FsRequest, knownNode } from './context.ts';
import { S_IWANY } from './fuse-attr.ts';
import { direntSize, encodeDirent } from './fuse-dirent.ts';
import {
  decodeIoIn,
  decodeOpenIn,
  decodeReleaseIn,
  encodeOpenOut,
  encodeWriteOut,
  FUSE_OPEN_IN_SIZE,
  FUSE_OPEN_OUT_SIZE,
  FUSE_READ_IN_SIZE,
  FUSE_RELEASE_IN_SIZE,
  FUSE_WRITE_IN_SIZE,
  FUSE_WRITE_OUT_SIZE,
  O_ACCMODE,
  O_APPEND,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
} from './fuse-file.ts';
import { fail, type FuseOutcome, reply } from './outcome.ts';
import { direntType } from './share.ts';

// #region op-open
export function opOpen(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_OPEN_IN_SIZE) return fail('short-body');
  if (req.room < FUSE_OPEN_OUT_SIZE) return fail('reply-room');
  const node = knownNode(ctx, req.hdr.nodeid);
  if (!node) return fail('stale-nodeid');
  if (node.kind === 'dir') return fail('is-dir');
  const { flags } = decodeOpenIn(req.body, ctx.endian);
  const access = flags & O_ACCMODE;
  if (access === O_ACCMODE) return fail('bad-flags');
  const changes = access !== O_RDONLY || (flags & O_TRUNC) !== 0;
  if (changes && ctx.share.readOnly) return fail('read-only'); // the export, not the guest, decides (§5.11.6.5)
  if (changes && (node.mode & S_IWANY) === 0) return fail('access');
  if (changes && flags & O_TRUNC) ctx.share.fs.truncate(node, 0, ctx.origin);
  const fh = ctx.session.open({ kind: 'file', node, flags });
  return reply(encodeOpenOut({ fh, openFlags: 0 }, ctx.endian));
}
// #endregion op-open

// #region op-read
/** FUSE_READ works with or without a DAX window (§5.11.6.4). */
export function opRead(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_READ_IN_SIZE) return fail('short-body');
  const r = decodeIoIn(req.body, ctx.endian);
  if (req.room < r.size) return fail('reply-room'); // never a reply cut short
  const h = ctx.session.handle(r.fh);
  if (!h || h.kind !== 'file' || (h.flags & O_ACCMODE) === O_WRONLY) return fail('bad-handle');
  if (r.offset >= BigInt(h.node.size)) return reply(); // at or past the end: no bytes, no error
  return reply(ctx.share.fs.read(h.node, Number(r.offset), r.size));
}
// #endregion op-read

// #region op-write
export function opWrite(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_WRITE_IN_SIZE) return fail('short-body');
  const w = decodeIoIn(req.body, ctx.endian);
  const data = req.body.subarray(FUSE_WRITE_IN_SIZE);
  if (data.length !== w.size) return fail('length-mismatch');
  if (req.room < FUSE_WRITE_OUT_SIZE) return fail('reply-room');
  if (ctx.share.readOnly) return fail('read-only'); // whatever the handle: nothing on this share changes
  const h = ctx.session.handle(w.fh);
  if (!h || h.kind !== 'file' || (h.flags & O_ACCMODE) === O_RDONLY) return fail('bad-handle');
  if (w.size > ctx.limits.maxWrite) return fail('write-too-large');
  const offset = h.flags & O_APPEND ? BigInt(h.node.size) : w.offset;
  if (offset + BigInt(w.size) > BigInt(ctx.share.fs.maxFileSize)) return fail('too-big');
  ctx.share.fs.write(h.node, Number(offset), data, ctx.origin);
  return reply(encodeWriteOut(w.size, ctx.endian));
}
// #endregion op-write

export function opRelease(ctx: FsContext, req: FsRequest, kind: 'file' | 'dir'): FuseOutcome {
  if (req.body.length < FUSE_RELEASE_IN_SIZE) return fail('short-body');
  const { fh } = decodeReleaseIn(req.body, ctx.endian);
  if (ctx.session.handle(fh)?.kind !== kind) return fail('bad-handle');
  ctx.session.close(fh);
  return reply();
}

export function opOpendir(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_OPEN_IN_SIZE) return fail('short-body');
  if (req.room < FUSE_OPEN_OUT_SIZE) return fail('reply-room');
  const node = knownNode(ctx, req.hdr.nodeid);
  if (!node) return fail('stale-nodeid');
  if (node.kind !== 'dir') return fail('not-dir');
  const fh = ctx.session.open({ kind: 'dir', node, listing: ctx.share.listing(node) });
  return reply(encodeOpenOut({ fh, openFlags: 0 }, ctx.endian));
}

// #region op-readdir
/**
 * Whole records from entry number `offset` on, as many as fit in `size` bytes. Each record's
 * `off` is the number of the entry after it, which the driver passes back to continue.
 */
export function opReaddir(ctx: FsContext, req: FsRequest): FuseOutcome {
  if (req.body.length < FUSE_READ_IN_SIZE) return fail('short-body');
  const r = decodeIoIn(req.body, ctx.endian);
  if (req.room < r.size) return fail('reply-room');
  const h = ctx.session.handle(r.fh);
  if (!h || h.kind !== 'dir') return fail('bad-handle');
  const parts: Uint8Array[] = [];
  let used = 0;
  for (let i = r.offset; i < BigInt(h.listing.length); i++) {
    const e = h.listing[Number(i)];
    const size = direntSize(new TextEncoder().encode(e.name).length);
    if (used + size > r.size) break;
    parts.push(encodeDirent({ ino: e.node.ino, off: Number(i) + 1, type: direntType(e.node), name: e.name }, ctx.endian));
    used += size;
  }
  if (parts.length === 0 && r.offset < BigInt(h.listing.length)) return fail('reply-room'); // not even one record fits
  const out = new Uint8Array(used);
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return reply(out);
}
// #endregion op-readdir
