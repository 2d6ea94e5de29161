// A per-guest console log: the host keeps what a guest writes, up to a fixed size. When it is
// full the oldest bytes go, and are counted, so a chatty or looping guest never stalls on its
// own console and never takes more host memory than its log was given.

// #region console-log
export class ConsoleLog {
  readonly capacity: number;
  /** Bytes discarded from the front to stay within capacity. */
  lost = 0;
  private chunks: Uint8Array[] = [];
  private size = 0;
  private count = 0;

  constructor(capacity = 1 << 20) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('log capacity: a positive integer');
    this.capacity = capacity;
  }

  write(data: Uint8Array): void {
    this.count++;
    const keep = data.length > this.capacity ? data.subarray(data.length - this.capacity) : data;
    this.lost += data.length - keep.length;
    this.chunks.push(new Uint8Array(keep));
    this.size += keep.length;
    while (this.size > this.capacity) {
      const first = this.chunks[0];
      const cut = Math.min(first.length, this.size - this.capacity);
      this.lost += cut;
      this.size -= cut;
      if (cut === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(cut);
    }
  }
  // #endregion console-log

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** What the log holds, decoded as UTF-8 (bad sequences become U+FFFD). */
  get text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  /** How many write() calls reached the log. */
  get writes(): number {
    return this.count;
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }
}
