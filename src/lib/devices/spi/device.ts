// The SPI controller device, VIRTIO 1.4 §5.21 (device ID 45), as one guest's window onto a
// shared SPI bus (bus.ts). Each request is one transfer. VIRTIO has no notion of a message, so
// nothing on the wire tells the device when a chip select may go inactive; the AVP's rule is
// that the transfers the driver made available together (found at one notification) and that
// address the same chip select form one frame: the chip select stays active between them
// unless a transfer has cs_change 1, and goes inactive after the last. A frame is one bus
// transaction: it runs in the guest's turn, within its bus-time budget (../i2c/arbiter.ts),
// and its requests complete when it has left the bus in model time.
import { type DescriptorChain, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import type { BusClient, BusPort } from '../i2c/arbiter.ts';
import type { SpiBus } from './bus.ts';
import { writeConfig } from './config.ts';
import * as P from './protocol.ts';
import { checkTransfer, type SpiParamFault, transferNs } from './validate.ts';

// #region spi-failures
/** Why a transfer failed: PARAM_ERR for the parameter faults, TRANS_ERR for the rest. */
export type SpiFailure =
  | SpiParamFault
  | 'short-head' //        fewer than 32 device-readable bytes (PARAM_ERR)
  | 'no-result-room' //    no device-writable byte for the result: nothing can be answered
  | 'too-long' //          the frame would take longer than the guest's maxTransactionUs (PARAM_ERR)
  | 'transfer-failed' //   the controller failed on the wire (TRANS_ERR)
  | 'frame-aborted' //     an earlier transfer of the same frame failed, so this one was not run (TRANS_ERR)
  | 'suspended'; //        taken but not run when the driver suspended the device (TRANS_ERR)
// #endregion spi-failures

const TRANSFER_FAILURES: ReadonlySet<SpiFailure> = new Set(['transfer-failed', 'frame-aborted', 'suspended']);

export function resultFor(f: SpiFailure | null): number {
  if (f === null) return P.VIRTIO_SPI_TRANS_OK;
  return TRANSFER_FAILURES.has(f) ? P.VIRTIO_SPI_TRANS_ERR : P.VIRTIO_SPI_PARAM_ERR;
}

interface Req {
  readonly chain: DescriptorChain;
  readonly takenAt: number;
  readonly head: P.SpiHead | null;
  readonly tx: Uint8Array;
  /** Device-writable bytes: rx_buf and the result byte. */
  readonly room: number;
  readonly rxLen: number;
  fault: SpiFailure | null;
  rx: Uint8Array;
}

export interface SpiStats {
  ok: number;
  readonly failures: Map<SpiFailure, number>;
  frames: number;
  maxLatencyUs: number;
}

export interface SpiDeviceOptions {
  readonly bus: SpiBus;
  readonly guest: string;
}

export class SpiControllerDevice extends VirtioDevice implements BusClient {
  readonly deviceId = P.VIRTIO_ID_SPI;
  readonly name = 'virtio-spi';
  readonly bus: SpiBus;
  readonly guest: string;
  readonly port: BusPort;
  readonly stats: SpiStats = { ok: 0, failures: new Map(), frames: 0, maxLatencyUs: 0 };
  /** Frames in queue order, waiting for the bus; each holds its runnable transfers first. */
  private ready: Req[][] = [];
  private onBus: Req[] | null = null;
  private suspended = false;

  constructor(opts: SpiDeviceOptions) {
    super(P.SPI_CONFIG_SIZE);
    this.bus = opts.bus;
    this.guest = opts.guest;
    writeConfig(this.config, this.bus.caps); // §5.21.6.4: set before the driver reads it
    const row = this.bus.row(opts.guest);
    if (!row) throw new RangeError(`${this.bus.name}: no row for guest ${opts.guest}`);
    this.port = this.bus.arbiter.join(opts.guest, row.busTime ?? null, this);
  }

  protected deviceFeatures(): Features {
    return 0n; // §5.21.3: none
  }

  queueCount(): number {
    return 1;
  }

  private get now(): number {
    return this.bus.arbiter.clock?.now ?? 0;
  }

  private get maxUs(): number {
    return this.port.policy?.maxTransactionUs ?? Infinity;
  }

  queueNotify(index: number): void {
    if (!this.active || this.suspended || index !== P.SPI_REQUESTQ) return;
    this.take();
    this.completeHeadsWithoutBus();
    this.bus.arbiter.wake();
  }

  // #region take-frames
  /**
   * Takes every available transfer and cuts them into frames: runs of consecutive transfers to
   * the same chip select. A frame runs up to its first invalid transfer, or the first that
   * would make it longer than the guest's maxTransactionUs; that one gets its PARAM_ERR reason
   * and the frame's later transfers are not run.
   */
  private take(): void {
    const q = this.queue(P.SPI_REQUESTQ);
    if (!q) return;
    const batch: Req[] = [];
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') {
        this.env.needsReset(r.error);
        break;
      }
      batch.push(this.parse(r.chain));
    }
    let frame: Req[] = [];
    const close = () => {
      if (frame.length) this.ready.push(this.bound(frame));
      frame = [];
    };
    for (const req of batch) {
      const cs = req.head?.chipSelect;
      if (frame.length > 0 && (cs === undefined || frame[0].head?.chipSelect !== cs)) close();
      frame.push(req);
      if (cs === undefined) close(); // a transfer without a readable head stands alone
    }
    close();
  }
  // #endregion take-frames

  // #region parse
  private parse(chain: DescriptorChain): Req {
    const bytes = readChain(this.env.mem, chain);
    const room = totalLength(writableBuffers(chain));
    const rxLen = Math.max(0, room - P.SPI_RESULT_SIZE);
    const base = { chain, takenAt: this.now, room, rxLen, rx: new Uint8Array(0) };
    if (bytes.length < P.SPI_HEAD_SIZE) return { ...base, head: null, tx: new Uint8Array(0), fault: room < P.SPI_RESULT_SIZE ? 'no-result-room' : 'short-head' };
    const head = P.decodeHead(bytes);
    const tx = bytes.slice(P.SPI_HEAD_SIZE);
    let fault: SpiFailure | null = room < P.SPI_RESULT_SIZE ? 'no-result-room' : checkTransfer(head, this.bus.caps, tx.length, rxLen);
    if (fault === null && this.bus.ownerOf(head.chipSelect) !== this.guest) fault = 'not-owned';
    return { ...base, head, tx, fault };
  }
  // #endregion parse

  /** Cost in µs of the first `n` transfers of a frame run as one frame. */
  private frameUs(frame: readonly Req[], n: number): number {
    let ns = 0;
    let asserted = false;
    for (let i = 0; i < n; i++) {
      const r = frame[i];
      const h = r.head!;
      const deasserts = i === n - 1 || h.csChange === 1;
      ns += transferNs(h, r.tx.length, r.rxLen, !asserted, deasserts);
      asserted = !deasserts;
    }
    return Math.ceil(ns / 1000);
  }

  /** Marks where a frame stops: its first fault, or the transfer that makes it too long. */
  private bound(frame: Req[]): Req[] {
    let n = 0;
    while (n < frame.length && frame[n].fault === null) {
      if (this.frameUs(frame, n + 1) > this.maxUs) {
        frame[n].fault = 'too-long';
        break;
      }
      n++;
    }
    for (const r of frame.slice(n + 1)) if (r.fault === null) r.fault = 'frame-aborted';
    return frame;
  }

  private runnable(frame: Req[]): Req[] {
    const i = frame.findIndex((r) => r.fault !== null);
    return i < 0 ? frame : frame.slice(0, i);
  }

  // #region bus-client
  nextCost(): number | null {
    if (this.suspended || !this.active || this.onBus) return null;
    const f = this.ready[0];
    return f ? this.frameUs(f, this.runnable(f).length) : null;
  }

  run(): number {
    const frame = this.ready.shift()!;
    this.onBus = frame;
    const segs = this.runnable(frame);
    const rx = this.bus.runFrame(segs.map((r) => ({ head: r.head!, tx: r.tx, rxLen: r.rxLen })));
    let ran = 0;
    segs.forEach((r, i) => {
      if (i >= rx.length) r.fault = 'frame-aborted';
      else if (rx[i] === null) r.fault = 'transfer-failed';
      else {
        r.rx = rx[i]!;
        ran = i + 1;
      }
    });
    this.stats.frames++;
    // The bus time of what ran, and of the transfer that failed on the wire.
    return this.frameUs(segs, Math.min(segs.length, ran + (ran < segs.length ? 1 : 0)));
  }

  finish(end: number): void {
    const frame = this.onBus;
    this.onBus = null;
    if (!frame || !this.active) return;
    this.complete(frame, end);
    this.completeHeadsWithoutBus();
  }
  // #endregion bus-client

  /** Answers, in order, head frames that need no bus (their first transfer is refused). */
  private completeHeadsWithoutBus(): void {
    if (!this.active || this.onBus) return;
    while (this.ready.length > 0 && this.runnable(this.ready[0]).length === 0) this.complete(this.ready.shift()!, this.now);
  }

  // #region complete
  private complete(frame: Req[], end: number): void {
    const q = this.queue(P.SPI_REQUESTQ);
    if (!q) return;
    for (const r of frame) {
      let len = 0;
      if (r.room >= P.SPI_RESULT_SIZE) {
        const w = new ChainWriter(this.env.mem, r.chain);
        // rx_buf: what was received, or zeros when the transfer did not complete (§5.21.6.3:
        // the driver does not use it then), then the result byte.
        const body = new Uint8Array(r.rxLen);
        if (r.fault === null) body.set(r.rx.subarray(0, r.rxLen));
        w.write(body);
        w.write(Uint8Array.of(resultFor(r.fault)));
        len = w.written;
      }
      if (r.fault === null) this.stats.ok++;
      else this.stats.failures.set(r.fault, (this.stats.failures.get(r.fault) ?? 0) + 1);
      this.stats.maxLatencyUs = Math.max(this.stats.maxLatencyUs, end - r.takenAt);
      q.push(r.chain, len);
    }
    if (q.needsNotification()) this.env.notifyUsed(P.SPI_REQUESTQ);
  }
  // #endregion complete

  /** §3.4: the frame on the bus is answered with its results; frames not run yet with TRANS_ERR. */
  suspend(): void {
    if (!this.active) return;
    if (this.onBus) {
      const f = this.onBus;
      this.onBus = null;
      this.complete(f, this.now);
    }
    for (const f of this.ready) {
      for (const r of f) r.fault ??= 'suspended';
      this.complete(f, this.now);
    }
    this.ready = [];
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    if (this.active) this.queueNotify(P.SPI_REQUESTQ);
  }

  protected onReset(): void {
    this.ready = [];
    this.onBus = null;
    this.suspended = false;
  }
}
