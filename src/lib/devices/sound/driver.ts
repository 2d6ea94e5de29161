// The guest side of a sound device over the in-process Loopback: what a guest's virtio-snd
// driver does, reduced to a few calls. It reads the configuration counts, queries jacks,
// streams and channel maps, drives a stream through its lifecycle, keeps the eventq stocked,
// and sends period-sized output messages. rawControl() and rawIo() offer any buffer shape at
// all, for the malformed cases a good driver never produces.
import type { Completion, Loopback } from '../../virtio/loopback.ts';
import { SND_CFG_CHMAPS, SND_CFG_JACKS, SND_CFG_STREAMS, SND_CONTROLQ, SND_EVENTQ, SND_RXQ, SND_TXQ } from './config.ts';
import { encodeSetParams, type PcmParams } from './params.ts';
import {
  decodeEvent,
  le32,
  SND_EVENT_SIZE,
  SND_HDR_SIZE,
  SND_PCM_STATUS_SIZE,
  type SndEvent,
  u32At,
  VIRTIO_SND_R_PCM_PREPARE,
  VIRTIO_SND_R_PCM_RELEASE,
  VIRTIO_SND_R_PCM_START,
  VIRTIO_SND_R_PCM_STOP,
} from './protocol.ts';

export interface IoStatus {
  readonly id: number;
  readonly status: number;
  readonly latencyBytes: number;
  /** Used length of the message. */
  readonly len: number;
  /** Recorded frames (rxq), as bytes. */
  readonly frames: Uint8Array;
}

export const PCM_COMMANDS = {
  PREPARE: VIRTIO_SND_R_PCM_PREPARE,
  RELEASE: VIRTIO_SND_R_PCM_RELEASE,
  START: VIRTIO_SND_R_PCM_START,
  STOP: VIRTIO_SND_R_PCM_STOP,
} as const;

export class SoundDriver {
  readonly lb: Loopback;
  /** Repost a fresh eventq buffer for every one consumed; default true. */
  autoRepost = true;

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  get counts(): { jacks: number; streams: number; chmaps: number } {
    const c = this.lb.device.config;
    return { jacks: c.u32(SND_CFG_JACKS), streams: c.u32(SND_CFG_STREAMS), chmaps: c.u32(SND_CFG_CHMAPS) };
  }

  // #region driver-query
  /** An R_*_INFO query; the status and the `count` items of `size` bytes. */
  query(code: number, start: number, count: number, size: number): { status: number; items: Uint8Array[] } {
    const c = this.control(le32(code, start, count, size), SND_HDR_SIZE + count * size);
    const items = Array.from({ length: c.len > SND_HDR_SIZE ? count : 0 }, (_, i) => c.data.subarray(SND_HDR_SIZE + i * size, SND_HDR_SIZE + (i + 1) * size));
    return { status: u32At(c.data, 0) ?? -1, items };
  }
  // #endregion driver-query

  /** VIRTIO_SND_R_PCM_SET_PARAMS; the status. */
  setParams(streamId: number, p: PcmParams): number {
    return this.status(encodeSetParams(streamId, p));
  }

  /** PREPARE, START, STOP or RELEASE; the status. */
  pcm(cmd: keyof typeof PCM_COMMANDS, streamId: number): number {
    return this.status(le32(PCM_COMMANDS[cmd], streamId));
  }

  /** A control request with a 4-byte response; its status (or -1 if nothing was written). */
  status(req: Uint8Array): number {
    return u32At(this.control(req, SND_HDR_SIZE).data, 0) ?? -1;
  }

  control(req: Uint8Array, respLen: number): Completion {
    return this.lb.request(SND_CONTROLQ, [req], [respLen]);
  }

  /** Any device-readable parts and device-writable lengths as one control request. */
  rawControl(out: readonly Uint8Array[], inLens: readonly number[]): Completion {
    return this.lb.request(SND_CONTROLQ, out, inLens);
  }

  /** Offers `count` eventq buffers of `size` bytes. */
  postEvents(count: number, size = SND_EVENT_SIZE): void {
    for (let i = 0; i < count; i++) this.lb.submit(SND_EVENTQ, [], [size]);
  }

  /** Events placed since the last call. */
  events(): SndEvent[] {
    const out: SndEvent[] = [];
    for (const c of this.lb.poll(SND_EVENTQ)) {
      if (this.autoRepost) this.postEvents(1);
      if (c.len >= SND_EVENT_SIZE) out.push(decodeEvent(c.data));
    }
    return out;
  }

  // #region driver-io
  /** One output message: the stream ID, the frames, and room for the status. Its token. */
  write(streamId: number, frames: Uint8Array): number {
    return this.lb.submit(SND_TXQ, [le32(streamId), frames], [SND_PCM_STATUS_SIZE]);
  }

  /** One input message: the stream ID, then `bytes` of room for frames and 8 for the status. Its token. */
  read(streamId: number, bytes: number): number {
    return this.rawIo(SND_RXQ, [le32(streamId)], bytes > 0 ? [bytes, SND_PCM_STATUS_SIZE] : [SND_PCM_STATUS_SIZE]);
  }

  /** Completed output messages: the status is the last 8 bytes the device wrote. */
  written(): IoStatus[] {
    return this.lb.poll(SND_TXQ).map((c) => ({ id: c.id, len: c.len, status: u32At(c.data, c.len - 8) ?? -1, latencyBytes: u32At(c.data, c.len - 4) ?? -1, frames: new Uint8Array(0) }));
  }

  /**
   * Completed input messages. The status sits at the end of the writable area even when fewer
   * frames were recorded, so the driver reads it there, not at the end of the used length.
   */
  recorded(): IoStatus[] {
    const q = this.lb.queues[SND_RXQ];
    const out: IoStatus[] = [];
    for (let u = q.pollUsed(); u; u = q.pollUsed()) {
      const r = this.rxPending.get(u.id)!;
      this.rxPending.delete(u.id);
      const area = new Uint8Array(r.room);
      let at = 0;
      for (const w of r.writable) {
        area.set(this.lb.mem.read(w.addr, w.len), at);
        at += w.len;
      }
      for (const b of r.all) this.free(b.addr, b.len);
      const st = r.room >= 8 ? area.subarray(r.room - 8) : new Uint8Array(0);
      out.push({ id: u.id, len: u.len, status: u32At(st, 0) ?? -1, latencyBytes: u32At(st, 4) ?? -1, frames: area.slice(0, Math.max(0, Math.min(u.len - 8, r.room - 8))) });
    }
    return out;
  }
  // #endregion driver-io

  /**
   * Any buffer shape on the txq (through the Loopback's requests) or the rxq (laid out here,
   * so that recorded() can read the whole writable area). Its token.
   */
  rawIo(queue: typeof SND_TXQ | typeof SND_RXQ, out: readonly Uint8Array[], inLens: readonly number[]): number {
    if (queue === SND_TXQ) return this.lb.submit(queue, out, inLens);
    const place = (len: number, data: Uint8Array | null) => {
      const addr = this.allocBuf(len);
      this.lb.mem.write(addr, data ?? new Uint8Array(len));
      return { addr, len, writable: data === null };
    };
    const all = [...out.map((d) => place(d.length, d)), ...inLens.map((l) => place(l, null))];
    const id = this.lb.queues[SND_RXQ].add(all);
    const writable = all.filter((b) => b.writable);
    this.rxPending.set(id, { all, writable, room: writable.reduce((n, b) => n + b.len, 0) });
    this.lb.kick(SND_RXQ);
    return id;
  }

  // Guest memory for rx messages, reused by size (the Loopback frees only its own requests).
  private readonly pool = new Map<number, number[]>();
  private readonly rxPending = new Map<number, { all: { addr: number; len: number }[]; writable: { addr: number; len: number }[]; room: number }>();

  private allocBuf(len: number): number {
    return this.pool.get(len)?.pop() ?? this.lb.alloc(len);
  }

  private free(addr: number, len: number): void {
    const l = this.pool.get(len) ?? [];
    l.push(addr);
    this.pool.set(len, l);
  }
}
