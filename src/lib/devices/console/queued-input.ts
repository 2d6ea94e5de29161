// An input source the host pushes bytes into, e.g. a tester's keystrokes. It is bounded: a
// guest that never reads cannot make the host hold more than `capacity` bytes for it.
import type { ConsoleInput } from './host.ts';

export class QueuedInput implements ConsoleInput {
  readonly capacity: number;
  private buf: Uint8Array = new Uint8Array(0);

  constructor(capacity = 64 * 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('input capacity: a positive integer');
    this.capacity = capacity;
  }

  /** Queues bytes (a string as UTF-8); returns how many fitted. */
  push(data: Uint8Array | string): number {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const n = Math.min(bytes.length, this.capacity - this.buf.length);
    const next = new Uint8Array(this.buf.length + n);
    next.set(this.buf);
    next.set(bytes.subarray(0, n), this.buf.length);
    this.buf = next;
    return n;
  }

  read(max: number): Uint8Array {
    const n = Math.max(0, Math.min(max, this.buf.length));
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}
