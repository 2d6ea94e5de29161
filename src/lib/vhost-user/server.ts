// A vhost-user back end on a Unix socket: it listens at a path, takes one front end at a time
// (a vhost-user socket carries exactly one device), and serves it with a device model. A front
// end that breaks the protocol is disconnected with a logged error; the server keeps listening.
import { existsSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { type Logger, Connection, type ServedDevice } from './connection.ts';
import { acceptUnix, closeFd, EADDRINUSE, listenUnix, SysError } from './ffi.ts';
import { PollLoop } from './poll-loop.ts';

export interface ServerOptions {
  readonly socketPath: string;
  /** Builds the device for a new front end, or returns the one device to keep across connections. */
  readonly device: () => ServedDevice;
  readonly log?: Logger;
  /** A shared loop when several back ends run in one process (one poll for all). */
  readonly loop?: PollLoop;
}

export class SocketInUseError extends Error {}

export class VhostUserServer {
  readonly socketPath: string;
  readonly loop: PollLoop;
  private listenFd: number;
  private conn: Connection | null = null;
  private readonly ownsLoop: boolean;
  private readonly log: Logger;
  private readonly makeDevice: () => ServedDevice;
  /** Every connection so far, the current one last. */
  readonly connections: Connection[] = [];

  constructor(opts: ServerOptions) {
    this.socketPath = opts.socketPath;
    this.log = opts.log ?? ((level, msg) => (level === 'info' ? console.log : console.error)(`vhost-user ${level}: ${msg}`));
    this.makeDevice = opts.device;
    this.ownsLoop = !opts.loop;
    this.loop = opts.loop ?? new PollLoop((e) => this.log('error', `poll: ${e instanceof Error ? e.message : String(e)}`));
    // A socket file left behind by a back end that is gone is replaced; a live one is not.
    if (existsSync(this.socketPath)) {
      if (!lstatSync(this.socketPath).isSocket()) throw new SocketInUseError(`${this.socketPath} exists and is not a socket`);
      try {
        this.listenFd = listenUnix(this.socketPath);
      } catch (e) {
        if (!(e instanceof SysError && e.errno === EADDRINUSE)) throw e;
        if (socketAlive(this.socketPath)) throw new SocketInUseError(`${this.socketPath} is in use by another process`);
        unlinkSync(this.socketPath);
        this.listenFd = listenUnix(this.socketPath);
      }
    } else {
      this.listenFd = listenUnix(this.socketPath);
    }
    this.loop.add(this.listenFd, () => this.onAccept());
  }

  get connection(): Connection | null {
    return this.conn;
  }

  private onAccept(): void {
    for (;;) {
      const fd = acceptUnix(this.listenFd);
      if (fd === null) return;
      if (this.conn) {
        this.log('warn', 'a second front end connected while one is served; refused');
        closeFd(fd);
        continue;
      }
      let served: ServedDevice;
      try {
        served = this.makeDevice();
      } catch (e) {
        this.log('error', `device: ${(e as Error).message}`);
        closeFd(fd);
        continue;
      }
      this.log('info', `front end connected to ${this.socketPath} (${served.device.name})`);
      const c = new Connection(fd, served, this.loop, this.log, (closed) => {
        if (this.conn === closed) this.conn = null;
      });
      this.conn = c;
      this.connections.push(c);
    }
  }

  close(): void {
    this.conn?.close('server closing');
    this.loop.remove(this.listenFd);
    closeFd(this.listenFd);
    this.listenFd = -1;
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
    if (this.ownsLoop) this.loop.stop();
  }
}

/** Whether something accepts connections at `path` (a stale socket file refuses them). */
function socketAlive(path: string): boolean {
  // /proc/net/unix lists listening sockets by path; a stale file is not among them.
  try {
    const lines = readFileSync('/proc/net/unix', 'utf8').split('\n');
    // Flags 00010000 = __SO_ACCEPTCON: a listening socket.
    return lines.some((l: string) => l.endsWith(` ${path}`) && l.split(/\s+/)[3] === '00010000');
  } catch {
    return true;
  }
}

