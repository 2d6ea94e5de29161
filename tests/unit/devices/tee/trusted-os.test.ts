// The trusted OS model on its own: the checks it makes with the VM ID the relay passes (a second
// line behind the relay's), its capacity, its partitions, and what a failure and a restart keep.
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import * as K from '../../../../src/lib/devices/tee/keystore-ta.ts';
import { param } from '../../../../src/lib/devices/tee/messages.ts';
import * as R from '../../../../src/lib/devices/tee/results.ts';
import { TrustedOs } from '../../../../src/lib/devices/tee/trusted-os.ts';

const live = (o: ReturnType<TrustedOs['openSession']>) => {
  if (o.dead) throw new Error('dead');
  return o;
};

function tee() {
  const os = new TrustedOs({ tas: [K.keystoreTa], capacity: { sessions: 2, shmRegions: 2, shmBytes: 0x300 } });
  const mem = GuestMemory.create(0x1000);
  os.vmCreated(1, 'a');
  os.vmCreated(2, 'b');
  return { os, mem };
}

describe('trusted OS model', () => {
  it('keeps sessions and regions within the partition of the VM ID it is given', () => {
    const { os, mem } = tee();
    const s = live(os.openSession(1, K.KEYSTORE_UUID, [])).session!;
    expect(live(os.invoke(2, s, K.KS_CMD_LIST, [param.valueOut()]))).toMatchObject({ code: R.TEEC_ERROR_ITEM_NOT_FOUND, origin: R.TEEC_ORIGIN_TEE });
    expect(live(os.closeSession(2, s)).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
    expect(live(os.shareMemory(1, 7n, mem, 0, 0x100)).code).toBe(R.TEEC_SUCCESS);
    expect(live(os.invoke(1, s, K.KS_CMD_MAC, [param.value(0), param.memIn(7n, 0, 4), param.memOut(7n, 0x10, 32)])).origin).toBe(R.TEEC_ORIGIN_TRUSTED_APP);
    const s2 = live(os.openSession(2, K.KEYSTORE_UUID, [])).session!;
    expect(live(os.invoke(2, s2, K.KS_CMD_MAC, [param.value(0), param.memIn(7n, 0, 4), param.memOut(7n, 0x10, 32)]))).toMatchObject({ code: R.TEEC_ERROR_BAD_PARAMETERS, origin: R.TEEC_ORIGIN_TEE });
    expect(live(os.invoke(1, s, K.KS_CMD_MAC, [param.value(0), param.memIn(7n, 0xf0, 0x11), param.memOut(7n, 0x10, 32)])).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(live(os.reclaimMemory(2, 7n)).code).toBe(R.TEEC_ERROR_ITEM_NOT_FOUND);
  });

  it('refuses what exceeds its capacity, partitions it does not have, and ranges that are not the VM\'s memory', () => {
    const { os, mem } = tee();
    live(os.openSession(1, K.KEYSTORE_UUID, []));
    live(os.openSession(2, K.KEYSTORE_UUID, []));
    expect(live(os.openSession(1, K.KEYSTORE_UUID, [])).code).toBe(R.TEEC_ERROR_OUT_OF_MEMORY);
    expect(live(os.shareMemory(1, 1n, mem, 0, 0x200)).code).toBe(R.TEEC_SUCCESS);
    expect(live(os.shareMemory(1, 2n, mem, 0, 0x101)).code).toBe(R.TEEC_ERROR_OUT_OF_MEMORY);
    expect(live(os.shareMemory(1, 1n, mem, 0, 0x10)).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(live(os.shareMemory(1, 3n, mem, 0xff0, 0x20)).code).toBe(R.TEEC_ERROR_BAD_PARAMETERS);
    expect(live(os.openSession(9, K.KEYSTORE_UUID, [])).code).toBe(R.TEEC_ERROR_BAD_STATE);
    expect(live(os.vmCreated(1, 'a')).code).toBe(R.TEEC_ERROR_BAD_STATE);
    expect(live(os.vmDestroyed(1)).code).toBe(R.TEEC_ERROR_BUSY);
    expect(live(os.vmDestroyed(9)).code).toBe(R.TEEC_ERROR_BAD_STATE);
  });

  it('loses sessions, regions and partitions when it fails, keeps stored objects, and numbers sessions from 1 after a restart', () => {
    const { os } = tee();
    const s = live(os.openSession(1, K.KEYSTORE_UUID, [])).session!;
    os.invoke(1, s, K.KS_CMD_GENERATE, [param.value(0)]);
    os.fail();
    expect(os.openSession(1, K.KEYSTORE_UUID, [])).toEqual({ dead: true });
    expect([os.sessionCount(), os.regionCount(), os.hasPartition(1)]).toEqual([0, 0, false]);
    os.restart();
    os.vmCreated(1, 'a');
    expect(live(os.openSession(1, K.KEYSTORE_UUID, [])).session).toBe(1);
    expect(os.storedObjects('a', K.KEYSTORE_UUID)).toBe(1);
    expect(() => os.restart()).toThrow(RangeError);
  });

  it('fails on the entry after a panic is injected, and answers nothing from then on', () => {
    const { os } = tee();
    os.panicOnNextEntry();
    const n = os.entries.length;
    expect(os.openSession(1, K.KEYSTORE_UUID, [])).toEqual({ dead: true });
    expect(os.running).toBe(false);
    expect(os.vmCreated(3, 'c')).toEqual({ dead: true });
    expect(os.entries.length).toBe(n + 1);
  });
});
