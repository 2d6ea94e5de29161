// The RPMB frame of VIRTIO 1.4 §5.12.6.1: 512 bytes, the data frame of JEDEC's eMMC RPMB
// (JESD84-B51 6.6.22) without its start and stop bits. Every multi-byte field is big-endian,
// unlike the rest of VIRTIO, because the frame is the one the storage part itself speaks.
import { concatBytes as joinBytes } from '../../virtio/bytes.ts';

// #region frame-layout
export const RPMB_FRAME_SIZE = 512;
export const RPMB_STUFF = 0; //          u8   stuff[196]   (padding, not authenticated)
export const RPMB_KEY_MAC = 196; //      u8   key_mac[32]  (the key in PROGRAM_KEY, otherwise the MAC)
export const RPMB_DATA = 228; //         u8   data[256]
export const RPMB_NONCE = 484; //        u8   nonce[16]
export const RPMB_WRITE_COUNTER = 500; // be32 write_counter
export const RPMB_ADDRESS = 504; //      be16 address      (in 256-byte blocks)
export const RPMB_BLOCK_COUNT = 506; //  be16 block_count
export const RPMB_RESULT = 508; //       be16 result
export const RPMB_REQ_RESP = 510; //     be16 req_resp

export const RPMB_KEY_SIZE = 32;
export const RPMB_MAC_SIZE = 32;
export const RPMB_DATA_SIZE = 256;
export const RPMB_NONCE_SIZE = 16;
/** The authenticated bytes of a frame: from `data` to the end (284 bytes). */
export const RPMB_MAC_INPUT = RPMB_DATA;
// #endregion frame-layout

// #region codes
export const VIRTIO_RPMB_REQ_PROGRAM_KEY = 0x0001;
export const VIRTIO_RPMB_REQ_GET_WRITE_COUNTER = 0x0002;
export const VIRTIO_RPMB_REQ_DATA_WRITE = 0x0003;
export const VIRTIO_RPMB_REQ_DATA_READ = 0x0004;
export const VIRTIO_RPMB_REQ_RESULT_READ = 0x0005;

export const VIRTIO_RPMB_RESP_PROGRAM_KEY = 0x0100;
export const VIRTIO_RPMB_RESP_GET_COUNTER = 0x0200;
export const VIRTIO_RPMB_RESP_DATA_WRITE = 0x0300;
export const VIRTIO_RPMB_RESP_DATA_READ = 0x0400;

export const VIRTIO_RPMB_RES_OK = 0x0000;
export const VIRTIO_RPMB_RES_GENERAL_FAILURE = 0x0001;
export const VIRTIO_RPMB_RES_AUTH_FAILURE = 0x0002;
export const VIRTIO_RPMB_RES_COUNT_FAILURE = 0x0003;
export const VIRTIO_RPMB_RES_ADDR_FAILURE = 0x0004;
export const VIRTIO_RPMB_RES_WRITE_FAILURE = 0x0005;
export const VIRTIO_RPMB_RES_READ_FAILURE = 0x0006;
export const VIRTIO_RPMB_RES_NO_AUTH_KEY = 0x0007;
/** Bit 7 of `result`: the write counter has reached its end (JEDEC sets it in every later result). */
export const VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED = 0x0080;
// #endregion codes

/** The largest value of the write counter; a counter there is expired and never moves again. */
export const RPMB_COUNTER_MAX = 0xffff_ffff;
/** Bytes in one unit of `capacity`, and the 256-byte blocks in it. */
export const RPMB_CAPACITY_UNIT = 128 * 1024;
export const RPMB_BLOCKS_PER_UNIT = RPMB_CAPACITY_UNIT / RPMB_DATA_SIZE; // 512

const RESULT_NAMES: Record<number, string> = {
  [VIRTIO_RPMB_RES_OK]: 'OK',
  [VIRTIO_RPMB_RES_GENERAL_FAILURE]: 'GENERAL_FAILURE',
  [VIRTIO_RPMB_RES_AUTH_FAILURE]: 'AUTH_FAILURE',
  [VIRTIO_RPMB_RES_COUNT_FAILURE]: 'COUNT_FAILURE',
  [VIRTIO_RPMB_RES_ADDR_FAILURE]: 'ADDR_FAILURE',
  [VIRTIO_RPMB_RES_WRITE_FAILURE]: 'WRITE_FAILURE',
  [VIRTIO_RPMB_RES_READ_FAILURE]: 'READ_FAILURE',
  [VIRTIO_RPMB_RES_NO_AUTH_KEY]: 'NO_AUTH_KEY',
};

/** A result for logs: `AUTH_FAILURE`, `OK+EXPIRED`, or the number in hex. */
export function resultName(result: number): string {
  const expired = (result & VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED) !== 0;
  const base = result & ~VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED;
  const name = RESULT_NAMES[base] ?? `0x${result.toString(16).padStart(4, '0')}`;
  if (result === VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED) return 'WRITE_COUNTER_EXPIRED';
  return expired ? `${name}+EXPIRED` : name;
}

/** A decoded frame. Byte arrays are copies. */
export interface RpmbFrame {
  readonly keyMac: Uint8Array;
  readonly data: Uint8Array;
  readonly nonce: Uint8Array;
  readonly writeCounter: number;
  readonly address: number;
  readonly blockCount: number;
  readonly result: number;
  readonly reqResp: number;
}

export type RpmbFrameInit = Partial<RpmbFrame>;

// #region frame-codec
export function encodeFrame(f: RpmbFrameInit): Uint8Array {
  const out = new Uint8Array(RPMB_FRAME_SIZE);
  const v = new DataView(out.buffer);
  if (f.keyMac) out.set(fit(f.keyMac, RPMB_MAC_SIZE, 'key_mac'), RPMB_KEY_MAC);
  if (f.data) out.set(fit(f.data, RPMB_DATA_SIZE, 'data'), RPMB_DATA);
  if (f.nonce) out.set(fit(f.nonce, RPMB_NONCE_SIZE, 'nonce'), RPMB_NONCE);
  v.setUint32(RPMB_WRITE_COUNTER, (f.writeCounter ?? 0) >>> 0, false);
  v.setUint16(RPMB_ADDRESS, (f.address ?? 0) & 0xffff, false);
  v.setUint16(RPMB_BLOCK_COUNT, (f.blockCount ?? 0) & 0xffff, false);
  v.setUint16(RPMB_RESULT, (f.result ?? 0) & 0xffff, false);
  v.setUint16(RPMB_REQ_RESP, (f.reqResp ?? 0) & 0xffff, false);
  return out;
}

export function decodeFrame(b: Uint8Array): RpmbFrame {
  if (b.length !== RPMB_FRAME_SIZE) throw new RangeError(`an RPMB frame is ${RPMB_FRAME_SIZE} bytes, not ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, RPMB_FRAME_SIZE);
  return {
    keyMac: b.slice(RPMB_KEY_MAC, RPMB_KEY_MAC + RPMB_MAC_SIZE),
    data: b.slice(RPMB_DATA, RPMB_DATA + RPMB_DATA_SIZE),
    nonce: b.slice(RPMB_NONCE, RPMB_NONCE + RPMB_NONCE_SIZE),
    writeCounter: v.getUint32(RPMB_WRITE_COUNTER, false),
    address: v.getUint16(RPMB_ADDRESS, false),
    blockCount: v.getUint16(RPMB_BLOCK_COUNT, false),
    result: v.getUint16(RPMB_RESULT, false),
    reqResp: v.getUint16(RPMB_REQ_RESP, false),
  };
}
// #endregion frame-codec

/** Splits bytes into 512-byte frames; null unless the length is a positive multiple of 512. */
export function splitFrames(bytes: Uint8Array): Uint8Array[] | null {
  if (bytes.length === 0 || bytes.length % RPMB_FRAME_SIZE !== 0) return null;
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += RPMB_FRAME_SIZE) out.push(bytes.subarray(at, at + RPMB_FRAME_SIZE));
  return out;
}

// #region mac-input
/** What the MAC of a run of frames covers: bytes 228 to 511 of each, in order (stuff and key_mac left out). */
export function macInput(frames: readonly Uint8Array[]): Uint8Array {
  const per = RPMB_FRAME_SIZE - RPMB_MAC_INPUT;
  const out = new Uint8Array(per * frames.length);
  frames.forEach((f, i) => out.set(f.subarray(RPMB_MAC_INPUT, RPMB_FRAME_SIZE), i * per));
  return out;
}
// #endregion mac-input

/** Puts a MAC into the key_mac field of a frame (in place). */
export function setMac(frame: Uint8Array, mac: Uint8Array): void {
  frame.set(fit(mac, RPMB_MAC_SIZE, 'mac'), RPMB_KEY_MAC);
}

/** The parts joined end to end (the core's helper, taking a list as the callers here have one). */
export const concatBytes = (parts: readonly Uint8Array[]): Uint8Array => joinBytes(...parts);

export const toHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

function fit(b: Uint8Array, size: number, what: string): Uint8Array {
  if (b.length > size) throw new RangeError(`${what}: at most ${size} bytes, got ${b.length}`);
  return b;
}
