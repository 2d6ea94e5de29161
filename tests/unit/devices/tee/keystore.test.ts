// The key-store trusted application through the relay: every command, its answers on good and
// bad parameters, and that no command ever hands a key back to a guest.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import * as K from '../../../../src/lib/devices/tee/keystore-ta.ts';
import { param } from '../../../../src/lib/devices/tee/messages.ts';
import * as R from '../../../../src/lib/devices/tee/results.ts';
import { listSlots, open, rig, share } from './harness.ts';

const TA = R.TEEC_ORIGIN_TRUSTED_APP;
const KEY = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);

function ks() {
  const r = rig();
  const h = share(r.a, 0x1000, 0x200);
  r.memA.write(0x1000, KEY);
  r.memA.write(0x1100, new TextEncoder().encode('hello, cluster'));
  return { ...r, h, s: open(r.a) };
}

describe('key-store TA', () => {
  it('generates a key in a slot, refuses a second one there, and lists the slots in use', () => {
    const { a, s } = ks();
    expect(a.invoke(s, K.KS_CMD_GENERATE, [param.value(3)])).toEqual({ code: R.TEEC_SUCCESS, origin: TA, params: [{ type: 'none' }] });
    expect(a.invoke(s, K.KS_CMD_GENERATE, [param.value(3)]).code).toBe(R.TEEC_ERROR_ACCESS_CONFLICT);
    expect(a.invoke(s, K.KS_CMD_GENERATE, [param.value(K.KEYSTORE_SLOTS)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(listSlots(a, s)).toBe(1 << 3);
  });

  it('imports a key of 16 to 64 bytes and MACs with it as HMAC-SHA256 does', () => {
    const { a, s, h, memA } = ks();
    expect(a.invoke(s, K.KS_CMD_IMPORT, [param.value(1), param.memIn(h, 0, 15)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(a.invoke(s, K.KS_CMD_IMPORT, [param.value(1), param.memIn(h, 0, 65)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(a.invoke(s, K.KS_CMD_IMPORT, [param.value(1), param.memIn(h, 0, KEY.length)]).code).toBe(R.TEEC_SUCCESS);
    expect(a.invoke(s, K.KS_CMD_IMPORT, [param.value(1), param.memIn(h, 0, KEY.length)]).code).toBe(R.TEEC_ERROR_ACCESS_CONFLICT);
    const r = a.invoke(s, K.KS_CMD_MAC, [param.value(1), param.memIn(h, 0x100, 14), param.memOut(h, 0x180, 64)]);
    expect(r.code).toBe(R.TEEC_SUCCESS);
    expect(r.params).toEqual([{ type: 'none' }, { type: 'none' }, { type: 'memref', size: 32 }]);
    expect(memA.read(0x1180, 32)).toEqual(hmac(sha256, KEY, new TextEncoder().encode('hello, cluster')));
  });

  it('answers a MAC into too small a buffer with SHORT_BUFFER and the size it needs, writing nothing', () => {
    const { a, s, h, memA } = ks();
    a.invoke(s, K.KS_CMD_GENERATE, [param.value(0)]);
    const r = a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0x100, 14), param.memOut(h, 0x180, 31)]);
    expect(r.code).toBe(R.TEEC_ERROR_SHORT_BUFFER);
    expect(r.params?.[2]).toEqual({ type: 'memref', size: K.KEYSTORE_MAC_SIZE });
    expect(memA.read(0x1180, 31)).toEqual(new Uint8Array(31));
  });

  it('refuses MAC, DELETE and LIST with the wrong parameters, an empty slot or a message too long', () => {
    const { a, s, h } = ks();
    expect(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0, 4), param.memOut(h, 0x100, 32)]).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memOut(h, 0, 4), param.memOut(h, 0x100, 32)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0, 4), param.memOut(h, 0x100, 32), param.value(1)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    const big = share(a, 0x4000, K.KEYSTORE_MAX_MESSAGE + 1);
    a.invoke(s, K.KS_CMD_GENERATE, [param.value(0)]);
    expect(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(big, 0, K.KEYSTORE_MAX_MESSAGE + 1), param.memOut(h, 0x100, 32)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(a.invoke(s, K.KS_CMD_DELETE, [param.valueOut()]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(a.invoke(s, K.KS_CMD_DELETE, [param.value(0)]).code).toBe(R.TEEC_SUCCESS);
    expect(a.invoke(s, K.KS_CMD_DELETE, [param.value(0)]).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(a.invoke(s, K.KS_CMD_LIST, [param.value(0)]).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(a.invoke(s, 99).code).toBe(R.TEEC_ERROR_NOT_SUPPORTED);
  });

  it('refuses parameters when a session opens', () => {
    const { a } = ks();
    expect(a.open(K.KEYSTORE_UUID, [param.value(1)])).toEqual({ code: R.TEEC_ERROR_BAD_PARAMETERS, origin: TA });
  });

  it('[AVP-TEE-7] keeps each guest\'s slots apart and returns no key bytes from any command', () => {
    const { a, b, s, h, memA } = ks();
    a.invoke(s, K.KS_CMD_IMPORT, [param.value(0), param.memIn(h, 0, KEY.length)]);
    memA.write(0x1000, new Uint8Array(KEY.length)); // the guest forgets the key; only the TA has it
    const sb = open(b);
    const hb = share(b, 0x100, 0x100);
    expect(listSlots(b, sb)).toBe(0);
    expect(b.invoke(sb, K.KS_CMD_MAC, [param.value(0), param.memIn(hb, 0, 4), param.memOut(hb, 0x40, 32)]).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    // Run every command on the cluster's side and look for the key in everything that comes back.
    const seen: Uint8Array[] = [];
    for (const cmd of [K.KS_CMD_GENERATE, K.KS_CMD_IMPORT, K.KS_CMD_MAC, K.KS_CMD_DELETE, K.KS_CMD_LIST, 5]) {
      const r = a.invoke(s, cmd, [param.value(0), param.memIn(h, 0x100, 14), param.memOut(h, 0x180, 64)]);
      seen.push(Uint8Array.from(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)), (c) => c.charCodeAt(0)));
    }
    seen.push(memA.read(0, 0x10000));
    const contains = (hay: Uint8Array, needle: Uint8Array) => hay.some((_, i) => needle.every((n, j) => hay[i + j] === n));
    for (const x of seen) expect(contains(x, KEY)).toBe(false);
  });
});
