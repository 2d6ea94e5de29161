// The guest side of an input device over the in-process Loopback: what a guest's virtio-input
// driver does, reduced to a few calls. It reads the configuration the way Linux's driver does
// (write select and subsel, read size, then u), keeps the eventq stocked with 8-byte buffers,
// and sends status events. rawStatus() and rawEventBuffer() offer any buffer shape at all,
// for the malformed cases a good driver never produces.
import type { Loopback } from '../../virtio/loopback.ts';
import { INPUT_CFG_SELECT, INPUT_CFG_SIZE, INPUT_CFG_UNION } from './config.ts';
import { INPUT_EVENTQ, INPUT_STATUSQ } from './device.ts';
import { decodeInputEvent, encodeInputEvent, INPUT_EVENT_SIZE, type InputEvent, isSynReport } from './event.ts';

export class InputDriver {
  readonly lb: Loopback;
  /** Repost a fresh eventq buffer for every one consumed; default true. */
  autoRepost = true;
  /** Eventq buffers the device handed back unused (used length 0). */
  emptyBuffers = 0;
  /** Events received but not yet ended by SYN_REPORT. */
  private partial: InputEvent[] = [];
  private posted = 0;

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  // #region driver-config
  /** One configuration query: select and subsel written (subsel first, to show order does not matter), then size and u. */
  query(select: number, subsel: number): Uint8Array {
    const dev = this.lb.device;
    dev.writeConfig(INPUT_CFG_SELECT + 1, Uint8Array.of(subsel));
    dev.writeConfig(INPUT_CFG_SELECT, Uint8Array.of(select));
    const size = dev.config.u8(INPUT_CFG_SIZE);
    return dev.config.read(INPUT_CFG_UNION, size);
  }
  // #endregion driver-config

  /** Offers `count` eventq buffers of `size` bytes (default one event). */
  post(count: number, size = INPUT_EVENT_SIZE): void {
    for (let i = 0; i < count; i++) this.lb.submit(INPUT_EVENTQ, [], [size]);
    this.posted += count;
  }

  /** Eventq buffers offered and not yet used. */
  get outstanding(): number {
    return this.posted;
  }

  /** Every event the device has placed since the last call, in order. */
  events(): InputEvent[] {
    const out: InputEvent[] = [];
    for (const c of this.lb.poll(INPUT_EVENTQ)) {
      this.posted--;
      if (this.autoRepost) this.post(1);
      if (c.len < INPUT_EVENT_SIZE) {
        this.emptyBuffers++;
        continue;
      }
      out.push(decodeInputEvent(c.data));
    }
    return out;
  }

  /** Complete frames (each ending with SYN_REPORT) received since the last call. */
  frames(): InputEvent[][] {
    const frames: InputEvent[][] = [];
    for (const e of this.events()) {
      this.partial.push(e);
      if (isSynReport(e)) {
        frames.push(this.partial);
        this.partial = [];
      }
    }
    return frames;
  }

  /** Sends one status event (an LED, a repeat setting) on the statusq. */
  status(e: InputEvent): number {
    return this.lb.request(INPUT_STATUSQ, [encodeInputEvent(e)], []).len;
  }

  /** Any device-readable parts and device-writable lengths, as one status buffer; its used length. */
  rawStatus(out: readonly Uint8Array[], inLens: readonly number[] = []): number {
    return this.lb.request(INPUT_STATUSQ, out, inLens).len;
  }
}
