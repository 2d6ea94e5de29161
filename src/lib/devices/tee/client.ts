// The guest's side: what a TEE driver in the guest kernel (Linux's drivers/tee/optee, or an
// RTOS's equivalent) does with the relay, reduced to the bookkeeping this chapter asks of it.
// It builds requests with its own VM ID, remembers the sessions and regions it holds, and when
// the TEE fails it treats them as gone: it closes them at the relay (so the relay can forget
// them too) and opens new ones only after the TEE is back, never retrying a call on a session
// that has ended.
import type { TeeParam, TeeReply } from './messages.ts';
import type { GuestChannel } from './relay.ts';
import { TEEC_ERROR_TARGET_DEAD, TEEC_SUCCESS } from './results.ts';

// #region client
export class TeeClient {
  readonly sessions = new Set<number>();
  readonly handles = new Set<bigint>();
  /** False from a failure notice (or a TARGET_DEAD answer) until the restart notice. */
  teeAvailable = true;

  readonly channel: GuestChannel;

  constructor(channel: GuestChannel) {
    this.channel = channel;
  }

  get vmId(): number {
    return this.channel.vmId;
  }

  open(ta: string, params: TeeParam[] = []): TeeReply {
    const r = this.channel.call({ op: 'open-session', vmId: this.vmId, ta, params });
    if (r.code === TEEC_SUCCESS && r.session !== undefined) this.sessions.add(r.session);
    this.noteDead(r);
    return r;
  }

  invoke(session: number, command: number, params: TeeParam[] = []): TeeReply {
    const r = this.channel.call({ op: 'invoke', vmId: this.vmId, session, command, params });
    this.noteDead(r);
    return r;
  }

  close(session: number): TeeReply {
    const r = this.channel.call({ op: 'close-session', vmId: this.vmId, session });
    if (r.code === TEEC_SUCCESS) this.sessions.delete(session);
    return r;
  }

  register(address: number, size: number): TeeReply {
    const r = this.channel.call({ op: 'register-shm', vmId: this.vmId, address, size });
    if (r.code === TEEC_SUCCESS && r.handle !== undefined) this.handles.add(r.handle);
    this.noteDead(r);
    return r;
  }

  unregister(handle: bigint): TeeReply {
    const r = this.channel.call({ op: 'unregister-shm', vmId: this.vmId, handle });
    if (r.code === TEEC_SUCCESS) this.handles.delete(handle);
    return r;
  }

  /**
   * Reads the relay's notices. On a failure it drops every session and region the notice
   * names, closing each at the relay; on a restart it marks the TEE available again.
   */
  poll(): { failed: boolean; restarted: boolean } {
    let failed = false;
    let restarted = false;
    for (const n of this.channel.takeNotices()) {
      if (n.kind === 'tee-failed') {
        failed = true;
        this.teeAvailable = false;
        for (const s of n.endedSessions) if (this.sessions.has(s)) this.close(s);
        for (const h of n.revokedHandles) if (this.handles.has(h)) this.unregister(h);
      } else {
        restarted = true;
        this.teeAvailable = true;
      }
    }
    return { failed, restarted };
  }

  private noteDead(r: TeeReply): void {
    if (r.code === TEEC_ERROR_TARGET_DEAD) this.teeAvailable = false;
  }
}
// #endregion client
