// A physical I2C bus as the platform sees it: the parts on it, the guest that owns each
// address, each guest's share of bus time, and the wire timing that turns a transaction into
// microseconds. Guests reach it only through their own I2C adapter device (device.ts); the
// ownership table decides which addresses each of them can reach at all.
import type { ModelClock } from '../../virtio/model-clock.ts';
import { BusArbiter, type BusTimePolicy } from './arbiter.ts';
import { addressKey, type I2cAddress } from './protocol.ts';
import type { I2cTarget } from './targets.ts';

// #region ownership-table
/** One guest's row of the platform's I2C table. */
export interface I2cGuestRow {
  /** The addresses the guest owns: a number is a 7-bit address. */
  readonly addresses: readonly (number | I2cAddress)[];
  /** Its bus time; absent: unlimited (only sensible for a guest alone on the bus). */
  readonly busTime?: BusTimePolicy;
}

export interface I2cBusOptions {
  readonly name?: string;
  /** Model time; without it transactions take no time and budgets do not apply. */
  readonly clock?: ModelClock;
  /** SCL frequency: 100 kHz standard mode, 400 kHz fast mode (default), 1 MHz fast mode plus. */
  readonly hz?: number;
  /** Guest name to its row. An address appears in at most one row. */
  readonly owners: Readonly<Record<string, I2cGuestRow>>;
}
// #endregion ownership-table

const asAddress = (a: number | I2cAddress): I2cAddress => (typeof a === 'number' ? { bits: 7, addr: a } : a);

/** One segment of a transaction as the bus runs it. */
export interface I2cSegment {
  readonly addr: I2cAddress;
  readonly read: boolean;
  /** Write data (empty for a read or a zero-length request). */
  readonly data: Uint8Array;
  /** Bytes to read. */
  readonly readLen: number;
}

export interface I2cSegmentResult {
  readonly ok: boolean;
  readonly data: Uint8Array;
}

export class I2cBus {
  readonly name: string;
  readonly hz: number;
  readonly arbiter: BusArbiter;
  private readonly owner = new Map<string, string>();
  private readonly rows: Readonly<Record<string, I2cGuestRow>>;
  private readonly targets = new Map<string, I2cTarget>();

  constructor(opts: I2cBusOptions) {
    this.name = opts.name ?? 'i2c';
    this.hz = opts.hz ?? 400_000;
    if (!Number.isSafeInteger(this.hz) || this.hz < 1_000 || this.hz > 5_000_000) throw new RangeError(`hz ${this.hz}: 1 kHz to 5 MHz`);
    this.arbiter = new BusArbiter({ clock: opts.clock });
    this.rows = opts.owners;
    for (const [guest, row] of Object.entries(opts.owners)) {
      for (const a of row.addresses.map(asAddress)) {
        const k = addressKey(a);
        const was = this.owner.get(k);
        if (was !== undefined) throw new RangeError(`${this.name}: address ${k} is owned by both ${was} and ${guest}`);
        this.owner.set(k, guest);
      }
    }
  }

  /** Puts a part on the bus at `addr`. */
  attach(addr: number | I2cAddress, target: I2cTarget): this {
    const k = addressKey(asAddress(addr));
    if (this.targets.has(k)) throw new RangeError(`${this.name}: two parts at ${k}`);
    this.targets.set(k, target);
    return this;
  }

  /** The guest that owns `addr`, if any. */
  ownerOf(addr: I2cAddress): string | undefined {
    return this.owner.get(addressKey(addr));
  }

  /** The guest's row of the table. */
  row(guest: string): I2cGuestRow | undefined {
    return this.rows[guest];
  }

  // #region wire-time
  /**
   * Clock periods a segment holds the bus: a START (or repeated START), then an address byte
   * (two for a 10-bit address) and each data byte, every byte nine clocks with its ACK bit.
   * A segment the part does not acknowledge ends after its address.
   */
  static segmentBits(seg: { addr: I2cAddress; readLen: number; data: Uint8Array; read: boolean }, acked = true): number {
    const addrBytes = seg.addr.bits === 10 ? 2 : 1;
    const dataBytes = acked ? (seg.read ? seg.readLen : seg.data.length) : 0;
    return 1 + 9 * (addrBytes + dataBytes);
  }

  /** Microseconds for `bits` clock periods at this bus's frequency, rounded up. */
  micros(bits: number): number {
    return Math.ceil((bits * 1_000_000) / this.hz);
  }
  // #endregion wire-time

  // #region run-transaction
  /**
   * Runs segments as one transaction, from model time `at` (null on an untimed bus): a START,
   * each segment after a repeated START, one STOP at the end. The first segment the part does
   * not acknowledge ends the transaction there; it and the segments after it fail. Returns the
   * result of every segment and the clock periods the transaction took.
   */
  run(segments: readonly I2cSegment[], at: number | null): { results: I2cSegmentResult[]; bits: number } {
    const results: I2cSegmentResult[] = [];
    let bits = 0;
    let failed = false;
    const touched = new Set<I2cTarget>();
    for (const seg of segments) {
      if (failed) {
        results.push({ ok: false, data: new Uint8Array(seg.readLen) });
        continue;
      }
      const t = this.targets.get(addressKey(seg.addr));
      const acked = t !== undefined && t.ack(seg.read, at);
      bits += I2cBus.segmentBits(seg, acked);
      if (!t || !acked) {
        failed = true;
        results.push({ ok: false, data: new Uint8Array(seg.readLen) });
        continue;
      }
      touched.add(t);
      if (seg.read) results.push({ ok: true, data: t.read(seg.readLen) });
      else if (t.write(seg.data)) results.push({ ok: true, data: new Uint8Array(0) });
      else {
        failed = true;
        results.push({ ok: false, data: new Uint8Array(0) });
      }
    }
    if (segments.length > 0) bits += 1; // STOP
    const end = at === null ? null : at + this.micros(bits);
    for (const t of touched) t.stop(end);
    return { results, bits };
  }
  // #endregion run-transaction
}
