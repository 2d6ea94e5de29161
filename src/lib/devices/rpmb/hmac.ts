// HMAC-SHA256, the only cryptography RPMB needs. The model calls it synchronously from the
// device's queue handler, in Node and in browsers alike. WebCrypto's HMAC is asynchronous, and
// node:crypto does not exist in a browser, so the default is @noble/hashes: an audited,
// dependency-free implementation that runs in both. A platform that has its own (an HSM, a
// TEE) supplies a function of the same shape.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

// #region mac-function
/** HMAC-SHA256 of `message` under `key`: 32 bytes. */
export type MacFunction = (key: Uint8Array, message: Uint8Array) => Uint8Array;

export const hmacSha256: MacFunction = (key, message) => hmac(sha256, key, message);

/** Compares two MACs in time that does not depend on where they differ. */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
// #endregion mac-function
