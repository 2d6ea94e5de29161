// The TEE relay operation by operation: who may name which session and shared region, what the
// TEE is told, the checks on shared memory and memory references, the per-guest limits, and
// every refusal with the code and origin the guest gets and the reason the relay records.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { TeeClient } from '../../../../src/lib/devices/tee/client.ts';
import * as K from '../../../../src/lib/devices/tee/keystore-ta.ts';
import { param } from '../../../../src/lib/devices/tee/messages.ts';
import { TeeRelay } from '../../../../src/lib/devices/tee/relay.ts';
import * as R from '../../../../src/lib/devices/tee/results.ts';
import { TrustedOs } from '../../../../src/lib/devices/tee/trusted-os.ts';
import { CAPACITY, LIMITS, listSlots, open, refusals, rig, share } from './harness.ts';

const COMMS = R.TEEC_ORIGIN_COMMS;
const answer = (r: { code: number; origin: number }) => [r.code, r.origin];

describe('TEE relay: operations', () => {
  it('opens a session, runs commands, closes it, and gives out relay identifiers, not the TEE\'s', () => {
    const { a, os } = rig({ firstSessionId: 500 });
    const s = a.open(K.KEYSTORE_UUID);
    expect(answer(s)).toEqual([R.TEEC_SUCCESS, R.TEEC_ORIGIN_TEE]);
    expect(s.session).toBe(500);
    expect(answer(a.invoke(500, K.KS_CMD_GENERATE, [param.value(0)]))).toEqual([R.TEEC_SUCCESS, R.TEEC_ORIGIN_TRUSTED_APP]);
    expect(listSlots(a, 500)).toBe(1);
    expect(os.sessionCount(1)).toBe(1);
    expect(answer(a.close(500))).toEqual([R.TEEC_SUCCESS, R.TEEC_ORIGIN_TEE]);
    expect(os.sessionCount(1)).toBe(0);
  });

  it('passes the TEE\'s and the TA\'s own answers through with their origin', () => {
    const { a, relay } = rig();
    const bad = a.open('00000000-0000-0000-0000-000000000000');
    expect(answer(bad)).toEqual([R.TEEC_ERROR_ITEM_NOT_FOUND, R.TEEC_ORIGIN_TEE]);
    expect(bad.session).toBeUndefined();
    expect(relay.liveSessions(1)).toEqual([]);
    const s = open(a);
    expect(answer(a.invoke(s, 77))).toEqual([R.TEEC_ERROR_NOT_SUPPORTED, R.TEEC_ORIGIN_TRUSTED_APP]);
    expect(answer(a.invoke(s, K.KS_CMD_DELETE, [param.value(3)]))).toEqual([R.TEEC_ERROR_ITEM_NOT_FOUND, R.TEEC_ORIGIN_TRUSTED_APP]);
    expect(refusals(relay)).toEqual([]); // none of these is the relay's refusal
  });

  it('registers and unregisters shared memory; an unregister the TEE refuses leaves the region shared', () => {
    const { a, os, relay } = rig({ firstHandle: 0x7000n });
    const h = share(a, 0x1000, 0x800);
    expect(h).toBe(0x7000n);
    expect(os.regionCount(1)).toBe(1);
    os.retain(h);
    expect(answer(a.unregister(h))).toEqual([R.TEEC_ERROR_BUSY, R.TEEC_ORIGIN_TEE]);
    expect(relay.liveRegions(1)).toEqual([h]);
    os.release(h);
    expect(answer(a.unregister(h))).toEqual([R.TEEC_SUCCESS, R.TEEC_ORIGIN_TEE]);
    expect(os.regionCount(1)).toBe(0);
  });

  it.each([
    ['not an object', 42, 'bad-op', R.TEEC_ERROR_NOT_SUPPORTED],
    ['an undefined operation', { op: 'cancel', vmId: 1 }, 'bad-op', R.TEEC_ERROR_NOT_SUPPORTED],
    ['a missing field', { op: 'close-session', vmId: 1 }, 'bad-field', R.TEEC_ERROR_BAD_PARAMETERS],
    ['an extra field', { op: 'close-session', vmId: 1, session: 1, flags: 0 }, 'bad-field', R.TEEC_ERROR_BAD_PARAMETERS],
    ['a fractional session', { op: 'close-session', vmId: 1, session: 1.5 }, 'bad-field', R.TEEC_ERROR_BAD_PARAMETERS],
    ['five parameters', { op: 'invoke', vmId: 1, session: 1, command: 0, params: [param.none(), param.none(), param.none(), param.none(), param.none()] }, 'bad-param', R.TEEC_ERROR_BAD_PARAMETERS],
    ['a parameter of no defined type', { op: 'invoke', vmId: 1, session: 1, command: 0, params: [{ type: 'tmem' }] }, 'bad-param', R.TEEC_ERROR_BAD_PARAMETERS],
  ])('refuses %s with a named reason', (_what, raw, reason, code) => {
    const { a, relay, os } = rig();
    const before = os.entries.length;
    expect(answer(a.channel.call(raw))).toEqual([code, COMMS]);
    expect(refusals(relay)).toEqual([reason]);
    expect(os.entries.length).toBe(before);
  });

  it('refuses every call from a guest that has no TEE access', () => {
    const { relay } = rig();
    expect(answer(relay.call(9, { op: 'close-session', vmId: 9, session: 1 }))).toEqual([R.TEEC_ERROR_BAD_STATE, COMMS]);
    expect(refusals(relay)).toEqual(['not-attached']);
  });
});

describe('TEE relay: who the caller is', () => {
  it('[AVP-TEE-4] refuses a request whose source VM ID is not the caller\'s, without forwarding it', () => {
    const { a, b, os, relay } = rig();
    const s = open(a);
    const before = os.entries.length;
    for (const vmId of [1, 0, 3, 0xffff]) {
      expect(answer(b.channel.call({ op: 'close-session', vmId, session: s }))).toEqual([R.TEEC_ERROR_BAD_PARAMETERS, COMMS]);
      expect(answer(b.channel.call({ op: 'open-session', vmId, ta: K.KEYSTORE_UUID, params: [] }))).toEqual([R.TEEC_ERROR_BAD_PARAMETERS, COMMS]);
    }
    expect(os.entries.length).toBe(before);
    expect(new Set(refusals(relay))).toEqual(new Set(['vm-id-mismatch']));
    expect(relay.liveSessions(1)).toEqual([s]);
    expect(relay.liveSessions(2)).toEqual([]);
  });

  it('[AVP-TEE-5] tells the TEE the VM ID of the guest whose call it forwards, and no other', () => {
    const { a, b, os } = rig();
    const steps: [TeeClient, () => void][] = [
      [a, () => share(a, 0, 64)],
      [b, () => share(b, 0, 64)],
      [a, () => open(a)],
      [b, () => open(b)],
      [a, () => a.invoke([...a.sessions][0], K.KS_CMD_GENERATE, [param.value(2)])],
      [b, () => b.invoke([...b.sessions][0], K.KS_CMD_MAC, [param.value(0), param.memIn([...b.handles][0], 0, 4), param.memOut([...b.handles][0], 32, 32)])],
      [a, () => a.close([...a.sessions][0])],
      [b, () => b.unregister([...b.handles][0])],
    ];
    for (const [who, step] of steps) {
      const from = os.entries.length;
      step();
      const entries = os.entries.slice(from);
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.every((e) => e.vmId === who.vmId)).toBe(true);
    }
  });

  it('[AVP-TEE-6] gives TEE access only to VM IDs 1 to 0x7FFF that no other guest holds', () => {
    const { relay } = rig();
    const mem = GuestMemory.create(0x100);
    for (const vmId of [0, 0x8000, 0xffff, -1, 1.5]) expect(() => relay.attach(vmId, { identity: `g${vmId}`, memory: mem, limits: LIMITS })).toThrow(RangeError);
    expect(() => relay.attach(1, { identity: 'other', memory: mem, limits: LIMITS })).toThrow(/still in use/);
    expect(relay.attach(0x7fff, { identity: 'top', memory: mem, limits: LIMITS }).vmId).toBe(0x7fff);
  });

  it('[AVP-TEE-6] keeps a destroyed guest\'s VM ID until the TEE has given back every region it shared', () => {
    const { a, os, relay } = rig();
    const h = share(a, 0x100, 0x100);
    os.retain(h);
    relay.destroyGuest(1);
    const mem = GuestMemory.create(0x100);
    expect(() => relay.attach(1, { identity: 'next', memory: mem, limits: LIMITS })).toThrow(/still in use/);
    os.release(h);
    relay.retryReclaims();
    expect(relay.attach(1, { identity: 'next', memory: mem, limits: LIMITS }).vmId).toBe(1);
  });

  it('[AVP-TEE-7] binds a guest\'s keys to its configured identity, not to a VM ID a later guest may get', () => {
    const { a, relay, os } = rig();
    const s = open(a);
    a.invoke(s, K.KS_CMD_GENERATE, [param.value(5)]);
    relay.destroyGuest(1);
    // Another guest gets VM ID 1: it finds no keys.
    const stranger = new TeeClient(relay.attach(1, { identity: 'telematics', memory: GuestMemory.create(0x1000), limits: LIMITS }));
    expect(listSlots(stranger, open(stranger))).toBe(0);
    // The cluster comes back under another VM ID: its key is there.
    const back = new TeeClient(relay.attach(3, { identity: 'cluster', memory: GuestMemory.create(0x1000), limits: LIMITS }));
    expect(listSlots(back, open(back))).toBe(1 << 5);
    expect(os.storedObjects('telematics', K.KEYSTORE_UUID)).toBe(0);
    expect(() => relay.attach(4, { identity: 'cluster', memory: GuestMemory.create(0x10), limits: LIMITS })).toThrow(/taken/);
  });
});

describe('TEE relay: sessions and handles are their owner\'s', () => {
  it('[AVP-TEE-8] [AVP-TEE-10] answers another guest\'s session exactly as a session nobody has, and forwards neither', () => {
    const { a, b, os, relay } = rig();
    const sa = open(a);
    a.invoke(sa, K.KS_CMD_GENERATE, [param.value(0)]);
    const before = os.entries.length;
    const foreignInvoke = b.invoke(sa, K.KS_CMD_LIST, [param.valueOut()]);
    const unknownInvoke = b.invoke(sa + 100, K.KS_CMD_LIST, [param.valueOut()]);
    const foreignClose = b.close(sa);
    const unknownClose = b.close(sa + 100);
    for (const r of [foreignInvoke, unknownInvoke, foreignClose, unknownClose]) expect(r).toEqual({ code: R.TEEC_ERROR_ITEM_NOT_FOUND, origin: COMMS });
    expect(os.entries.length).toBe(before);
    expect(refusals(relay)).toEqual(['foreign-session', 'unknown-session', 'foreign-session', 'unknown-session']);
    expect(listSlots(a, sa)).toBe(1); // the owner's session is untouched
  });

  it('[AVP-TEE-9] [AVP-TEE-10] refuses another guest\'s handle in a memory reference and in an unregister, as a handle nobody has', () => {
    const { a, b, memA, memB, os, relay } = rig();
    const ha = share(a, 0x1000, 0x100);
    memA.write(0x1000, new Uint8Array(0x100).fill(0xa5));
    const hb = share(b, 0x2000, 0x100);
    const sb = open(b);
    b.invoke(sb, K.KS_CMD_GENERATE, [param.value(0)]);
    const before = os.entries.length;
    const tries = [
      b.invoke(sb, K.KS_CMD_MAC, [param.value(0), param.memIn(ha, 0, 16), param.memOut(hb, 0, 32)]), // read the cluster's page
      b.invoke(sb, K.KS_CMD_MAC, [param.value(0), param.memIn(hb, 0, 16), param.memOut(ha, 0, 32)]), // write into it
      b.invoke(sb, K.KS_CMD_MAC, [param.value(0), param.memIn(ha + 999n, 0, 16), param.memOut(hb, 0, 32)]),
      b.unregister(ha),
      b.unregister(ha + 999n),
    ];
    for (const r of tries) expect(r).toEqual({ code: R.TEEC_ERROR_ITEM_NOT_FOUND, origin: COMMS });
    expect(refusals(relay)).toEqual(['foreign-handle', 'foreign-handle', 'unknown-handle', 'foreign-handle', 'unknown-handle']);
    expect(os.entries.length).toBe(before);
    expect(memA.read(0x1000, 0x100)).toEqual(new Uint8Array(0x100).fill(0xa5));
    expect(memB.read(0x2000, 0x100)).toEqual(new Uint8Array(0x100));
    expect(relay.liveRegions(1)).toEqual([ha]);
  });

  it('[AVP-TEE-11] never gives out a session identifier or handle twice: not to another guest, not after a close, a reset or a restart', () => {
    const { a, b, relay } = rig();
    const sessions: number[] = [];
    const handles: bigint[] = [];
    for (let round = 0; round < 3; round++) {
      for (const c of [a, b]) {
        sessions.push(open(c));
        handles.push(share(c, 0x100 * (round + 1), 0x10));
      }
      a.close(sessions.at(-2)!);
      b.unregister(handles.at(-1)!);
      if (round === 0) relay.resetGuest(2);
      if (round === 1) {
        relay.teeFailed();
        relay.restartTee();
        a.poll();
        b.poll();
      }
    }
    expect(new Set(sessions).size).toBe(sessions.length);
    expect(new Set(handles).size).toBe(handles.length);
  });

  it('[AVP-TEE-11] refuses with OUT_OF_MEMORY once no identifier is left that was never given out', () => {
    const s = rig({ firstSessionId: 0xffff_ffff });
    expect(open(s.a)).toBe(0xffff_ffff);
    expect(answer(s.b.open(K.KEYSTORE_UUID))).toEqual([R.TEEC_ERROR_OUT_OF_MEMORY, COMMS]);
    const h = rig({ firstHandle: (1n << 64n) - 1n });
    expect(share(h.a, 0, 16)).toBe((1n << 64n) - 1n);
    expect(answer(h.a.register(0, 16))).toEqual([R.TEEC_ERROR_OUT_OF_MEMORY, COMMS]);
    expect([...refusals(s.relay), ...refusals(h.relay)]).toEqual(['ids-exhausted', 'ids-exhausted']);
  });

  it('[AVP-TEE-16] records every refusal with the guest, the operation and the reason', () => {
    const { a, b, relay } = rig();
    const sa = open(a);
    b.invoke(sa, 0);
    b.channel.call({ op: 'open-session', vmId: 1, ta: K.KEYSTORE_UUID, params: [] });
    expect(relay.log.filter((e) => e.kind === 'refused')).toEqual([
      { kind: 'refused', vmId: 2, op: 'invoke', reason: 'foreign-session' },
      { kind: 'refused', vmId: 2, op: 'open-session', reason: 'vm-id-mismatch' },
    ]);
  });
});

describe('TEE relay: shared memory', () => {
  it.each([
    ['an empty range', 0x100, 0],
    ['a range past the end of the guest\'s memory', 0xff00, 0x200],
    ['a range wholly outside it', 0x20000, 0x10],
    ['an address near 2^53', Number.MAX_SAFE_INTEGER - 4, 8],
  ])('[AVP-TEE-12] refuses to share %s', (_what, address, size) => {
    const { a, os, relay } = rig();
    const before = os.entries.length;
    expect(answer(a.register(address, size))).toEqual([R.TEEC_ERROR_BAD_PARAMETERS, COMMS]);
    expect(refusals(relay)).toEqual(['bad-range']);
    expect(os.entries.length).toBe(before);
  });

  it('[AVP-TEE-12] shares a range that ends at the last byte of the guest\'s memory', () => {
    const { a, os } = rig();
    expect(answer(a.register(0xff00, 0x100))).toEqual([R.TEEC_SUCCESS, COMMS]);
    expect(os.regionCount(1)).toBe(1);
  });

  it('[AVP-TEE-13] refuses a memory reference that reaches past its region, and takes one that ends at its last byte', () => {
    const { a, relay } = rig();
    const h = share(a, 0x1000, 0x40);
    const s = open(a);
    a.invoke(s, K.KS_CMD_GENERATE, [param.value(0)]);
    expect(answer(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0x30, 0x11), param.memOut(h, 0, 32)]))).toEqual([R.TEEC_ERROR_BAD_PARAMETERS, COMMS]);
    expect(answer(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0, 8), param.memOut(h, 0x21, 32)]))).toEqual([R.TEEC_ERROR_BAD_PARAMETERS, COMMS]);
    expect(refusals(relay)).toEqual(['memref-out-of-bounds', 'memref-out-of-bounds']);
    expect(answer(a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0, 8), param.memOut(h, 0x20, 32)]))[0]).toBe(R.TEEC_SUCCESS);
  });

  it('[AVP-TEE-14] lets the TEE read and write the bytes a memory reference names and nothing around them', () => {
    const { a, memA } = rig();
    const fill = Uint8Array.from({ length: 0x200 }, (_, i) => (i * 31 + 7) & 0xff);
    memA.write(0x3000, fill);
    const h = share(a, 0x3000, 0x100);
    const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    memA.write(0x3000, key);
    const s = open(a);
    expect(a.invoke(s, K.KS_CMD_IMPORT, [param.value(0), param.memIn(h, 0, 32)]).code).toBe(R.TEEC_SUCCESS);
    const r = a.invoke(s, K.KS_CMD_MAC, [param.value(0), param.memIn(h, 0x40, 0x13), param.memOut(h, 0x80, 0x28)]);
    expect(r.code).toBe(R.TEEC_SUCCESS);
    expect(r.params?.[2]).toEqual({ type: 'memref', size: 32 });
    const expected = hmac(sha256, key, memA.read(0x3040, 0x13)); // exactly the named input bytes
    expect(memA.read(0x3080, 32)).toEqual(expected);
    const after = memA.read(0x3000, 0x200);
    const want = fill.slice();
    want.set(key, 0);
    want.set(expected, 0x80);
    expect(after).toEqual(want); // every byte outside [0x80, 0xa0) of the region, and past it, as it was
  });

  it('[AVP-TEE-15] does not let the platform reuse a guest\'s memory while a region of it is shared', () => {
    const { a, relay } = rig();
    expect(relay.mayReuseMemory(1)).toBe(true);
    const h = share(a, 0x100, 0x100);
    expect(relay.mayReuseMemory(1)).toBe(false);
    expect(relay.mayReuseMemory(2)).toBe(true);
    a.unregister(h);
    expect(relay.mayReuseMemory(1)).toBe(true);
  });
});

describe('TEE relay: limits per guest', () => {
  it('[AVP-TEE-17] refuses a session past the guest\'s limit, and only that guest\'s', () => {
    const { a, b, relay } = rig();
    const mine = [open(a), open(a), open(a)];
    expect(answer(a.open(K.KEYSTORE_UUID))).toEqual([R.TEEC_ERROR_OUT_OF_MEMORY, COMMS]);
    expect(refusals(relay)).toEqual(['session-limit']);
    expect(open(b)).toBeGreaterThan(0);
    a.close(mine[0]);
    expect(open(a)).toBeGreaterThan(0);
  });

  it('[AVP-TEE-18] refuses a region past the guest\'s count of regions or of shared bytes', () => {
    const { a, b, relay } = rig();
    for (let i = 0; i < LIMITS.shmRegions; i++) share(a, i * 0x100, 0x10);
    expect(answer(a.register(0x8000, 0x10))).toEqual([R.TEEC_ERROR_OUT_OF_MEMORY, COMMS]);
    share(b, 0, LIMITS.shmBytes - 0x10);
    expect(answer(b.register(0x8000, 0x11))).toEqual([R.TEEC_ERROR_OUT_OF_MEMORY, COMMS]);
    expect(share(b, 0x8000, 0x10)).toBeGreaterThan(0n); // exactly at the limit
    expect(refusals(relay)).toEqual(['shm-count-limit', 'shm-bytes-limit']);
  });

  it('[AVP-TEE-19] refuses limits that would add up to more than the TEE can hold', () => {
    const os = new TrustedOs({ tas: [K.keystoreTa], capacity: { sessions: 6, shmRegions: 8, shmBytes: 4096 } });
    const relay = new TeeRelay({ tee: os });
    const mem = GuestMemory.create(0x1000);
    relay.attach(1, { identity: 'a', memory: mem, limits: { sessions: 4, shmRegions: 4, shmBytes: 2048 } });
    expect(() => relay.attach(2, { identity: 'b', memory: mem, limits: { sessions: 3, shmRegions: 4, shmBytes: 2048 } })).toThrow(/sessions/);
    expect(() => relay.attach(2, { identity: 'b', memory: mem, limits: { sessions: 2, shmRegions: 5, shmBytes: 2048 } })).toThrow(/shmRegions/);
    expect(() => relay.attach(2, { identity: 'b', memory: mem, limits: { sessions: 2, shmRegions: 4, shmBytes: 2049 } })).toThrow(/shmBytes/);
    expect(() => relay.attach(2, { identity: 'b', memory: mem, limits: { sessions: -1, shmRegions: 0, shmBytes: 0 } })).toThrow(RangeError);
    expect(relay.attach(2, { identity: 'b', memory: mem, limits: { sessions: 2, shmRegions: 4, shmBytes: 2048 } }).vmId).toBe(2);
    expect(CAPACITY.sessions).toBeGreaterThanOrEqual(2 * LIMITS.sessions); // the shared rig is itself a valid configuration
  });
});
