// Property: driver and device queues made by createDriverQueue / createDeviceQueue, for either
// ring layout, deliver every buffer once and return it once; and notification suppression
// never loses a notification the other side asked for, nor sends one it turned off. Also, over
// the Loopback transport, a driver error puts the device into DEVICE_NEEDS_RESET on both rings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../src/lib/virtio/chain.ts';
import { COMMON_FEATURES, VirtioDevice } from '../../src/lib/virtio/device.ts';
import {
  bit,
  featureSet,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
} from '../../src/lib/virtio/feature-bits.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { GuestMemory } from '../../src/lib/virtio/memory.ts';
import { createDeviceQueue, createDriverQueue, ringAreas, type RingType } from '../../src/lib/virtio/queue-factory.ts';
import type { QueueConfig } from '../../src/lib/virtio/queue.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';

const RINGS: readonly RingType[] = ['split', 'packed'];
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Lays out a queue of either ring type with ringAreas(), plus scratch for tables and data. */
function layOut(ring: RingType, size: number) {
  const a = ringAreas(ring, size);
  const descAddr = 0x100;
  const driverAddr = align(descAddr + a.desc.bytes, a.driver.align);
  const deviceAddr = align(driverAddr + a.driver.bytes, a.device.align);
  const indirect = { addr: align(deviceAddr + a.device.bytes, 16), size: 16 * 4 * size * 2 };
  const dataAddr = indirect.addr + indirect.size;
  const mem = GuestMemory.create(dataAddr + 4096);
  const config: QueueConfig = { size, descAddr, driverAddr, deviceAddr };
  return { mem, config, indirect, dataAddr };
}

type Op =
  | { op: 'add'; n: number; writableFrom: number; indirect: boolean }
  | { op: 'pop' }
  | { op: 'push'; pick: number; part: number }
  | { op: 'poll' }
  | { op: 'decide' }
  | { op: 'interrupts'; on: boolean }
  | { op: 'notifications'; on: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('add' as const), n: fc.integer({ min: 1, max: 4 }), writableFrom: fc.nat(4), indirect: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pop' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('push' as const), pick: fc.nat(), part: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('poll' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('decide' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('interrupts' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('notifications' as const), on: fc.boolean() }) },
);

function run(ring: RingType, size: number, features: bigint, ops: Op[]): void {
  const f = ring === 'packed' ? features | bit(VIRTIO_F_RING_PACKED) : features;
  const inOrder = (features & bit(VIRTIO_F_IN_ORDER)) !== 0n;
  const { mem, config, indirect, dataAddr } = layOut(ring, size);
  const drv = createDriverQueue(mem, config, f, { indirectArea: indirect });
  const dev = createDeviceQueue(mem, config, f);
  const canIndirect = (features & bit(VIRTIO_F_INDIRECT_DESC)) !== 0n;

  const held: DescriptorChain[] = [];
  const pushedLen = new Map<number, number>();
  let outstanding = 0;
  // Notification bookkeeping. "armed": the side asked to be told and then found nothing new,
  // so it will sleep until notified: the next decision after progress must notify.
  let driverArmed = false;
  let driverOff = false;
  let pushedSinceDecision = 0;
  let deviceArmed = false;
  let deviceOff = false;

  const poll = (): boolean => {
    const u = drv.pollUsed();
    if (!u) return false;
    expect(pushedLen.get(u.id)).toBe(u.len);
    pushedLen.delete(u.id);
    outstanding--;
    return true;
  };

  for (const op of ops) {
    if (op.op === 'add') {
      const n = Math.min(op.n, size);
      const bufs = Array.from({ length: n }, (_, i) => ({ addr: dataAddr + 8 * i, len: 8, writable: i >= op.writableFrom }));
      const ind = canIndirect && op.indirect;
      if (drv.numFree() < (ind ? 1 : n)) continue;
      try {
        drv.add(bufs, { indirect: ind });
      } catch (e) {
        // A packed driver keeps the ID of a result it has not handed out; the scratch area may be full.
        expect(String(e)).toMatch(/no free buffer ID|indirect table/);
        continue;
      }
      outstanding++;
      const kick = drv.kickNeeded();
      // [AVP-VQ-24]: a device that asked for the next buffer and found none must hear of this one.
      if (deviceArmed) expect(kick, 'kick to an armed device').toBe(true);
      // [AVP-VQ-7]: a device that turned notifications off is not notified.
      if (deviceOff) expect(kick, 'kick to a device that said no').toBe(false);
      deviceArmed = false;
    } else if (op.op === 'pop') {
      const r = dev.pop();
      expect(r.kind).not.toBe('error');
      if (r.kind === 'chain') held.push(r.chain);
    } else if (op.op === 'push') {
      if (held.length === 0) continue;
      const c = held.splice(inOrder ? 0 : op.pick % held.length, 1)[0];
      const writable = c.buffers.reduce((s, b) => s + (b.writable ? b.len : 0), 0);
      const len = writable === 0 ? 0 : op.part % (writable + 1);
      dev.push(c, len);
      pushedLen.set(c.id, len);
      pushedSinceDecision++;
    } else if (op.op === 'poll') {
      // A driver that finds work is awake: it no longer waits for a notification.
      if (poll()) driverArmed = false;
      while (poll());
    } else if (op.op === 'decide') {
      const notify = dev.needsNotification();
      if (pushedSinceDecision > 0 && driverArmed) expect(notify, 'notify an armed driver').toBe(true);
      if (driverOff) expect(notify, 'notify a driver that said no').toBe(false);
      if (pushedSinceDecision > 0) driverArmed = false;
      pushedSinceDecision = 0;
    } else if (op.op === 'interrupts') {
      drv.setInterruptsEnabled(op.on);
      driverOff = !op.on;
      driverArmed = false;
      // Arming: enable, then look once more (§2.7.14, §2.8.22); only an empty look means sleep.
      if (op.on) {
        if (pushedSinceDecision > 0) dev.needsNotification(); // earlier progress is not what is being waited for
        pushedSinceDecision = 0;
        driverArmed = !poll();
        while (poll());
      }
    } else {
      dev.setNotificationsEnabled(op.on);
      deviceOff = !op.on;
      deviceArmed = false;
      if (op.on) {
        drv.kickNeeded(); // settles progress made before arming
        const r = dev.pop();
        expect(r.kind).not.toBe('error');
        if (r.kind === 'chain') held.push(r.chain);
        deviceArmed = r.kind === 'empty';
      }
    }
  }
  // Drain.
  for (let r = dev.pop(); r.kind === 'chain'; r = dev.pop()) held.push(r.chain);
  while (held.length > 0) {
    const c = held.shift()!;
    dev.push(c, 0);
    pushedLen.set(c.id, 0);
  }
  while (poll());
  expect(dev.error).toBeNull();
  expect(outstanding).toBe(0);
  expect(pushedLen.size).toBe(0);
  expect(drv.numFree()).toBe(size);
}

const featuresArb = fc
  .record({ indirect: fc.boolean(), inOrder: fc.boolean(), eventIdx: fc.boolean() })
  .map(({ indirect, inOrder, eventIdx }) =>
    featureSet(...(indirect ? [VIRTIO_F_INDIRECT_DESC] : []), ...(inOrder ? [VIRTIO_F_IN_ORDER] : []), ...(eventIdx ? [VIRTIO_F_EVENT_IDX] : [])),
  );

const sizeArb = (ring: RingType) => (ring === 'split' ? fc.constantFrom(1, 2, 4, 8, 16, 64) : fc.integer({ min: 1, max: 64 }));

describe.each(RINGS)('%s ring through the queue factory (property)', (ring) => {
  it(`[${ring === 'split' ? 'AVP-VQ-1' : 'AVP-VQ-3'}] every buffer is delivered and returned once, with the written length`, () => {
    fc.assert(
      fc.property(sizeArb(ring), featuresArb, fc.array(opArb, { minLength: 20, maxLength: 200 }), (size, features, ops) => {
        run(ring, size, features, ops);
      }),
      { numRuns: 150 },
    );
  });

  it('[AVP-VQ-6] [AVP-VQ-7] [AVP-VQ-24] a side that asked to be notified and found nothing is notified of the next progress; a side that said no is not', () => {
    fc.assert(
      fc.property(sizeArb(ring), featuresArb, fc.array(opArb, { minLength: 20, maxLength: 200 }), (size, features, ops) => {
        const arming = ops.flatMap((o, i) => (i % 9 === 0 ? [{ op: 'interrupts' as const, on: true }, { op: 'notifications' as const, on: true }, o] : [o]));
        run(ring, size, features | bit(VIRTIO_F_EVENT_IDX), arming);
        run(ring, size, features & ~bit(VIRTIO_F_EVENT_IDX), arming);
      }),
      { numRuns: 100 },
    );
  });
});

describe('ring features every device model offers', () => {
  it('[AVP-VQ-2] [AVP-VQ-4] [AVP-VQ-23] VIRTIO_F_RING_PACKED, VIRTIO_F_INDIRECT_DESC and VIRTIO_F_EVENT_IDX are in the features common to all models', () => {
    for (const b of [VIRTIO_F_RING_PACKED, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX]) expect(COMMON_FEATURES & bit(b)).toBe(bit(b));
    expect(new NullDevice().offeredFeatures() & COMMON_FEATURES).toBe(COMMON_FEATURES);
  });
});

/** The smallest device: one queue whose buffers it returns untouched. */
class NullDevice extends VirtioDevice {
  readonly deviceId = 0x7f;
  readonly name = 'null';
  constructor() {
    super(0);
  }
  protected deviceFeatures(): bigint {
    return 0n;
  }
  queueCount(): number {
    return 1;
  }
  queueNotify(index: number): void {
    this.drain(index, () => 0);
  }
}

describe.each(RINGS)('%s ring: a driver error stops the device (§2.1.2)', (ring) => {
  it('[AVP-VQ-10] [AVP-VQ-13] [AVP-VQ-26] a buffer outside guest memory sets DEVICE_NEEDS_RESET and the queue serves nothing more', () => {
    const memSize = 1 << 16;
    const lb = new Loopback(new NullDevice(), { ring, queueSize: 8, memSize });
    expect(lb.request(0, [new Uint8Array(4)], []).len).toBe(0);
    expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
    lb.queues[0].add([{ addr: memSize + 64, len: 16, writable: true }]);
    lb.kick(0);
    expect(lb.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    expect(lb.error?.code).toBe('ADDR_OUT_OF_RANGE');
    // A good request after the bad one is not served.
    lb.submit(0, [new Uint8Array(4)], []);
    expect(lb.poll(0)).toEqual([]);
  });
});
