// The RPMB protocol over a store (VIRTIO 1.4 §5.12.6.1, after JEDEC JESD84-B51 6.6.22): a
// request is a run of 512-byte frames, the answer is a run of frames. The engine knows nothing
// of virtqueues, so the same code answers a guest's virtio device, a guest's virtual RPMB and
// the platform's physical part. Nothing in a frame is trusted: a forged MAC, a stale counter,
// a count or an address out of range is refused with its result and counted, and nothing is
// written.
import type { RpmbGeometry } from './config.ts';
import {
  decodeFrame, encodeFrame, macInput, RPMB_BLOCKS_PER_UNIT, RPMB_DATA_SIZE, RPMB_KEY_MAC, RPMB_MAC_SIZE, type RpmbFrame, type RpmbFrameInit, setMac,
  VIRTIO_RPMB_REQ_DATA_READ, VIRTIO_RPMB_REQ_DATA_WRITE, VIRTIO_RPMB_REQ_GET_WRITE_COUNTER, VIRTIO_RPMB_REQ_PROGRAM_KEY, VIRTIO_RPMB_REQ_RESULT_READ,
  VIRTIO_RPMB_RES_ADDR_FAILURE, VIRTIO_RPMB_RES_AUTH_FAILURE, VIRTIO_RPMB_RES_COUNT_FAILURE, VIRTIO_RPMB_RES_GENERAL_FAILURE, VIRTIO_RPMB_RES_NO_AUTH_KEY,
  VIRTIO_RPMB_RES_OK, VIRTIO_RPMB_RES_READ_FAILURE, VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED, VIRTIO_RPMB_RES_WRITE_FAILURE,
  VIRTIO_RPMB_RESP_DATA_READ, VIRTIO_RPMB_RESP_DATA_WRITE, VIRTIO_RPMB_RESP_GET_COUNTER, VIRTIO_RPMB_RESP_PROGRAM_KEY,
} from './frame.ts';
import { hmacSha256, type MacFunction, macEqual } from './hmac.ts';
import type { RpmbStore } from './store.ts';

// #region stats
export interface RpmbStats {
  /** Requests by their first frame's req_resp (unknown types under 'other'). */
  readonly requests: Record<'programKey' | 'getCounter' | 'dataWrite' | 'dataRead' | 'resultRead' | 'other', number>;
  /** Writes refused for a MAC that does not match: forged or corrupted frames. */
  forged: number;
  /** Writes refused for a write counter other than the device's: replayed or stale frames. */
  replayed: number;
  /** PROGRAM_KEY requests refused because a key was already programmed. */
  keyReprogramRefused: number;
  /** Requests refused with GENERAL_FAILURE for their shape (counts, frame types, room). */
  badRequests: number;
  /** Requests refused for an address range outside the device. */
  addressFailures: number;
  /** Writes refused because the counter had expired. */
  expiredWrites: number;
  /** Authenticated writes applied, and the blocks in them. */
  writesApplied: number;
  blocksWritten: number;
  /** Authenticated reads answered with data, and the blocks in them. */
  readsServed: number;
  blocksRead: number;
}
// #endregion stats

export function newRpmbStats(): RpmbStats {
  return {
    requests: { programKey: 0, getCounter: 0, dataWrite: 0, dataRead: 0, resultRead: 0, other: 0 },
    forged: 0, replayed: 0, keyReprogramRefused: 0, badRequests: 0, addressFailures: 0, expiredWrites: 0,
    writesApplied: 0, blocksWritten: 0, readsServed: 0, blocksRead: 0,
  };
}

export class RpmbEngine {
  readonly store: RpmbStore;
  readonly stats: RpmbStats = newRpmbStats();
  private readonly mac: MacFunction;
  /** The answer of the last PROGRAM_KEY or DATA_WRITE, for a RESULT_READ sent on its own. */
  private lastResult: Uint8Array | null = null;

  constructor(store: RpmbStore, opts: { mac?: MacFunction } = {}) {
    this.store = store;
    this.mac = opts.mac ?? hmacSha256;
  }

  get geometry(): RpmbGeometry {
    return this.store.geometry;
  }

  /** 256-byte blocks the store holds. */
  get blocks(): number {
    return this.store.geometry.capacity * RPMB_BLOCKS_PER_UNIT;
  }

  /** Forgets the remembered result (a device reset). The key, counter and data stay. */
  forgetResult(): void {
    this.lastResult = null;
  }

  // #region handle
  /**
   * One request: its frames in order, and how many response frames the requester has room for.
   * Returns the response frames, at most `room` of them; none when the request asks for none.
   */
  handle(frames: readonly Uint8Array[], room: number): Uint8Array[] {
    const first = decodeFrame(frames[0]);
    // A PROGRAM_KEY or DATA_WRITE may end with a RESULT_READ frame: the driver wants the answer now.
    const last = decodeFrame(frames[frames.length - 1]);
    const withResult = frames.length > 1 && last.reqResp === VIRTIO_RPMB_REQ_RESULT_READ;
    const ops = withResult ? frames.slice(0, -1) : frames;
    const s = this.stats.requests;
    switch (first.reqResp) {
      case VIRTIO_RPMB_REQ_PROGRAM_KEY:
        s.programKey++;
        return this.remember(this.programKey(ops, withResult ? last : null), withResult, room);
      case VIRTIO_RPMB_REQ_DATA_WRITE:
        s.dataWrite++;
        return this.remember(this.dataWrite(ops, withResult ? last : null), withResult, room);
      case VIRTIO_RPMB_REQ_GET_WRITE_COUNTER:
        s.getCounter++;
        return this.getCounter(frames, first, room);
      case VIRTIO_RPMB_REQ_DATA_READ:
        s.dataRead++;
        return this.dataRead(frames, first, room);
      case VIRTIO_RPMB_REQ_RESULT_READ:
        s.resultRead++;
        return this.resultRead(frames, first, room);
      default:
        s.other++;
        this.stats.badRequests++;
        return room > 0 ? [this.respond({ result: VIRTIO_RPMB_RES_GENERAL_FAILURE })] : [];
    }
  }
  // #endregion handle

  /** Keeps the answer of a key or write request for RESULT_READ, and returns it if the driver asked. */
  private remember(answer: Uint8Array, withResult: boolean, room: number): Uint8Array[] {
    this.lastResult = answer;
    return withResult && room > 0 ? [answer.slice()] : [];
  }

  /** A response frame with the expired flag and, once there is a key, the MAC. */
  private respond(f: RpmbFrameInit): Uint8Array {
    return this.seal([encodeFrame({ ...f, result: this.flag(f.result ?? 0) })])[0];
  }

  /** MACs a run of response frames (in the last one) when a key is programmed; otherwise leaves zeros. */
  private seal(frames: Uint8Array[]): Uint8Array[] {
    const key = this.store.key();
    if (key) setMac(frames[frames.length - 1], this.mac(key, macInput(frames)));
    return frames;
  }

  private flag(result: number): number {
    return this.store.expired() ? result | VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED : result;
  }

  private bad(): number {
    this.stats.badRequests++;
    return VIRTIO_RPMB_RES_GENERAL_FAILURE;
  }

  // #region program-key
  private programKey(ops: readonly Uint8Array[], rr: RpmbFrame | null): Uint8Array {
    const f = decodeFrame(ops[0]);
    let result: number;
    if (ops.length !== 1 || f.blockCount !== 1 || (rr && rr.blockCount !== 1)) result = this.bad();
    else if (this.store.key()) {
      // One-time programmable: a second key is refused and the first one stays.
      this.stats.keyReprogramRefused++;
      result = VIRTIO_RPMB_RES_WRITE_FAILURE;
    } else result = this.store.programKey(f.keyMac) ? VIRTIO_RPMB_RES_OK : VIRTIO_RPMB_RES_WRITE_FAILURE;
    return this.respond({ reqResp: VIRTIO_RPMB_RESP_PROGRAM_KEY, result });
  }
  // #endregion program-key

  // #region get-counter
  private getCounter(frames: readonly Uint8Array[], f: RpmbFrame, room: number): Uint8Array[] {
    if (room === 0) {
      this.stats.badRequests++;
      return [];
    }
    let result = VIRTIO_RPMB_RES_OK;
    if (frames.length !== 1 || f.blockCount !== 1) result = this.bad();
    else if (!this.store.key()) result = VIRTIO_RPMB_RES_NO_AUTH_KEY;
    const counter = result === VIRTIO_RPMB_RES_OK ? this.store.counter() : 0;
    return [this.respond({ reqResp: VIRTIO_RPMB_RESP_GET_COUNTER, writeCounter: counter, nonce: f.nonce, result })];
  }
  // #endregion get-counter

  // #region data-write
  private dataWrite(ops: readonly Uint8Array[], rr: RpmbFrame | null): Uint8Array {
    const frames = ops.map(decodeFrame);
    const f = frames[0];
    const { maxWrCnt } = this.store.geometry;
    const key = this.store.key();
    const answer = (result: number) =>
      this.respond({ reqResp: VIRTIO_RPMB_RESP_DATA_WRITE, writeCounter: this.store.counter(), address: f.address, result });
    if (!key) return answer(VIRTIO_RPMB_RES_NO_AUTH_KEY);
    const n = f.blockCount;
    if (n === 0 || (maxWrCnt !== 0 && n > maxWrCnt) || n !== frames.length || frames.some((x) => x.reqResp !== VIRTIO_RPMB_REQ_DATA_WRITE) || (rr && rr.blockCount !== 1)) {
      return answer(this.bad());
    }
    if (this.store.expired()) {
      this.stats.expiredWrites++;
      return answer(VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED);
    }
    if (f.address + n > this.blocks) {
      this.stats.addressFailures++;
      return answer(VIRTIO_RPMB_RES_ADDR_FAILURE);
    }
    // The MAC covers every frame of the request and sits in the last one.
    const expected = this.mac(key, macInput(ops));
    const given = ops[ops.length - 1].subarray(RPMB_KEY_MAC, RPMB_KEY_MAC + RPMB_MAC_SIZE);
    if (!macEqual(expected, given)) {
      this.stats.forged++;
      return answer(VIRTIO_RPMB_RES_AUTH_FAILURE);
    }
    if (f.writeCounter !== this.store.counter()) {
      this.stats.replayed++;
      return answer(VIRTIO_RPMB_RES_COUNT_FAILURE);
    }
    const data = new Uint8Array(n * RPMB_DATA_SIZE);
    frames.forEach((x, i) => data.set(x.data, i * RPMB_DATA_SIZE));
    if (!this.store.write(f.address, data)) return answer(VIRTIO_RPMB_RES_WRITE_FAILURE);
    this.stats.writesApplied++;
    this.stats.blocksWritten += n;
    return answer(VIRTIO_RPMB_RES_OK); // carries the counter after the increment
  }
  // #endregion data-write

  // #region data-read
  private dataRead(frames: readonly Uint8Array[], f: RpmbFrame, room: number): Uint8Array[] {
    if (room === 0) {
      this.stats.badRequests++;
      return [];
    }
    const n = f.blockCount;
    const { maxRdCnt } = this.store.geometry;
    const fail = (result: number) => [
      this.respond({ reqResp: VIRTIO_RPMB_RESP_DATA_READ, nonce: f.nonce, address: f.address, blockCount: n, result }),
    ];
    if (!this.store.key()) return fail(VIRTIO_RPMB_RES_NO_AUTH_KEY);
    if (frames.length !== 1 || n === 0 || (maxRdCnt !== 0 && n > maxRdCnt) || room < n) return fail(this.bad());
    if (f.address + n > this.blocks) {
      this.stats.addressFailures++;
      return fail(VIRTIO_RPMB_RES_ADDR_FAILURE);
    }
    const data = this.store.read(f.address, n);
    if (!data) return fail(VIRTIO_RPMB_RES_READ_FAILURE);
    const result = this.flag(VIRTIO_RPMB_RES_OK);
    const out = Array.from({ length: n }, (_, i) =>
      encodeFrame({ reqResp: VIRTIO_RPMB_RESP_DATA_READ, data: data.subarray(i * RPMB_DATA_SIZE, (i + 1) * RPMB_DATA_SIZE), nonce: f.nonce, address: f.address, blockCount: n, result }),
    );
    this.stats.readsServed++;
    this.stats.blocksRead += n;
    return this.seal(out); // one MAC over all of them, in the last frame
  }
  // #endregion data-read

  // #region result-read
  private resultRead(frames: readonly Uint8Array[], f: RpmbFrame, room: number): Uint8Array[] {
    if (room === 0) {
      this.stats.badRequests++;
      return [];
    }
    if (frames.length !== 1 || f.blockCount !== 1 || !this.lastResult) return [this.respond({ result: this.bad() })];
    return [this.lastResult.slice()];
  }
  // #endregion result-read
}

