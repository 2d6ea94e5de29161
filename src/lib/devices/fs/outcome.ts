// What the file system logic answers to one request, before the device frames it: reply
// data, an error, or nothing at all (the forget family has no reply). Every refusal names its
// reason, which fixes its errno; the device counts reasons so tests and hosts can see why.
import * as E from './errno.ts';

// #region error-reasons
export const FS_ERROR_ERRNO = {
  'short-header': E.EINVAL, //     fewer device-readable bytes than a fuse_in_header
  'length-mismatch': E.EINVAL, //  in.len is not the device-readable length, or a WRITE's size is not its data
  'short-body': E.EINVAL, //       the opcode's argument struct does not fit in the request
  'reply-room': E.EINVAL, //       the device-writable part cannot hold the reply the request asks for
  'not-hiprio': E.EINVAL, //       a normal request on the hiprio queue (§5.11.6.2)
  'no-session': E.EIO, //          a request before FUSE_INIT (§5.11.5)
  'bad-version': E.EPROTO, //      FUSE major version below 7, or minor below 31
  'unknown-opcode': E.ENOSYS, //   an opcode the model does not implement
  'stale-nodeid': E.ESTALE, //     a nodeid the session does not hold
  'bad-handle': E.EBADF, //        an unknown fh, a directory fh for a file request or the reverse, or the wrong access mode
  'bad-flags': E.EINVAL, //        open(2) flags with access mode 3
  'not-found': E.ENOENT,
  'not-dir': E.ENOTDIR,
  'is-dir': E.EISDIR,
  'bad-name': E.EINVAL, //         an empty name, a name with "/", or one without its NUL terminator
  'name-too-long': E.ENAMETOOLONG,
  'read-only': E.EROFS, //         any change to a read-only share
  'access': E.EACCES, //           opening for writing a file without write permission bits
  'too-big': E.EFBIG, //           a write past the largest file size
  'write-too-large': E.EINVAL, //  a WRITE over the negotiated max_write
} as const;
// #endregion error-reasons

export type FsErrorReason = keyof typeof FS_ERROR_ERRNO;
export const FS_ERROR_REASONS = Object.keys(FS_ERROR_ERRNO) as FsErrorReason[];

export type FuseOutcome =
  | { readonly kind: 'reply'; readonly data: Uint8Array }
  | { readonly kind: 'error'; readonly errno: number; readonly reason: FsErrorReason }
  /** No reply (FORGET, BATCH_FORGET, INTERRUPT); `reason` says why it was ignored, if it was. */
  | { readonly kind: 'none'; readonly reason?: FsErrorReason };

export function fail(reason: FsErrorReason): FuseOutcome {
  return { kind: 'error', errno: FS_ERROR_ERRNO[reason], reason };
}

export function reply(data: Uint8Array = new Uint8Array(0)): FuseOutcome {
  return { kind: 'reply', data };
}

/** The reason behind an errno the share's name lookup returned. */
export function lookupReason(errno: number): FsErrorReason {
  switch (errno) {
    case E.ENOTDIR: return 'not-dir';
    case E.ENAMETOOLONG: return 'name-too-long';
    case E.EINVAL: return 'bad-name';
    default: return 'not-found';
  }
}
