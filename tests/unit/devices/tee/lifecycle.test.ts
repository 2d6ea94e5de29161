// The TEE relay when things end: the TEE failing (mid-call or noticed by the platform), the
// time until it runs again, its restart, and a guest being reset or destroyed while it holds
// sessions and shared regions, including regions the TEE will not give back at once.
import { describe, expect, it } from 'vitest';
import * as K from '../../../../src/lib/devices/tee/keystore-ta.ts';
import { param } from '../../../../src/lib/devices/tee/messages.ts';
import * as R from '../../../../src/lib/devices/tee/results.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { LIMITS, listSlots, open, refusals, rig, share } from './harness.ts';

const DEAD = { code: R.TEEC_ERROR_TARGET_DEAD, origin: R.TEEC_ORIGIN_COMMS };

function busy() {
  const r = rig();
  const sa = open(r.a);
  const ha = share(r.a, 0x1000, 0x100);
  r.a.invoke(sa, K.KS_CMD_GENERATE, [param.value(0)]);
  const sb = open(r.b);
  const sb2 = open(r.b);
  const hb = share(r.b, 0x2000, 0x100);
  return { ...r, sa, ha, sb, sb2, hb };
}

describe('TEE relay: the TEE fails', () => {
  it('[AVP-TEE-20] [AVP-TEE-21] halts the TEE, answers the call in progress with TARGET_DEAD, and ends every guest\'s sessions', () => {
    const r = busy();
    r.os.panicOnNextEntry();
    expect(r.a.invoke(r.sa, K.KS_CMD_LIST, [param.valueOut()])).toEqual(DEAD);
    expect(r.os.running).toBe(false);
    expect(r.relay.teeUp).toBe(false);
    expect(r.relay.liveSessions(1)).toEqual([]);
    expect(r.relay.liveSessions(2)).toEqual([]);
    const entries = r.os.entries.length;
    // Every later call on a session that ended gets the same stated error, from either guest.
    expect(r.a.invoke(r.sa, K.KS_CMD_LIST, [param.valueOut()])).toEqual(DEAD);
    expect(r.b.invoke(r.sb2, K.KS_CMD_LIST, [param.valueOut()])).toEqual(DEAD);
    expect(r.os.entries.length).toBe(entries); // a halted TEE runs nothing
    expect(refusals(r.relay)).toEqual(['tee-failed', 'ended-session', 'ended-session']);
  });

  it('[AVP-TEE-21] ends a guest\'s regions too: a memory reference to one gets TARGET_DEAD, and closing or unregistering what ended succeeds', () => {
    const r = busy();
    r.relay.teeFailed();
    r.relay.restartTee();
    const sa = open(r.a);
    expect(r.a.invoke(sa, K.KS_CMD_MAC, [param.value(0), param.memIn(r.ha, 0, 8), param.memOut(r.ha, 0x20, 32)])).toEqual(DEAD);
    expect(refusals(r.relay)).toEqual(['ended-handle']);
    expect(r.a.unregister(r.ha)).toEqual({ code: R.TEEC_SUCCESS, origin: R.TEEC_ORIGIN_COMMS });
    expect(r.b.close(r.sb)).toEqual({ code: R.TEEC_SUCCESS, origin: R.TEEC_ORIGIN_COMMS });
    // Once cleaned up, the identifiers are unknown, like any other.
    expect(r.a.unregister(r.ha).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(r.b.close(r.sb).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    // Another guest's ended session is still not this guest's to close.
    expect(r.a.close(r.sb2).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(r.relay.liveRegions(2)).toEqual([]);
  });

  it('[AVP-TEE-22] tells every attached guest, and each only of its own sessions and regions', () => {
    const r = busy();
    const quiet = r.relay.attach(3, { identity: 'telematics', memory: GuestMemory.create(0x100), limits: LIMITS });
    r.relay.teeFailed();
    expect(r.a.channel.takeNotices()).toEqual([{ kind: 'tee-failed', endedSessions: [r.sa], revokedHandles: [r.ha] }]);
    expect(r.b.channel.takeNotices()).toEqual([{ kind: 'tee-failed', endedSessions: [r.sb, r.sb2], revokedHandles: [r.hb] }]);
    expect(quiet.takeNotices()).toEqual([{ kind: 'tee-failed', endedSessions: [], revokedHandles: [] }]);
    expect(r.relay.log.at(-1)).toEqual({ kind: 'tee-failed', sessions: 3, regions: 2, guests: 3 });
    r.relay.teeFailed(); // the same failure, noticed twice, is one failure
    expect(r.a.channel.takeNotices()).toEqual([]);
  });

  it('[AVP-TEE-23] answers new sessions and new regions with TARGET_DEAD until the TEE runs again', () => {
    const r = busy();
    r.relay.teeFailed();
    const entries = r.os.entries.length;
    expect(r.a.open(K.KEYSTORE_UUID)).toEqual(DEAD);
    expect(r.b.register(0x3000, 0x10)).toEqual(DEAD);
    expect(refusals(r.relay)).toEqual(['tee-down', 'tee-down']);
    expect(r.os.entries.length).toBe(entries);
    r.relay.restartTee();
    expect(open(r.a)).toBeGreaterThan(0);
  });

  it('[AVP-TEE-24] gives every attached guest a fresh partition when the TEE runs again, then tells it', () => {
    const r = busy();
    r.relay.teeFailed();
    const late = r.relay.attach(3, { identity: 'telematics', memory: GuestMemory.create(0x100), limits: LIMITS }); // attached while down
    expect(r.os.hasPartition(1)).toBe(false);
    expect(() => r.relay.restartTee()).not.toThrow();
    for (const vm of [1, 2, 3]) expect(r.os.hasPartition(vm)).toBe(true);
    expect(r.a.channel.takeNotices().map((n) => n.kind)).toEqual(['tee-failed', 'tee-restarted']);
    expect(late.takeNotices()).toEqual([{ kind: 'tee-restarted' }]);
    expect(r.os.restarts).toBe(1);
    expect(() => r.relay.restartTee()).toThrow(RangeError);
  });

  it('[AVP-TEE-25] maps nothing from before the failure onto the restarted TEE, though the TEE numbers its sessions from 1 again', () => {
    const r = busy();
    r.relay.teeFailed();
    r.relay.restartTee();
    const fresh = open(r.a); // the TEE's session 1 again, under a new relay identifier
    expect([r.sa, r.sb, r.sb2]).not.toContain(fresh);
    // The IVI's old identifiers reach nothing new: its own are ended, the cluster's new one is foreign.
    expect(r.b.invoke(r.sb, K.KS_CMD_LIST, [param.valueOut()])).toEqual(DEAD);
    expect(r.b.invoke(fresh, K.KS_CMD_LIST, [param.valueOut()]).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(r.b.invoke(r.sa, K.KS_CMD_LIST, [param.valueOut()]).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    // Persistent objects come back to their owner only.
    expect(listSlots(r.a, fresh)).toBe(1);
    expect(listSlots(r.b, open(r.b))).toBe(0);
  });
});

describe('TEE relay: a guest is reset or destroyed', () => {
  it('[AVP-TEE-28] closes every session of a reset guest in the TEE, leaves the other guest\'s, and keeps the guest\'s keys', () => {
    const r = busy();
    const rep = r.relay.resetGuest(2);
    expect(rep).toEqual({ closed: [r.sb, r.sb2], reclaimed: [r.hb], pending: [] });
    expect(r.os.sessionCount(2)).toBe(0);
    expect(r.os.sessionCount(1)).toBe(1);
    expect(r.os.regionCount(2)).toBe(0);
    expect(r.b.invoke(r.sb, K.KS_CMD_LIST, [param.valueOut()]).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(listSlots(r.a, r.sa)).toBe(1);
    expect(open(r.b)).toBeGreaterThan(r.sb2); // the rebooted guest starts over, with new identifiers
  });

  it('[AVP-TEE-28] [AVP-TEE-29] closes and reclaims everything of a destroyed guest, so its memory may be reused', () => {
    const r = busy();
    expect(r.relay.mayReuseMemory(2)).toBe(false);
    const rep = r.relay.destroyGuest(2);
    expect(rep).toEqual({ closed: [r.sb, r.sb2], reclaimed: [r.hb], pending: [] });
    expect(r.relay.mayReuseMemory(2)).toBe(true);
    expect(r.os.sessionCount(2) + r.os.regionCount(2)).toBe(0);
    expect(r.os.hasPartition(2)).toBe(false);
    expect(r.relay.call(2, { op: 'close-session', vmId: 2, session: r.sb }).code).toBe(R.TEEC_ERROR_BAD_STATE);
    expect(() => r.relay.destroyGuest(2)).toThrow(RangeError);
  });

  it('[AVP-TEE-29] holds a destroyed guest\'s memory until the TEE gives back a region it kept, asking again until it does', () => {
    const r = busy();
    r.os.retain(r.hb);
    const rep = r.relay.destroyGuest(2);
    expect(rep.pending).toEqual([r.hb]);
    expect(r.relay.mayReuseMemory(2)).toBe(false);
    expect(r.os.hasPartition(2)).toBe(true);
    expect(r.relay.retryReclaims()).toEqual([]); // still kept
    expect(r.relay.mayReuseMemory(2)).toBe(false);
    r.os.release(r.hb);
    expect(r.relay.retryReclaims()).toEqual([r.hb]);
    expect(r.relay.mayReuseMemory(2)).toBe(true);
    expect(r.os.hasPartition(2)).toBe(false);
    expect(r.relay.log.at(-1)).toEqual({ kind: 'reclaimed-late', vmId: 2, handle: r.hb });
  });

  it('[AVP-TEE-29] keeps a reset guest from running until its regions are back', () => {
    const r = busy();
    r.os.retain(r.hb);
    expect(r.relay.resetGuest(2).pending).toEqual([r.hb]);
    expect(r.b.open(K.KEYSTORE_UUID).code).toBe(R.TEEC_ERROR_BAD_STATE);
    expect(refusals(r.relay)).toEqual(['not-attached']);
    r.os.release(r.hb);
    r.relay.retryReclaims();
    expect(r.relay.mayReuseMemory(2)).toBe(true);
    expect(open(r.b)).toBeGreaterThan(0);
  });

  it('[AVP-TEE-29] lets go of regions a failed TEE kept: a halted TEE touches no memory again', () => {
    const r = busy();
    r.os.retain(r.hb);
    r.relay.resetGuest(2);
    expect(r.relay.mayReuseMemory(2)).toBe(false);
    r.relay.teeFailed();
    expect(r.relay.mayReuseMemory(2)).toBe(true);
    expect(r.relay.pendingOf(2)).toEqual([]);
    r.relay.restartTee();
    expect(open(r.b)).toBeGreaterThan(0);
  });

  it('[AVP-TEE-30] tells the TEE a partition ended only after its sessions are closed and its regions reclaimed', () => {
    const r = busy();
    r.os.retain(r.hb);
    const from = r.os.entries.length;
    r.relay.destroyGuest(2);
    expect(r.os.entries.slice(from).map((e) => e.op)).toEqual(['close-session', 'close-session', 'reclaim']);
    r.os.release(r.hb);
    r.relay.retryReclaims();
    expect(r.os.entries.slice(from).map((e) => e.op)).toEqual(['close-session', 'close-session', 'reclaim', 'reclaim', 'vm-destroyed']);
    const from2 = r.os.entries.length;
    r.relay.resetGuest(1);
    expect(r.os.entries.slice(from2).map((e) => e.op)).toEqual(['close-session', 'reclaim', 'vm-destroyed', 'vm-created']);
  });

  it('[AVP-TEE-28] still forgets a guest\'s sessions when the TEE fails during the reset', () => {
    const r = busy();
    r.os.panicOnNextEntry();
    const rep = r.relay.resetGuest(2);
    expect(rep.closed).toEqual([r.sb, r.sb2]);
    expect(rep.pending).toEqual([]);
    expect(r.relay.teeUp).toBe(false);
    expect(r.relay.liveSessions(2)).toEqual([]);
    r.relay.restartTee();
    expect(r.os.sessionCount()).toBe(0);
  });
});
