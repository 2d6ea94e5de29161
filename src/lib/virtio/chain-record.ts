// The chains a queue hands to its device model. A queue walks thousands of chains a second, so
// it reuses their storage: a record goes back to the queue's pool when the device returns its
// chain (push), and the next chain overwrites it. A device model owns a chain from pop() until
// it pushes it.
import type { ChainBuffer, DescriptorChain } from './chain.ts';
import type { PopResult } from './queue.ts';

// #region chain-record
/** One buffer as a device model sees it; the record rewrites these objects when it is reused. */
interface BufferEntry {
  addr: number;
  len: number;
  writable: boolean;
}

/**
 * A DescriptorChain whose storage is reused once the device has returned it. The walk writes
 * each buffer into typed arrays (no object per buffer, nothing for the garbage collector);
 * `buffers`, the objects a device model reads, is made from them on first use and reused too.
 */
export class ChainRecord implements DescriptorChain {
  id = 0;
  descCount = 0;
  /** How many buffers the chain holds: entries 0 to count - 1 of the arrays. */
  #count = 0;
  #addrs = new Float64Array(INITIAL_BUFFERS);
  #lens = new Uint32Array(INITIAL_BUFFERS);
  /**
   * How many buffers the arrays have room for. Kept apart from their length: the engine reads a
   * typed array's length as a machine word and turns it into a number at every read, a cost
   * the walk would pay for every descriptor.
   */
  #capacity = INITIAL_BUFFERS;
  /**
   * How many of the buffers, from the first, are device-readable; the rest are device-writable.
   * The walk has checked that no readable buffer follows a writable one (§2.7.4.2), so this
   * count says for every buffer what a flag each would, and costs the walk no store per buffer.
   */
  #readable = 0;
  /** The entry objects `buffers` hands out, and whether they show the current chain. */
  #entries: BufferEntry[] = [];
  #entriesCurrent = false;
  /** What pop() hands out for this chain; made once, like the record. */
  readonly #popped: PopResult = { kind: 'chain', chain: this };
  /**
   * The buffers as objects, made from the arrays when first read. An own, enumerable property
   * (like id and descCount), so that a copy or a comparison of the chain sees it too.
   */
  declare readonly buffers: readonly ChainBuffer[];

  constructor() {
    Object.defineProperty(this, 'buffers', BUFFERS);
  }

  /** Bytes of the device-writable buffers: the most a push may report as written. */
  get writableBytes(): number {
    let bytes = 0;
    for (let i = this.#readable; i < this.#count; i++) bytes += this.#lens[i];
    return bytes;
  }
  get popped(): PopResult {
    return this.#popped;
  }

  /**
   * Sets buffer `n` (0-based); the walk has checked it. Entries past the last one set are not
   * read. Whether it is device-writable, finish() says for all buffers at once.
   */
  setBuffer(n: number, addr: number, len: number): void {
    if (n >= this.#capacity) this.grow(n + 1);
    this.#addrs[n] = addr;
    this.#lens[n] = len;
  }

  /**
   * Completes the chain: its ID, the ring descriptors it took, how many buffers were set, and
   * how many of them, from the first, are device-readable (checkBufferOrder's count). Until
   * then the record shows nothing a device model can see: the queue hands it out only after.
   */
  finish(id: number, descCount: number, buffers: number, readable: number): void {
    this.id = id;
    this.descCount = descCount;
    this.#count = buffers;
    this.#readable = readable;
    this.#entriesCurrent = false;
  }

  /** What `buffers` returns: the entry objects, brought up to date with the arrays first. */
  bufferEntries(): readonly ChainBuffer[] {
    if (!this.#entriesCurrent) this.fillEntries();
    return this.#entries;
  }

  /** Rewrites the entry objects from the arrays, reusing those an earlier chain left. */
  private fillEntries(): void {
    const entries = this.#entries;
    for (let i = 0; i < this.#count; i++) {
      const addr = this.#addrs[i];
      const len = this.#lens[i];
      const writable = i >= this.#readable;
      if (i < entries.length) {
        entries[i].addr = addr;
        entries[i].len = len;
        entries[i].writable = writable;
      } else {
        entries.push({ addr, len, writable });
      }
    }
    // Only entries left by a longer chain need trimming; setting the length costs a runtime call.
    if (entries.length !== this.#count) entries.length = this.#count;
    this.#entriesCurrent = true;
  }

  /** Makes room for at least `needed` buffers; a queue's longest chain sets the size once. */
  private grow(needed: number): void {
    const size = Math.max(needed, this.#capacity * 2);
    const addrs = new Float64Array(size);
    addrs.set(this.#addrs);
    this.#addrs = addrs;
    const lens = new Uint32Array(size);
    lens.set(this.#lens);
    this.#lens = lens;
    this.#capacity = size;
  }
}

/**
 * The `buffers` property of every record: one getter shared by all, so that all records keep one
 * hidden class. A getter made per record would give each record a class of its own, and code
 * that touches many records (a device model holding a queue's worth of chains) would find
 * their fields through the engine's slowest, megamorphic lookups.
 */
const BUFFERS: PropertyDescriptor = {
  enumerable: true,
  get(this: ChainRecord): readonly ChainBuffer[] {
    return this.bufferEntries();
  },
};

/** Most chains are short: room for this many buffers before a record first grows. */
const INITIAL_BUFFERS = 8;

/** The records of one queue's chains: taken by the walk, given back when the chain is pushed. */
export class ChainPool {
  private readonly free: ChainRecord[] = [];
  /** A record to fill: its walk sets every buffer it holds, and finish() the rest. */
  acquire(): ChainRecord {
    return this.free.pop() ?? new ChainRecord();
  }
  release(chain: ChainRecord): void {
    this.free.push(chain);
  }
}
// #endregion chain-record
