// A scripted vhost-user front end for the back end's tests: it speaks the wire format over a
// real Unix socket, passes descriptors (a memfd as guest RAM, eventfds for kicks and calls) and
// waits for replies through the same poll loop the back end uses.
import { closeFd, connectUnix, drainEventFd, makeEventFd, mapShared, memfd, recvWithFds, sendWithFds, signalEventFd, unmap } from '../../../src/lib/vhost-user/ffi.ts';
import type { PollLoop } from '../../../src/lib/vhost-user/poll-loop.ts';
import { encodeMessage, FLAG_NEED_REPLY, FLAG_VERSION, HEADER_SIZE, REQ, u64Payload, vringStatePayload } from '../../../src/lib/vhost-user/protocol.ts';

export const GUEST_BASE = 0x10000;
/** The front end's "virtual address" of guest RAM: any value, the back end only translates it. */
export const USER_BASE = 0x7f00_0000_0000n;

export class FrontEnd {
  readonly fd: number;
  private buf = new Uint8Array(0);
  private waiters: (() => void)[] = [];
  private eof = false;
  ram: { fd: number; ptr: bigint; bytes: Uint8Array; size: number } | null = null;
  private readonly loop: PollLoop;

  constructor(path: string, loop: PollLoop) {
    this.fd = connectUnix(path);
    this.loop = loop;
    loop.add(this.fd, () => {
      for (;;) {
        let got: ReturnType<typeof recvWithFds>;
        try {
          got = recvWithFds(this.fd, 4096);
        } catch {
          got = { data: new Uint8Array(0), fds: [] }; // reset by the back end: closed as well
        }
        if (got === null) break;
        if (got.data.length === 0) {
          this.eof = true;
          loop.remove(this.fd);
          break;
        }
        const m = new Uint8Array(this.buf.length + got.data.length);
        m.set(this.buf);
        m.set(got.data, this.buf.length);
        this.buf = m;
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(request: number, payload: Uint8Array = new Uint8Array(0), fds: number[] = [], flags = FLAG_VERSION): void {
    sendWithFds(this.fd, encodeMessage(request, flags, payload), fds);
  }

  sendRaw(bytes: Uint8Array): void {
    sendWithFds(this.fd, bytes, []);
  }

  private wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** The next reply's payload. */
  async reply(): Promise<{ request: number; payload: Uint8Array }> {
    for (;;) {
      if (this.buf.length >= HEADER_SIZE) {
        const dv = new DataView(this.buf.buffer, this.buf.byteOffset);
        const size = dv.getUint32(8, true);
        if (this.buf.length >= HEADER_SIZE + size) {
          const out = { request: dv.getUint32(0, true), payload: this.buf.slice(HEADER_SIZE, HEADER_SIZE + size) };
          this.buf = this.buf.slice(HEADER_SIZE + size);
          return out;
        }
      }
      if (this.eof) throw new Error('the back end closed the connection');
      await this.wait();
    }
  }

  async request(request: number, payload?: Uint8Array): Promise<Uint8Array> {
    this.send(request, payload);
    return (await this.reply()).payload;
  }

  async u64(request: number): Promise<bigint> {
    const p = await this.request(request);
    return new DataView(p.buffer, p.byteOffset).getBigUint64(0, true);
  }

  /** Resolves when the back end has closed the connection. */
  async closedByBackend(): Promise<void> {
    while (!this.eof) await this.wait();
  }

  /** SET_MEM_TABLE with one memfd region of `size` bytes at GUEST_BASE, mapped here too. */
  setMemTable(size: number, flags = FLAG_VERSION): void {
    const fd = memfd('guest-ram', size);
    const m = mapShared(fd, size);
    this.ram = { fd, ptr: m.ptr, bytes: m.bytes, size };
    const p = new Uint8Array(8 + 32);
    const dv = new DataView(p.buffer);
    dv.setUint32(0, 1, true);
    dv.setBigUint64(8, BigInt(GUEST_BASE), true);
    dv.setBigUint64(16, BigInt(size), true);
    dv.setBigUint64(24, USER_BASE, true);
    dv.setBigUint64(32, 0n, true);
    this.send(REQ.SET_MEM_TABLE, p, [fd], flags);
  }

  setVring(index: number, num: number, base: number, gpa: { desc: number; avail: number; used: number }): { kick: number; call: number } {
    const ua = (g: number) => USER_BASE + BigInt(g - GUEST_BASE);
    this.send(REQ.SET_VRING_NUM, vringStatePayload({ index, num }));
    this.send(REQ.SET_VRING_BASE, vringStatePayload({ index, num: base }));
    const a = new Uint8Array(40);
    const dv = new DataView(a.buffer);
    dv.setUint32(0, index, true);
    dv.setBigUint64(8, ua(gpa.desc), true);
    dv.setBigUint64(16, ua(gpa.used), true);
    dv.setBigUint64(24, ua(gpa.avail), true);
    this.send(REQ.SET_VRING_ADDR, a);
    const call = makeEventFd();
    this.send(REQ.SET_VRING_CALL, u64Payload(BigInt(index)), [call]);
    const kick = makeEventFd();
    this.send(REQ.SET_VRING_KICK, u64Payload(BigInt(index)), [kick]);
    return { kick, call };
  }

  kick(fd: number): void {
    signalEventFd(fd);
  }

  /** Resolves on the next signal of eventfd `fd` (a used-buffer notification). */
  called(fd: number): Promise<void> {
    return new Promise((resolve) => {
      this.loop.add(fd, () => {
        this.loop.remove(fd);
        drainEventFd(fd);
        resolve();
      });
    });
  }

  needReply(): number {
    return FLAG_VERSION | FLAG_NEED_REPLY;
  }

  close(): void {
    this.loop.remove(this.fd);
    closeFd(this.fd);
    if (this.ram) {
      unmap(this.ram.ptr, this.ram.size);
      closeFd(this.ram.fd);
    }
  }
}
