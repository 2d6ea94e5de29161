// Properties of the TEE relay under hostile requests. One guest (the cluster, VM 1) holds a
// session, a shared page with a secret in it and a key in the key-store TA; another (the IVI,
// VM 2) sends whatever it likes: every operation, with its own VM ID or another, session IDs and
// handles of its own, of the cluster's, of nobody's and ended ones, addresses and sizes in and
// out of its memory, parameter lists of any shape, and junk in any field, while the TEE fails
// and restarts and the IVI is reset. Whatever it sends, the relay answers without throwing; a
// request that names anything of the cluster's gets no success and never reaches the TEE; the
// TEE is only ever told the IVI's VM ID for the IVI's calls; the IVI stays within its limits;
// the cluster's memory does not change and its secret and key never appear in the IVI's; and the
// cluster's key still MACs as it did.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../src/lib/virtio/memory.ts';
import { TeeClient } from '../../src/lib/devices/tee/client.ts';
import * as K from '../../src/lib/devices/tee/keystore-ta.ts';
import { param, parseRequest, TEE_OPS } from '../../src/lib/devices/tee/messages.ts';
import { TeeRelay, type GuestLimits } from '../../src/lib/devices/tee/relay.ts';
import * as R from '../../src/lib/devices/tee/results.ts';
import { TrustedOs } from '../../src/lib/devices/tee/trusted-os.ts';

const LIMITS: GuestLimits = { sessions: 3, shmRegions: 3, shmBytes: 0x3000 };
const SECRET = Uint8Array.from('cluster-secret-0', (c) => c.charCodeAt(0));
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ (i * 7));
const MSG = Uint8Array.from('odometer', (c) => c.charCodeAt(0));
/** A guest's whole memory, without a copy, for fast searches and comparisons. */
const bytesOf = (m: GuestMemory) => Buffer.from(m.regions[0].bytes.buffer, m.regions[0].bytes.byteOffset, m.regions[0].bytes.byteLength);

type Field = { pick: number } | { raw: number } | { junk: unknown };
interface Hostile {
  kind: 'call';
  op: string;
  vmId: Field;
  session: Field;
  handle: Field;
  address: Field;
  size: Field;
  command: number;
  ta: string;
  params: readonly { type: string; handle: Field; offset: number; size: number; a: number }[];
  drop: string | null; // a field to leave out
}
type Step = Hostile | { kind: 'tee-fail' } | { kind: 'restart' } | { kind: 'reset-ivi' } | { kind: 'panic' };

const junk = fc.oneof(fc.constant(-1), fc.constant(1.5), fc.constant('1'), fc.constant(null), fc.constant(2 ** 64), fc.constant(NaN), fc.bigInt({ min: -5n, max: 5n }));
const field = (max: number): fc.Arbitrary<Field> =>
  fc.oneof({ weight: 5, arbitrary: fc.nat().map((pick) => ({ pick })) }, { weight: 2, arbitrary: fc.nat(max).map((raw) => ({ raw })) }, { weight: 1, arbitrary: junk.map((j) => ({ junk: j })) });
const hostile: fc.Arbitrary<Hostile> = fc.record({
  kind: fc.constant('call' as const),
  op: fc.constantFrom(...TEE_OPS, ...TEE_OPS, 'open-session', 'invoke', 'invoke', 'invoke', 'cancel'),
  vmId: fc.oneof({ weight: 6, arbitrary: fc.constant({ raw: 2 } as Field) }, { weight: 2, arbitrary: fc.constant({ raw: 1 } as Field) }, { weight: 1, arbitrary: field(0x1_0000) }),
  session: field(0xffff_ffff),
  handle: field(0x2000),
  address: fc.oneof(fc.nat(0x10000).map((raw) => ({ raw }) as Field), field(2 ** 40)),
  size: fc.oneof(fc.nat(0x2000).map((raw) => ({ raw }) as Field), field(2 ** 33)),
  command: fc.nat(6),
  ta: fc.constantFrom(K.KEYSTORE_UUID, K.KEYSTORE_UUID, K.KEYSTORE_UUID, '00000000-0000-0000-0000-000000000000', 'key-store'),
  params: fc.oneof(
    { weight: 2, arbitrary: fc.constant([]) },
    {
      weight: 3,
      arbitrary: fc.array(
        fc.record({
          type: fc.constantFrom('none', 'value-input', 'value-input', 'value-output', 'memref-input', 'memref-input', 'memref-output', 'memref-inout', 'tmem'),
          handle: field(0x2000),
          offset: fc.oneof(fc.nat(0x40), fc.nat(0x2000)),
          size: fc.oneof(fc.nat(0x40), fc.nat(0x2000)),
          a: fc.nat(20),
        }),
        { maxLength: 5 },
      ),
    },
  ),
  drop: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('vmId', 'session', 'params', 'handle', 'size') }),
});
/** Calls shaped as the key store expects, with identifiers from anyone: these reach the TEE and the TA. */
const plausible: fc.Arbitrary<Hostile> = fc
  .record({
    session: fc.nat().map((pick) => ({ pick }) as Field),
    command: fc.nat(4),
    slot: fc.nat(3),
    inH: fc.nat().map((pick) => ({ pick }) as Field),
    outH: fc.nat().map((pick) => ({ pick }) as Field),
    inOff: fc.nat(0x420),
    inSize: fc.nat(0x60),
    outOff: fc.nat(0x420),
    outSize: fc.nat(0x40),
  })
  .map((p) => ({
    kind: 'call' as const,
    op: 'invoke',
    vmId: { raw: 2 },
    session: p.session,
    handle: { raw: 0 },
    address: { raw: 0 },
    size: { raw: 0 },
    command: p.command,
    ta: K.KEYSTORE_UUID,
    params: [
      { type: p.command === K.KS_CMD_LIST ? 'value-output' : 'value-input', handle: { raw: 0 }, offset: 0, size: 0, a: p.slot },
      ...(p.command === K.KS_CMD_IMPORT || p.command === K.KS_CMD_MAC ? [{ type: 'memref-input', handle: p.inH, offset: p.inOff, size: p.inSize, a: 0 }] : []),
      ...(p.command === K.KS_CMD_MAC ? [{ type: 'memref-output', handle: p.outH, offset: p.outOff, size: p.outSize, a: 0 }] : []),
    ],
    drop: null,
  }));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 30, arbitrary: hostile },
  { weight: 15, arbitrary: plausible },
  { weight: 1, arbitrary: fc.constant({ kind: 'tee-fail' } as Step) },
  { weight: 1, arbitrary: fc.constant({ kind: 'panic' } as Step) },
  { weight: 2, arbitrary: fc.constant({ kind: 'restart' } as Step) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset-ivi' } as Step) },
);

function world() {
  const os = new TrustedOs({ tas: [K.keystoreTa], capacity: { sessions: 8, shmRegions: 8, shmBytes: 0x8000 } });
  const relay = new TeeRelay({ tee: os });
  const memC = GuestMemory.create(0x10000);
  const memI = GuestMemory.create(0x10000);
  const cluster = new TeeClient(relay.attach(1, { identity: 'cluster', memory: memC, limits: LIMITS }));
  const ivi = new TeeClient(relay.attach(2, { identity: 'ivi', memory: memI, limits: LIMITS }));
  memC.write(0x4000, KEY);
  memC.write(0x4100, SECRET);
  memC.write(0x4200, MSG);
  const page = cluster.register(0x4000, 0x400).handle!;
  const session = cluster.open(K.KEYSTORE_UUID).session!;
  expect(cluster.invoke(session, K.KS_CMD_IMPORT, [param.value(0), param.memIn(page, 0, 32)]).code).toBe(R.TEEC_SUCCESS);
  memC.write(0x4000, new Uint8Array(32)); // from here on, only the TA holds the key
  return { os, relay, memC, memI, cluster, ivi, page, session };
}

describe('TEE relay under hostile requests', () => {
  it('[AVP-TEE-4] [AVP-TEE-5] [AVP-TEE-8] [AVP-TEE-9] [AVP-TEE-10] [AVP-TEE-12] [AVP-TEE-13] [AVP-TEE-17] [AVP-TEE-18] keeps the other guest\'s sessions, memory and keys out of reach whatever a guest sends', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const w = world();
        const clusterSessions = new Set([w.session]);
        const clusterHandles = new Set([w.page]);
        // The IVI starts as a well-behaved guest with a session, a key and a page of its own.
        const iviSessions: number[] = [w.ivi.open(K.KEYSTORE_UUID).session!];
        const iviHandles: bigint[] = [w.ivi.register(0x100, 0x400).handle!];
        w.ivi.invoke(iviSessions[0], K.KS_CMD_GENERATE, [param.value(0)]);
        const snapshot = Buffer.from(w.memC.read(0, 0x10000));
        // Mostly the IVI's own identifiers (so that its calls reach the TEE), then the cluster's, then nobody's.
        const sessionPool = () => [...clusterSessions, ...iviSessions, ...iviSessions, ...iviSessions, 0, 7];
        const handlePool = () => [...clusterHandles, ...iviHandles, ...iviHandles, ...iviHandles, 0n, 0x1005n];
        const num = (f: Field, pool: number[]) => ('pick' in f ? pool[f.pick % pool.length] : 'raw' in f ? f.raw : f.junk);
        const big = (f: Field) => ('pick' in f ? handlePool()[f.pick % handlePool().length] : 'raw' in f ? BigInt(f.raw) : f.junk);

        for (const s of steps) {
          if (s.kind === 'tee-fail') w.relay.teeFailed();
          else if (s.kind === 'panic') w.os.panicOnNextEntry();
          else if (s.kind === 'restart') { if (!w.relay.teeUp) w.relay.restartTee(); }
          else if (s.kind === 'reset-ivi') w.relay.resetGuest(2);
          else {
            const req: Record<string, unknown> = { op: s.op, vmId: num(s.vmId, [2, 1]) };
            if (s.op === 'open-session') Object.assign(req, { ta: s.ta, params: [] });
            if (s.op === 'invoke') Object.assign(req, { session: num(s.session, sessionPool()), command: s.command, params: [] });
            if (s.op === 'close-session') req.session = num(s.session, sessionPool());
            if (s.op === 'register-shm') Object.assign(req, { address: num(s.address, [0, 0x1000, 0xff00]), size: num(s.size, [0x10, 0x100, 0x1000]) });
            if (s.op === 'unregister-shm') req.handle = big(s.handle);
            if ('params' in req) {
              req.params = s.params.map((p) => {
                if (p.type === 'none' || p.type === 'tmem') return { type: p.type };
                if (p.type.startsWith('value-')) return { type: p.type, a: p.a, b: 0 };
                return { type: p.type, handle: big(p.handle), offset: p.offset, size: p.size };
              });
            }
            if (s.drop) delete req[s.drop];

            const namesCluster =
              [req.session].some((x) => typeof x === 'number' && clusterSessions.has(x)) ||
              [req.handle, ...((Array.isArray(req.params) ? req.params : []) as { handle?: unknown }[]).map((p) => p.handle)].some((x) => typeof x === 'bigint' && clusterHandles.has(x));
            const from = w.os.entries.length;
            const r = w.ivi.channel.call(req);

            expect(typeof r.code).toBe('number');
            expect(w.os.entries.slice(from).every((e) => e.vmId === 2)).toBe(true);
            if (namesCluster) {
              expect(r.code).not.toBe(R.TEEC_SUCCESS);
              expect(w.os.entries.length).toBe(from);
            }
            if (r.code === R.TEEC_SUCCESS && r.session !== undefined) iviSessions.push(r.session);
            if (r.code === R.TEEC_SUCCESS && r.handle !== undefined) iviHandles.push(r.handle);
          }
          // The IVI within its limits; the cluster's memory as it was, its secret and key nowhere in the IVI's.
          expect(w.relay.liveSessions(2).length).toBeLessThanOrEqual(LIMITS.sessions);
          expect(w.relay.liveRegions(2).length).toBeLessThanOrEqual(LIMITS.shmRegions);
          expect(w.os.sessionCount(2)).toBeLessThanOrEqual(LIMITS.sessions);
          // The cluster's session lives until the TEE fails, whatever the IVI does.
          expect(w.relay.liveSessions(1)).toEqual(w.relay.teeUp && w.os.restarts === 0 ? [w.session] : []);
          const iviMem = bytesOf(w.memI);
          expect(iviMem.indexOf(SECRET) < 0 && iviMem.indexOf(KEY) < 0).toBe(true);
          expect(bytesOf(w.memC).equals(snapshot)).toBe(true);
        }

        // The cluster's key is its own and intact: after a restart (which also clears a fault
        // still waiting to fire) it MACs as HMAC-SHA256 with that key does.
        w.relay.teeFailed();
        w.relay.restartTee();
        w.cluster.poll();
        expect([w.cluster.sessions.size, w.cluster.handles.size]).toEqual([0, 0]);
        const page = w.cluster.register(0x4000, 0x400).handle!;
        const session = w.cluster.open(K.KEYSTORE_UUID).session!;
        const r = w.cluster.invoke(session, K.KS_CMD_MAC, [param.value(0), param.memIn(page, 0x200, MSG.length), param.memOut(page, 0x300, 32)]);
        expect(r.code).toBe(R.TEEC_SUCCESS);
        expect(w.memC.read(0x4300, 32)).toEqual(hmac(sha256, KEY, MSG));
      }),
      { numRuns: 80, seed: 4646 },
    );
  });

  it('[AVP-TEE-16] answers any value at all with a defined code and a named reason, and never throws', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }), fc.boolean(), (raw, asOp) => {
        const w = world();
        const value = asOp && typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...(raw as object), op: 'invoke', vmId: 2 } : raw;
        const parsed = parseRequest(value);
        const r = w.ivi.channel.call(value);
        if (!parsed.ok) {
          expect(r).toEqual({ code: R.RELAY_ERRORS[parsed.reason], origin: R.TEEC_ORIGIN_COMMS });
          expect(w.relay.log.at(-1)).toMatchObject({ kind: 'refused', vmId: 2, reason: parsed.reason });
        }
        expect(typeof r.code).toBe('number');
        expect([R.TEEC_ORIGIN_COMMS, R.TEEC_ORIGIN_TEE, R.TEEC_ORIGIN_TRUSTED_APP]).toContain(r.origin);
      }),
      { numRuns: 150, seed: 46 },
    );
  });
});
