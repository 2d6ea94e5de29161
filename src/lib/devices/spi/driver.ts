// The guest side of an SPI device over the in-process Loopback. Linux's spi-virtio driver sends
// one transfer at a time and waits for it; send() with one transfer does the same. A driver
// that needs several transfers under one chip-select assertion (a flash command, then its
// data) makes them available together and notifies once: send() with several transfers. To
// control when the device is notified, the driver keeps its own request bookkeeping on the
// requestq, in a region of guest memory it takes from the Loopback.
import { type Completion, DriverRequests } from '../../virtio/driver-requests.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import { RangeAllocator } from '../../virtio/range-allocator.ts';
import type { SpiCaps } from './config.ts';
import * as P from './protocol.ts';

export interface SpiTransferSpec {
  readonly head?: P.SpiHeadInit;
  /** tx_buf: bytes to send (omit for a half-duplex read). */
  readonly tx?: Uint8Array;
  /** rx_buf: bytes to receive (omit for a half-duplex write). */
  readonly rx?: number;
}

export interface SpiTransferResult {
  /** The result byte (-1 if the device wrote none). */
  readonly result: number;
  /** rx_buf as the device left it (use only with VIRTIO_SPI_TRANS_OK, §5.21.6.3). */
  readonly rx: Uint8Array;
  readonly len: number;
}

export class SpiDriver {
  readonly lb: Loopback;
  private readonly requests: DriverRequests;
  private readonly done = new Map<number, Completion>();
  private holdKick = false;
  private kickHeld = false;

  constructor(lb: Loopback, opts: { memBytes?: number } = {}) {
    this.lb = lb;
    const size = opts.memBytes ?? 128 * 1024;
    const heap = new RangeAllocator({ addr: lb.alloc(size), size }, 16);
    // Notifications the queue asks for while transfers are being added together are sent once, after.
    this.requests = new DriverRequests(lb.mem, heap, lb.queues, (q) => {
      if (this.holdKick) this.kickHeld = true;
      else lb.device.queueNotify(q);
    });
  }

  /** The configuration as the driver reads it (§5.21.4). */
  caps(): SpiCaps {
    const c = this.lb.device.config;
    return {
      csMaxNumber: c.u8(P.SPI_CFG_CS_MAX_NUMBER),
      csChangeSupported: c.u8(P.SPI_CFG_CS_CHANGE_SUPPORTED) === 1,
      txNbits: c.u8(P.SPI_CFG_TX_NBITS_SUPPORTED),
      rxNbits: c.u8(P.SPI_CFG_RX_NBITS_SUPPORTED),
      bitsPerWordMask: c.u32(P.SPI_CFG_BITS_PER_WORD_MASK),
      modeFunc: c.u32(P.SPI_CFG_MODE_FUNC_SUPPORTED),
      maxFreqHz: c.u32(P.SPI_CFG_MAX_FREQ_HZ),
      maxWordDelayNs: c.u32(P.SPI_CFG_MAX_WORD_DELAY_NS),
      maxCsSetupNs: c.u32(P.SPI_CFG_MAX_CS_SETUP_NS),
      maxCsHoldNs: c.u32(P.SPI_CFG_MAX_CS_HOLD_NS),
      maxCsInactiveNs: c.u32(P.SPI_CFG_MAX_CS_INACTIVE_NS),
    };
  }

  // #region send-together
  /** Makes the transfers available together, in order, then notifies the device once. */
  send(transfers: readonly SpiTransferSpec[]): number[] {
    return this.together(() =>
      transfers.map((t) => {
        const out = [P.encodeHead(t.head), ...(t.tx && t.tx.length > 0 ? [t.tx] : [])];
        const inLens = [...(t.rx ? [t.rx] : []), P.SPI_RESULT_SIZE];
        return this.requests.submit(P.SPI_REQUESTQ, out, inLens);
      }),
    );
  }
  // #endregion send-together

  /** Any request shape, made available with the others in `raws`, with one notification. */
  raw(raws: readonly { out: readonly Uint8Array[]; in: readonly number[] }[]): number[] {
    return this.together(() => raws.map((r) => this.requests.submit(P.SPI_REQUESTQ, r.out, r.in)));
  }

  private together(add: () => number[]): number[] {
    this.holdKick = true;
    this.kickHeld = false;
    let ids: number[];
    try {
      ids = add();
    } finally {
      this.holdKick = false;
    }
    if (this.kickHeld) this.lb.device.queueNotify(P.SPI_REQUESTQ);
    return ids;
  }

  /** The completion of a request, once answered. */
  completion(id: number): Completion | undefined {
    for (const c of this.requests.poll(P.SPI_REQUESTQ)) this.done.set(c.id, c);
    return this.done.get(id);
  }

  /** Results of transfers sent together, or null while any is unanswered. */
  collect(ids: readonly number[]): SpiTransferResult[] | null {
    const cs = ids.map((id) => this.completion(id));
    if (cs.some((c) => c === undefined)) return null;
    for (const id of ids) this.done.delete(id);
    return cs.map((c) => ({ result: c!.len > 0 ? c!.data[c!.len - 1] : -1, rx: c!.data.slice(0, Math.max(0, c!.len - 1)), len: c!.len }));
  }

  /** send() and collect() at once, for a bus without model time. */
  message(transfers: readonly SpiTransferSpec[]): SpiTransferResult[] {
    const r = this.collect(this.send(transfers));
    if (!r) throw new Error('spi: transfers not complete; advance the model clock and collect()');
    return r;
  }

  transfer(t: SpiTransferSpec): SpiTransferResult {
    return this.message([t])[0];
  }
}
