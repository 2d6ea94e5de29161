// Several guests on one physical RPMB: each sees a virtio-rpmb device with its own key,
// counter and window, and nothing one guest sends reaches, reveals, replays onto or uses up
// another's.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { RpmbDevice } from '../../../../src/lib/devices/rpmb/device.ts';
import { engineExchange, loopbackExchange, resultOk, RpmbClient } from '../../../../src/lib/devices/rpmb/client.ts';
import { RpmbEngine } from '../../../../src/lib/devices/rpmb/engine.ts';
import * as F from '../../../../src/lib/devices/rpmb/frame.ts';
import { type GuestRpmbSpec, RpmbPartitioner } from '../../../../src/lib/devices/rpmb/partition.ts';
import { MemoryRpmbStore } from '../../../../src/lib/devices/rpmb/store.ts';
import { writeRequest } from '../../../../src/lib/devices/rpmb/requests.ts';
import { ROLLBACK_SLOTS, RollbackIndices } from '../../../../src/lib/devices/rpmb/rollback.ts';
import { KEY, OTHER_KEY } from './harness.ts';

const SECRET = new TextEncoder().encode('platform secret of this ECU, 32b');
const GUESTS: GuestRpmbSpec[] = [
  { name: 'cluster', capacity: 1, maxWrites: 1000 },
  { name: 'ivi', capacity: 2, maxWrites: 5 },
];
const block = (b: number, n = 1) => new Uint8Array(256 * n).fill(b);

function platform(physStore = new MemoryRpmbStore({ capacity: 4, maxWrCnt: 8, maxRdCnt: 8 }), guests = GUESTS) {
  const phys = new RpmbEngine(physStore);
  const seen: Uint8Array[][] = [];
  const exchange = (req: readonly Uint8Array[], room: number) => {
    seen.push(req.map((f) => f.slice()));
    return phys.handle(req, room);
  };
  const p = RpmbPartitioner.open({ physical: exchange, physicalGeometry: physStore.geometry, platformSecret: SECRET, guests });
  return { physStore, phys, p, seen };
}

function guest(p: RpmbPartitioner, name: string, ring: RingType, key: Uint8Array) {
  const dev = new RpmbDevice({ store: p.store(name) });
  const lb = new Loopback(dev, { ring });
  const client = new RpmbClient(loopbackExchange(lb), { key });
  return { dev, lb, client };
}

describe.each(RING_TYPES)('RPMB partitions (%s ring)', (ring) => {
  it('[AVP-RPMB-33] gives each guest a device with its own capacity, key and counter', () => {
    const { p } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    const b = guest(p, 'ivi', ring, OTHER_KEY);
    expect([...a.dev.config.read(0, 3)]).toEqual([1, 8, 8]);
    expect([...b.dev.config.read(0, 3)]).toEqual([2, 8, 8]);
    expect(a.client.readCounter().result).toBe(F.VIRTIO_RPMB_RES_NO_AUTH_KEY);
    expect(a.client.programKey().result).toBe(0);
    expect(b.client.readCounter().result).toBe(F.VIRTIO_RPMB_RES_NO_AUTH_KEY); // A's key is not B's
    expect(b.client.programKey().result).toBe(0);
    expect(a.client.write(0, block(1)).counter).toBe(1);
    expect(a.client.write(0, block(2)).counter).toBe(2);
    expect(b.client.readCounter().counter).toBe(0);
  });

  it('[AVP-RPMB-34] keeps every guest address inside that guest\'s window', () => {
    const { p, physStore } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    const b = guest(p, 'ivi', ring, OTHER_KEY);
    a.client.programKey();
    b.client.programKey();
    expect(a.client.write(0, block(0xa1)).result).toBe(0);
    expect(b.client.write(0, block(0xb1)).result).toBe(0);
    expect(a.client.read(0, 1).data![0]).toBe(0xa1);
    expect(b.client.read(0, 1).data![0]).toBe(0xb1);
    // The cluster's window is one unit: block 512 is past its end, not the IVI's block 0.
    expect(a.client.write(512, block(0xee)).result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE);
    expect(a.client.read(512, 1).result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE);
    expect(b.client.read(0, 1).data![0]).toBe(0xb1);
    // Physically: cluster at unit 1, IVI at unit 2; unit 0 holds the platform's metadata.
    expect(physStore.read(512, 1)![0]).toBe(0xa1);
    expect(physStore.read(1024, 1)![0]).toBe(0xb1);
    expect(p.layout.map((l) => [l.name, l.metaBlock, l.base, l.blocks])).toEqual([['cluster', 0, 512, 512], ['ivi', 1, 1024, 1024]]);
  });

  it('[AVP-RPMB-35] refuses a guest\'s frames replayed onto another guest, and a guest\'s own replays', () => {
    const { p } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    const b = guest(p, 'ivi', ring, OTHER_KEY);
    a.client.programKey();
    b.client.programKey();
    a.client.write(0, block(0xa1));
    const recorded = a.client.lastWrite; // counter 0, cluster's key
    const onB = b.client.sendWrite(recorded, 0, 0);
    expect(onB.result).toBe(F.VIRTIO_RPMB_RES_AUTH_FAILURE);
    expect(b.dev.stats.forged).toBe(1);
    expect(b.client.read(0, 1).data![0]).toBe(0);
    a.client.write(0, block(0xa2));
    expect(a.client.sendWrite(recorded, 0, 0).result).toBe(F.VIRTIO_RPMB_RES_COUNT_FAILURE);
    expect(a.dev.stats.replayed).toBe(1);
    expect(a.client.read(0, 1).data![0]).toBe(0xa2);
  });

  it('[AVP-RPMB-37] lets a guest spend only its own share of the physical counter; the others keep writing', () => {
    const { p } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    const b = guest(p, 'ivi', ring, OTHER_KEY);
    a.client.programKey();
    b.client.programKey();
    for (let i = 0; i < 5; i++) expect(resultOk(b.client.write(0, block(i)).result)).toBe(true);
    const spent = b.client.write(0, block(9));
    expect(spent.result).toBe(F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED);
    expect(b.client.readCounter().counter).toBe(5);
    expect(b.dev.stats.expiredWrites).toBe(1);
    expect(b.client.read(0, 1).data![0]).toBe(4);
    // The cluster's counter is untouched and it goes on writing.
    expect(a.client.readCounter().counter).toBe(0);
    for (let i = 0; i < 20; i++) expect(a.client.write(1, block(i)).result).toBe(0);
    expect(a.client.readCounter().counter).toBe(20);
  });

  it('[AVP-RPMB-36] keeps each guest\'s key and counter on the physical part, under the platform key, across a platform restart', () => {
    const first = platform();
    const a = guest(first.p, 'cluster', ring, KEY);
    a.client.programKey();
    a.client.write(3, block(0x33));
    a.client.write(3, block(0x34));
    // Power cycle: a new partitioner and device over the same physical part.
    const second = platform(first.physStore);
    const a2 = guest(second.p, 'cluster', ring, KEY);
    expect(a2.client.readCounter().counter).toBe(2);
    expect(a2.client.read(3, 1).data![0]).toBe(0x34);
    expect(a2.client.programKey().result).toBe(F.VIRTIO_RPMB_RES_WRITE_FAILURE);
    // The physical part was only ever written with the platform's key: a guest key fails there.
    const physAsGuest = new RpmbClient(engineExchange(first.phys), { key: KEY });
    expect(physAsGuest.readCounter().verified).toBe(false);
    const before = first.physStore.counter();
    expect(physAsGuest.write(600, block(1)).verified).toBe(false); // no verified counter: nothing is written
    expect(physAsGuest.sendWrite(writeRequest(KEY, before, 600, block(1)), 600, before).result).toBe(F.VIRTIO_RPMB_RES_AUTH_FAILURE);
    expect(first.physStore.counter()).toBe(before);
  });

  it('[AVP-RPMB-40] stores a guest key on the physical part only wrapped', () => {
    const { p, physStore } = platform();
    guest(p, 'cluster', ring, KEY).client.programKey();
    const meta = F.toHex(physStore.read(0, 1)!);
    expect(meta).not.toContain(F.toHex(KEY.subarray(0, 8)));
    expect(meta.startsWith('41565052')).toBe(true); // "AVPR"
  });

  it('[AVP-RPMB-33] never forwards a guest frame to the physical part', () => {
    const { p, seen } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    a.client.programKey();
    a.client.write(0, block(0x5c));
    const guestFrames = new Set(a.client.lastWrite.filter((f) => F.decodeFrame(f).reqResp === F.VIRTIO_RPMB_REQ_DATA_WRITE).map(F.toHex));
    expect(guestFrames.size).toBe(1);
    for (const req of seen) for (const f of req) expect(guestFrames.has(F.toHex(f))).toBe(false);
    const a2 = guest(p, 'cluster', ring, KEY);
    expect(a2.client.sendWrite(writeRequest(KEY, 1, 0, block(1)), 0, 1).result).toBe(0);
  });
});

describe('RPMB partition layout', () => {
  it('[AVP-RPMB-38] refuses guests whose write shares add up to more than the physical counter has left', () => {
    const big = new MemoryRpmbStore({ capacity: 4, maxWrCnt: 8, maxRdCnt: 8, initialCounter: 0xffff_ff00 });
    expect(() => platform(big, [{ name: 'a', capacity: 1, maxWrites: 100 }, { name: 'b', capacity: 1, maxWrites: 100 }])).toThrow(/write budgets/);
    const ok = new MemoryRpmbStore({ capacity: 4, maxWrCnt: 8, maxRdCnt: 8, initialCounter: 0xffff_ff00 });
    expect(() => platform(ok, [{ name: 'a', capacity: 1, maxWrites: 60 }, { name: 'b', capacity: 1, maxWrites: 60 }])).not.toThrow();
  });

  it('refuses a layout that does not fit, or duplicate names', () => {
    expect(() => platform(undefined, [{ name: 'a', capacity: 2, maxWrites: 1 }, { name: 'b', capacity: 2, maxWrites: 1 }])).toThrow(/units/);
    expect(() => platform(undefined, [{ name: 'a', capacity: 1, maxWrites: 1 }, { name: 'a', capacity: 1, maxWrites: 1 }])).toThrow(/unique/);
  });
});

describe.each(RING_TYPES)('RPMB rollback indices (%s ring)', (ring) => {
  it('[AVP-RPMB-41] raises a rollback index and never lowers it, even through a replayed write', () => {
    const { p } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    a.client.programKey();
    const idx = new RollbackIndices(a.client, 0);
    expect(idx.read()).toEqual(Array(ROLLBACK_SLOTS).fill(0n));
    expect(idx.raise(2, 5n)).toBe('raised');
    const atFive = a.client.lastWrite;
    expect(idx.raise(2, 7n)).toBe('raised');
    expect(idx.raise(2, 6n)).toBe('refused-lower');
    expect(idx.raise(2, 7n)).toBe('unchanged');
    // An attacker replays the write that set 5: the counter has moved, so the device refuses it.
    expect(a.client.sendWrite(atFive, 0, 0).result).toBe(F.VIRTIO_RPMB_RES_COUNT_FAILURE);
    expect(idx.read()![2]).toBe(7n);
  });

  it('[AVP-RPMB-42] reads rollback indices only through a verified read', () => {
    const { p } = platform();
    const a = guest(p, 'cluster', ring, KEY);
    a.client.programKey();
    new RollbackIndices(a.client, 0).raise(0, 3n);
    const mitm = new RpmbClient((req, room) => {
      const out = loopbackExchange(a.lb)(req, room);
      if (out[0] && F.decodeFrame(out[0]).reqResp === F.VIRTIO_RPMB_RESP_DATA_READ) out[0][F.RPMB_DATA + 7] = 1; // index 3 shown as 1
      return out;
    }, { key: KEY });
    const idx = new RollbackIndices(mitm, 0);
    expect(idx.read()).toBeNull();
    expect(idx.raise(0, 4n)).toBe('failed');
  });
});
