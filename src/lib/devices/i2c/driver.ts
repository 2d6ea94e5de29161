// The guest side of an I2C adapter over the in-process Loopback, reduced to what Linux's
// i2c-virtio driver does: a transfer of several messages becomes one request per message,
// FAIL_NEXT set on all but the last, all offered before the device is notified; the transfer
// succeeded only if every request did. On a timed bus the answers come once model time has
// moved, so sending and collecting are separate steps.
import type { Completion, Loopback } from '../../virtio/loopback.ts';
import * as P from './protocol.ts';

export interface I2cSegmentSpec {
  /** A number is a 7-bit address. */
  readonly addr: number | P.I2cAddress;
  /** Bytes to write (a write segment). */
  readonly write?: Uint8Array;
  /** Bytes to read (a read segment); 0 with no write: a zero-length read. */
  readonly read?: number;
}

export interface I2cTransferResult {
  /** Every request answered VIRTIO_I2C_MSG_OK (§5.16.6.3: else the driver uses no read data). */
  readonly ok: boolean;
  /** Each request's status byte (-1 where the device wrote none). */
  readonly statuses: readonly number[];
  /** Each read segment's bytes (empty for writes, and for every segment after a failure). */
  readonly data: readonly Uint8Array[];
}

export class I2cDriver {
  readonly lb: Loopback;
  private readonly done = new Map<number, Completion>();

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  // #region send-transfer
  /** Offers one transfer; returns the request tokens, in order. */
  send(segs: readonly I2cSegmentSpec[]): number[] {
    return segs.map((s, i) => {
      const addr = P.encodeAddress(typeof s.addr === 'number' ? { bits: 7, addr: s.addr } : s.addr);
      const read = s.write === undefined && s.read !== undefined;
      const flags = (read ? P.VIRTIO_I2C_FLAGS_M_RD : 0) | (i < segs.length - 1 ? P.VIRTIO_I2C_FLAGS_FAIL_NEXT : 0);
      const out = [P.encodeOutHdr(addr, flags), ...(s.write && s.write.length > 0 ? [s.write] : [])];
      const inLens = [...(read && s.read! > 0 ? [s.read!] : []), P.I2C_IN_HDR_SIZE];
      return this.lb.submit(P.I2C_REQUESTQ, out, inLens);
    });
  }
  // #endregion send-transfer

  /** Any request: raw device-readable parts and device-writable lengths. */
  raw(out: readonly Uint8Array[], inLens: readonly number[]): number {
    return this.lb.submit(P.I2C_REQUESTQ, out, inLens);
  }

  /** The completion of one request, once the device has answered it. */
  completion(id: number): Completion | undefined {
    for (const c of this.lb.poll(P.I2C_REQUESTQ)) this.done.set(c.id, c);
    return this.done.get(id);
  }

  /** The result of a transfer sent with send(), or null while any of its requests is unanswered. */
  collect(ids: readonly number[], segs: readonly I2cSegmentSpec[]): I2cTransferResult | null {
    const cs = ids.map((id) => this.completion(id));
    if (cs.some((c) => c === undefined)) return null;
    const statuses = cs.map((c) => (c!.len > 0 ? c!.data[c!.len - 1] : -1));
    let failed = false;
    const data = cs.map((c, i) => {
      failed ||= statuses[i] !== P.VIRTIO_I2C_MSG_OK;
      const n = segs[i].write === undefined ? (segs[i].read ?? 0) : 0;
      return failed ? new Uint8Array(0) : c!.data.slice(0, n);
    });
    for (const id of ids) this.done.delete(id);
    return { ok: !failed, statuses, data };
  }

  /** send() and collect() at once, for a bus without model time (or one that is idle and fast). */
  transfer(segs: readonly I2cSegmentSpec[]): I2cTransferResult {
    const ids = this.send(segs);
    const r = this.collect(ids, segs);
    if (!r) throw new Error('i2c: transfer not complete; advance the model clock and collect()');
    return r;
  }

  /** A register read the usual way: write the register number, repeated START, read. */
  readRegister(addr: number, reg: number, len: number): I2cTransferResult {
    return this.transfer([{ addr, write: Uint8Array.of(reg) }, { addr, read: len }]);
  }
}
