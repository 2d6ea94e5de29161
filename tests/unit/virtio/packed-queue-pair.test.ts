// Driver and device sides on one ring: what one writes, the other reads.
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../../src/lib/virtio/chain.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import { PackedDeviceQueue, PackedDriverQueue, readEventSuppression, RING_EVENT_FLAGS_DESC } from '../../../src/lib/virtio/packed/index.ts';
import { packedLayout } from '../../support/packed-harness.ts';

function pair(size: number, features = 0n, dataSize = 4096) {
  const l = packedLayout(size, { dataSize, indirectSize: 16 * 64 });
  const drv = new PackedDriverQueue(l.mem, l.config, features, { indirectArea: l.indirectArea });
  const dev = new PackedDeviceQueue(l.mem, l.config, features);
  return { l, drv, dev };
}

function popChain(dev: PackedDeviceQueue): DescriptorChain {
  const r = dev.pop();
  if (r.kind !== 'chain') throw new Error(`expected a chain, got ${r.kind}${r.kind === 'error' ? ` ${r.error.code}` : ''}`);
  return r.chain;
}

describe('packed ring: driver and device together', () => {
  it('[AVP-VQ-3] §2.8.1 wraps a size-5 ring many times with lists of 1..3 elements, returned out of order', () => {
    const { l, drv, dev } = pair(5);
    const shapes = [1, 3, 2, 1, 2, 3, 1, 1];
    const held: DescriptorChain[] = [];
    const expected = new Map<number, number>();
    let served = 0;
    const returnHeld = () => {
      // The device completes the buffers it holds newest first.
      while (held.length > 0) {
        const c = held.pop()!;
        dev.push(c, c.buffers.at(-1)!.len);
      }
      for (let u = drv.pollUsed(); u; u = drv.pollUsed()) {
        expect(u.len).toBe(expected.get(u.id));
        expected.delete(u.id);
        served++;
      }
    };
    for (let round = 0; round < 60; round++) {
      const n = shapes[round % shapes.length];
      const bufs = Array.from({ length: n }, (_, i) => ({ addr: l.dataAddr + 8 * i + round, len: i + 1, writable: i === n - 1 }));
      if (drv.numFree() < n) returnHeld();
      const id = drv.add(bufs);
      expected.set(id, n);
      const c = popChain(dev);
      expect(c.id).toBe(id);
      expect(c.descCount).toBe(n);
      expect(c.buffers).toEqual(bufs);
      held.push(c);
      if (round % 4 === 3) returnHeld();
    }
    returnHeld();
    expect(served).toBe(60);
    expect(expected.size).toBe(0);
    expect(drv.numFree()).toBe(5);
    expect(dev.pop().kind).toBe('empty');
  });

  it('[AVP-VQ-3] queue size 1: every buffer flips both wrap counters', () => {
    const { l, drv, dev } = pair(1);
    for (let i = 0; i < 9; i++) {
      const id = drv.add([{ addr: l.dataAddr + i, len: 4, writable: true }]);
      expect(id).toBe(0);
      expect(() => drv.add([{ addr: l.dataAddr, len: 1, writable: false }])).toThrow();
      const c = popChain(dev);
      expect(c.buffers[0].addr).toBe(l.dataAddr + i);
      expect(dev.pop().kind).toBe('empty');
      dev.push(c, i % 5);
      expect(drv.pollUsed()).toEqual({ id: 0, len: i % 5 });
      expect(drv.pollUsed()).toBeNull();
    }
  });

  it('[AVP-VQ-3] queue size 32768: fills the whole ring, wraps, and names slot 32767 in a DESC event', () => {
    const size = 32768;
    const { l, drv, dev } = pair(size, featureSet(VIRTIO_F_EVENT_IDX));
    const ids = new Set<number>();
    for (let i = 0; i < size; i++) ids.add(drv.add([{ addr: l.dataAddr, len: 1, writable: false }]));
    expect(ids.size).toBe(size);
    expect(drv.numFree()).toBe(0);
    const chains: DescriptorChain[] = [];
    for (let r = dev.pop(); r.kind === 'chain'; r = dev.pop()) chains.push(r.chain);
    expect(chains).toHaveLength(size);
    for (const c of chains.slice(0, size - 1)) dev.push(c, 0);
    let got = 0;
    while (drv.pollUsed()) got++;
    expect(got).toBe(size - 1);
    // The driver now waits for slot 32767, the last of the first lap.
    drv.setInterruptsEnabled(true);
    expect(readEventSuppression(l.mem, l.config.driverAddr)).toEqual({ flags: RING_EVENT_FLAGS_DESC, offset: 32767, wrap: true });
    expect(dev.needsNotification()).toBe(false);
    dev.push(chains[size - 1], 0);
    expect(dev.needsNotification()).toBe(true);
    expect(drv.pollUsed()).not.toBeNull();
    // Second lap.
    const id = drv.add([{ addr: l.dataAddr + 1, len: 2, writable: true }]);
    const c = popChain(dev);
    expect(c).toEqual({ id, descCount: 1, buffers: [{ addr: l.dataAddr + 1, len: 2, writable: true }] });
    dev.push(c, 2);
    expect(drv.pollUsed()).toEqual({ id, len: 2 });
  });

  it('[AVP-VQ-5] §2.8.7 indirect buffers round-trip and mix with direct lists', () => {
    const { l, drv, dev } = pair(4, featureSet(VIRTIO_F_INDIRECT_DESC));
    for (let round = 0; round < 12; round++) {
      const n = 1 + (round % 4);
      const bufs = Array.from({ length: n }, (_, i) => ({ addr: l.dataAddr + i, len: 3, writable: i >= 1 }));
      const id = drv.add(bufs, { indirect: round % 2 === 0 });
      const c = popChain(dev);
      expect(c.id).toBe(id);
      expect(c.descCount).toBe(round % 2 === 0 ? 1 : n);
      expect(c.buffers).toEqual(bufs);
      dev.push(c, 0);
      expect(drv.pollUsed()).toEqual({ id, len: 0 });
    }
  });

  it('[AVP-VQ-8] [AVP-VQ-25] §2.8.8 VIRTIO_F_IN_ORDER: a batch comes back through one used descriptor, across the wrap', () => {
    const { l, drv, dev } = pair(6, featureSet(VIRTIO_F_IN_ORDER));
    for (let round = 0; round < 10; round++) {
      const ids = [drv.add([{ addr: l.dataAddr, len: 8, writable: true }]), drv.add([{ addr: l.dataAddr, len: 1, writable: false }, { addr: l.dataAddr, len: 8, writable: true }])];
      const cs = [popChain(dev), popChain(dev)];
      dev.pushBatch([
        { chain: cs[0], writtenLen: 8 },
        { chain: cs[1], writtenLen: round % 9 },
      ]);
      expect(drv.pollUsed()).toEqual({ id: ids[0], len: 8 });
      expect(drv.pollUsed()).toEqual({ id: ids[1], len: round % 9 });
      expect(drv.pollUsed()).toBeNull();
      expect(drv.numFree()).toBe(6);
    }
  });

  it('[AVP-VQ-24] §2.8.10 available buffer notifications: the device turns them off, then asks for its next slot', () => {
    const { l, drv, dev } = pair(4, featureSet(VIRTIO_F_EVENT_IDX));
    const b = [{ addr: l.dataAddr, len: 1, writable: false }];
    dev.setNotificationsEnabled(false);
    drv.add(b);
    expect(drv.kickNeeded()).toBe(false);
    dev.push(popChain(dev), 0);
    drv.pollUsed();
    dev.setNotificationsEnabled(true); // DESC at slot 1, lap 1
    expect(dev.pop().kind).toBe('empty'); // the re-check after enabling
    drv.add(b);
    expect(drv.kickNeeded()).toBe(true);
    drv.add(b);
    expect(drv.kickNeeded()).toBe(false); // slot 2 was not asked for
  });

  it('[AVP-VQ-6] [AVP-VQ-7] §2.8.10 used buffer notifications: the driver turns them off, then asks for its next used slot', () => {
    const { l, drv, dev } = pair(4, featureSet(VIRTIO_F_EVENT_IDX));
    const b = [{ addr: l.dataAddr, len: 1, writable: false }];
    drv.setInterruptsEnabled(false);
    drv.add(b);
    drv.add(b);
    const c0 = popChain(dev);
    const c1 = popChain(dev);
    dev.push(c0, 0);
    expect(dev.needsNotification()).toBe(false);
    expect(drv.pollUsed()?.id).toBe(c0.id);
    drv.setInterruptsEnabled(true); // DESC at slot 1
    expect(drv.pollUsed()).toBeNull();
    dev.push(c1, 0);
    expect(dev.needsNotification()).toBe(true);
  });

  it('[AVP-VQ-6] §2.8.10 without VIRTIO_F_EVENT_IDX enabling means ENABLE: every batch notifies', () => {
    const { l, drv, dev } = pair(4);
    const b = [{ addr: l.dataAddr, len: 1, writable: false }];
    dev.setNotificationsEnabled(true);
    drv.setInterruptsEnabled(true);
    for (let i = 0; i < 6; i++) {
      drv.add(b);
      expect(drv.kickNeeded()).toBe(true);
      dev.push(popChain(dev), 0);
      expect(dev.needsNotification()).toBe(true);
      expect(drv.pollUsed()).not.toBeNull();
    }
  });
});
