// The HSM behind the crypto device: keys the platform provisions per guest and names by handle,
// sessions per guest on one shared HSM, and what the platform refuses: another guest's handles
// and sessions, uses a key's policy does not allow, key bytes from a guest where keys are
// provisioned, and any way for key bytes to reach a guest.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as C from '../../../../src/lib/devices/crypto/constants.ts';
import { Hsm, keyToken, parseKeyToken } from '../../../../src/lib/devices/crypto/hsm.ts';
import { AES_KEY, contains, IV, MAC_KEY, oracleEncrypt, oracleHmac, rig } from './harness.ts';

const CBC = C.VIRTIO_CRYPTO_CIPHER_AES_CBC;
const CTR = C.VIRTIO_CRYPTO_CIPHER_AES_CTR;
const ENC = C.VIRTIO_CRYPTO_OP_ENCRYPT;
const DEC = C.VIRTIO_CRYPTO_OP_DECRYPT;
const CLUSTER_AES = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ (i * 5));
const IVI_AES = Uint8Array.from({ length: 16 }, (_, i) => 0x33 + i);
const data = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 11 + 3) & 0xff);

/** Two guests on one HSM: the cluster holds handles 1 (AES, encrypt only) and 2 (HMAC); the IVI holds handle 1 (AES). */
function platform(ring: (typeof RING_TYPES)[number], hsmOpts = {}) {
  const hsm = new Hsm(hsmOpts);
  hsm.provision('cluster', 1, { kind: 'aes', bytes: CLUSTER_AES, uses: ['encrypt'] });
  hsm.provision('cluster', 2, { kind: 'hmac', bytes: MAC_KEY, uses: ['mac'] });
  hsm.provision('ivi', 1, { kind: 'aes', bytes: IVI_AES, uses: ['encrypt', 'decrypt'] });
  return { hsm, cluster: rig(ring, true, { hsm, guest: 'cluster' }), ivi: rig(ring, true, { hsm, guest: 'ivi' }) };
}

describe('[AVP-CRYPTO-18] key tokens', () => {
  it('name a handle in 16 bytes and are told apart from key bytes', () => {
    const t = keyToken(0x01020304);
    expect(t.length).toBe(16);
    expect(new TextDecoder().decode(t.subarray(0, 8))).toBe('AVPHSMK1');
    expect(parseKeyToken(t)).toBe(0x01020304);
    expect(parseKeyToken(AES_KEY)).toBeNull();
    const bad = t.slice();
    bad[15] = 1; // reserved bytes must be zero
    expect(parseKeyToken(bad)).toBeNull();
    expect(parseKeyToken(t.subarray(0, 15))).toBeNull();
  });
});

describe.each(RING_TYPES)('HSM-backed crypto for two guests (%s ring)', (ring) => {
  it('[AVP-CRYPTO-18] opens sessions on provisioned handles, and each guest\'s handle 1 is its own key', () => {
    const p = platform(ring);
    const c = p.cluster.client.cipherSession(CTR, ENC, keyToken(1));
    const v = p.ivi.client.cipherSession(CTR, ENC, keyToken(1));
    expect([c.status, v.status]).toEqual([C.VIRTIO_CRYPTO_OK, C.VIRTIO_CRYPTO_OK]);
    const m = data(40);
    expect(Buffer.from(p.cluster.client.encrypt(c.id, CTR, IV, m).out).equals(oracleEncrypt('ctr', CLUSTER_AES, IV, m))).toBe(true);
    expect(Buffer.from(p.ivi.client.encrypt(v.id, CTR, IV, m).out).equals(oracleEncrypt('ctr', IVI_AES, IV, m))).toBe(true);
    const mac = p.cluster.client.macSession(keyToken(2));
    expect(Buffer.from(p.cluster.client.mac(mac.id, m).out).equals(oracleHmac(MAC_KEY, m))).toBe(true);
  });

  it('[AVP-CRYPTO-21] refuses a session on another guest\'s handle with ERR, exactly as on a handle nobody holds', () => {
    const p = platform(ring);
    const foreign = p.ivi.client.macSession(keyToken(2)); // the cluster's HMAC key
    const none = p.ivi.client.macSession(keyToken(99));
    expect(foreign).toEqual({ status: C.VIRTIO_CRYPTO_ERR, id: 0n });
    expect(none).toEqual(foreign);
    expect(p.hsm.refusals.foreignHandle).toBe(2);
    expect(p.hsm.sessionCount('ivi')).toBe(0);
  });

  it('[AVP-CRYPTO-22] refuses with ERR a session whose kind or direction the key\'s policy does not allow', () => {
    const p = platform(ring);
    expect(p.cluster.client.cipherSession(CBC, DEC, keyToken(1)).status).toBe(C.VIRTIO_CRYPTO_ERR); // encrypt-only key
    expect(p.cluster.client.macSession(keyToken(1)).status).toBe(C.VIRTIO_CRYPTO_ERR); // an AES key as an HMAC key
    expect(p.cluster.client.cipherSession(CBC, ENC, keyToken(2)).status).toBe(C.VIRTIO_CRYPTO_ERR); // an HMAC key as an AES key
    expect(p.hsm.refusals.policy).toBe(3);
    expect(p.cluster.client.cipherSession(CBC, ENC, keyToken(1)).status).toBe(C.VIRTIO_CRYPTO_OK);
  });

  it('[AVP-CRYPTO-23] answers another guest\'s session ID with INVSESS on data and ERR on destroy, and leaves that session working', () => {
    const p = platform(ring);
    const c = p.cluster.client.macSession(keyToken(2));
    expect(p.ivi.client.mac(c.id, data(8)).status).toBe(C.VIRTIO_CRYPTO_INVSESS);
    expect(p.ivi.client.destroy(C.VIRTIO_CRYPTO_MAC_DESTROY_SESSION, c.id)).toBe(C.VIRTIO_CRYPTO_ERR);
    expect(p.hsm.refusals.foreignSession).toBe(2);
    expect(p.cluster.client.mac(c.id, data(8)).status).toBe(C.VIRTIO_CRYPTO_OK);
    // a reset of the IVI's device leaves the cluster's sessions alone
    p.ivi.dev.reset();
    expect(p.hsm.sessionCount('cluster')).toBe(1);
  });

  it('[AVP-CRYPTO-24] bounds each guest\'s sessions, so a guest that fills its table leaves the other able to open sessions', () => {
    const p = platform(ring, { maxSessionsPerGuest: 4 });
    for (let i = 0; i < 4; i++) expect(p.ivi.client.hashSession().status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(p.ivi.client.hashSession().status).toBe(C.VIRTIO_CRYPTO_NOSPC);
    expect(p.cluster.client.cipherSession(CTR, ENC, keyToken(1)).status).toBe(C.VIRTIO_CRYPTO_OK);
  });

  it('[AVP-CRYPTO-25] refuses, where the platform provisions keys, a session on key bytes a guest sends, with NOTSUPP', () => {
    const p = platform(ring, { acceptGuestKeys: false });
    expect(p.ivi.client.cipherSession(CBC, ENC, AES_KEY)).toEqual({ status: C.VIRTIO_CRYPTO_NOTSUPP, id: 0n });
    expect(p.ivi.client.macSession(MAC_KEY)).toEqual({ status: C.VIRTIO_CRYPTO_NOTSUPP, id: 0n });
    expect(p.hsm.refusals.guestKey).toBe(2);
    expect(p.ivi.client.cipherSession(CBC, ENC, keyToken(1)).status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(p.ivi.client.hashSession().status).toBe(C.VIRTIO_CRYPTO_OK); // no key, nothing to refuse
  });

  it('[AVP-CRYPTO-19] [AVP-CRYPTO-20] never lets a provisioned key reach guest memory, the configuration or the platform\'s description of the key', () => {
    const p = platform(ring);
    const c = p.cluster.client.cipherSession(CTR, ENC, keyToken(1));
    const m = p.cluster.client.macSession(keyToken(2));
    for (let i = 0; i < 8; i++) {
      p.cluster.client.encrypt(c.id, CTR, IV, new Uint8Array(64)); // zeros in: the keystream out, not the key
      p.cluster.client.mac(m.id, data(i * 9));
    }
    // sessions on handles, failed and foreign requests included
    p.ivi.client.macSession(keyToken(2));
    p.cluster.client.cipherSession(CBC, DEC, keyToken(1));
    for (const g of [p.cluster, p.ivi]) {
      const mem = g.lb.mem.regions[0].bytes;
      for (const key of [CLUSTER_AES, CLUSTER_AES.subarray(0, 16), CLUSTER_AES.subarray(16), MAC_KEY, IVI_AES]) expect(contains(mem, key)).toBe(false);
      expect(contains(g.dev.config.read(0, C.CRYPTO_CONFIG_SIZE), MAC_KEY.subarray(0, 8))).toBe(false);
    }
    const info = p.hsm.describe('cluster', 1);
    expect(info).toEqual({ kind: 'aes', length: 32, uses: ['encrypt'] });
    expect(JSON.stringify(info)).not.toContain(String(CLUSTER_AES[0]) + ',');
    expect(p.hsm.describe('ivi', 2)).toBeNull();
    // nothing enumerable on the HSM holds key bytes
    const seen: Uint8Array[] = [];
    const walk = (o: unknown, depth: number): void => {
      if (depth > 4 || o === null || typeof o !== 'object') return;
      if (o instanceof Uint8Array) seen.push(o);
      for (const v of Object.values(o as object)) walk(v, depth + 1);
    };
    walk(p.hsm, 0);
    walk(p.cluster.dev, 0);
    expect(seen.some((b) => contains(b, MAC_KEY) || contains(b, CLUSTER_AES))).toBe(false);
  });

  it('[AVP-CRYPTO-20] keeps its own copy of a provisioned key: changing the caller\'s buffer afterwards changes nothing', () => {
    const hsm = new Hsm();
    const bytes = IVI_AES.slice();
    hsm.provision('ivi', 7, { kind: 'aes', bytes, uses: ['encrypt'] });
    bytes.fill(0);
    const g = rig(ring, true, { hsm, guest: 'ivi' });
    const s = g.client.cipherSession(CTR, ENC, keyToken(7));
    expect(Buffer.from(g.client.encrypt(s.id, CTR, IV, data(16)).out).equals(oracleEncrypt('ctr', IVI_AES, IV, data(16)))).toBe(true);
    expect(() => hsm.provision('ivi', 7, { kind: 'aes', bytes: IVI_AES, uses: ['encrypt'] })).toThrow(RangeError);
  });
});
