// The HSM side of the crypto device: the key store the platform provisions, the sessions the
// guests open on it, and the algorithms. A guest's virtio-crypto device is only a front end: it
// parses requests and hands them here with the name of the guest it serves. Key bytes enter this
// object (provisioned by the platform, or, where the platform allows it, sent by a guest) and
// never leave it: no method returns them, and the device writes only cipher text, plain text and
// digests back to the guest.
import { cbc, ctr } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  VIRTIO_CRYPTO_CIPHER_AES_CBC, VIRTIO_CRYPTO_CIPHER_AES_CTR, VIRTIO_CRYPTO_ERR, VIRTIO_CRYPTO_HASH_SHA_256, VIRTIO_CRYPTO_INVSESS,
  VIRTIO_CRYPTO_MAC_HMAC_SHA_256, VIRTIO_CRYPTO_NOSPC, VIRTIO_CRYPTO_NOTSUPP, VIRTIO_CRYPTO_OK, VIRTIO_CRYPTO_OP_DECRYPT,
  VIRTIO_CRYPTO_OP_ENCRYPT, VIRTIO_CRYPTO_SERVICE_CIPHER, VIRTIO_CRYPTO_SERVICE_HASH, VIRTIO_CRYPTO_SERVICE_MAC,
} from './constants.ts';

// #region key-token
/**
 * A key handle as a guest names it: 16 bytes in the key field of a create-session request, in
 * place of key bytes. "AVPHSMK1", then the handle (le32), then four zero bytes. The guest's
 * kernel passes it through its crypto API as if it were a key, as s390's protected keys do.
 */
export const KEY_TOKEN_MAGIC = Uint8Array.from('AVPHSMK1', (c) => c.charCodeAt(0));
export const KEY_TOKEN_SIZE = 16;

export function keyToken(handle: number): Uint8Array {
  const t = new Uint8Array(KEY_TOKEN_SIZE);
  t.set(KEY_TOKEN_MAGIC);
  new DataView(t.buffer).setUint32(8, handle >>> 0, true);
  return t;
}

/** The handle a key field names, or null if it is not a token (then it is key bytes). */
export function parseKeyToken(key: Uint8Array): number | null {
  if (key.length !== KEY_TOKEN_SIZE) return null;
  for (let i = 0; i < KEY_TOKEN_MAGIC.length; i++) if (key[i] !== KEY_TOKEN_MAGIC[i]) return null;
  const dv = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return dv.getUint32(12, true) === 0 ? dv.getUint32(8, true) : null;
}
// #endregion key-token

// #region key-store
/** What a provisioned key may be used for. */
export type KeyUse = 'encrypt' | 'decrypt' | 'mac';

export interface ProvisionedKey {
  /** 'aes' for the CIPHER service (16, 24 or 32 bytes), 'hmac' for the MAC service. */
  readonly kind: 'aes' | 'hmac';
  readonly bytes: Uint8Array;
  readonly uses: readonly KeyUse[];
}

/** What anyone may learn about a key: everything but its bytes. */
export interface KeyInfo {
  readonly kind: 'aes' | 'hmac';
  readonly length: number;
  readonly uses: readonly KeyUse[];
}

export type KeySource = { readonly handle: number } | { readonly raw: Uint8Array };
// #endregion key-store

interface Session {
  readonly guest: string;
  readonly service: number;
  readonly algo: number;
  /** Cipher direction (VIRTIO_CRYPTO_OP_*), or 0 for HASH and MAC. */
  readonly op: number;
  readonly resultLen: number;
  readonly key: Uint8Array | null;
}

export interface HsmOptions {
  /** Sessions one guest may hold at once; default 16. */
  readonly maxSessionsPerGuest?: number;
  /** Whether a guest may open a session on key bytes it sends; default true. */
  readonly acceptGuestKeys?: boolean;
}

export interface HsmResult {
  readonly status: number;
  readonly out?: Uint8Array;
}

export interface CreateResult {
  readonly status: number;
  /** The new session's ID; 0n unless status is OK. */
  readonly id: bigint;
}

const AES_KEY_LENGTHS = [16, 24, 32];

export class Hsm {
  readonly maxSessionsPerGuest: number;
  readonly acceptGuestKeys: boolean;
  // Private fields: not reachable from outside the class, not even by a cast.
  readonly #keys = new Map<string, Map<number, ProvisionedKey>>();
  readonly #sessions = new Map<bigint, Session>();
  #nextId = 1n;
  /** Requests refused because they named a key handle or session of another guest or none. */
  readonly refusals = { foreignHandle: 0, foreignSession: 0, policy: 0, guestKey: 0 };

  constructor(opts: HsmOptions = {}) {
    this.maxSessionsPerGuest = opts.maxSessionsPerGuest ?? 16;
    this.acceptGuestKeys = opts.acceptGuestKeys ?? true;
  }

  // #region provision
  /** The platform gives `guest` a key under `handle`; the HSM keeps its own copy. */
  provision(guest: string, handle: number, key: ProvisionedKey): void {
    if (key.kind === 'aes' && !AES_KEY_LENGTHS.includes(key.bytes.length)) throw new RangeError('aes key: 16, 24 or 32 bytes');
    if (key.kind === 'hmac' && key.bytes.length === 0) throw new RangeError('hmac key: at least one byte');
    let g = this.#keys.get(guest);
    if (!g) this.#keys.set(guest, (g = new Map()));
    if (g.has(handle)) throw new RangeError(`${guest}: handle ${handle} already provisioned`);
    g.set(handle, { kind: key.kind, bytes: key.bytes.slice(), uses: [...key.uses] });
  }

  /** Everything about a guest's key but its bytes; null for a handle the guest does not hold. */
  describe(guest: string, handle: number): KeyInfo | null {
    const k = this.#keys.get(guest)?.get(handle);
    return k ? { kind: k.kind, length: k.bytes.length, uses: [...k.uses] } : null;
  }
  // #endregion provision

  sessionCount(guest: string): number {
    let n = 0;
    for (const s of this.#sessions.values()) if (s.guest === guest) n++;
    return n;
  }

  // #region resolve-key
  /**
   * The key a create-session request names, for `guest` only: a handle resolves in that guest's
   * own key set and must allow the use; key bytes are taken only if the platform allows them.
   * A handle of another guest and a handle nobody holds get the same answer.
   */
  private resolveKey(guest: string, src: KeySource, kind: 'aes' | 'hmac', use: KeyUse): Uint8Array | number {
    if ('raw' in src) {
      if (!this.acceptGuestKeys) {
        this.refusals.guestKey++;
        return VIRTIO_CRYPTO_NOTSUPP;
      }
      if (kind === 'aes' && !AES_KEY_LENGTHS.includes(src.raw.length)) return VIRTIO_CRYPTO_ERR;
      if (src.raw.length === 0) return VIRTIO_CRYPTO_ERR;
      return src.raw.slice();
    }
    const k = this.#keys.get(guest)?.get(src.handle);
    if (!k) {
      this.refusals.foreignHandle++;
      return VIRTIO_CRYPTO_ERR;
    }
    if (k.kind !== kind || !k.uses.includes(use)) {
      this.refusals.policy++;
      return VIRTIO_CRYPTO_ERR;
    }
    return k.bytes;
  }
  // #endregion resolve-key

  private open(s: Session, full: number): CreateResult {
    if (this.sessionCount(s.guest) >= this.maxSessionsPerGuest) return { status: full, id: 0n };
    const id = this.#nextId++;
    this.#sessions.set(id, s);
    return { status: VIRTIO_CRYPTO_OK, id };
  }

  /** `full` is the status for a full session table: NOSPC under VIRTIO_CRYPTO_F_REVISION_1, else ERR. */
  createCipherSession(guest: string, p: { algo: number; op: number; key: KeySource }, full = VIRTIO_CRYPTO_NOSPC): CreateResult {
    if (p.algo !== VIRTIO_CRYPTO_CIPHER_AES_CBC && p.algo !== VIRTIO_CRYPTO_CIPHER_AES_CTR) return { status: VIRTIO_CRYPTO_NOTSUPP, id: 0n };
    if (p.op !== VIRTIO_CRYPTO_OP_ENCRYPT && p.op !== VIRTIO_CRYPTO_OP_DECRYPT) return { status: VIRTIO_CRYPTO_ERR, id: 0n };
    const key = this.resolveKey(guest, p.key, 'aes', p.op === VIRTIO_CRYPTO_OP_ENCRYPT ? 'encrypt' : 'decrypt');
    if (typeof key === 'number') return { status: key, id: 0n };
    return this.open({ guest, service: VIRTIO_CRYPTO_SERVICE_CIPHER, algo: p.algo, op: p.op, resultLen: 0, key }, full);
  }

  createHashSession(guest: string, p: { algo: number; resultLen: number }, full = VIRTIO_CRYPTO_NOSPC): CreateResult {
    if (p.algo !== VIRTIO_CRYPTO_HASH_SHA_256) return { status: VIRTIO_CRYPTO_NOTSUPP, id: 0n };
    if (p.resultLen < 1 || p.resultLen > 32) return { status: VIRTIO_CRYPTO_ERR, id: 0n };
    return this.open({ guest, service: VIRTIO_CRYPTO_SERVICE_HASH, algo: p.algo, op: 0, resultLen: p.resultLen, key: null }, full);
  }

  createMacSession(guest: string, p: { algo: number; resultLen: number; key: KeySource }, full = VIRTIO_CRYPTO_NOSPC): CreateResult {
    if (p.algo !== VIRTIO_CRYPTO_MAC_HMAC_SHA_256) return { status: VIRTIO_CRYPTO_NOTSUPP, id: 0n };
    if (p.resultLen < 1 || p.resultLen > 32) return { status: VIRTIO_CRYPTO_ERR, id: 0n };
    const key = this.resolveKey(guest, p.key, 'hmac', 'mac');
    if (typeof key === 'number') return { status: key, id: 0n };
    return this.open({ guest, service: VIRTIO_CRYPTO_SERVICE_MAC, algo: p.algo, op: 0, resultLen: p.resultLen, key }, full);
  }

  // #region session-lookup
  /** A session of `guest` for `service`; another guest's session is as absent as one never made. */
  private session(guest: string, service: number, id: bigint): Session | null {
    const s = this.#sessions.get(id);
    if (!s || s.guest !== guest || s.service !== service) {
      if (s && s.guest !== guest) this.refusals.foreignSession++;
      return null;
    }
    return s;
  }
  // #endregion session-lookup

  destroySession(guest: string, service: number, id: bigint): number {
    if (!this.session(guest, service, id)) return VIRTIO_CRYPTO_ERR;
    this.#sessions.delete(id);
    return VIRTIO_CRYPTO_OK;
  }

  /** Every session of a guest: its device was reset, or the guest stopped. */
  destroyAll(guest: string): void {
    for (const [id, s] of this.#sessions) if (s.guest === guest) this.#sessions.delete(id);
  }

  // #region cipher
  cipher(guest: string, id: bigint, op: number, iv: Uint8Array, src: Uint8Array): HsmResult {
    const s = this.session(guest, VIRTIO_CRYPTO_SERVICE_CIPHER, id);
    if (!s || !s.key) return { status: VIRTIO_CRYPTO_INVSESS };
    if (op !== s.op || iv.length !== 16) return { status: VIRTIO_CRYPTO_ERR };
    if (s.algo === VIRTIO_CRYPTO_CIPHER_AES_CBC) {
      if (src.length % 16 !== 0) return { status: VIRTIO_CRYPTO_ERR }; // CBC without padding: whole blocks
      const c = cbc(s.key, iv, { disablePadding: true });
      return { status: VIRTIO_CRYPTO_OK, out: op === VIRTIO_CRYPTO_OP_ENCRYPT ? c.encrypt(src) : c.decrypt(src) };
    }
    return { status: VIRTIO_CRYPTO_OK, out: ctr(s.key, iv).encrypt(src) }; // CTR: both directions are one keystream
  }
  // #endregion cipher

  /** HASH or MAC over `src`, truncated to the session's result length. */
  digest(guest: string, service: number, id: bigint, src: Uint8Array, resultLen: number): HsmResult {
    const s = this.session(guest, service, id);
    if (!s) return { status: VIRTIO_CRYPTO_INVSESS };
    if (resultLen !== s.resultLen) return { status: VIRTIO_CRYPTO_ERR };
    const full = service === VIRTIO_CRYPTO_SERVICE_MAC && s.key ? hmac(sha256, s.key, src) : sha256(src);
    return { status: VIRTIO_CRYPTO_OK, out: full.subarray(0, resultLen) };
  }
}
