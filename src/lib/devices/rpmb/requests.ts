// Building request frames, as a driver (or the TEE behind it) does. Pure functions, so tests,
// vectors and the partition layer build exactly the frames a guest would.
import {
  encodeFrame, macInput, RPMB_DATA_SIZE, setMac, VIRTIO_RPMB_REQ_DATA_READ, VIRTIO_RPMB_REQ_DATA_WRITE, VIRTIO_RPMB_REQ_GET_WRITE_COUNTER,
  VIRTIO_RPMB_REQ_PROGRAM_KEY, VIRTIO_RPMB_REQ_RESULT_READ,
} from './frame.ts';
import { hmacSha256, type MacFunction } from './hmac.ts';

export const resultReadFrame = (): Uint8Array => encodeFrame({ reqResp: VIRTIO_RPMB_REQ_RESULT_READ, blockCount: 1 });

/** PROGRAM_KEY with a RESULT_READ: the key travels in key_mac. */
export function programKeyRequest(key: Uint8Array, opts: { resultRead?: boolean } = {}): Uint8Array[] {
  const f = encodeFrame({ reqResp: VIRTIO_RPMB_REQ_PROGRAM_KEY, keyMac: key, blockCount: 1 });
  return opts.resultRead === false ? [f] : [f, resultReadFrame()];
}

export function counterRequest(nonce: Uint8Array): Uint8Array[] {
  return [encodeFrame({ reqResp: VIRTIO_RPMB_REQ_GET_WRITE_COUNTER, nonce, blockCount: 1 })];
}

// #region write-request
/**
 * DATA_WRITE of whole blocks at `address` with the counter the driver last read: one frame per
 * block, each with the same counter, address and count, the MAC over all of them in the last.
 */
export function writeRequest(
  key: Uint8Array,
  counter: number,
  address: number,
  data: Uint8Array,
  opts: { resultRead?: boolean; mac?: MacFunction } = {},
): Uint8Array[] {
  if (data.length === 0 || data.length % RPMB_DATA_SIZE !== 0) throw new RangeError('write data: whole 256-byte blocks');
  const n = data.length / RPMB_DATA_SIZE;
  const frames = Array.from({ length: n }, (_, i) =>
    encodeFrame({ reqResp: VIRTIO_RPMB_REQ_DATA_WRITE, writeCounter: counter, address, blockCount: n, data: data.subarray(i * RPMB_DATA_SIZE, (i + 1) * RPMB_DATA_SIZE) }),
  );
  setMac(frames[n - 1], (opts.mac ?? hmacSha256)(key, macInput(frames)));
  return opts.resultRead === false ? frames : [...frames, resultReadFrame()];
}
// #endregion write-request

export function readRequest(nonce: Uint8Array, address: number, count: number): Uint8Array[] {
  return [encodeFrame({ reqResp: VIRTIO_RPMB_REQ_DATA_READ, nonce, address, blockCount: count })];
}
