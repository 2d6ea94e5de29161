// The crypto device, VIRTIO 1.4 §5.9 (device ID 20), as the front end of an HSM: data queues
// 0..N-1 and the control queue N. It parses the control requests that open and close sessions
// and the data requests that run them, and hands both to the Hsm with the name of the guest it
// serves. It offers CIPHER (AES-CBC, AES-CTR), HASH (SHA-256) and MAC (HMAC-SHA256) in session
// mode, with and without VIRTIO_CRYPTO_F_REVISION_1. Nothing in a request makes the device need
// a reset: a request it cannot parse is answered with a status, and a chain with no room for
// any answer is handed back with used length 0 and counted.
import { type DescriptorChain, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import * as C from './constants.ts';
import { Hsm, type KeySource, parseKeyToken } from './hsm.ts';

export interface CryptoDeviceOptions {
  /** The HSM behind the device, shared by the guests of a platform; default a private one. */
  readonly hsm?: Hsm;
  /** The guest this device belongs to: the name its keys and sessions are filed under. */
  readonly guest?: string;
  /** max_dataqueues: 1 to 65535; default 1. */
  readonly dataQueues?: number;
  /** max_size: the largest sum of a data request's variable-length fields; default 64 KiB. */
  readonly maxSize?: number;
  readonly maxCipherKeyLen?: number;
  readonly maxAuthKeyLen?: number;
}

export interface CryptoStats {
  controlRequests: number;
  dataRequests: number;
  /** Chains handed back with used length 0: no room for the answer. */
  unanswerable: number;
  /** Answers by status name. */
  status: Record<string, number>;
}

const le32 = (b: Uint8Array, at: number): number => (at + 4 <= b.length ? new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true) : 0);
const le64 = (b: Uint8Array, at: number): bigint => (at + 8 <= b.length ? new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, true) : 0n);

const DESTROY_OPCODES = new Map<number, number>([
  [C.VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION, C.VIRTIO_CRYPTO_SERVICE_CIPHER],
  [C.VIRTIO_CRYPTO_HASH_DESTROY_SESSION, C.VIRTIO_CRYPTO_SERVICE_HASH],
  [C.VIRTIO_CRYPTO_MAC_DESTROY_SESSION, C.VIRTIO_CRYPTO_SERVICE_MAC],
  [C.opcode(C.VIRTIO_CRYPTO_SERVICE_AEAD, 0x03), C.VIRTIO_CRYPTO_SERVICE_AEAD],
  [C.opcode(C.VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x05), C.VIRTIO_CRYPTO_SERVICE_AKCIPHER],
]);

export class CryptoDevice extends VirtioDevice {
  readonly deviceId = C.VIRTIO_ID_CRYPTO;
  readonly name = 'virtio-crypto';
  readonly hsm: Hsm;
  readonly guest: string;
  readonly dataQueues: number;
  readonly maxSize: number;
  readonly maxCipherKeyLen: number;
  readonly maxAuthKeyLen: number;
  readonly stats: CryptoStats = { controlRequests: 0, dataRequests: 0, unanswerable: 0, status: {} };

  constructor(opts: CryptoDeviceOptions = {}) {
    super(C.CRYPTO_CONFIG_SIZE);
    this.hsm = opts.hsm ?? new Hsm();
    this.guest = opts.guest ?? 'guest';
    this.dataQueues = opts.dataQueues ?? 1;
    if (!Number.isInteger(this.dataQueues) || this.dataQueues < 1 || this.dataQueues > 65535) throw new RangeError('crypto: max_dataqueues is 1 to 65535');
    this.maxSize = opts.maxSize ?? 64 * 1024;
    this.maxCipherKeyLen = opts.maxCipherKeyLen ?? 32;
    this.maxAuthKeyLen = opts.maxAuthKeyLen ?? 64;
    // #region config-init
    const cfg = this.config;
    cfg.setU32(C.CRYPTO_CFG.status, C.VIRTIO_CRYPTO_S_HW_READY);
    cfg.setU32(C.CRYPTO_CFG.maxDataqueues, this.dataQueues);
    cfg.setU32(C.CRYPTO_CFG.cryptoServices, (1 << C.VIRTIO_CRYPTO_SERVICE_CIPHER) | (1 << C.VIRTIO_CRYPTO_SERVICE_HASH) | (1 << C.VIRTIO_CRYPTO_SERVICE_MAC));
    cfg.setU32(C.CRYPTO_CFG.cipherAlgoL, (1 << C.VIRTIO_CRYPTO_CIPHER_AES_CBC) | (1 << C.VIRTIO_CRYPTO_CIPHER_AES_CTR));
    cfg.setU32(C.CRYPTO_CFG.hashAlgo, 1 << C.VIRTIO_CRYPTO_HASH_SHA_256);
    cfg.setU32(C.CRYPTO_CFG.macAlgoL, 1 << C.VIRTIO_CRYPTO_MAC_HMAC_SHA_256);
    cfg.setU32(C.CRYPTO_CFG.maxCipherKeyLen, this.maxCipherKeyLen);
    cfg.setU32(C.CRYPTO_CFG.maxAuthKeyLen, this.maxAuthKeyLen);
    cfg.setU64(C.CRYPTO_CFG.maxSize, BigInt(this.maxSize));
    // #endregion config-init
  }

  protected deviceFeatures(): Features {
    return bit(C.VIRTIO_CRYPTO_F_REVISION_1); // §5.9.3: no stateless mode
  }

  queueCount(): number {
    return this.dataQueues + 1;
  }

  get controlQueue(): number {
    return this.dataQueues;
  }

  private get rev1(): boolean {
    return hasFeature(this.env.features, C.VIRTIO_CRYPTO_F_REVISION_1);
  }

  protected onReset(): void {
    // A reset guest starts again with no sessions; its keys stay with the platform.
    this.hsm.destroyAll(this.guest);
  }

  queueNotify(index: number): void {
    if (!this.active || index < 0 || index > this.dataQueues) return;
    this.drain(index, (chain) => (index === this.dataQueues ? this.serveControl(chain) : this.serveData(chain)));
  }

  private count(status: number): void {
    const n = C.STATUS_NAMES[status] ?? String(status);
    this.stats.status[n] = (this.stats.status[n] ?? 0) + 1;
  }

  // #region control
  /** One control request: header, op_flf, op_vlf; the answer goes at the start of the writable part. */
  private serveControl(chain: DescriptorChain): number {
    this.stats.controlRequests++;
    const req = readChain(this.env.mem, chain);
    const room = totalLength(writableBuffers(chain));
    const op = le32(req, 0);
    const destroyOf = DESTROY_OPCODES.get(op);
    const answerLen = destroyOf === undefined ? C.CREATE_SESSION_INPUT_SIZE : 1;
    if (room < answerLen) {
      this.stats.unanswerable++; // nothing is created or destroyed that the driver cannot hear of
      return 0;
    }
    const w = new ChainWriter(this.env.mem, chain);
    if (destroyOf !== undefined) {
      const flfLen = this.rev1 ? C.DESTROY_SESSION_FLF : C.CTRLQ_FLF_LEGACY;
      const status = req.length < C.CTRL_HEADER_SIZE + flfLen ? C.VIRTIO_CRYPTO_ERR : this.hsm.destroySession(this.guest, destroyOf, le64(req, C.CTRL_HEADER_SIZE));
      this.count(status);
      w.write(Uint8Array.of(status));
      return w.written;
    }
    const r = this.createSession(req, op);
    this.count(r.status);
    const input = new Uint8Array(C.CREATE_SESSION_INPUT_SIZE);
    const dv = new DataView(input.buffer);
    dv.setBigUint64(0, r.status === C.VIRTIO_CRYPTO_OK ? r.id : 0n, true);
    dv.setUint32(8, r.status, true);
    w.write(input);
    return w.written;
  }
  // #endregion control

  // #region create-session
  private createSession(req: Uint8Array, op: number): { status: number; id: bigint } {
    const fail = (status: number) => ({ status, id: 0n });
    const full = this.rev1 ? C.VIRTIO_CRYPTO_NOSPC : C.VIRTIO_CRYPTO_ERR;
    const H = C.CTRL_HEADER_SIZE;
    if (req.length < H) return fail(C.VIRTIO_CRYPTO_ERR);
    const flfLen = (natural: number) => (this.rev1 ? natural : C.CTRLQ_FLF_LEGACY);
    const keyAt = (flf: number, len: number, max: number): KeySource | number => {
      const at = H + flf;
      if (len === 0 || len > max || req.length < at + len) return C.VIRTIO_CRYPTO_ERR;
      const bytes = req.subarray(at, at + len);
      const handle = parseKeyToken(bytes);
      return handle === null ? { raw: bytes } : { handle };
    };
    switch (op) {
      case C.VIRTIO_CRYPTO_CIPHER_CREATE_SESSION: {
        const flf = flfLen(C.SYM_CREATE_SESSION_FLF);
        if (req.length < H + flf) return fail(C.VIRTIO_CRYPTO_ERR);
        if (le32(req, H + 48) !== C.VIRTIO_CRYPTO_SYM_OP_CIPHER) return fail(C.VIRTIO_CRYPTO_NOTSUPP); // no algorithm chaining
        const key = keyAt(flf, le32(req, H + 4), this.maxCipherKeyLen);
        if (typeof key === 'number') return fail(key);
        return this.hsm.createCipherSession(this.guest, { algo: le32(req, H), op: le32(req, H + 8), key }, full);
      }
      case C.VIRTIO_CRYPTO_HASH_CREATE_SESSION: {
        if (req.length < H + flfLen(C.HASH_CREATE_SESSION_FLF)) return fail(C.VIRTIO_CRYPTO_ERR);
        return this.hsm.createHashSession(this.guest, { algo: le32(req, H), resultLen: le32(req, H + 4) }, full);
      }
      case C.VIRTIO_CRYPTO_MAC_CREATE_SESSION: {
        const flf = flfLen(C.MAC_CREATE_SESSION_FLF);
        if (req.length < H + flf) return fail(C.VIRTIO_CRYPTO_ERR);
        if (le32(req, H) !== C.VIRTIO_CRYPTO_MAC_HMAC_SHA_256) return fail(C.VIRTIO_CRYPTO_NOTSUPP);
        const key = keyAt(flf, le32(req, H + 8), this.maxAuthKeyLen);
        if (typeof key === 'number') return fail(key);
        return this.hsm.createMacSession(this.guest, { algo: le32(req, H), resultLen: le32(req, H + 4), key }, full);
      }
      default:
        return fail(C.VIRTIO_CRYPTO_NOTSUPP); // AEAD, AKCIPHER and unknown opcodes
    }
  }
  // #endregion create-session

  // #region data
  /**
   * One data request: op header, op_flf, then iv and source data device-readable; the result
   * and the one-byte status device-writable, the status in the last byte. On failure the result
   * area is zeroed, so the used length is always the whole writable part.
   */
  private serveData(chain: DescriptorChain): number {
    this.stats.dataRequests++;
    const req = readChain(this.env.mem, chain);
    const room = totalLength(writableBuffers(chain));
    if (room === 0) {
      this.stats.unanswerable++;
      return 0;
    }
    const r = this.runData(req, room - 1);
    this.count(r.status);
    const w = new ChainWriter(this.env.mem, chain);
    const body = new Uint8Array(room);
    if (r.status === C.VIRTIO_CRYPTO_OK && r.out) body.set(r.out);
    body[room - 1] = r.status;
    w.write(body);
    return w.written;
  }

  private runData(req: Uint8Array, resultRoom: number): { status: number; out?: Uint8Array } {
    const H = C.OP_HEADER_SIZE;
    const err = { status: C.VIRTIO_CRYPTO_ERR };
    if (req.length < H) return err;
    const op = le32(req, 0);
    const id = le64(req, 8);
    if (this.rev1 && (le32(req, 16) & C.VIRTIO_CRYPTO_FLAG_SESSION_MODE) === 0) return { status: C.VIRTIO_CRYPTO_NOTSUPP }; // stateless not offered
    switch (op) {
      case C.VIRTIO_CRYPTO_CIPHER_ENCRYPT:
      case C.VIRTIO_CRYPTO_CIPHER_DECRYPT: {
        if (req.length < H + C.SYM_DATA_FLF) return err;
        if (le32(req, H + 40) !== C.VIRTIO_CRYPTO_SYM_OP_CIPHER) return { status: C.VIRTIO_CRYPTO_NOTSUPP };
        const [ivLen, srcLen, dstLen] = [le32(req, H), le32(req, H + 4), le32(req, H + 8)];
        if (ivLen + srcLen + dstLen > this.maxSize) return err;
        const at = H + C.SYM_DATA_FLF;
        if (req.length < at + ivLen + srcLen || dstLen !== srcLen || resultRoom !== dstLen) return err;
        const dir = op === C.VIRTIO_CRYPTO_CIPHER_ENCRYPT ? C.VIRTIO_CRYPTO_OP_ENCRYPT : C.VIRTIO_CRYPTO_OP_DECRYPT;
        return this.hsm.cipher(this.guest, id, dir, req.subarray(at, at + ivLen), req.subarray(at + ivLen, at + ivLen + srcLen));
      }
      case C.VIRTIO_CRYPTO_HASH:
      case C.VIRTIO_CRYPTO_MAC: {
        const flf = this.rev1 ? C.HASH_DATA_FLF : C.DATAQ_FLF_LEGACY;
        if (req.length < H + flf) return err;
        const [srcLen, resultLen] = [le32(req, H), le32(req, H + 4)];
        if (srcLen + resultLen > this.maxSize || req.length < H + flf + srcLen || resultRoom !== resultLen) return err;
        const service = op === C.VIRTIO_CRYPTO_HASH ? C.VIRTIO_CRYPTO_SERVICE_HASH : C.VIRTIO_CRYPTO_SERVICE_MAC;
        return this.hsm.digest(this.guest, service, id, req.subarray(H + flf, H + flf + srcLen), resultLen);
      }
      default:
        return { status: C.VIRTIO_CRYPTO_NOTSUPP };
    }
  }
  // #endregion data
}
