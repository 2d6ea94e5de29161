// The error numbers a FUSE reply carries. FUSE uses Linux errno values whatever the host
// runs; the reply's `error` field holds the negated number, 0 on success (§5.11.6.1 defers
// the message formats to FUSE).

// #region errno
export const EPERM = 1;
export const ENOENT = 2; //        no such name in the directory
export const EIO = 5; //           a request before FUSE_INIT; a failing back end
export const EBADF = 9; //         an unknown file handle, or one of the wrong kind or access mode
export const EACCES = 13; //       the host forbids the access (a file without write permission)
export const EEXIST = 17;
export const ENOTDIR = 20; //      LOOKUP or OPENDIR on something that is not a directory
export const EISDIR = 21; //       OPEN on a directory
export const EINVAL = 22; //       a malformed request: lengths, names, sizes
export const EFBIG = 27; //        a write past the largest file the share allows
export const ENOSPC = 28;
export const EROFS = 30; //        any change to a read-only share
export const ERANGE = 34;
export const ENAMETOOLONG = 36; // a name over 255 bytes
export const ENOSYS = 38; //       an opcode the device does not implement
export const EPROTO = 71; //       a FUSE protocol version the device cannot speak
export const ESTALE = 116; //      a nodeid the session does not know (never looked up, or forgotten)
// #endregion errno

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [EIO]: 'EIO', [EBADF]: 'EBADF', [EACCES]: 'EACCES', [EEXIST]: 'EEXIST',
  [ENOTDIR]: 'ENOTDIR', [EISDIR]: 'EISDIR', [EINVAL]: 'EINVAL', [EFBIG]: 'EFBIG', [ENOSPC]: 'ENOSPC', [EROFS]: 'EROFS',
  [ERANGE]: 'ERANGE', [ENAMETOOLONG]: 'ENAMETOOLONG', [ENOSYS]: 'ENOSYS', [EPROTO]: 'EPROTO', [ESTALE]: 'ESTALE',
};

/** `ENOENT` for 2 or -2, `OK` for 0, the number otherwise. */
export function errnoName(e: number): string {
  if (e === 0) return 'OK';
  return NAMES[Math.abs(e)] ?? `errno ${Math.abs(e)}`;
}
