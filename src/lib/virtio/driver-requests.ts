// The guest driver's bookkeeping of requests, shared by every in-process driver (Loopback, the
// MMIO driver): place a request's buffers in guest memory, offer them on a driver queue, and on
// completion copy out what the device wrote and free the memory. How the device is notified is
// the transport's business, so it comes in as a function.
import type { GuestMemory } from './memory.ts';
import type { DriverQueue } from './queue.ts';
import type { RangeAllocator } from './range-allocator.ts';

export interface Completion {
  /** The token submit() returned. */
  readonly id: number;
  /** Bytes the device reported writing. */
  readonly len: number;
  /** The first `len` bytes of the device-writable buffers, concatenated. */
  readonly data: Uint8Array;
}

interface Pending {
  readonly ranges: { addr: number; len: number }[];
  readonly writable: { addr: number; len: number }[];
}

export class DriverRequests {
  readonly mem: GuestMemory;
  readonly queues: readonly DriverQueue[];
  private readonly heap: RangeAllocator;
  private readonly notify: (q: number) => void;
  private readonly pending: Map<number, Pending>[];

  /** `notify` sends an available buffer notification for a queue, the transport's way. */
  constructor(mem: GuestMemory, heap: RangeAllocator, queues: readonly DriverQueue[], notify: (q: number) => void) {
    this.mem = mem;
    this.heap = heap;
    this.queues = queues;
    this.notify = notify;
    this.pending = queues.map(() => new Map());
  }

  // #region submit
  /**
   * Offers one request on queue `q`: the device-readable parts `out`, then device-writable
   * buffers of the lengths in `inLens`; notifies the device unless it asked not to be.
   */
  submit(q: number, out: readonly Uint8Array[], inLens: readonly number[], opts: { indirect?: boolean } = {}): number {
    const ranges: { addr: number; len: number }[] = [];
    const place = (len: number, data: Uint8Array, writable: boolean) => {
      const addr = this.alloc(len);
      this.mem.write(addr, data);
      ranges.push({ addr, len });
      return { addr, len, writable };
    };
    const bufs = [...out.map((d) => place(d.length, d, false)), ...inLens.map((len) => place(len, new Uint8Array(len), true))];
    let id: number;
    try {
      id = this.queue(q).add(bufs, opts);
    } catch (e) {
      for (const r of ranges) this.heap.release(r.addr, r.len);
      throw e;
    }
    this.pending[q].set(id, { ranges, writable: bufs.filter((b) => b.writable) });
    this.kick(q);
    return id;
  }
  // #endregion submit

  /** Sends an available buffer notification if the device wants one (§2.3). */
  kick(q: number): void {
    if (this.queue(q).kickNeeded()) this.notify(q);
  }

  // #region poll
  /** Every completion the device has returned on queue `q` so far. */
  poll(q: number): Completion[] {
    const done: Completion[] = [];
    const queue = this.queue(q);
    for (let u = queue.pollUsed(); u; u = queue.pollUsed()) {
      const p = this.pending[q].get(u.id);
      if (!p) throw new Error(`queue ${q}: device returned unknown id ${u.id}`);
      this.pending[q].delete(u.id);
      const data = new Uint8Array(u.len);
      let at = 0;
      for (const w of p.writable) {
        if (at >= u.len) break;
        const n = Math.min(w.len, u.len - at);
        data.set(this.mem.read(w.addr, n), at);
        at += n;
      }
      for (const r of p.ranges) this.heap.release(r.addr, r.len);
      done.push({ id: u.id, len: u.len, data });
    }
    return done;
  }
  // #endregion poll

  /** Completions on every queue, by queue; queues with none are left out. */
  pollAll(): Map<number, Completion[]> {
    const all = new Map<number, Completion[]>();
    for (let q = 0; q < this.queues.length; q++) {
      const done = this.poll(q);
      if (done.length > 0) all.set(q, done);
    }
    return all;
  }

  /** Requests offered on queue `q` and not yet completed. */
  outstanding(q: number): number {
    return this.pending[q]?.size ?? 0;
  }

  /** Guest memory for the driver's own use; throws when it is exhausted. */
  alloc(bytes: number): number {
    const addr = this.heap.alloc(Math.max(bytes, 1));
    if (addr === null) throw new Error(`driver: guest memory exhausted (${bytes} bytes wanted)`);
    return addr;
  }

  private queue(q: number): DriverQueue {
    const queue = this.queues[q];
    if (!queue) throw new RangeError(`queue ${q}: the driver set up ${this.queues.length} queues`);
    return queue;
  }
}
