// The guest driver's side: what it does with a failure notice and a TARGET_DEAD answer.
import { describe, expect, it } from 'vitest';
import * as K from '../../../../src/lib/devices/tee/keystore-ta.ts';
import { param } from '../../../../src/lib/devices/tee/messages.ts';
import * as R from '../../../../src/lib/devices/tee/results.ts';
import { open, rig, share } from './harness.ts';

describe('TEE guest driver', () => {
  it('[AVP-TEE-27] treats what a failure ended as gone: closes it at the relay, and opens new sessions after the restart', () => {
    const { a, os, relay } = rig();
    const s = open(a);
    const h = share(a, 0x100, 0x40);
    os.panicOnNextEntry();
    expect(a.invoke(s, K.KS_CMD_LIST, [param.valueOut()]).code).toBe(R.TEEC_ERROR_TARGET_DEAD);
    expect(a.teeAvailable).toBe(false);
    expect(a.poll()).toEqual({ failed: true, restarted: false });
    expect([...a.sessions, ...a.handles]).toEqual([]);
    // The relay has forgotten them too: the driver closed them rather than leaving them behind.
    expect(a.close(s).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(a.unregister(h).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    relay.restartTee();
    expect(a.poll()).toEqual({ failed: false, restarted: true });
    expect(a.teeAvailable).toBe(true);
    const s2 = open(a);
    expect(s2).not.toBe(s);
    expect(a.invoke(s2, K.KS_CMD_LIST, [param.valueOut()]).code).toBe(R.TEEC_SUCCESS);
  });

  it('keeps its books in step with the relay as sessions and regions come and go', () => {
    const { a, relay } = rig();
    const s = open(a);
    const h = share(a, 0, 0x10);
    expect([[...a.sessions], [...a.handles]]).toEqual([relay.liveSessions(1), relay.liveRegions(1)]);
    a.close(s);
    a.unregister(h);
    expect([[...a.sessions], [...a.handles]]).toEqual([[], []]);
    expect(a.poll()).toEqual({ failed: false, restarted: false });
  });
});
