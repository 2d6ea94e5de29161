// Where an entropy device gets its bytes. A source may give fewer bytes than asked for, or
// none for now (a pool that is empty or rate-limited); the device then waits rather than
// returning a buffer with nothing in it.

// #region entropy-source
export interface EntropySource {
  /** Fills the start of `into`; returns how many bytes it filled (0 if it has none now). */
  fill(into: Uint8Array): number;
}
// #endregion entropy-source

// #region crypto-source
/**
 * The platform's cryptographically secure generator, crypto.getRandomValues, which Node 22
 * and every current browser provide. In a real hypervisor this is the host kernel's pool.
 */
export class CryptoEntropySource implements EntropySource {
  /** getRandomValues fills at most 65536 bytes per call (Web Crypto). */
  static readonly CHUNK = 65536;

  fill(into: Uint8Array): number {
    for (let at = 0; at < into.length; at += CryptoEntropySource.CHUNK) {
      globalThis.crypto.getRandomValues(into.subarray(at, Math.min(at + CryptoEntropySource.CHUNK, into.length)));
    }
    return into.length;
  }
}
// #endregion crypto-source

/**
 * A reproducible byte stream for tests and examples: xorshift32 (Marsaglia's 13/17/5 shifts)
 * from a non-zero seed. It is NOT random and must never feed a real guest.
 */
export class DeterministicEntropySource implements EntropySource {
  private state: number;

  constructor(seed = 0x2545f491) {
    this.state = seed >>> 0 || 1;
  }

  fill(into: Uint8Array): number {
    for (let i = 0; i < into.length; i++) {
      let x = this.state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.state = x >>> 0;
      into[i] = this.state & 0xff;
    }
    return into.length;
  }
}

// #region rate-limit
/**
 * A token bucket in front of another source, so that one guest cannot drain the host's pool:
 * at most `burst` bytes are available at once, and refill() (called by the host's timer, or a
 * test) adds `bytesPerRefill` more. With the bucket empty, fill() gives nothing.
 */
export class RateLimitedEntropySource implements EntropySource {
  readonly inner: EntropySource;
  readonly bytesPerRefill: number;
  readonly burst: number;
  private tokens: number;

  constructor(inner: EntropySource, opts: { bytesPerRefill: number; burst?: number }) {
    if (!Number.isInteger(opts.bytesPerRefill) || opts.bytesPerRefill < 1) throw new RangeError('bytesPerRefill: a positive integer');
    this.inner = inner;
    this.bytesPerRefill = opts.bytesPerRefill;
    this.burst = opts.burst ?? opts.bytesPerRefill;
    if (!Number.isInteger(this.burst) || this.burst < this.bytesPerRefill) throw new RangeError('burst: an integer not below bytesPerRefill');
    this.tokens = this.burst;
  }

  get available(): number {
    return this.tokens;
  }

  refill(): void {
    this.tokens = Math.min(this.burst, this.tokens + this.bytesPerRefill);
  }

  fill(into: Uint8Array): number {
    const n = Math.min(this.tokens, into.length);
    if (n === 0) return 0;
    const got = clampCount(this.inner.fill(into.subarray(0, n)), n);
    this.tokens -= got;
    return got;
  }
}
// #endregion rate-limit

/** A source's answer, forced into 0..max: a source is trusted for its bytes, not its arithmetic. */
export function clampCount(n: number, max: number): number {
  return Number.isInteger(n) ? Math.max(0, Math.min(n, max)) : 0;
}
