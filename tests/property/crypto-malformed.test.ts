// Properties of the crypto device under malformed requests. Whatever a driver puts in a chain
// (valid control and data requests, requests with flipped bytes, cut short or lengthened, split
// anywhere, with any room for the answer, session IDs of its own, of another guest or of
// nobody), the device never throws and never needs a reset; a data answer fills the whole
// writable part and ends in a defined status; the guest's sessions are exactly those it was
// told were created and not yet destroyed; a successful AES-CTR answer is what node:crypto
// computes; and nothing a guest sends changes the platform's keys or the other guest's sessions.
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import * as C from '../../src/lib/devices/crypto/constants.ts';
import { CryptoDevice } from '../../src/lib/devices/crypto/device.ts';
import { Hsm, keyToken } from '../../src/lib/devices/crypto/hsm.ts';
import * as R from '../../src/lib/devices/crypto/requests.ts';

const KEY_A = Uint8Array.from({ length: 16 }, (_, i) => 0x21 + i);
const KEY_B = Uint8Array.from({ length: 32 }, (_, i) => 0x90 ^ i);

type Kind = 'cipher' | 'ctr-token' | 'foreign-token' | 'hash' | 'mac' | 'destroy' | 'encrypt' | 'hash-data' | 'mac-data' | 'random';
interface Req {
  kind: Kind;
  pick: number; // which known session ID to use (own, the other guest's, or none)
  flips: { at: number; bit: number }[];
  extra: number;
  cuts: number[];
  room: number[] | null; // null: the room the request asks for
  len: number;
  fill: number;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  kind: fc.constantFrom<Kind>('cipher', 'ctr-token', 'foreign-token', 'hash', 'mac', 'destroy', 'encrypt', 'encrypt', 'hash-data', 'mac-data', 'random'),
  pick: fc.nat(20),
  flips: fc.oneof({ weight: 3, arbitrary: fc.constant([] as { at: number; bit: number }[]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat(300), bit: fc.nat(7) }), { minLength: 1, maxLength: 2 }) }),
  extra: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -30, max: 30 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  room: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 3 }) }),
  len: fc.nat(70),
  fill: fc.nat(255),
});

const ctrOracle = (key: Uint8Array, iv: Uint8Array, src: Uint8Array) => {
  const c = createCipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return new Uint8Array(Buffer.concat([c.update(src), c.final()]));
};

describe.each(RING_TYPES)('crypto requests under malformed input (%s ring)', (ring) => {
  it.each([true, false])('[AVP-CRYPTO-12] [AVP-CRYPTO-14] [AVP-CRYPTO-23] [AVP-CRYPTO-26] never throws or needs a reset, and keeps sessions, results and keys exact (REVISION_1 %s)', (rev1) => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 14 }), (reqs) => {
        const hsm = new Hsm({ maxSessionsPerGuest: 6 });
        hsm.provision('a', 1, { kind: 'aes', bytes: KEY_A, uses: ['encrypt', 'decrypt'] });
        hsm.provision('b', 1, { kind: 'aes', bytes: KEY_B, uses: ['encrypt'] });
        const keysBefore = JSON.stringify([hsm.describe('a', 1), hsm.describe('b', 1), hsm.describe('a', 2)]);
        const devB = new CryptoDevice({ hsm, guest: 'b' });
        const lbB = new Loopback(devB, { ring });
        const bAns = R.parseCreateSessionInput(lbB.request(1, R.cipherSessionRequest({ algo: C.VIRTIO_CRYPTO_CIPHER_AES_CTR, op: 1, key: keyToken(1) }).out, [16]).data);
        expect(bAns.status).toBe(C.VIRTIO_CRYPTO_OK);
        const dev = new CryptoDevice({ hsm, guest: 'a' });
        const lb = new Loopback(dev, { ring, features: rev1 ? undefined : ((1n << 64n) - 1n) & ~1n });
        const own = new Map<bigint, 'ctr' | 'other'>(); // live sessions of guest a
        const ids = (): bigint[] => [...own.keys(), bAns.id, 0n, 12345n];
        for (const r of reqs) {
          const id = ids()[r.pick % ids().length];
          const iv = new Uint8Array(16).fill(r.fill);
          const src = new Uint8Array(r.len).fill(r.fill ^ 0x5a);
          let q = 1;
          let req: R.CryptoRequest;
          switch (r.kind) {
            case 'cipher': req = R.cipherSessionRequest({ algo: 3 + (r.fill % 3), op: 1 + (r.fill % 2), key: KEY_A }); break;
            case 'ctr-token': req = R.cipherSessionRequest({ algo: C.VIRTIO_CRYPTO_CIPHER_AES_CTR, op: 1, key: keyToken(1) }); break;
            case 'foreign-token': req = R.cipherSessionRequest({ algo: C.VIRTIO_CRYPTO_CIPHER_AES_CTR, op: 1, key: keyToken(2 + (r.fill % 2)) }); break;
            case 'hash': req = R.hashSessionRequest({ resultLen: r.len % 40, rev1 }); break;
            case 'mac': req = R.macSessionRequest({ resultLen: 32, key: src.length ? src : KEY_A, rev1 }); break;
            case 'destroy': req = R.destroySessionRequest({ opcode: [0x003, 0x103, 0x203][r.fill % 3], id, rev1 }); break;
            case 'encrypt': q = 0; req = R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo: 4, id, iv, src }); break;
            case 'hash-data': q = 0; req = R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_HASH, algo: 4, id, src, resultLen: 32, rev1 }); break;
            case 'mac-data': q = 0; req = R.digestDataRequest({ opcode: C.VIRTIO_CRYPTO_MAC, algo: 4, id, src, resultLen: 32, rev1 }); break;
            default: q = r.fill % 2; req = { out: [src], inLens: [17] };
          }
          let bytes = new Uint8Array(req.out.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of req.out) { bytes.set(p, at); at += p.length; }
          const pristine = r.flips.length === 0 && r.extra === 0;
          for (const f of r.flips) if (bytes.length) bytes[f.at % bytes.length] ^= 1 << f.bit;
          if (r.extra > 0) { const b = new Uint8Array(bytes.length + r.extra); b.set(bytes); bytes = b; }
          if (r.extra < 0) bytes = bytes.subarray(0, Math.max(0, bytes.length + r.extra));
          const parts = cut(bytes, r.cuts);
          const room = r.room ?? req.inLens;
          if (parts.length + room.length === 0) continue;
          const c = lb.request(q, parts, room);
          const total = room.reduce((a, b) => a + b, 0);
          if (q === 0) {
            // a data answer: the whole writable part, a defined status last
            expect(c.len).toBe(total);
            if (total > 0) expect(c.data[total - 1]).toBeLessThanOrEqual(C.VIRTIO_CRYPTO_KEY_REJECTED);
            if (total > 0 && c.data[total - 1] === C.VIRTIO_CRYPTO_OK) {
              expect(own.has(id)).toBe(true); // only a live session of this guest runs
              if (r.kind === 'encrypt' && pristine && own.get(id) === 'ctr') expect(Buffer.from(c.data.subarray(0, r.len)).equals(ctrOracle(KEY_A, iv, src))).toBe(true);
            }
          } else if (c.len === 16) {
            const a = R.parseCreateSessionInput(c.data);
            if (a.status === C.VIRTIO_CRYPTO_OK) {
              expect(own.has(a.id) || a.id === bAns.id).toBe(false);
              own.set(a.id, r.kind === 'ctr-token' && pristine ? 'ctr' : 'other');
            } else expect(a.id).toBe(0n);
          } else if (c.len === 1 && c.data[0] === C.VIRTIO_CRYPTO_OK) {
            // a destroy that succeeded: of the session of this guest the request named
            const named = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(16, true);
            expect(own.has(named)).toBe(true);
            own.delete(named);
          }
          expect(hsm.sessionCount('a')).toBe(own.size);
        }
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
        // the platform's keys and the other guest's session are untouched
        expect(JSON.stringify([hsm.describe('a', 1), hsm.describe('b', 1), hsm.describe('a', 2)])).toBe(keysBefore);
        expect(hsm.sessionCount('b')).toBe(1);
        const after = R.cipherDataRequest({ opcode: C.VIRTIO_CRYPTO_CIPHER_ENCRYPT, algo: 4, id: bAns.id, iv: new Uint8Array(16), src: new Uint8Array(16) });
        const b = lbB.request(0, after.out, after.inLens);
        expect(b.data[16]).toBe(C.VIRTIO_CRYPTO_OK);
        expect(Buffer.from(b.data.subarray(0, 16)).equals(ctrOracle(KEY_B, new Uint8Array(16), new Uint8Array(16)))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
