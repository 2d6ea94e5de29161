// Starting a device queue from a ring state and reading the state back: what stopping a queue
// and starting it again elsewhere needs (vhost-user's SET_VRING_BASE and GET_VRING_BASE), and
// what lets a conformance vector begin next to an index wrap.
import { describe, expect, it } from 'vitest';
import { createDeviceQueue, createDriverQueue } from '../../../src/lib/virtio/queue-factory.ts';
import { bit, VIRTIO_F_RING_PACKED } from '../../../src/lib/virtio/feature-bits.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { packedInFlight } from '../../../src/lib/virtio/ring-state.ts';

const split = { size: 8, descAddr: 0x1000, driverAddr: 0x2000, deviceAddr: 0x3000 };
const packed = { size: 8, descAddr: 0x1000, driverAddr: 0x2000, deviceAddr: 0x2010 };
const PACKED = bit(VIRTIO_F_RING_PACKED);

describe('split ring state', () => {
  it('[AVP-VQ-1] starts at the given indices, publishes its used idx, and reports the state after work', () => {
    const mem = GuestMemory.create(0x10000);
    const drv = createDriverQueue(mem, split, 0n, { start: { index: 0xfffe } });
    const dev = createDeviceQueue(mem, split, 0n, { start: { lastAvail: 0xfffe, usedIdx: 0xfffe } });
    expect(mem.readU16(0x3002)).toBe(0xfffe);
    for (let i = 0; i < 3; i++) drv.add([{ addr: 0x8000 + 0x100 * i, len: 8, writable: true }]);
    for (let i = 0; i < 3; i++) {
      const r = dev.pop();
      if (r.kind !== 'chain') throw new Error(r.kind);
      dev.push(r.chain, 1);
    }
    expect(dev.ringState()).toEqual({ lastAvail: 1, usedIdx: 1 });
    expect([drv.pollUsed(), drv.pollUsed(), drv.pollUsed(), drv.pollUsed()].map((u) => u?.id ?? null)).toEqual([0, 1, 2, null]);
  });

  it('refuses a state that is not two 16-bit indices at most a queue apart, and a packed state', () => {
    const mem = GuestMemory.create(0x10000);
    expect(() => createDeviceQueue(mem, split, 0n, { start: { lastAvail: 0x10000, usedIdx: 0 } })).toThrow(/must be 16-bit indices/);
    expect(() => createDeviceQueue(mem, split, 0n, { start: { lastAvail: 9, usedIdx: 0 } })).toThrow(/more than the queue size 8 ahead/);
    expect(() => createDeviceQueue(mem, split, 0n, { start: { nextAvail: 0, availWrap: true, nextUsed: 0, usedWrap: true } })).toThrow(/split ring state/);
  });
});

describe('packed ring state', () => {
  it('[AVP-VQ-3] starts at the given positions and wrap counters and reports them after a lap', () => {
    const mem = GuestMemory.create(0x10000);
    const drv = createDriverQueue(mem, packed, PACKED, { start: { slot: 6, wrap: false } });
    const dev = createDeviceQueue(mem, packed, PACKED, { start: { nextAvail: 6, availWrap: false, nextUsed: 6, usedWrap: false } });
    // On a later lap the slots must not look used to the driver before anything happened.
    expect(drv.pollUsed()).toBeNull();
    for (let i = 0; i < 3; i++) drv.add([{ addr: 0x8000 + 0x100 * i, len: 8, writable: true }]);
    for (let i = 0; i < 3; i++) {
      const r = dev.pop();
      if (r.kind !== 'chain') throw new Error(r.kind);
      dev.push(r.chain, 2);
    }
    expect(dev.ringState()).toEqual({ nextAvail: 1, availWrap: true, nextUsed: 1, usedWrap: true });
    expect([drv.pollUsed(), drv.pollUsed(), drv.pollUsed(), drv.pollUsed()].map((u) => u?.len ?? null)).toEqual([2, 2, 2, null]);
  });

  it('counts the slots between the positions as in flight, and refuses more than a lap or a slot outside the ring', () => {
    expect(packedInFlight({ nextAvail: 1, availWrap: false, nextUsed: 6, usedWrap: true }, 8)).toBe(3);
    const mem = GuestMemory.create(0x10000);
    expect(() => createDeviceQueue(mem, packed, PACKED, { start: { nextAvail: 8, availWrap: true, nextUsed: 0, usedWrap: true } })).toThrow(/nextAvail 8 is not a slot/);
    expect(() => createDeviceQueue(mem, packed, PACKED, { start: { nextAvail: 2, availWrap: true, nextUsed: 1, usedWrap: false } })).toThrow(/more than a lap/);
    expect(() => createDeviceQueue(mem, packed, PACKED, { start: { lastAvail: 0, usedIdx: 0 } })).toThrow(/packed ring state/);
  });
});
