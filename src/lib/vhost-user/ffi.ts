// The few Linux system calls a vhost-user back end needs and Node does not offer: a Unix socket
// that passes file descriptors (SCM_RIGHTS), mmap of the guest's memory MAP_SHARED, eventfd and
// poll. They go through koffi (an FFI with prebuilt binaries). Node-only: nothing the browser
// bundles imports this folder. Pointers are bigints (koffi 3); every call here is non-blocking
// except poll, which runs as koffi's asynchronous call on its worker thread (see poll-loop.ts).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// koffi is loaded lazily so that importing the protocol code (tests of the parser) never needs it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = ((...args: any[]) => any) & { async: (...args: any[]) => void };

export interface Libc {
  readonly koffi: {
    view(ptr: bigint, len: number): ArrayBuffer;
    alloc(type: string, count: number): bigint;
    free(ptr: bigint): void;
    errno(): number;
  };
  socket: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  recvmsg: Fn;
  sendmsg: Fn;
  read: Fn;
  write: Fn;
  close: Fn;
  eventfd: Fn;
  mmap: Fn;
  munmap: Fn;
  poll: Fn;
  strerror: Fn;
  fcntl: Fn;
  connect: Fn;
  memfd_create: Fn;
  ftruncate: Fn;
}

let libc: Libc | null = null;

export function sys(): Libc {
  if (libc) return libc;
  const koffi = require('koffi');
  const c = koffi.load('libc.so.6');
  libc = {
    koffi,
    socket: c.func('int socket(int domain, int type, int protocol)'),
    bind: c.func('int bind(int fd, void *addr, uint32_t len)'),
    listen: c.func('int listen(int fd, int backlog)'),
    accept4: c.func('int accept4(int fd, void *addr, void *len, int flags)'),
    recvmsg: c.func('intptr_t recvmsg(int fd, void *msg, int flags)'),
    sendmsg: c.func('intptr_t sendmsg(int fd, void *msg, int flags)'),
    read: c.func('intptr_t read(int fd, void *buf, size_t n)'),
    write: c.func('intptr_t write(int fd, void *buf, size_t n)'),
    close: c.func('int close(int fd)'),
    eventfd: c.func('int eventfd(unsigned int initval, int flags)'),
    mmap: c.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: c.func('int munmap(void *addr, size_t length)'),
    poll: c.func('int poll(void *fds, uint64_t nfds, int timeout)'),
    strerror: c.func('const char *strerror(int errnum)'),
    fcntl: c.func('int fcntl(int fd, int cmd, int arg)'),
    connect: c.func('int connect(int fd, void *addr, uint32_t len)'),
    memfd_create: c.func('int memfd_create(const char *name, unsigned int flags)'),
    ftruncate: c.func('int ftruncate(int fd, int64_t length)'),
  };
  return libc;
}

// Linux x86-64 and aarch64 values.
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_CMSG_CLOEXEC = 0x40000000;
export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const EAGAIN = 11;
export const EINTR = 4;
export const EADDRINUSE = 98;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const F_SETFL = 4;
export const O_NONBLOCK = 0o4000;
const PROT_RW = 0x3;
const MAP_SHARED = 0x1;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

export class SysError extends Error {
  readonly call: string;
  readonly errno: number;
  constructor(call: string, errno: number) {
    super(`${call}: ${sys().strerror(errno)} (errno ${errno})`);
    this.call = call;
    this.errno = errno;
  }
}

function check(call: string, r: number | bigint): number {
  const n = Number(r);
  if (n < 0) throw new SysError(call, sys().koffi.errno());
  return n;
}

/** Native scratch memory with a Uint8Array over it (freed by the caller). */
export class NativeBuffer {
  readonly ptr: bigint;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly size: number;
  constructor(size: number) {
    this.size = size;
    this.ptr = sys().koffi.alloc('uint8_t', size);
    this.bytes = new Uint8Array(sys().koffi.view(this.ptr, size));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
  }
  free(): void {
    sys().koffi.free(this.ptr);
  }
}

/** A listening Unix stream socket at `path` (non-blocking). Throws EADDRINUSE if a file is there. */
export function listenUnix(path: string): number {
  const s = sys();
  const fd = check('socket', s.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  try {
    const addr = unixAddr(path);
    check('bind', s.bind(fd, addr, 110));
    check('listen', s.listen(fd, 4));
  } catch (e) {
    s.close(fd);
    throw e;
  }
  return fd;
}

function unixAddr(path: string): Buffer {
  const name = Buffer.from(path, 'utf8');
  if (name.length >= 108) throw new RangeError(`socket path too long (${name.length} bytes, at most 107): ${path}`);
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  return addr;
}

/** A front end's side: a connected Unix stream socket (blocking connect, then non-blocking). */
export function connectUnix(path: string): number {
  const s = sys();
  const fd = check('socket', s.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  try {
    check('connect', s.connect(fd, unixAddr(path), 110));
    setNonBlocking(fd);
  } catch (e) {
    s.close(fd);
    throw e;
  }
  return fd;
}

/** Sends `data` with descriptors attached (SCM_RIGHTS) in one sendmsg, as a front end does. */
export function sendWithFds(fd: number, data: Uint8Array, fds: readonly number[]): void {
  const s = sys();
  const ctlLen = fds.length ? CMSG_HDR + ((4 * fds.length + 7) & ~7) : 0;
  const nb = new NativeBuffer(72 + ctlLen + data.length);
  try {
    const msg = nb.view;
    const ctl = nb.ptr + 72n;
    const body = nb.ptr + 72n + BigInt(ctlLen);
    nb.bytes.set(data, 72 + ctlLen);
    msg.setBigUint64(16, nb.ptr + 56n, true);
    msg.setBigUint64(24, 1n, true);
    msg.setBigUint64(32, fds.length ? ctl : 0n, true);
    msg.setBigUint64(40, BigInt(ctlLen), true);
    msg.setBigUint64(56, body, true);
    msg.setBigUint64(64, BigInt(data.length), true);
    if (fds.length) {
      msg.setBigUint64(72, BigInt(CMSG_HDR + 4 * fds.length), true);
      msg.setInt32(80, SOL_SOCKET, true);
      msg.setInt32(84, SCM_RIGHTS, true);
      fds.forEach((f, i) => msg.setInt32(88 + 4 * i, f, true));
    }
    const n = Number(s.sendmsg(fd, nb.ptr, MSG_NOSIGNAL));
    if (n < 0) throw new SysError('sendmsg', s.koffi.errno());
    if (n !== data.length) throw new Error(`sendmsg sent ${n} of ${data.length} bytes`);
  } finally {
    nb.free();
  }
}

/** An anonymous shared-memory file of `size` bytes (what QEMU's memory-backend-memfd is). */
export function memfd(name: string, size: number): number {
  const fd = check('memfd_create', sys().memfd_create(name, 1 /* MFD_CLOEXEC */));
  check('ftruncate', sys().ftruncate(fd, size));
  return fd;
}

/** Accepts one connection, non-blocking; null if none is waiting. */
export function acceptUnix(listenFd: number): number | null {
  const s = sys();
  const fd = Number(s.accept4(listenFd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (fd < 0) {
    const e = s.koffi.errno();
    if (e === EAGAIN || e === EINTR) return null;
    throw new SysError('accept4', e);
  }
  return fd;
}

const MAX_FDS = 16;
const CMSG_HDR = 16;

/**
 * One non-blocking recvmsg of up to `max` bytes with any file descriptors that came with them.
 * Returns null when nothing is waiting; an empty `data` means the peer closed the connection.
 */
export function recvWithFds(fd: number, max: number): { data: Uint8Array; fds: number[] } | null {
  const s = sys();
  const ctlLen = CMSG_HDR + 4 * MAX_FDS;
  const nb = new NativeBuffer(56 + 16 + ctlLen + max);
  try {
    const msg = nb.view;
    const iov = nb.ptr + 56n;
    const ctl = nb.ptr + 72n;
    const data = nb.ptr + 72n + BigInt(ctlLen);
    msg.setBigUint64(16, iov, true); // msg_iov
    msg.setBigUint64(24, 1n, true); // msg_iovlen
    msg.setBigUint64(32, ctl, true); // msg_control
    msg.setBigUint64(40, BigInt(ctlLen), true); // msg_controllen
    msg.setBigUint64(56, data, true); // iov_base
    msg.setBigUint64(64, BigInt(max), true); // iov_len
    const n = Number(s.recvmsg(fd, nb.ptr, MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
    if (n < 0) {
      const e = s.koffi.errno();
      if (e === EAGAIN || e === EINTR) return null;
      throw new SysError('recvmsg', e);
    }
    const fds: number[] = [];
    const controllen = Number(msg.getBigUint64(40, true));
    let off = 72;
    while (off + CMSG_HDR <= 72 + controllen) {
      const len = Number(msg.getBigUint64(off, true));
      const level = msg.getInt32(off + 8, true);
      const type = msg.getInt32(off + 12, true);
      if (len < CMSG_HDR) break;
      if (level === SOL_SOCKET && type === SCM_RIGHTS) {
        for (let p = off + CMSG_HDR; p + 4 <= off + len; p += 4) fds.push(msg.getInt32(p, true));
      }
      off += (len + 7) & ~7;
    }
    const start = 72 + ctlLen;
    return { data: nb.bytes.slice(start, start + n), fds };
  } finally {
    nb.free();
  }
}

/** Sends all of `data` (no descriptors); the sockets here carry small messages. */
export function sendAll(fd: number, data: Uint8Array): void {
  const s = sys();
  let off = 0;
  while (off < data.length) {
    const chunk = Buffer.from(data.buffer, data.byteOffset + off, data.length - off);
    const n = Number(s.write(fd, chunk, chunk.length));
    if (n < 0) {
      const e = s.koffi.errno();
      if (e === EINTR) continue;
      throw new SysError('write', e);
    }
    off += n;
  }
}

export function closeFd(fd: number): void {
  if (fd >= 0) sys().close(fd);
}

export function makeEventFd(): number {
  return check('eventfd', sys().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
}

const one = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

/** Signals an eventfd (a used-buffer notification to the guest, or a wake-up). */
export function signalEventFd(fd: number): void {
  const n = Number(sys().write(fd, one, 8));
  if (n < 0) {
    const e = sys().koffi.errno();
    if (e !== EAGAIN) throw new SysError('write(eventfd)', e);
  }
}

/** Reads an eventfd's counter (clearing it); 0 if it was not signalled. */
export function drainEventFd(fd: number): number {
  const b = Buffer.alloc(8);
  const n = Number(sys().read(fd, b, 8));
  if (n < 0) {
    const e = sys().koffi.errno();
    if (e === EAGAIN) return 0;
    throw new SysError('read(eventfd)', e);
  }
  return Number(b.readBigUInt64LE(0));
}

export function setNonBlocking(fd: number): void {
  check('fcntl', sys().fcntl(fd, F_SETFL, O_NONBLOCK));
}

/** A shared mapping of [0, length) of `fd`, as bytes without a copy. */
export function mapShared(fd: number, length: number): { ptr: bigint; bytes: Uint8Array } {
  const s = sys();
  const ptr = BigInt(s.mmap(null, length, PROT_RW, MAP_SHARED, fd, 0));
  if (ptr === MAP_FAILED) throw new SysError('mmap', s.koffi.errno());
  return { ptr, bytes: new Uint8Array(s.koffi.view(ptr, length)) };
}

export function unmap(ptr: bigint, length: number): void {
  sys().munmap(ptr, length);
}
