// A relay with the key-store TA behind one TEE and two guests, the cluster (VM 1) and the IVI
// (VM 2), each with 64 KiB of memory; shared by the TEE relay's unit tests.
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { TeeClient } from '../../../../src/lib/devices/tee/client.ts';
import { KEYSTORE_UUID, keystoreTa } from '../../../../src/lib/devices/tee/keystore-ta.ts';
import { param, type TeeReply } from '../../../../src/lib/devices/tee/messages.ts';
import { TeeRelay, type GuestLimits } from '../../../../src/lib/devices/tee/relay.ts';
import { TrustedOs, type TeeCapacity } from '../../../../src/lib/devices/tee/trusted-os.ts';

export const CAPACITY: TeeCapacity = { sessions: 16, shmRegions: 32, shmBytes: 256 * 1024 };
export const LIMITS: GuestLimits = { sessions: 3, shmRegions: 4, shmBytes: 16 * 1024 };

export function rig(opts: { capacity?: TeeCapacity; limits?: GuestLimits; firstSessionId?: number; firstHandle?: bigint } = {}) {
  const os = new TrustedOs({ tas: [keystoreTa], capacity: opts.capacity ?? CAPACITY });
  const relay = new TeeRelay({ tee: os, firstSessionId: opts.firstSessionId, firstHandle: opts.firstHandle });
  const memA = GuestMemory.create(0x10000);
  const memB = GuestMemory.create(0x10000);
  const a = new TeeClient(relay.attach(1, { identity: 'cluster', memory: memA, limits: opts.limits ?? LIMITS }));
  const b = new TeeClient(relay.attach(2, { identity: 'ivi', memory: memB, limits: opts.limits ?? LIMITS }));
  return { os, relay, a, b, memA, memB };
}

export type Rig = ReturnType<typeof rig>;

/** Opens a key-store session and checks it opened. */
export function open(c: TeeClient): number {
  const r = c.open(KEYSTORE_UUID);
  if (r.session === undefined) throw new Error(`open failed: ${r.code.toString(16)}`);
  return r.session;
}

/** Registers [address, address + size) and checks it registered. */
export function share(c: TeeClient, address: number, size: number): bigint {
  const r = c.register(address, size);
  if (r.handle === undefined) throw new Error(`register failed: ${r.code.toString(16)}`);
  return r.handle;
}

/** The slot bitmap a LIST returns. */
export function listSlots(c: TeeClient, session: number): number {
  const r: TeeReply = c.invoke(session, 4, [param.valueOut()]);
  const p = r.params?.[0];
  return p && p.type === 'value' ? p.a : -1;
}

export const refusals = (relay: TeeRelay) => relay.log.flatMap((e) => (e.kind === 'refused' ? [e.reason] : []));
