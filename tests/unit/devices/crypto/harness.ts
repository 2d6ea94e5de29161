// Shared set-up for the crypto tests: a device for one guest over a (possibly shared) Hsm on a
// Loopback of a given ring layout, with or without VIRTIO_CRYPTO_F_REVISION_1, and node:crypto
// as the oracle the device's answers are checked against.
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { CryptoClient } from '../../../../src/lib/devices/crypto/client.ts';
import { CryptoDevice, type CryptoDeviceOptions } from '../../../../src/lib/devices/crypto/device.ts';
import { Hsm } from '../../../../src/lib/devices/crypto/hsm.ts';

export const AES_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
export const AES256_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
export const MAC_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + 3 * i);
export const IV = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
export const REVISIONS = [true, false] as const;

export interface Rig {
  hsm: Hsm;
  dev: CryptoDevice;
  lb: Loopback;
  client: CryptoClient;
}

export function rig(ring: RingType, rev1 = true, opts: CryptoDeviceOptions = {}): Rig {
  const dev = new CryptoDevice(opts);
  const lb = new Loopback(dev, { ring, memSize: 1 << 20, features: rev1 ? undefined : ~1n & ((1n << 64n) - 1n) });
  return { hsm: dev.hsm, dev, lb, client: new CryptoClient(lb) };
}

export const needsReset = (r: Rig): boolean => (r.lb.status & DEVICE_NEEDS_RESET) !== 0;

const aesName = (mode: 'cbc' | 'ctr', key: Uint8Array) => `aes-${key.length * 8}-${mode}`;

export function oracleEncrypt(mode: 'cbc' | 'ctr', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv(aesName(mode, key), key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

export function oracleDecrypt(mode: 'cbc' | 'ctr', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createDecipheriv(aesName(mode, key), key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

export const oracleSha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
export const oracleHmac = (key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac('sha256', key).update(data).digest());

/** Whether `needle` occurs anywhere in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
