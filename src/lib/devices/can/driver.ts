// The guest side of a CAN device over the in-process Loopback: what a guest's virtio-can
// driver does with the three queues, reduced to a few calls. Transmit requests may be used
// late (VIRTIO_CAN_F_LATE_TX_ACK), so their results are collected as they arrive rather than
// expected at once. raw() sends any bytes at all, for requests a good driver would never build.
import { hasFeature } from '../../virtio/feature-bits.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import { CAN_CFG_STATUS, VIRTIO_CAN_S_CTRL_BUSOFF } from './config.ts';
import { CAN_CONTROLQ, CAN_RXQ, CAN_TXQ } from './device.ts';
import { maxSduLength, VIRTIO_CAN_F_LATE_TX_ACK } from './features.ts';
import { type CanFrame, canFrame, type CanFrameInit } from './frame.ts';
import {
  CAN_MSG_HEADER_SIZE,
  type CanMsgHeader,
  decodeCanHeader,
  encodeCanControl,
  encodeCanTx,
  VIRTIO_CAN_FLAGS_EXTENDED,
  VIRTIO_CAN_FLAGS_FD,
  VIRTIO_CAN_FLAGS_RTR,
  VIRTIO_CAN_SET_CTRL_MODE_START,
  VIRTIO_CAN_SET_CTRL_MODE_STOP,
} from './message.ts';

/** A transmit request's fate: its result byte, 'unanswered' (used length 0), or 'pending' (not used yet). */
export type CanTxStatus = number | 'unanswered' | 'pending';

export interface CanRxMessage {
  /** The header as the device wrote it. */
  readonly header: CanMsgHeader;
  /** The frame it describes; a remote request has empty data. */
  readonly frame: CanFrame;
  /** The used length the device reported. */
  readonly len: number;
}

export class CanDriver {
  readonly lb: Loopback;
  /** Repost a fresh receive buffer for every one consumed; default true. */
  autoRepost = true;
  /** Receive buffers the device returned with used length 0 (too small, or malformed). */
  emptyRxBuffers = 0;
  private readonly results = new Map<number, CanTxStatus>();
  private readonly completedOrder: number[] = [];
  private readonly rxSizes = new Map<number, number>();

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  /** The sdu bytes a receive buffer must have room for with the negotiated features. */
  get maxSdu(): number {
    return maxSduLength(this.lb.features);
  }

  get lateTxAck(): boolean {
    return hasFeature(this.lb.features, VIRTIO_CAN_F_LATE_TX_ACK);
  }

  /** The configuration status word, as a driver reads it. */
  get status(): number {
    return this.lb.device.config.u16(CAN_CFG_STATUS);
  }

  get busOff(): boolean {
    return (this.status & VIRTIO_CAN_S_CTRL_BUSOFF) !== 0;
  }

  /** Sends a control request; the result byte, or null if the device returned none. */
  control(msgType: number, opts: { raw?: Uint8Array; resultLen?: number } = {}): number | null {
    const c = this.lb.request(CAN_CONTROLQ, [opts.raw ?? encodeCanControl(msgType)], (opts.resultLen ?? 1) > 0 ? [opts.resultLen ?? 1] : []);
    return c.len >= 1 ? c.data[0] : null;
  }

  start(): number | null {
    return this.control(VIRTIO_CAN_SET_CTRL_MODE_START);
  }

  stop(): number | null {
    return this.control(VIRTIO_CAN_SET_CTRL_MODE_STOP);
  }

  /** Offers `count` receive buffers of `size` bytes (default: header plus the largest sdu). */
  postRx(count: number, size = CAN_MSG_HEADER_SIZE + this.maxSdu): void {
    for (let i = 0; i < count; i++) this.rxSizes.set(this.lb.submit(CAN_RXQ, [], [size]), size);
  }

  /** Transmits a frame; returns the request's id and its status so far. */
  send(frame: CanFrameInit): { id: number; status: CanTxStatus } {
    return this.raw([encodeCanTx(canFrame(frame))], [1]);
  }

  /** Any device-readable parts and device-writable lengths, as one transmit request. */
  raw(out: readonly Uint8Array[], inLens: readonly number[] = [1]): { id: number; status: CanTxStatus } {
    const id = this.lb.submit(CAN_TXQ, out, inLens);
    this.results.delete(id); // ids come back once used: forget the earlier request's result
    this.collect();
    return { id, status: this.txStatus(id) };
  }

  /** The status of transmit request `id`. */
  txStatus(id: number): CanTxStatus {
    this.collect();
    return this.results.get(id) ?? 'pending';
  }

  /** Ids of transmit requests used so far, in the order the device used them. */
  txCompleted(): readonly number[] {
    this.collect();
    return this.completedOrder;
  }

  /** Every message the device has placed in the Rxq since the last call, in order. */
  receive(): CanRxMessage[] {
    const out: CanRxMessage[] = [];
    for (const c of this.lb.poll(CAN_RXQ)) {
      const size = this.rxSizes.get(c.id) ?? CAN_MSG_HEADER_SIZE + this.maxSdu;
      this.rxSizes.delete(c.id);
      if (this.autoRepost) this.postRx(1, size);
      if (c.len < CAN_MSG_HEADER_SIZE) {
        this.emptyRxBuffers++;
        continue;
      }
      const header = decodeCanHeader(c.data);
      const rtr = (header.flags & VIRTIO_CAN_FLAGS_RTR) !== 0;
      const data = rtr ? new Uint8Array(0) : c.data.slice(CAN_MSG_HEADER_SIZE, CAN_MSG_HEADER_SIZE + header.length);
      const frame: CanFrame = {
        id: header.canId,
        extended: (header.flags & VIRTIO_CAN_FLAGS_EXTENDED) !== 0,
        fd: (header.flags & VIRTIO_CAN_FLAGS_FD) !== 0,
        rtr,
        length: header.length,
        data,
      };
      out.push({ header, frame, len: c.len });
    }
    return out;
  }

  /** Receive buffers offered and not yet used. */
  get rxPosted(): number {
    return this.rxSizes.size;
  }

  private collect(): void {
    for (const c of this.lb.poll(CAN_TXQ)) {
      this.results.set(c.id, c.len >= 1 ? c.data[0] : 'unanswered');
      this.completedOrder.push(c.id);
    }
  }
}
