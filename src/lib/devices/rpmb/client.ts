// The requester's side of RPMB: what a guest's TEE does through its virtio-rpmb driver, and
// what the platform does with its physical part. It builds requests, sends them through an
// exchange function, and checks every answer: the response type, the nonce it chose, the
// address, and the MAC under the key it holds. An answer that fails a check is reported as
// unverified, whatever its result says.
import type { Loopback } from '../../virtio/loopback.ts';
import {
  concatBytes, decodeFrame, macInput, RPMB_COUNTER_MAX, RPMB_DATA_SIZE, RPMB_FRAME_SIZE, RPMB_NONCE_SIZE, type RpmbFrame, splitFrames,
  VIRTIO_RPMB_RES_OK, VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED, VIRTIO_RPMB_RESP_DATA_READ, VIRTIO_RPMB_RESP_DATA_WRITE, VIRTIO_RPMB_RESP_GET_COUNTER,
  VIRTIO_RPMB_RESP_PROGRAM_KEY,
} from './frame.ts';
import { hmacSha256, type MacFunction, macEqual } from './hmac.ts';
import { counterRequest, programKeyRequest, readRequest, writeRequest } from './requests.ts';
import { RPMB_REQUESTQ } from './device.ts';

/** Sends request frames, with room for `room` response frames; returns the response frames. */
export type RpmbExchange = (request: readonly Uint8Array[], room: number) => Uint8Array[];

/** An exchange over a virtio-rpmb device: one descriptor per request frame, one writable buffer for the answer. */
export function loopbackExchange(lb: Loopback, queue = RPMB_REQUESTQ): RpmbExchange {
  return (request, room) => {
    const c = lb.request(queue, request, room > 0 ? [room * RPMB_FRAME_SIZE] : []);
    return c.len === 0 ? [] : (splitFrames(c.data.subarray(0, c.len - (c.len % RPMB_FRAME_SIZE))) ?? []);
  };
}

export interface RpmbAnswer {
  /** The result of the (last) response frame, or null when the device sent none. */
  readonly result: number | null;
  /** True when the response type, nonce, address and MAC all check out. */
  readonly verified: boolean;
  readonly frames: readonly RpmbFrame[];
}

export type WriteAnswer = RpmbAnswer & { counter: number | null; applied: boolean };

/** Whether a result means success (the expired flag aside). */
export const resultOk = (r: number | null): boolean => r !== null && (r & ~VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED) === VIRTIO_RPMB_RES_OK;

/** Nonces from a seed: deterministic, for models and examples (a real requester uses a random source). */
export function seededNonces(seed: number): () => Uint8Array {
  let x = seed >>> 0 || 1;
  return () => {
    const n = new Uint8Array(RPMB_NONCE_SIZE);
    for (let i = 0; i < n.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      n[i] = x & 0xff;
    }
    return n;
  };
}

export class RpmbClient {
  readonly exchange: RpmbExchange;
  /** The key this requester holds (and programs); the MACs of answers are checked under it. */
  readonly key: Uint8Array;
  private readonly mac: MacFunction;
  private readonly nonce: () => Uint8Array;
  /** The request frames of the last write, as sent (what an attacker on the path could record). */
  lastWrite: Uint8Array[] = [];

  constructor(exchange: RpmbExchange, opts: { key: Uint8Array; nonces?: () => Uint8Array; mac?: MacFunction }) {
    this.exchange = exchange;
    this.key = opts.key;
    this.mac = opts.mac ?? hmacSha256;
    this.nonce = opts.nonces ?? seededNonces(0x5eed);
  }

  programKey(): RpmbAnswer {
    const frames = this.exchange(programKeyRequest(this.key), 1).map(decodeFrame);
    return this.answer(frames, VIRTIO_RPMB_RESP_PROGRAM_KEY, { macOptional: true });
  }

  // #region read-counter
  /** The write counter, with a fresh nonce; null unless the answer is OK and verified. */
  readCounter(): RpmbAnswer & { counter: number | null } {
    const nonce = this.nonce();
    const raw = this.exchange(counterRequest(nonce), 1);
    const a = this.answer(raw.map(decodeFrame), VIRTIO_RPMB_RESP_GET_COUNTER, { nonce, raw });
    return { ...a, counter: a.verified && resultOk(a.result) ? a.frames[0].writeCounter : null };
  }
  // #endregion read-counter

  /** An authenticated write of whole blocks: reads the counter, then writes with it. */
  write(address: number, data: Uint8Array): WriteAnswer {
    const c = this.readCounter();
    if (c.counter === null) return { ...c, applied: false };
    return this.writeWithCounter(c.counter, address, data);
  }

  /** A write with a counter the caller gives (a stale one makes a replay). */
  writeWithCounter(counter: number, address: number, data: Uint8Array): WriteAnswer {
    this.lastWrite = writeRequest(this.key, counter, address, data, { mac: this.mac });
    return this.sendWrite(this.lastWrite, address, counter);
  }

  // #region write-applied
  /**
   * Sends write frames as they are (recorded or altered ones) and checks the answer. The write
   * was applied only if the verified answer shows the counter one past the one the write
   * carried: 0x0080 alone means "OK, and now expired" as well as "refused, expired".
   */
  sendWrite(frames: readonly Uint8Array[], address: number, counter: number): WriteAnswer {
    const raw = this.exchange(frames, 1);
    const a = this.answer(raw.map(decodeFrame), VIRTIO_RPMB_RESP_DATA_WRITE, { address, raw });
    const after = a.frames[0]?.writeCounter ?? null;
    const applied = a.verified && resultOk(a.result) && counter < RPMB_COUNTER_MAX && after === counter + 1;
    return { ...a, counter: after, applied };
  }
  // #endregion write-applied

  // #region read-blocks
  /** An authenticated read of `count` blocks; the data only if the answer verifies. */
  read(address: number, count: number): RpmbAnswer & { data: Uint8Array | null } {
    const nonce = this.nonce();
    const raw = this.exchange(readRequest(nonce, address, count), count);
    const a = this.answer(raw.map(decodeFrame), VIRTIO_RPMB_RESP_DATA_READ, { nonce, address, raw });
    const whole = a.frames.length === count;
    const data = a.verified && whole && resultOk(a.result) ? concatBytes(a.frames.map((f) => f.data)) : null;
    return { ...a, verified: a.verified && (whole || !resultOk(a.result)), data };
  }
  // #endregion read-blocks

  private answer(
    frames: RpmbFrame[],
    type: number,
    want: { nonce?: Uint8Array; address?: number; raw?: readonly Uint8Array[]; macOptional?: boolean },
  ): RpmbAnswer {
    if (frames.length === 0) return { result: null, verified: false, frames };
    const last = frames[frames.length - 1];
    let ok = frames.every((f) => f.reqResp === type);
    if (want.nonce) ok &&= frames.every((f) => macEqual(f.nonce, want.nonce!));
    if (want.address !== undefined) ok &&= frames.every((f) => f.address === want.address);
    if (want.raw) ok &&= macEqual(last.keyMac, this.mac(this.key, macInput(want.raw)));
    else if (!want.macOptional) ok = false;
    return { result: last.result, verified: ok, frames };
  }
}

/** Blocks of text for examples: `text` in UTF-8, zero-padded to whole 256-byte blocks. */
export function textBlocks(text: string, blocks = 1): Uint8Array {
  const out = new Uint8Array(blocks * RPMB_DATA_SIZE);
  out.set(new TextEncoder().encode(text).subarray(0, out.length));
  return out;
}

/** An exchange straight into an engine: how the platform reaches its physical part in the model. */
export function engineExchange(engine: { handle(frames: readonly Uint8Array[], room: number): Uint8Array[] }): RpmbExchange {
  return (request, room) => engine.handle(request, room);
}
