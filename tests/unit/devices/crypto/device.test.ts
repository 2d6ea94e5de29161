// The crypto device (VIRTIO 1.4 §5.9) request by request, on both ring layouts and with and
// without VIRTIO_CRYPTO_F_REVISION_1: configuration, session creation and destruction, cipher,
// hash and MAC requests checked against node:crypto, and every way a request is refused.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as C from '../../../../src/lib/devices/crypto/constants.ts';
import { CryptoDevice } from '../../../../src/lib/devices/crypto/device.ts';
import * as R from '../../../../src/lib/devices/crypto/requests.ts';
import {
  AES_KEY, AES256_KEY, IV, MAC_KEY, needsReset, oracleDecrypt, oracleEncrypt, oracleHmac, oracleSha256, REVISIONS, rig,
} from './harness.ts';

const CBC = C.VIRTIO_CRYPTO_CIPHER_AES_CBC;
const CTR = C.VIRTIO_CRYPTO_CIPHER_AES_CTR;
const ENC = C.VIRTIO_CRYPTO_OP_ENCRYPT;
const DEC = C.VIRTIO_CRYPTO_OP_DECRYPT;
const text = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) & 0xff);

describe.each(RING_TYPES)('crypto device and configuration (%s ring)', (ring) => {
  it('[AVP-CRYPTO-1] has device ID 20, data queues 0..N-1 and the control queue at N', () => {
    for (const n of [1, 3]) {
      const r = rig(ring, true, { dataQueues: n });
      expect(r.dev.deviceId).toBe(20);
      expect(r.dev.queueCount()).toBe(n + 1);
      expect(r.lb.queues.length).toBe(n + 1);
      expect(r.dev.controlQueue).toBe(n);
      const s = r.client.hashSession();
      expect(s.status).toBe(C.VIRTIO_CRYPTO_OK);
      // every data queue serves requests; the control queue is the last
      for (let q = 0; q < n; q++) expect(r.client.hash(s.id, text(5), 32, q).status).toBe(C.VIRTIO_CRYPTO_OK);
    }
    for (const n of [0, 65536]) expect(() => new CryptoDevice({ dataQueues: n })).toThrow(RangeError);
  });

  it('[AVP-CRYPTO-2] [AVP-CRYPTO-3] reports HW_READY, the services and algorithm masks it implements, the key limits and max_size', () => {
    const r = rig(ring, true, { maxSize: 4096 });
    const c = r.dev.config;
    expect(c.u32(C.CRYPTO_CFG.status)).toBe(C.VIRTIO_CRYPTO_S_HW_READY);
    expect(c.u32(C.CRYPTO_CFG.maxDataqueues)).toBe(1);
    expect(c.u32(C.CRYPTO_CFG.cryptoServices)).toBe(0b111); // CIPHER, HASH, MAC
    expect(c.u32(C.CRYPTO_CFG.cipherAlgoL)).toBe((1 << 3) | (1 << 4)); // AES-CBC, AES-CTR
    expect(c.u32(C.CRYPTO_CFG.cipherAlgoH)).toBe(0);
    expect(c.u32(C.CRYPTO_CFG.hashAlgo)).toBe(1 << 4); // SHA-256
    expect(c.u32(C.CRYPTO_CFG.macAlgoL)).toBe(1 << 4); // HMAC-SHA256
    expect([c.u32(C.CRYPTO_CFG.macAlgoH), c.u32(C.CRYPTO_CFG.aeadAlgo), c.u32(C.CRYPTO_CFG.akcipherAlgo)]).toEqual([0, 0, 0]);
    expect([c.u32(C.CRYPTO_CFG.maxCipherKeyLen), c.u32(C.CRYPTO_CFG.maxAuthKeyLen)]).toEqual([32, 64]);
    expect(c.u64(C.CRYPTO_CFG.maxSize)).toBe(4096n);
    expect(r.dev.offeredFeatures() & 0xffffffn).toBe(1n); // REVISION_1 only, no stateless modes
    // each advertised algorithm works
    expect(r.client.cipherSession(CBC, ENC, AES_KEY).status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.cipherSession(CTR, ENC, AES_KEY).status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.hashSession().status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.macSession(MAC_KEY).status).toBe(C.VIRTIO_CRYPTO_OK);
  });
});

describe.each(RING_TYPES)('crypto sessions (%s ring)', (ring) => {
  it.each(REVISIONS)('[AVP-CRYPTO-4] [AVP-CRYPTO-5] reads both request layouts and gives each new session a distinct non-zero ID (REVISION_1 %s)', (rev1) => {
    const r = rig(ring, rev1);
    expect(r.client.rev1).toBe(rev1);
    const ids = [r.client.cipherSession(CBC, ENC, AES_KEY), r.client.cipherSession(CTR, DEC, AES256_KEY), r.client.hashSession(16), r.client.macSession(MAC_KEY, 20)];
    expect(ids.map((s) => s.status)).toEqual([0, 0, 0, 0]);
    expect(new Set(ids.map((s) => s.id)).size).toBe(4);
    expect(ids.every((s) => s.id !== 0n)).toBe(true);
    // the other layout's hash session request is too short (56 vs 8 bytes) or padded: the legacy
    // request is still a valid REVISION_1 request with trailing bytes, the REVISION_1 one is short
    // without it
    const other = R.hashSessionRequest({ resultLen: 32, rev1: !rev1 });
    const ans = R.parseCreateSessionInput(r.lb.request(r.client.controlQueue, other.out, other.inLens).data);
    expect(ans.status).toBe(rev1 ? C.VIRTIO_CRYPTO_OK : C.VIRTIO_CRYPTO_ERR);
  });

  it('[AVP-CRYPTO-5] answers NOTSUPP for algorithms and services it does not offer, ERR for bad parameters, with session_id 0', () => {
    const r = rig(ring);
    const notsupp = [
      r.client.cipherSession(C.VIRTIO_CRYPTO_CIPHER_AES_ECB, ENC, AES_KEY),
      r.client.cipherSession(14, ENC, AES_KEY),
      R.parseCreateSessionInput(r.lb.request(1, R.cipherSessionRequest({ algo: CBC, op: ENC, key: AES_KEY, opType: C.VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING }).out, [16]).data),
      R.parseCreateSessionInput(r.lb.request(1, R.hashSessionRequest({ algo: 6, resultLen: 64, rev1: true }).out, [16]).data),
      R.parseCreateSessionInput(r.lb.request(1, R.macSessionRequest({ algo: 26, resultLen: 16, key: AES_KEY, rev1: true }).out, [16]).data),
      R.parseCreateSessionInput(r.lb.request(1, [Uint8Array.of(0x02, 0x03, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), new Uint8Array(56)], [16]).data), // AEAD create
      R.parseCreateSessionInput(r.lb.request(1, [Uint8Array.of(0x77, 0x07, 0, 0), new Uint8Array(60)], [16]).data), // unknown opcode
    ];
    for (const a of notsupp) expect(a).toEqual({ status: C.VIRTIO_CRYPTO_NOTSUPP, id: 0n });
    const err = [
      r.client.cipherSession(CBC, 3, AES_KEY), // neither encrypt nor decrypt
      r.client.cipherSession(CBC, ENC, new Uint8Array(15)), // not an AES key length
      r.client.cipherSession(CBC, ENC, new Uint8Array(33)), // above max_cipher_key_len
      r.client.hashSession(0),
      r.client.hashSession(33),
      r.client.macSession(new Uint8Array(0)),
      r.client.macSession(new Uint8Array(65)), // above max_auth_key_len
      R.parseCreateSessionInput(r.lb.request(1, [new Uint8Array(10)], [16]).data), // header cut short
    ];
    for (const a of err) expect(a).toEqual({ status: C.VIRTIO_CRYPTO_ERR, id: 0n });
    expect(r.hsm.sessionCount('guest')).toBe(0);
  });

  it.each(REVISIONS)('[AVP-CRYPTO-6] answers a full session table with NOSPC under REVISION_1, else ERR (REVISION_1 %s)', (rev1) => {
    const r = rig(ring, rev1);
    for (let i = 0; i < r.hsm.maxSessionsPerGuest; i++) expect(r.client.hashSession().status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.hashSession()).toEqual({ status: rev1 ? C.VIRTIO_CRYPTO_NOSPC : C.VIRTIO_CRYPTO_ERR, id: 0n });
  });

  it.each(REVISIONS)('[AVP-CRYPTO-7] destroys a session of the named service once, and the ID is then invalid (REVISION_1 %s)', (rev1) => {
    const r = rig(ring, rev1);
    const s = r.client.cipherSession(CTR, ENC, AES_KEY);
    const h = r.client.hashSession();
    expect(r.client.destroy(C.VIRTIO_CRYPTO_HASH_DESTROY_SESSION, s.id)).toBe(C.VIRTIO_CRYPTO_ERR); // wrong service
    expect(r.client.destroy(C.VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION, s.id)).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.destroy(C.VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION, s.id)).toBe(C.VIRTIO_CRYPTO_ERR);
    expect(r.client.destroy(C.VIRTIO_CRYPTO_MAC_DESTROY_SESSION, 0x1234n)).toBe(C.VIRTIO_CRYPTO_ERR);
    expect(r.client.destroy(C.opcode(C.VIRTIO_CRYPTO_SERVICE_AEAD, 3), h.id)).toBe(C.VIRTIO_CRYPTO_ERR);
    expect(r.client.encrypt(s.id, CTR, IV, text(16)).status).toBe(C.VIRTIO_CRYPTO_INVSESS);
    expect(r.client.hash(h.id, text(3)).status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.destroy(C.VIRTIO_CRYPTO_HASH_DESTROY_SESSION, h.id)).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.hsm.sessionCount('guest')).toBe(0);
  });

  it('[AVP-CRYPTO-16] forgets every session of the guest on a device reset', () => {
    const r = rig(ring);
    const s = r.client.macSession(MAC_KEY);
    expect(r.hsm.sessionCount('guest')).toBe(1);
    r.dev.reset();
    expect(r.hsm.sessionCount('guest')).toBe(0);
    const again = rig(ring, true, { hsm: r.hsm });
    expect(again.client.mac(s.id, text(4)).status).toBe(C.VIRTIO_CRYPTO_INVSESS);
  });
});

describe.each(RING_TYPES)('crypto data requests (%s ring)', (ring) => {
  it.each(REVISIONS)('[AVP-CRYPTO-8] encrypts and decrypts AES-CBC and AES-CTR as node:crypto does (REVISION_1 %s)', (rev1) => {
    const r = rig(ring, rev1);
    for (const [mode, algo] of [['cbc', CBC], ['ctr', CTR]] as const) {
      for (const key of [AES_KEY, AES256_KEY]) {
        const plain = text(mode === 'cbc' ? 64 : 37, key.length);
        const e = r.client.cipherSession(algo, ENC, key);
        const d = r.client.cipherSession(algo, DEC, key);
        const ct = r.client.encrypt(e.id, algo, IV, plain);
        expect(ct.status).toBe(C.VIRTIO_CRYPTO_OK);
        expect(Buffer.from(ct.out).equals(oracleEncrypt(mode, key, IV, plain))).toBe(true);
        const pt = r.client.decrypt(d.id, algo, IV, ct.out);
        expect(pt.status).toBe(C.VIRTIO_CRYPTO_OK);
        expect(Buffer.from(pt.out).equals(oracleDecrypt(mode, key, IV, ct.out))).toBe(true);
        expect([...pt.out]).toEqual([...plain]);
      }
    }
    // the CTR counter runs over all 128 bits, as node's does
    const s = r.client.cipherSession(CTR, ENC, AES_KEY);
    const iv = new Uint8Array(16).fill(0xff);
    expect(Buffer.from(r.client.encrypt(s.id, CTR, iv, text(50)).out).equals(oracleEncrypt('ctr', AES_KEY, iv, text(50)))).toBe(true);
  });

  it('[AVP-CRYPTO-9] refuses cipher requests the session cannot run: INVSESS, ERR and NOTSUPP', () => {
    const r = rig(ring);
    const cbcE = r.client.cipherSession(CBC, ENC, AES_KEY).id;
    const h = r.client.hashSession().id;
    expect(r.client.encrypt(999n, CBC, IV, text(16)).status).toBe(C.VIRTIO_CRYPTO_INVSESS);
    expect(r.client.encrypt(h, CBC, IV, text(16)).status).toBe(C.VIRTIO_CRYPTO_INVSESS); // a HASH session
    expect(r.client.decrypt(cbcE, CBC, IV, text(16)).status).toBe(C.VIRTIO_CRYPTO_ERR); // direction is the session's
    expect(r.client.encrypt(cbcE, CBC, IV, text(17)).status).toBe(C.VIRTIO_CRYPTO_ERR); // CBC needs whole blocks
    expect(r.client.encrypt(cbcE, CBC, IV.subarray(0, 12), text(16)).status).toBe(C.VIRTIO_CRYPTO_ERR); // iv_len 16
    const mismatched = R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo: CBC, id: cbcE, iv: IV, src: text(32) });
    const flf = mismatched.out[1].slice();
    new DataView(flf.buffer).setUint32(8, 16, true); // dst_data_len != src_data_len
    expect(R.parseDataAnswer(r.lb.request(0, [mismatched.out[0], flf, IV, text(32)], [17]).data, 17).status).toBe(C.VIRTIO_CRYPTO_ERR);
    const chained = mismatched.out[1].slice();
    new DataView(chained.buffer).setUint32(40, C.VIRTIO_CRYPTO_SYM_OP_ALGORITHM_CHAINING, true);
    expect(R.parseDataAnswer(r.lb.request(0, [mismatched.out[0], chained, IV, text(32)], [33]).data, 33).status).toBe(C.VIRTIO_CRYPTO_NOTSUPP);
    const aead = R.opHeader(C.VIRTIO_CRYPTO_AEAD_ENCRYPT, 1, cbcE);
    expect(R.parseDataAnswer(r.lb.request(0, [aead, new Uint8Array(48)], [17]).data, 17).status).toBe(C.VIRTIO_CRYPTO_NOTSUPP);
    const short = r.lb.request(0, [R.opHeader(C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, CBC, cbcE), new Uint8Array(20)], [5]);
    expect(R.parseDataAnswer(short.data, short.len).status).toBe(C.VIRTIO_CRYPTO_ERR);
    // the iv and source announced but not sent
    const cut = r.lb.request(0, [mismatched.out[0], mismatched.out[1], IV, text(8)], [33]);
    expect(R.parseDataAnswer(cut.data, cut.len).status).toBe(C.VIRTIO_CRYPTO_ERR);
  });

  it.each(REVISIONS)('[AVP-CRYPTO-10] hashes with SHA-256, truncated to the session result length (REVISION_1 %s)', (rev1) => {
    const r = rig(ring, rev1);
    for (const len of [32, 20, 1]) {
      const s = r.client.hashSession(len);
      for (const n of [0, 1, 55, 64, 1000]) {
        const a = r.client.hash(s.id, text(n), len);
        expect(a.status).toBe(C.VIRTIO_CRYPTO_OK);
        expect(Buffer.from(a.out).equals(oracleSha256(text(n)).subarray(0, len))).toBe(true);
      }
      expect(r.client.hash(s.id, text(4), len === 32 ? 16 : 32).status).toBe(C.VIRTIO_CRYPTO_ERR);
    }
    expect(r.client.hash(77n, text(4)).status).toBe(C.VIRTIO_CRYPTO_INVSESS);
  });

  it.each(REVISIONS)('[AVP-CRYPTO-11] computes HMAC-SHA256 under the session key (REVISION_1 %s)', (rev1) => {
    const r = rig(ring, rev1);
    for (const key of [MAC_KEY, text(64, 9), text(3, 2)]) {
      const s = r.client.macSession(key);
      const a = r.client.mac(s.id, text(100));
      expect(a.status).toBe(C.VIRTIO_CRYPTO_OK);
      expect(Buffer.from(a.out).equals(oracleHmac(key, text(100)))).toBe(true);
    }
    const h = r.client.hashSession();
    expect(r.client.mac(h.id, text(5)).status).toBe(C.VIRTIO_CRYPTO_INVSESS); // a HASH session is not a MAC session
  });

  it('[AVP-CRYPTO-12] puts the status in the last writable byte, zeroes the result area on failure, and reports the whole writable part as used', () => {
    const r = rig(ring);
    const s = r.client.cipherSession(CTR, ENC, AES_KEY);
    const req = R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo: CTR, id: s.id, iv: IV, src: text(20) });
    const ok = r.lb.request(0, req.out, [7, 14]); // dst and status split over two buffers
    expect(ok.len).toBe(21);
    expect(ok.data[20]).toBe(C.VIRTIO_CRYPTO_OK);
    expect(Buffer.from(ok.data.subarray(0, 20)).equals(oracleEncrypt('ctr', AES_KEY, IV, text(20)))).toBe(true);
    const bad = r.lb.request(0, R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo: CTR, id: 4242n, iv: IV, src: text(20) }).out, [21]);
    expect(bad.len).toBe(21);
    expect([...bad.data.subarray(0, 20)]).toEqual(new Array(20).fill(0));
    expect(bad.data[20]).toBe(C.VIRTIO_CRYPTO_INVSESS);
  });

  it('[AVP-CRYPTO-13] refuses with ERR a data request whose variable-length fields exceed max_size', () => {
    const r = rig(ring, true, { maxSize: 256 });
    const c = r.client.cipherSession(CTR, ENC, AES_KEY).id;
    const h = r.client.hashSession().id;
    expect(r.client.encrypt(c, CTR, IV, text(120)).status).toBe(C.VIRTIO_CRYPTO_OK); // 16 + 120 + 120 = 256
    expect(r.client.encrypt(c, CTR, IV, text(121)).status).toBe(C.VIRTIO_CRYPTO_ERR);
    expect(r.client.hash(h, text(224)).status).toBe(C.VIRTIO_CRYPTO_OK);
    expect(r.client.hash(h, text(225)).status).toBe(C.VIRTIO_CRYPTO_ERR);
    // lengths the chain does not hold: the source announced, a part of it sent
    const full = R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: 4, id: h, src: text(100), resultLen: 32, rev1: true });
    const a = r.lb.request(0, [full.out[0], full.out[1], text(99)], full.inLens);
    expect([a.len, a.data[32], [...a.data.subarray(0, 32)].every((b) => b === 0)]).toEqual([33, C.VIRTIO_CRYPTO_ERR, true]);
  });

  it('[AVP-CRYPTO-15] under REVISION_1, refuses a data request without VIRTIO_CRYPTO_FLAG_SESSION_MODE with NOTSUPP', () => {
    const r = rig(ring);
    const h = r.client.hashSession().id;
    const req = R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: 4, id: h, src: text(8), resultLen: 32, rev1: true, flag: 0 });
    expect(R.parseDataAnswer(r.lb.request(0, req.out, req.inLens).data, 33).status).toBe(C.VIRTIO_CRYPTO_NOTSUPP);
    // without REVISION_1 the flag is ignored
    const legacy = rig(ring, false);
    const lh = legacy.client.hashSession().id;
    const lreq = R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: 4, id: lh, src: text(8), resultLen: 32, rev1: false, flag: 0 });
    expect(R.parseDataAnswer(legacy.lb.request(0, lreq.out, lreq.inLens).data, 33).status).toBe(C.VIRTIO_CRYPTO_OK);
  });

  it('[AVP-CRYPTO-17] the reference driver gives the device exactly the result length plus the status byte', () => {
    expect(R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo: CTR, id: 1n, iv: IV, src: text(33) }).inLens).toEqual([34]);
    expect(R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_MAC, algo: 4, id: 1n, src: text(3), resultLen: 20 }).inLens).toEqual([21]);
    const r = rig(ring);
    const s = r.client.hashSession(20).id;
    const over = R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: 4, id: s, src: text(3), resultLen: 20, rev1: true });
    const a = r.lb.request(0, over.out, [40]); // more room than the result: refused, not guessed at
    expect(a.data[39]).toBe(C.VIRTIO_CRYPTO_ERR);
  });
});

describe.each(RING_TYPES)('crypto chains the device cannot answer (%s ring)', (ring) => {
  it('[AVP-CRYPTO-14] hands back chains without room for an answer with used length 0, changes nothing, and never needs a reset for what a request holds', () => {
    const r = rig(ring);
    const create = R.hashSessionRequest({ resultLen: 32, rev1: true });
    expect(r.lb.request(1, create.out, [8]).len).toBe(0); // room for less than create_session_input
    expect(r.lb.request(1, create.out, []).len).toBe(0);
    expect(r.hsm.sessionCount('guest')).toBe(0);
    const s = r.client.hashSession().id;
    expect(r.lb.request(1, R.destroySessionRequest({ opcode: C.VIRTIO_CRYPTO_HASH_DESTROY_SESSION, id: s, rev1: true }).out, []).len).toBe(0);
    expect(r.hsm.sessionCount('guest')).toBe(1);
    expect(r.lb.request(0, R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: 4, id: s, src: text(4), resultLen: 32, rev1: true }).out, []).len).toBe(0);
    expect(r.dev.stats.unanswerable).toBe(4);
    for (const junk of [new Uint8Array(0), new Uint8Array(3).fill(0xff), text(200)]) {
      r.lb.request(0, junk.length ? [junk] : [], [9]);
      r.lb.request(1, junk.length ? [junk] : [], [16]);
    }
    expect(needsReset(r)).toBe(false);
    expect(r.client.hash(s, text(4)).status).toBe(C.VIRTIO_CRYPTO_OK);
    // only a broken ring does
    r.lb.queues[0].add([{ addr: 0x7fff_0000, len: 64, writable: false }]);
    r.dev.queueNotify(0);
    expect(needsReset(r)).toBe(true);
  });
});
