// The TEE relay: the part of the platform that stands between every guest and the one TEE. It is
// what Xen's OP-TEE mediator and FF-A mediator are (xen/arch/arm/tee/optee.c, ffa.c), and what
// an SPMC such as Hafnium does one level down: it takes a guest's call, knows which guest made
// it because the call trapped from that guest's vCPU, and forwards it to the TEE with that
// guest's VM ID. On top of forwarding it keeps the books that make sharing one TEE safe:
//
//   - every session and shared-memory handle belongs to the guest that made it, and the relay
//     gives out identifiers of its own, never reused, so a guest can name only its own objects
//     and a stale identifier can never name a newer object of someone else;
//   - each guest has limits (sessions, shared regions, shared bytes) that add up to no more
//     than the TEE can hold, so no guest can starve the others;
//   - when the TEE fails, every session of every guest ends with TEEC_ERROR_TARGET_DEAD and
//     every guest is told; after a restart nothing from before maps onto anything new;
//   - when a guest is reset or destroyed, its sessions are closed and every region it shared is
//     reclaimed from the TEE before its memory may be used again.
import type { GuestMemory } from '../../virtio/memory.ts';
import { parseRequest, type TeeParam, type TeeReply, type TeeRequest } from './messages.ts';
import { RELAY_ERRORS, TEEC_ERROR_BUSY, TEEC_ORIGIN_COMMS, TEEC_SUCCESS, type RelayErrorName } from './results.ts';
import type { TeeOutcome, TrustedOs } from './trusted-os.ts';

// #region relay-config
/** What one guest may hold in the TEE at once. */
export interface GuestLimits {
  readonly sessions: number;
  readonly shmRegions: number;
  readonly shmBytes: number;
}
export const DEFAULT_GUEST_LIMITS: GuestLimits = { sessions: 4, shmRegions: 8, shmBytes: 64 * 1024 };

/** VM IDs a guest may have: 0 is the hypervisor's, and FF-A sets bit 15 for secure partitions. */
export const MIN_VM_ID = 1;
export const MAX_VM_ID = 0x7fff;
// #endregion relay-config

/** What the relay tells a guest without being asked. */
export type RelayNotice =
  | { readonly kind: 'tee-failed'; readonly endedSessions: readonly number[]; readonly revokedHandles: readonly bigint[] }
  | { readonly kind: 'tee-restarted' };

/** The supervisor's view: every refusal with its reason, and every lifecycle event. */
export type RelayEvent =
  | { readonly kind: 'refused'; readonly vmId: number; readonly op: string; readonly reason: RelayErrorName }
  | { readonly kind: 'attached'; readonly vmId: number; readonly identity: string }
  | { readonly kind: 'tee-failed'; readonly sessions: number; readonly regions: number; readonly guests: number }
  | { readonly kind: 'tee-restarted'; readonly guests: number }
  | { readonly kind: 'guest-reset' | 'guest-destroyed'; readonly vmId: number; readonly closed: number; readonly reclaimed: number; readonly pending: number }
  | { readonly kind: 'reclaimed-late'; readonly vmId: number; readonly handle: bigint };

/** What a reset or destroy did: sessions closed, regions reclaimed, regions the TEE has not given back yet. */
export interface ReleaseReport {
  readonly closed: readonly number[];
  readonly reclaimed: readonly bigint[];
  readonly pending: readonly bigint[];
}

interface Guest {
  readonly vmId: number;
  readonly identity: string;
  readonly memory: GuestMemory;
  readonly limits: GuestLimits;
  /** 'resetting': reset, but waiting for the TEE to give regions back before the guest may run. */
  state: 'live' | 'resetting';
  notices: RelayNotice[];
}
interface SessionRec {
  readonly vmId: number;
  readonly tee: number; // the TEE's own session number, never shown to the guest
  state: 'live' | 'ended';
}
interface RegionRec {
  readonly vmId: number;
  readonly address: number;
  readonly size: number;
  state: 'live' | 'ended';
}

/** A guest's way in: the platform hands it out, and the VM ID in it is the one the trap came from. */
export class GuestChannel {
  private readonly relay: TeeRelay;
  readonly vmId: number;

  constructor(relay: TeeRelay, vmId: number) {
    this.relay = relay;
    this.vmId = vmId;
  }
  call(raw: unknown): TeeReply {
    return this.relay.call(this.vmId, raw);
  }
  /** The notices the relay sent this guest since the last call, oldest first. */
  takeNotices(): RelayNotice[] {
    return this.relay.takeNotices(this.vmId);
  }
}

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;
const isLimit = (n: number) => Number.isSafeInteger(n) && n >= 0;

export class TeeRelay {
  readonly tee: TrustedOs;
  readonly log: RelayEvent[] = [];
  #up: boolean;
  readonly #guests = new Map<number, Guest>();
  readonly #sessions = new Map<number, SessionRec>();
  readonly #regions = new Map<bigint, RegionRec>();
  /** Regions of a reset or destroyed guest that the TEE refused to give back yet. */
  readonly #pending = new Map<bigint, number>();
  /** VM IDs destroyed while regions were pending: the TEE is told once they are all back. */
  readonly #destroyed = new Set<number>();
  #nextSession: number;
  #nextHandle: bigint;

  constructor(opts: { tee: TrustedOs; firstSessionId?: number; firstHandle?: bigint }) {
    this.tee = opts.tee;
    this.#up = opts.tee.running;
    this.#nextSession = opts.firstSessionId ?? 1;
    this.#nextHandle = opts.firstHandle ?? 0x1000n;
    // The first identifiers are options so that tests can reach the end of the identifier space.
    if (!Number.isInteger(this.#nextSession) || this.#nextSession < 1 || this.#nextSession > U32_MAX) throw new RangeError('firstSessionId: 1 to 0xFFFFFFFF');
    if (this.#nextHandle < 1n || this.#nextHandle > U64_MAX) throw new RangeError('firstHandle: 1 to 2^64 - 1');
  }

  // #region attach
  /**
   * The platform gives a guest TEE access. Refused (RangeError: a platform configuration
   * error, not a guest's) for a VM ID outside 1..0x7FFF or still in use, an identity another
   * guest has, or limits that would take the guests together past what the TEE can hold.
   */
  attach(vmId: number, opts: { identity: string; memory: GuestMemory; limits?: GuestLimits }): GuestChannel {
    const limits = opts.limits ?? DEFAULT_GUEST_LIMITS;
    if (!Number.isInteger(vmId) || vmId < MIN_VM_ID || vmId > MAX_VM_ID) throw new RangeError(`attach: VM ID ${vmId} is outside ${MIN_VM_ID}..0x${MAX_VM_ID.toString(16)}`);
    if (this.#guests.has(vmId) || this.pendingOf(vmId).length > 0 || this.#destroyed.has(vmId)) throw new RangeError(`attach: VM ID ${vmId} is still in use`);
    if (opts.identity === '' || [...this.#guests.values()].some((g) => g.identity === opts.identity)) throw new RangeError(`attach: identity "${opts.identity}" is empty or taken`);
    if (![limits.sessions, limits.shmRegions, limits.shmBytes].every(isLimit)) throw new RangeError('attach: limits are non-negative integers');
    const sum = (k: keyof GuestLimits) => [...this.#guests.values()].reduce((n, g) => n + g.limits[k], limits[k]);
    for (const k of ['sessions', 'shmRegions', 'shmBytes'] as const) {
      if (sum(k) > this.tee.capacity[k]) throw new RangeError(`attach: ${k} limits would add up to ${sum(k)}, more than the TEE's ${this.tee.capacity[k]}`);
    }
    const g: Guest = { vmId, identity: opts.identity, memory: opts.memory, limits, state: 'live', notices: [] };
    this.#guests.set(vmId, g);
    this.log.push({ kind: 'attached', vmId, identity: opts.identity });
    if (this.#up) this.announce(g);
    return new GuestChannel(this, vmId);
  }
  // #endregion attach

  channel(vmId: number): GuestChannel {
    if (!this.#guests.has(vmId)) throw new RangeError(`channel: VM ${vmId} is not attached`);
    return new GuestChannel(this, vmId);
  }

  // #region call
  /** One request from the guest whose vCPU trapped: `channelVm` is the platform's, never the guest's, word. */
  call(channelVm: number, raw: unknown): TeeReply {
    const parsed = parseRequest(raw); // reads the guest's request once; everything below uses the copy
    const op = parsed.ok ? parsed.req.op : parsed.label;
    const g = this.#guests.get(channelVm);
    if (!g || g.state !== 'live') return this.refuse(channelVm, op, 'not-attached');
    if (!parsed.ok) return this.refuse(channelVm, op, parsed.reason);
    const req = parsed.req;
    if (req.vmId !== channelVm) return this.refuse(channelVm, op, 'vm-id-mismatch');
    switch (req.op) {
      case 'open-session': return this.openSession(g, req);
      case 'invoke': return this.invoke(g, req);
      case 'close-session': return this.closeSession(g, req);
      case 'register-shm': return this.registerShm(g, req);
      case 'unregister-shm': return this.unregisterShm(g, req);
    }
  }
  // #endregion call

  // #region ownership
  /** The session a guest names, if it is that guest's; otherwise why not. Foreign and unknown answer alike. */
  private ownSession(g: Guest, id: number): SessionRec | RelayErrorName {
    const s = this.#sessions.get(id);
    if (!s) return 'unknown-session';
    if (s.vmId !== g.vmId) return 'foreign-session';
    return s;
  }

  private ownRegion(g: Guest, handle: bigint): RegionRec | RelayErrorName {
    const r = this.#regions.get(handle);
    if (!r) return 'unknown-handle';
    if (r.vmId !== g.vmId) return 'foreign-handle';
    return r;
  }

  /** Every memory reference must lie in a live region of the caller; the TEE then sees those bytes only. */
  private checkParams(g: Guest, params: readonly TeeParam[]): RelayErrorName | null {
    for (const p of params) {
      if (!p.type.startsWith('memref-')) continue;
      const m = p as Extract<TeeParam, { handle: bigint }>;
      const r = this.ownRegion(g, m.handle);
      if (typeof r === 'string') return r;
      if (r.state === 'ended') return 'ended-handle';
      if (m.offset + m.size > r.size) return 'memref-out-of-bounds';
    }
    return null;
  }
  // #endregion ownership

  private openSession(g: Guest, req: Extract<TeeRequest, { op: 'open-session' }>): TeeReply {
    const bad = this.checkParams(g, req.params);
    if (bad) return this.refuse(g.vmId, req.op, bad);
    if (this.liveSessions(g.vmId).length >= g.limits.sessions) return this.refuse(g.vmId, req.op, 'session-limit');
    if (!this.#up) return this.refuse(g.vmId, req.op, 'tee-down');
    if (this.#nextSession > U32_MAX) return this.refuse(g.vmId, req.op, 'ids-exhausted');
    const out = this.tee.openSession(g.vmId, req.ta, req.params);
    if (out.dead) return this.failedDuring(g, req.op);
    if (out.code !== TEEC_SUCCESS || out.session === undefined) return reply(out);
    const id = this.#nextSession++;
    this.#sessions.set(id, { vmId: g.vmId, tee: out.session, state: 'live' });
    return { code: out.code, origin: out.origin, session: id, params: out.params };
  }

  private invoke(g: Guest, req: Extract<TeeRequest, { op: 'invoke' }>): TeeReply {
    const s = this.ownSession(g, req.session);
    if (typeof s === 'string') return this.refuse(g.vmId, req.op, s);
    if (s.state === 'ended') return this.refuse(g.vmId, req.op, 'ended-session');
    const bad = this.checkParams(g, req.params);
    if (bad) return this.refuse(g.vmId, req.op, bad);
    if (!this.#up) return this.refuse(g.vmId, req.op, 'tee-down');
    const out = this.tee.invoke(g.vmId, s.tee, req.command, req.params);
    return out.dead ? this.failedDuring(g, req.op) : reply(out);
  }

  private closeSession(g: Guest, req: Extract<TeeRequest, { op: 'close-session' }>): TeeReply {
    const s = this.ownSession(g, req.session);
    if (typeof s === 'string') return this.refuse(g.vmId, req.op, s);
    if (s.state === 'ended') {
      // Already gone with the TEE that held it: closing only lets the guest's driver clean up.
      this.#sessions.delete(req.session);
      return { code: TEEC_SUCCESS, origin: TEEC_ORIGIN_COMMS };
    }
    if (!this.#up) return this.refuse(g.vmId, req.op, 'tee-down');
    const out = this.tee.closeSession(g.vmId, s.tee);
    if (out.dead) return this.failedDuring(g, req.op);
    this.#sessions.delete(req.session);
    return reply(out);
  }

  // #region register-shm
  private registerShm(g: Guest, req: Extract<TeeRequest, { op: 'register-shm' }>): TeeReply {
    if (req.size === 0 || !g.memory.contains(req.address, req.size)) return this.refuse(g.vmId, req.op, 'bad-range');
    const mine = this.liveRegions(g.vmId);
    if (mine.length >= g.limits.shmRegions) return this.refuse(g.vmId, req.op, 'shm-count-limit');
    const bytes = mine.reduce((n, h) => n + this.#regions.get(h)!.size, 0);
    if (bytes + req.size > g.limits.shmBytes) return this.refuse(g.vmId, req.op, 'shm-bytes-limit');
    if (!this.#up) return this.refuse(g.vmId, req.op, 'tee-down');
    if (this.#nextHandle > U64_MAX) return this.refuse(g.vmId, req.op, 'ids-exhausted');
    const handle = this.#nextHandle++;
    const out = this.tee.shareMemory(g.vmId, handle, g.memory, req.address, req.size);
    if (out.dead) return this.failedDuring(g, req.op);
    if (out.code !== TEEC_SUCCESS) return reply(out);
    this.#regions.set(handle, { vmId: g.vmId, address: req.address, size: req.size, state: 'live' });
    return { code: TEEC_SUCCESS, origin: TEEC_ORIGIN_COMMS, handle };
  }
  // #endregion register-shm

  private unregisterShm(g: Guest, req: Extract<TeeRequest, { op: 'unregister-shm' }>): TeeReply {
    const r = this.ownRegion(g, req.handle);
    if (typeof r === 'string') return this.refuse(g.vmId, req.op, r);
    if (r.state === 'ended') {
      this.#regions.delete(req.handle);
      return { code: TEEC_SUCCESS, origin: TEEC_ORIGIN_COMMS };
    }
    if (!this.#up) return this.refuse(g.vmId, req.op, 'tee-down');
    const out = this.tee.reclaimMemory(g.vmId, req.handle);
    if (out.dead) return this.failedDuring(g, req.op);
    if (out.code === TEEC_SUCCESS) this.#regions.delete(req.handle);
    return reply(out); // BUSY: the TEE still uses the region, which stays the guest's and stays shared
  }

  // #region tee-failure
  /**
   * The TEE has failed (the platform's monitor saw it, or a call came back dead). The TEE is
   * halted first, so nothing it mapped can be touched again; then every live session and
   * region of every guest is ended, and every attached guest is told which of its own ended.
   */
  teeFailed(): void {
    if (!this.#up) return;
    this.#up = false;
    this.tee.fail();
    let sessions = 0;
    let regions = 0;
    for (const g of this.#guests.values()) {
      const endedSessions = this.liveSessions(g.vmId);
      const revokedHandles = this.liveRegions(g.vmId);
      for (const id of endedSessions) this.#sessions.get(id)!.state = 'ended';
      for (const h of revokedHandles) this.#regions.get(h)!.state = 'ended';
      sessions += endedSessions.length;
      regions += revokedHandles.length;
      if (g.state === 'resetting') g.state = 'live'; // its pending regions died with the TEE
      g.notices.push({ kind: 'tee-failed', endedSessions, revokedHandles });
    }
    this.#pending.clear();
    this.#destroyed.clear();
    this.log.push({ kind: 'tee-failed', sessions, regions, guests: this.#guests.size });
  }

  /** The platform restarts the TEE: every attached guest gets a fresh partition, then is told. */
  restartTee(): void {
    if (this.#up) throw new RangeError('restartTee: the TEE has not failed');
    this.tee.restart();
    this.#up = true;
    for (const g of this.#guests.values()) if (!this.announce(g)) return;
    for (const g of this.#guests.values()) g.notices.push({ kind: 'tee-restarted' });
    this.log.push({ kind: 'tee-restarted', guests: this.#guests.size });
  }
  // #endregion tee-failure

  // #region release
  /** The guest is rebooting: its sessions are closed and its regions reclaimed; its persistent objects stay. */
  resetGuest(vmId: number): ReleaseReport {
    const g = this.#guests.get(vmId);
    if (!g) throw new RangeError(`resetGuest: VM ${vmId} is not attached`);
    const rep = this.release(g);
    g.notices = [];
    if (rep.pending.length > 0) g.state = 'resetting';
    else if (this.#up) this.renew(g);
    this.log.push({ kind: 'guest-reset', vmId, closed: rep.closed.length, reclaimed: rep.reclaimed.length, pending: rep.pending.length });
    return rep;
  }

  /** The guest is gone: as a reset, and the TEE forgets the partition once every region is back. */
  destroyGuest(vmId: number): ReleaseReport {
    const g = this.#guests.get(vmId);
    if (!g) throw new RangeError(`destroyGuest: VM ${vmId} is not attached`);
    const rep = this.release(g);
    this.#guests.delete(vmId);
    if (rep.pending.length > 0) this.#destroyed.add(vmId);
    else if (this.#up) this.expectOk(this.tee.vmDestroyed(vmId), `VM ${vmId} destroyed`);
    this.log.push({ kind: 'guest-destroyed', vmId, closed: rep.closed.length, reclaimed: rep.reclaimed.length, pending: rep.pending.length });
    return rep;
  }

  /** Asks the TEE again for regions it would not give back; finishes the resets and destroys they held up. */
  retryReclaims(): bigint[] {
    const done: bigint[] = [];
    for (const [handle, vmId] of [...this.#pending]) {
      if (!this.#up) break;
      const out = this.tee.reclaimMemory(vmId, handle);
      if (!this.tell(out)) break;
      if (out.dead || out.code === TEEC_ERROR_BUSY) continue;
      this.#pending.delete(handle);
      done.push(handle);
      this.log.push({ kind: 'reclaimed-late', vmId, handle });
    }
    for (const vmId of new Set([...this.#destroyed, ...[...this.#guests.values()].filter((g) => g.state === 'resetting').map((g) => g.vmId)])) {
      if (!this.#up || this.pendingOf(vmId).length > 0) continue;
      const g = this.#guests.get(vmId);
      if (g) {
        this.renew(g);
        g.state = 'live';
      } else {
        this.#destroyed.delete(vmId);
        this.expectOk(this.tee.vmDestroyed(vmId), `VM ${vmId} destroyed`);
      }
    }
    return done;
  }

  /** True once no region of this VM is shared with a TEE that could still touch it. */
  mayReuseMemory(vmId: number): boolean {
    return this.liveRegions(vmId).length === 0 && this.pendingOf(vmId).length === 0;
  }

  private release(g: Guest): ReleaseReport {
    const closed: number[] = [];
    const reclaimed: bigint[] = [];
    const pending: bigint[] = [];
    for (const id of this.liveSessions(g.vmId)) {
      if (this.#up) this.tell(this.tee.closeSession(g.vmId, this.#sessions.get(id)!.tee));
      closed.push(id);
    }
    for (const [id, s] of [...this.#sessions]) if (s.vmId === g.vmId) this.#sessions.delete(id);
    for (const h of this.liveRegions(g.vmId)) {
      if (this.#up) {
        const out = this.tee.reclaimMemory(g.vmId, h);
        if (this.tell(out) && !out.dead && out.code === TEEC_ERROR_BUSY) {
          pending.push(h);
          this.#pending.set(h, g.vmId);
          continue;
        }
      }
      // Reclaimed, or the TEE is halted and can never touch it again.
      reclaimed.push(h);
    }
    for (const [h, r] of [...this.#regions]) if (r.vmId === g.vmId) this.#regions.delete(h);
    // A TEE that failed during the release took its pending regions with it: they count as reclaimed.
    const still = pending.filter((h) => this.#pending.has(h));
    return { closed, reclaimed: [...reclaimed, ...pending.filter((h) => !this.#pending.has(h))], pending: still };
  }
  // #endregion release

  /** Opens the guest's partition in the TEE. False if the TEE failed doing it. */
  private announce(g: Guest): boolean {
    return this.expectOk(this.tee.vmCreated(g.vmId, g.identity), `VM ${g.vmId} created`);
  }

  /** A reset guest's partition starts again, empty. */
  private renew(g: Guest): void {
    if (this.expectOk(this.tee.vmDestroyed(g.vmId), `VM ${g.vmId} destroyed`)) this.announce(g);
  }

  /**
   * A partition change the relay has made safe beforehand (sessions closed, regions back), so
   * the TEE refusing it means the relay's books and the TEE disagree: a fault of the model or
   * of the TEE, reported as a RangeError rather than carried on. False if the TEE was dead.
   */
  private expectOk(out: TeeOutcome, what: string): boolean {
    if (!this.tell(out)) return false;
    if (!out.dead && out.code !== TEEC_SUCCESS) throw new RangeError(`the TEE refused "${what}": 0x${out.code.toString(16)}`);
    return true;
  }

  /** Every outcome passes through here: a dead TEE is noticed at once. False if it was dead. */
  private tell(out: TeeOutcome): boolean {
    if (!out.dead) return true;
    this.teeFailed();
    return false;
  }

  private failedDuring(g: Guest, op: string): TeeReply {
    this.teeFailed();
    return this.refuse(g.vmId, op, 'tee-failed');
  }

  private refuse(vmId: number, op: string, reason: RelayErrorName): TeeReply {
    this.log.push({ kind: 'refused', vmId, op, reason });
    return { code: RELAY_ERRORS[reason], origin: TEEC_ORIGIN_COMMS };
  }

  takeNotices(vmId: number): RelayNotice[] {
    const g = this.#guests.get(vmId);
    if (!g) return [];
    const n = g.notices;
    g.notices = [];
    return n;
  }

  get teeUp(): boolean {
    return this.#up;
  }
  /** The relay's identifiers of a guest's live sessions, in the order they were opened. */
  liveSessions(vmId: number): number[] {
    return [...this.#sessions].filter(([, s]) => s.vmId === vmId && s.state === 'live').map(([id]) => id);
  }
  /** The handles of a guest's live shared regions, in the order they were registered. */
  liveRegions(vmId: number): bigint[] {
    return [...this.#regions].filter(([, r]) => r.vmId === vmId && r.state === 'live').map(([h]) => h);
  }
  pendingOf(vmId: number): bigint[] {
    return [...this.#pending].filter(([, v]) => v === vmId).map(([h]) => h);
  }
  isAttached(vmId: number): boolean {
    return this.#guests.has(vmId);
  }
}


function reply(out: Extract<TeeOutcome, { dead: false }>): TeeReply {
  return out.params ? { code: out.code, origin: out.origin, params: out.params } : { code: out.code, origin: out.origin };
}
