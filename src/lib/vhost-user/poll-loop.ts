// One poll(2) for every descriptor the back end watches: the listening socket, each front end's
// socket, every queue's kick eventfd. poll runs as koffi's asynchronous call, on a worker thread
// of a small pool shared by all asynchronous FFI calls, so there must be exactly one such call
// in flight: a blocking poll per device would take the pool's threads and deadlock. A wake-up
// eventfd in the set makes poll return whenever the set changes.
import { closeFd, drainEventFd, makeEventFd, NativeBuffer, POLLERR, POLLHUP, POLLIN, POLLNVAL, signalEventFd, sys } from './ffi.ts';

export type PollHandler = (revents: number) => void;

interface Watch {
  readonly fd: number;
  readonly handler: PollHandler;
}

export class PollLoop {
  private readonly watches = new Map<number, Watch>();
  private readonly wakeFd: number;
  private inFlight = false;
  private stopped = false;
  private readonly onError: (e: unknown) => void;

  constructor(onError: (e: unknown) => void = (e) => console.error(e)) {
    this.wakeFd = makeEventFd();
    this.onError = onError;
  }

  /** Calls `handler` whenever `fd` is readable, hung up or in error (level-triggered). */
  add(fd: number, handler: PollHandler): void {
    if (this.stopped) return;
    this.watches.set(fd, { fd, handler });
    this.kick();
  }

  remove(fd: number): void {
    if (this.watches.delete(fd)) this.kick();
  }

  get size(): number {
    return this.watches.size;
  }

  /** Stops polling; the process may exit once the call in flight returns. */
  stop(): void {
    this.stopped = true;
    this.watches.clear();
    if (this.inFlight) signalEventFd(this.wakeFd);
    else closeFd(this.wakeFd);
  }

  private kick(): void {
    if (this.inFlight) signalEventFd(this.wakeFd);
    else this.schedule();
  }

  private scheduled = false;
  private schedule(): void {
    if (this.scheduled || this.inFlight || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.cycle();
    });
  }

  private cycle(): void {
    if (this.stopped || this.inFlight) return;
    const list = [...this.watches.values()];
    const nb = new NativeBuffer(8 * (list.length + 1));
    nb.view.setInt32(0, this.wakeFd, true);
    nb.view.setInt16(4, POLLIN, true);
    list.forEach((w, i) => {
      nb.view.setInt32(8 * (i + 1), w.fd, true);
      nb.view.setInt16(8 * (i + 1) + 4, POLLIN, true);
    });
    this.inFlight = true;
    sys().poll.async(nb.ptr, list.length + 1, -1, (err: unknown, n: number) => {
      this.inFlight = false;
      try {
        if (this.stopped) {
          closeFd(this.wakeFd);
          return;
        }
        if (err) throw err;
        if (n > 0) {
          if (nb.view.getInt16(6, true)) drainEventFd(this.wakeFd);
          list.forEach((w, i) => {
            const revents = nb.view.getInt16(8 * (i + 1) + 6, true);
            if (!revents || this.watches.get(w.fd) !== w) return;
            try {
              w.handler(revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL));
            } catch (e) {
              this.onError(e);
            }
          });
        }
      } catch (e) {
        this.onError(e);
      } finally {
        nb.free();
        this.schedule();
      }
    });
  }
}
