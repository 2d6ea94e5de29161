// Shared set-up for the RPMB tests: a device over an in-memory part on a Loopback of a given
// ring layout, and a requester (the guest's TEE) with its key.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { RpmbDevice } from '../../../../src/lib/devices/rpmb/device.ts';
import { loopbackExchange, resultOk, RpmbClient } from '../../../../src/lib/devices/rpmb/client.ts';
import { decodeFrame, type RpmbFrame } from '../../../../src/lib/devices/rpmb/frame.ts';
import { MemoryRpmbStore, type MemoryRpmbOptions } from '../../../../src/lib/devices/rpmb/store.ts';

export const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
export const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

export interface Rig {
  store: MemoryRpmbStore;
  dev: RpmbDevice;
  lb: Loopback;
  client: RpmbClient;
}

export function rig(ring: RingType, opts: Partial<MemoryRpmbOptions> = {}, keyed = true): Rig {
  const store = new MemoryRpmbStore({ capacity: 1, maxWrCnt: 4, maxRdCnt: 4, ...opts });
  const dev = new RpmbDevice({ store });
  const lb = new Loopback(dev, { ring, memSize: 1 << 20 });
  const client = new RpmbClient(loopbackExchange(lb), { key: KEY });
  if (keyed && !resultOk(client.programKey().result)) throw new Error('key programming failed');
  return { store, dev, lb, client };
}

/** Sends frames as one chain (one descriptor each) with room for `room` frames; decodes the answer. */
export function send(r: Rig, frames: readonly Uint8Array[], room = 1): { len: number; frames: RpmbFrame[] } {
  const c = r.lb.request(0, frames, room > 0 ? [room * 512] : []);
  const out: RpmbFrame[] = [];
  for (let at = 0; at + 512 <= c.len; at += 512) out.push(decodeFrame(c.data.subarray(at, at + 512)));
  return { len: c.len, frames: out };
}

export const needsReset = (r: Rig): boolean => (r.lb.status & DEVICE_NEEDS_RESET) !== 0;
