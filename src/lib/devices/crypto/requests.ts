// Building crypto requests as a driver lays them out (VIRTIO 1.4 §5.9.9.2, §5.9.9.3), and
// reading the answers. `rev1` says whether VIRTIO_CRYPTO_F_REVISION_1 was negotiated: without
// it every control op_flf is padded to 56 bytes and every data op_flf to 48. Pure functions, so
// tests, vectors and examples build exactly the bytes a guest would.
import * as C from './constants.ts';

export interface CryptoRequest {
  /** Device-readable parts, in order. */
  readonly out: Uint8Array[];
  /** Lengths of the device-writable buffers. */
  readonly inLens: number[];
}

function words(...fields: (number | bigint)[]): Uint8Array {
  // le32 for numbers, le64 for bigints
  const size = fields.reduce<number>((n, f) => n + (typeof f === 'bigint' ? 8 : 4), 0);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  let at = 0;
  for (const f of fields) {
    if (typeof f === 'bigint') {
      dv.setBigUint64(at, f, true);
      at += 8;
    } else {
      dv.setUint32(at, f >>> 0, true);
      at += 4;
    }
  }
  return b;
}

function pad(b: Uint8Array, len: number): Uint8Array {
  const p = new Uint8Array(Math.max(len, b.length));
  p.set(b);
  return p;
}

const ctrlHeader = (opcode: number, algo: number) => words(opcode, algo, 0, 0);

// #region build-create
/** CIPHER_CREATE_SESSION: `key` is key bytes or a key token naming a handle (see keyToken). */
export function cipherSessionRequest(p: { algo: number; op: number; key: Uint8Array; rev1?: boolean; opType?: number }): CryptoRequest {
  const flf = new Uint8Array(C.SYM_CREATE_SESSION_FLF);
  flf.set(words(p.algo, p.key.length, p.op, 0)); // struct virtio_crypto_cipher_session_flf in op_flf[48]
  flf.set(words(p.opType ?? C.VIRTIO_CRYPTO_SYM_OP_CIPHER, 0), 48);
  return { out: [ctrlHeader(C.VIRTIO_CRYPTO_CIPHER_CREATE_SESSION, p.algo), flf, p.key], inLens: [C.CREATE_SESSION_INPUT_SIZE] };
}
// #endregion build-create

export function hashSessionRequest(p: { algo?: number; resultLen: number; rev1?: boolean }): CryptoRequest {
  const algo = p.algo ?? C.VIRTIO_CRYPTO_HASH_SHA_256;
  const flf = words(algo, p.resultLen);
  return { out: [ctrlHeader(C.VIRTIO_CRYPTO_HASH_CREATE_SESSION, algo), p.rev1 ? flf : pad(flf, C.CTRLQ_FLF_LEGACY)], inLens: [C.CREATE_SESSION_INPUT_SIZE] };
}

export function macSessionRequest(p: { algo?: number; resultLen: number; key: Uint8Array; rev1?: boolean }): CryptoRequest {
  const algo = p.algo ?? C.VIRTIO_CRYPTO_MAC_HMAC_SHA_256;
  const flf = words(algo, p.resultLen, p.key.length, 0);
  return { out: [ctrlHeader(C.VIRTIO_CRYPTO_MAC_CREATE_SESSION, algo), p.rev1 ? flf : pad(flf, C.CTRLQ_FLF_LEGACY), p.key], inLens: [C.CREATE_SESSION_INPUT_SIZE] };
}

export function destroySessionRequest(p: { opcode: number; id: bigint; rev1?: boolean }): CryptoRequest {
  const flf = words(p.id);
  return { out: [ctrlHeader(p.opcode, 0), p.rev1 ? flf : pad(flf, C.CTRLQ_FLF_LEGACY)], inLens: [1] };
}

/** The data queue's op header; flag carries VIRTIO_CRYPTO_FLAG_SESSION_MODE (ignored without REVISION_1). */
export const opHeader = (opcode: number, algo: number, id: bigint, flag = C.VIRTIO_CRYPTO_FLAG_SESSION_MODE) => words(opcode, algo, id, flag, 0);

// #region build-data
/** CIPHER_ENCRYPT or CIPHER_DECRYPT: header, sym_data_flf (48 bytes in both layouts), iv, source; room for dst and status. */
export function cipherDataRequest(p: { opcode: number; algo: number; id: bigint; iv: Uint8Array; src: Uint8Array; flag?: number }): CryptoRequest {
  const flf = new Uint8Array(C.SYM_DATA_FLF);
  flf.set(words(p.iv.length, p.src.length, p.src.length, 0)); // struct virtio_crypto_cipher_data_flf in op_type_flf[40]
  flf.set(words(C.VIRTIO_CRYPTO_SYM_OP_CIPHER, 0), 40);
  return { out: [opHeader(p.opcode, p.algo, p.id, p.flag), flf, p.iv, p.src], inLens: [p.src.length + 1] };
}
// #endregion build-data

/** VIRTIO_CRYPTO_HASH or VIRTIO_CRYPTO_MAC: header, hash_data_flf, source; room for the result and status. */
export function digestDataRequest(p: { opcode: number; algo: number; id: bigint; src: Uint8Array; resultLen: number; rev1?: boolean; flag?: number }): CryptoRequest {
  const flf = words(p.src.length, p.resultLen);
  return { out: [opHeader(p.opcode, p.algo, p.id, p.flag), p.rev1 ? flf : pad(flf, C.DATAQ_FLF_LEGACY), p.src], inLens: [p.resultLen + 1] };
}

/** A create-session answer: struct virtio_crypto_create_session_input. */
export function parseCreateSessionInput(data: Uint8Array): { id: bigint; status: number } {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { id: dv.getBigUint64(0, true), status: dv.getUint32(8, true) };
}

/** A data answer: the result bytes and the status in the last byte. */
export function parseDataAnswer(data: Uint8Array, len: number): { out: Uint8Array; status: number } {
  return { out: data.slice(0, Math.max(len - 1, 0)), status: len > 0 ? data[len - 1] : -1 };
}
