// The trusted OS behind the relay: one TEE (OP-TEE, Trusty or a vendor's) that hosts trusted
// applications and serves every guest. It is modelled only as far as the relay depends on it:
// a partition per guest, created and destroyed when the relay says so (OP-TEE's
// OPTEE_SMC_VM_CREATED / OPTEE_SMC_VM_DESTROYED); sessions numbered by the TEE itself; shared
// regions it can read and write until they are reclaimed (FF-A's MEM_SHARE and MEM_RECLAIM);
// persistent objects per guest identity that outlive a restart; and a failure that takes all
// the rest with it.
//
// The TEE checks the VM ID the relay passes as OP-TEE with virtualization support does, but it
// cannot tell whether that VM ID is the true caller's: only the hypervisor knows. That is why
// the relay, not the TEE, is where this chapter puts the guest-to-guest isolation.
import { sha256 } from '@noble/hashes/sha2.js';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { MemrefDir, ParamResult, TeeParam, ValueDir } from './messages.ts';
import {
  TEEC_ERROR_BAD_PARAMETERS, TEEC_ERROR_BAD_STATE, TEEC_ERROR_BUSY, TEEC_ERROR_ITEM_NOT_FOUND, TEEC_ERROR_OUT_OF_MEMORY,
  TEEC_ORIGIN_TEE, TEEC_ORIGIN_TRUSTED_APP, TEEC_SUCCESS,
} from './results.ts';

// #region ta-interface
/** A value parameter as a trusted application sees it; it sets `a` and `b` of an output. */
export interface TaValue {
  readonly type: ValueDir;
  a: number;
  b: number;
}

/** A memory reference as a trusted application sees it: the bytes of one part of one shared region, no more. */
export interface TaMemref {
  readonly type: MemrefDir;
  /** The bytes the reference covers. */
  readonly capacity: number;
  /** What the TA reports: the bytes it wrote, or for a short buffer the bytes it needs. */
  size: number;
  read(): Uint8Array;
  /** Writes `data` at the start of the reference; a TA that writes past `capacity` is a bug (RangeError). */
  write(data: Uint8Array): void;
}

export type TaParam = { readonly type: 'none' } | TaValue | TaMemref;

/** What the TEE gives a trusted application about the call: who the client is, its storage, randomness. */
export interface TaContext {
  /** The guest's configured identity, not its VM ID: persistent objects are bound to it. */
  readonly client: string;
  /** This client's persistent objects of this TA; they survive a TEE restart. */
  readonly storage: Map<string, Uint8Array>;
  random(n: number): Uint8Array;
}

export interface TaSession {
  /** Runs one command; the result is a TEEC code (origin TRUSTED_APP). */
  invoke(command: number, params: TaParam[]): number;
  close(): void;
}

export interface TrustedApp {
  readonly uuid: string;
  readonly name: string;
  open(ctx: TaContext, params: TaParam[]): { readonly code: number; readonly session?: TaSession };
}
// #endregion ta-interface

/** What the TEE can hold at once, for all guests together. */
export interface TeeCapacity {
  readonly sessions: number;
  readonly shmRegions: number;
  readonly shmBytes: number;
}

/** What one entry into the TEE produced; `dead` when the TEE failed and answered nothing. */
export type TeeOutcome =
  | { readonly dead: true }
  | { readonly dead: false; readonly code: number; readonly origin: number; readonly session?: number; readonly params?: readonly ParamResult[] };

/** One entry into the TEE, as the TEE saw it: which VM ID it was told and what was asked. */
export interface TeeEntry {
  readonly vmId: number;
  readonly op: 'vm-created' | 'vm-destroyed' | 'open-session' | 'invoke' | 'close-session' | 'share' | 'reclaim';
}

interface Session {
  readonly vmId: number;
  readonly ta: TrustedApp;
  readonly s: TaSession;
}
interface Region {
  readonly vmId: number;
  readonly memory: GuestMemory;
  readonly address: number;
  readonly size: number;
}

const ok = (extra: { session?: number; params?: readonly ParamResult[] } = {}): TeeOutcome => ({ dead: false, code: TEEC_SUCCESS, origin: TEEC_ORIGIN_TEE, ...extra });
const fail = (code: number, origin = TEEC_ORIGIN_TEE): TeeOutcome => ({ dead: false, code, origin });
const DEAD: TeeOutcome = { dead: true };

// #region trusted-os
export class TrustedOs {
  readonly capacity: TeeCapacity;
  /** Every entry the TEE took, in order: the evidence that it was only ever told the caller's VM ID. */
  readonly entries: TeeEntry[] = [];
  readonly #tas = new Map<string, TrustedApp>();
  #running = true;
  #restarts = 0;
  #panicNext = false;
  // Volatile state: gone when the TEE fails.
  #partitions = new Map<number, string>(); // VM ID -> the guest's identity
  #sessions = new Map<number, Session>();
  #regions = new Map<bigint, Region>();
  #retained = new Set<bigint>();
  #nextSession = 1;
  #rng = 0;
  // Persistent state (secure storage): kept across failures, keyed by identity and TA.
  readonly #storage = new Map<string, Map<string, Uint8Array>>();
  readonly #seed: Uint8Array;

  constructor(opts: { tas: readonly TrustedApp[]; capacity?: TeeCapacity; seed?: number }) {
    for (const ta of opts.tas) this.#tas.set(ta.uuid, ta);
    this.capacity = opts.capacity ?? { sessions: 32, shmRegions: 64, shmBytes: 1 << 20 };
    this.#seed = new Uint8Array(4);
    new DataView(this.#seed.buffer).setUint32(0, opts.seed ?? 1, true);
  }

  get running(): boolean {
    return this.#running;
  }
  /** How many times the TEE has been restarted after a failure. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Every entry starts here: the TEE logs it, and a failed TEE answers nothing. */
  private enter(vmId: number, op: TeeEntry['op']): boolean {
    if (!this.#running) return false;
    this.entries.push({ vmId, op });
    if (this.#panicNext) {
      this.#panicNext = false;
      this.fail();
      return false;
    }
    return true;
  }

  vmCreated(vmId: number, identity: string): TeeOutcome {
    if (!this.enter(vmId, 'vm-created')) return DEAD;
    if (this.#partitions.has(vmId)) return fail(TEEC_ERROR_BAD_STATE);
    this.#partitions.set(vmId, identity);
    return ok();
  }

  /** Ends a partition; refused while any session or shared region of that VM remains. */
  vmDestroyed(vmId: number): TeeOutcome {
    if (!this.enter(vmId, 'vm-destroyed')) return DEAD;
    if (!this.#partitions.has(vmId)) return fail(TEEC_ERROR_BAD_STATE);
    if (this.sessionCount(vmId) > 0 || this.regionCount(vmId) > 0) return fail(TEEC_ERROR_BUSY);
    this.#partitions.delete(vmId);
    return ok();
  }

  openSession(vmId: number, uuid: string, params: readonly TeeParam[]): TeeOutcome {
    if (!this.enter(vmId, 'open-session')) return DEAD;
    const identity = this.#partitions.get(vmId);
    if (identity === undefined) return fail(TEEC_ERROR_BAD_STATE);
    const ta = this.#tas.get(uuid);
    if (!ta) return fail(TEEC_ERROR_ITEM_NOT_FOUND);
    if (this.#sessions.size >= this.capacity.sessions) return fail(TEEC_ERROR_OUT_OF_MEMORY);
    const p = this.taParams(vmId, params);
    if (!p) return fail(TEEC_ERROR_BAD_PARAMETERS);
    const r = ta.open(this.context(identity, uuid), p);
    if (r.code !== TEEC_SUCCESS || !r.session) return fail(r.code === TEEC_SUCCESS ? TEEC_ERROR_BAD_STATE : r.code, TEEC_ORIGIN_TRUSTED_APP);
    const id = this.#nextSession++;
    this.#sessions.set(id, { vmId, ta, s: r.session });
    return ok({ session: id, params: results(p) });
  }

  invoke(vmId: number, session: number, command: number, params: readonly TeeParam[]): TeeOutcome {
    if (!this.enter(vmId, 'invoke')) return DEAD;
    const s = this.#sessions.get(session);
    if (!s || s.vmId !== vmId) return fail(TEEC_ERROR_ITEM_NOT_FOUND);
    const p = this.taParams(vmId, params);
    if (!p) return fail(TEEC_ERROR_BAD_PARAMETERS);
    const code = s.s.invoke(command, p);
    return { dead: false, code, origin: TEEC_ORIGIN_TRUSTED_APP, params: results(p) };
  }

  closeSession(vmId: number, session: number): TeeOutcome {
    if (!this.enter(vmId, 'close-session')) return DEAD;
    const s = this.#sessions.get(session);
    if (!s || s.vmId !== vmId) return fail(TEEC_ERROR_ITEM_NOT_FOUND);
    s.s.close();
    this.#sessions.delete(session);
    return ok();
  }

  /** The TEE may read and write [address, address + size) of the VM's memory under `handle`. */
  shareMemory(vmId: number, handle: bigint, memory: GuestMemory, address: number, size: number): TeeOutcome {
    if (!this.enter(vmId, 'share')) return DEAD;
    if (!this.#partitions.has(vmId)) return fail(TEEC_ERROR_BAD_STATE);
    if (this.#regions.has(handle) || !memory.contains(address, size) || size === 0) return fail(TEEC_ERROR_BAD_PARAMETERS);
    let bytes = size;
    for (const r of this.#regions.values()) bytes += r.size;
    if (this.#regions.size >= this.capacity.shmRegions || bytes > this.capacity.shmBytes) return fail(TEEC_ERROR_OUT_OF_MEMORY);
    this.#regions.set(handle, { vmId, memory, address, size });
    return ok();
  }

  /** Takes a region back; BUSY while the TEE still uses it (FF-A's MEM_RECLAIM is denied then too). */
  reclaimMemory(vmId: number, handle: bigint): TeeOutcome {
    if (!this.enter(vmId, 'reclaim')) return DEAD;
    const r = this.#regions.get(handle);
    if (!r || r.vmId !== vmId) return fail(TEEC_ERROR_ITEM_NOT_FOUND);
    if (this.#retained.has(handle)) return fail(TEEC_ERROR_BUSY);
    this.#regions.delete(handle);
    return ok();
  }

  /** The TEE fails: it is halted, and its sessions, regions and partitions are gone. Its storage stays. */
  fail(): void {
    this.#running = false;
    this.#partitions = new Map();
    this.#sessions = new Map();
    this.#regions = new Map();
    this.#retained = new Set();
  }

  /** A fresh TEE: no partitions, no sessions (numbered from 1 again), no regions; storage as it was. */
  restart(): void {
    if (this.#running) throw new RangeError('restart: the TEE is running');
    this.#running = true;
    this.#restarts++;
    this.#nextSession = 1;
    this.#panicNext = false; // an injected fault was aimed at the instance that is gone
  }

  /** Fault injection: the next entry into the TEE makes it fail. */
  panicOnNextEntry(): void {
    this.#panicNext = true;
  }

  /** Fault injection: a TA keeps a region mapped, so reclaiming it is refused until release(). */
  retain(handle: bigint): void {
    this.#retained.add(handle);
  }
  release(handle: bigint): void {
    this.#retained.delete(handle);
  }

  sessionCount(vmId?: number): number {
    return [...this.#sessions.values()].filter((s) => vmId === undefined || s.vmId === vmId).length;
  }
  regionCount(vmId?: number): number {
    return [...this.#regions.values()].filter((r) => vmId === undefined || r.vmId === vmId).length;
  }
  hasPartition(vmId: number): boolean {
    return this.#partitions.has(vmId);
  }
  /** How many persistent objects a client has in a TA (not their contents). */
  storedObjects(identity: string, uuid: string): number {
    return this.#storage.get(`${identity}\u0000${uuid}`)?.size ?? 0;
  }

  private context(identity: string, uuid: string): TaContext {
    const key = `${identity}\u0000${uuid}`;
    let storage = this.#storage.get(key);
    if (!storage) this.#storage.set(key, (storage = new Map()));
    return { client: identity, storage, random: (n) => this.random(n) };
  }

  /** Deterministic randomness (the model must print the same every run): SHA-256 in counter mode. */
  private random(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 32) {
      const block = new Uint8Array(this.#seed.length + 4);
      block.set(this.#seed);
      new DataView(block.buffer).setUint32(this.#seed.length, this.#rng++, true);
      out.set(sha256(block).subarray(0, Math.min(32, n - i)), i);
    }
    return out;
  }

  /** The TA's view of the parameters: a memory reference resolves only in the caller's regions, in bounds. */
  private taParams(vmId: number, params: readonly TeeParam[]): TaParam[] | null {
    const out: TaParam[] = [];
    for (const p of params) {
      if (p.type === 'none') out.push({ type: 'none' });
      else if (p.type.startsWith('value-')) {
        const v = p as { type: ValueDir; a: number; b: number };
        out.push({ type: v.type, a: v.type === 'value-output' ? 0 : v.a, b: v.type === 'value-output' ? 0 : v.b });
      } else {
        const m = p as { type: MemrefDir; handle: bigint; offset: number; size: number };
        const r = this.#regions.get(m.handle);
        if (!r || r.vmId !== vmId || m.offset + m.size > r.size) return null;
        out.push(memrefView(m.type, r, r.address + m.offset, m.size));
      }
    }
    return out;
  }
}
// #endregion trusted-os

function memrefView(type: MemrefDir, r: Region, at: number, capacity: number): TaMemref {
  return {
    type,
    capacity,
    size: capacity,
    read: () => (type === 'memref-output' ? new Uint8Array(0) : r.memory.read(at, capacity)),
    write: (data) => {
      if (type === 'memref-input') throw new RangeError('memref: an input reference is read-only');
      if (data.length > capacity) throw new RangeError(`memref: ${data.length} bytes into ${capacity}`);
      r.memory.write(at, data);
    },
  };
}

function results(p: readonly TaParam[]): ParamResult[] {
  return p.map((x): ParamResult => {
    if (x.type === 'none') return { type: 'none' };
    if (x.type.startsWith('value-')) {
      const v = x as TaValue;
      return x.type === 'value-input' ? { type: 'none' } : { type: 'value', a: v.a >>> 0, b: v.b >>> 0 };
    }
    const m = x as TaMemref;
    return x.type === 'memref-input' ? { type: 'none' } : { type: 'memref', size: m.size };
  });
}
