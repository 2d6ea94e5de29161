// Linux error numbers, as virtio-media carries them in the `status` of a response header and
// in the `errno` of an error event (VIRTIO 1.4 §5.22.6). VIRTIO names "standard Linux kernel
// error codes" without listing them, so a device on any host OS, and a driver in any guest,
// must use these generic (asm-generic/errno-base.h) values, never the host's own.

// #region errno
export const EPERM = 1;
export const EIO = 5;
export const EBADF = 9;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
export const ENOTTY = 25;
export const ENOSPC = 28;
export const EPIPE = 32;
// #endregion errno

const NAMES: Record<number, string> = {
  0: 'OK', [EPERM]: 'EPERM', [EIO]: 'EIO', [EBADF]: 'EBADF', [ENOMEM]: 'ENOMEM', [EACCES]: 'EACCES', [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY', [EINVAL]: 'EINVAL', [ENOTTY]: 'ENOTTY', [ENOSPC]: 'ENOSPC', [EPIPE]: 'EPIPE',
};

/** "EINVAL", or the number for one not listed here. */
export function errnoName(n: number): string {
  return NAMES[n] ?? `errno ${n}`;
}
