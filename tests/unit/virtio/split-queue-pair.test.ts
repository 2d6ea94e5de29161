// Driver and device sides on one split ring: what one writes, the other reads.
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../../src/lib/virtio/chain.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import { readAvailIdx, readUsedEvent, readUsedIdx, SplitDeviceQueue, SplitDriverQueue } from '../../../src/lib/virtio/split/index.ts';
import { splitLayout } from '../../support/split-harness.ts';

function pair(size: number, features = 0n, dataSize = 4096) {
  const l = splitLayout(size, { dataSize, indirectSize: 16 * 64 });
  const drv = new SplitDriverQueue(l.mem, l.config, features, { indirectArea: l.indirectArea });
  const dev = new SplitDeviceQueue(l.mem, l.config, features);
  return { l, drv, dev };
}

function popChain(dev: SplitDeviceQueue): DescriptorChain {
  const r = dev.pop();
  if (r.kind !== 'chain') throw new Error(`expected a chain, got ${r.kind}${r.kind === 'error' ? ` ${r.error.code}` : ''}`);
  return r.chain;
}

describe('split ring: driver and device together', () => {
  it('[AVP-VQ-1] §2.7.13.3 both 16-bit indices wrap at 65536 with buffers in flight across the wrap, returned out of order', () => {
    const { l, drv, dev } = pair(8);
    const held: DescriptorChain[] = [];
    const expected = new Map<number, number>();
    let served = 0;
    const returnHeld = () => {
      // Newest first: the reverse of the order they were taken.
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
    const total = 65536 + 40;
    for (let round = 0; round < total; round++) {
      const n = 1 + (round % 3);
      if (drv.numFree() < n) returnHeld();
      const bufs = Array.from({ length: n }, (_, i) => ({ addr: l.dataAddr + i, len: i + 1, writable: i === n - 1 }));
      const id = drv.add(bufs);
      expected.set(id, n);
      const c = popChain(dev);
      expect(c.id).toBe(id);
      if (round % 4099 === 0 || round > 65530) expect(c.buffers).toEqual(bufs);
      held.push(c);
    }
    returnHeld();
    expect(served).toBe(total);
    expect(readAvailIdx(l.mem, l.config)).toBe(40);
    expect(readUsedIdx(l.mem, l.config)).toBe(40);
    expect(drv.numFree()).toBe(8);
    expect(dev.pop().kind).toBe('empty');
  });

  it('[AVP-VQ-1] queue size 1: one buffer at a time', () => {
    const { l, drv, dev } = pair(1);
    for (let i = 0; i < 9; i++) {
      expect(drv.add([{ addr: l.dataAddr + i, len: 4, writable: true }])).toBe(0);
      expect(() => drv.add([{ addr: l.dataAddr, len: 1, writable: false }])).toThrow();
      const c = popChain(dev);
      expect(c.buffers[0].addr).toBe(l.dataAddr + i);
      expect(dev.pop().kind).toBe('empty');
      dev.push(c, i % 5);
      expect(drv.pollUsed()).toEqual({ id: 0, len: i % 5 });
      expect(drv.pollUsed()).toBeNull();
    }
  });

  it('[AVP-VQ-1] queue size 32768: fills the whole table, and used_event names entry 32767', () => {
    const size = 32768;
    const { l, drv, dev } = pair(size, featureSet(VIRTIO_F_EVENT_IDX));
    const ids = new Set<number>();
    for (let i = 0; i < size; i++) ids.add(drv.add([{ addr: l.dataAddr, len: 1, writable: false }]));
    expect(ids.size).toBe(size);
    expect(drv.numFree()).toBe(0);
    const chains: DescriptorChain[] = [];
    for (let r = dev.pop(); r.kind === 'chain'; r = dev.pop()) chains.push(r.chain);
    expect(chains).toHaveLength(size);
    expect(dev.error).toBeNull();
    for (const c of chains.slice(0, size - 1)) dev.push(c, 0);
    let got = 0;
    while (drv.pollUsed()) got++;
    expect(got).toBe(size - 1);
    drv.setInterruptsEnabled(true);
    expect(readUsedEvent(l.mem, l.config)).toBe(32767);
    expect(dev.needsNotification()).toBe(false);
    dev.push(chains[size - 1], 0);
    expect(dev.needsNotification()).toBe(true);
    expect(drv.pollUsed()).not.toBeNull();
    const id = drv.add([{ addr: l.dataAddr + 1, len: 2, writable: true }]);
    const c = popChain(dev);
    expect(c).toEqual({ id, descCount: 1, buffers: [{ addr: l.dataAddr + 1, len: 2, writable: true }] });
  });

  it('[AVP-VQ-5] §2.7.5.3 indirect buffers round-trip and mix with direct chains', () => {
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

  it('[AVP-VQ-8] [AVP-VQ-25] §2.7.9 VIRTIO_F_IN_ORDER: a batch comes back through one used element, across the end of the table', () => {
    const { l, drv, dev } = pair(4, featureSet(VIRTIO_F_IN_ORDER));
    for (let round = 0; round < 10; round++) {
      const ids = [
        drv.add([{ addr: l.dataAddr, len: 8, writable: true }]),
        drv.add([
          { addr: l.dataAddr, len: 1, writable: false },
          { addr: l.dataAddr, len: 8, writable: true },
        ]),
      ];
      const cs = [popChain(dev), popChain(dev)];
      const usedBefore = readUsedIdx(l.mem, l.config);
      dev.pushBatch([
        { chain: cs[0], writtenLen: 8 },
        { chain: cs[1], writtenLen: round % 9 },
      ]);
      expect(readUsedIdx(l.mem, l.config)).toBe(usedBefore + 2);
      expect(drv.pollUsed()).toEqual({ id: ids[0], len: 8 });
      expect(drv.pollUsed()).toEqual({ id: ids[1], len: round % 9 });
      expect(drv.pollUsed()).toBeNull();
      expect(drv.numFree()).toBe(4);
    }
  });

  it('[AVP-VQ-24] available buffer notifications: the device turns them off, then asks for its next entry', () => {
    const { l, drv, dev } = pair(4, featureSet(VIRTIO_F_EVENT_IDX));
    const b = [{ addr: l.dataAddr, len: 1, writable: false }];
    dev.setNotificationsEnabled(false);
    drv.add(b);
    expect(drv.kickNeeded()).toBe(false);
    dev.push(popChain(dev), 0);
    drv.pollUsed();
    dev.setNotificationsEnabled(true); // avail_event 1
    expect(dev.pop().kind).toBe('empty'); // the re-check after enabling
    drv.add(b);
    expect(drv.kickNeeded()).toBe(true);
    drv.add(b);
    expect(drv.kickNeeded()).toBe(false); // entry 2 was not asked for
  });

  it('[AVP-VQ-6] [AVP-VQ-7] used buffer notifications: the driver turns them off, then asks for its next used entry', () => {
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
    drv.setInterruptsEnabled(true); // used_event 1
    expect(drv.pollUsed()).toBeNull();
    dev.push(c1, 0);
    expect(dev.needsNotification()).toBe(true);
  });

  it('[AVP-VQ-6] VIRTIO_F_EVENT_IDX across the wrap of the used index: the named entry still notifies', () => {
    const { l, drv, dev } = pair(2, featureSet(VIRTIO_F_EVENT_IDX));
    const b = [{ addr: l.dataAddr, len: 1, writable: false }];
    let notes = 0;
    drv.setInterruptsEnabled(false);
    for (let i = 0; i < 65534; i++) {
      drv.add(b);
      dev.push(popChain(dev), 0);
      if (dev.needsNotification()) notes++;
      drv.pollUsed();
    }
    expect(notes).toBe(0);
    // The driver now waits for entry 65535, then 0 of the next lap.
    drv.add(b);
    drv.add(b);
    const [c0, c1] = [popChain(dev), popChain(dev)];
    drv.setInterruptsEnabled(true);
    expect(readUsedEvent(l.mem, l.config)).toBe(65534);
    dev.push(c0, 0);
    expect(dev.needsNotification()).toBe(true);
    drv.pollUsed();
    drv.setInterruptsEnabled(true);
    expect(readUsedEvent(l.mem, l.config)).toBe(65535);
    dev.push(c1, 0);
    expect(dev.needsNotification()).toBe(true);
    expect(readUsedIdx(l.mem, l.config)).toBe(0);
  });

  it('[AVP-VQ-6] [AVP-VQ-24] VIRTIO_F_EVENT_IDX left on: each side keeps its event index at its own position, so no wake-up is lost', () => {
    const { l, drv, dev } = pair(4, featureSet(VIRTIO_F_EVENT_IDX));
    const b = [{ addr: l.dataAddr, len: 1, writable: false }];
    // Neither side ever calls the enable functions: notifications are on from the start.
    for (let i = 0; i < 20; i++) {
      drv.add(b);
      expect(drv.kickNeeded()).toBe(true); // the device had found the ring empty
      const c = popChain(dev);
      expect(dev.pop().kind).toBe('empty');
      dev.push(c, 0);
      expect(dev.needsNotification()).toBe(true); // the driver had found nothing used
      expect(drv.pollUsed()?.id).toBe(c.id);
      expect(drv.pollUsed()).toBeNull();
    }
    // Work the other side has not looked at yet is not notified twice.
    drv.add(b);
    drv.add(b);
    expect(drv.kickNeeded()).toBe(true);
    drv.add(b);
    expect(drv.kickNeeded()).toBe(false);
  });

  it('[AVP-VQ-6] without VIRTIO_F_EVENT_IDX enabling means flags 0: every batch notifies', () => {
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
