// Property: a PackedDriverQueue and a PackedDeviceQueue on one ring deliver every buffer to the
// device exactly once, with its elements, and return it to the driver exactly once with the
// length the device wrote; in the order it was added when VIRTIO_F_IN_ORDER is negotiated.
// Random queue sizes, list shapes, indirect use, completion orders and batches; small rings
// and long runs make the wrap counters flip many times.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../src/lib/virtio/chain.ts';
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../../src/lib/virtio/feature-bits.ts';
import type { DriverBuffer } from '../../src/lib/virtio/queue.ts';
import { PackedDeviceQueue, PackedDriverQueue } from '../../src/lib/virtio/packed/index.ts';
import { packedLayout } from '../support/packed-harness.ts';

const MAX_ELEMS = 5;
const DATA = 4096;

type Op =
  | { op: 'add'; elems: { off: number; len: number }[]; readable: number; indirect: boolean }
  | { op: 'pop'; count: number }
  | { op: 'complete'; count: number; pick: number; batch: boolean; full: boolean; part: number }
  | { op: 'poll'; count: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      elems: fc.array(fc.record({ off: fc.nat(DATA - 64), len: fc.integer({ min: 0, max: 64 }) }), { minLength: 1, maxLength: MAX_ELEMS }),
      readable: fc.nat(MAX_ELEMS),
      indirect: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pop' as const), count: fc.integer({ min: 1, max: 4 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('complete' as const),
      count: fc.integer({ min: 1, max: 4 }),
      pick: fc.nat(),
      batch: fc.boolean(),
      full: fc.boolean(),
      part: fc.nat(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('poll' as const), count: fc.integer({ min: 1, max: 6 }) }) },
);

interface Added {
  readonly seq: number;
  readonly id: number;
  readonly buffers: DriverBuffer[];
}

/** Runs the ops and a final drain; returns how many ring slots the driver filled. */
function run(size: number, features: bigint, ops: Op[]): number {
  const inOrder = (features & featureSet(VIRTIO_F_IN_ORDER)) !== 0n;
  const canIndirect = (features & featureSet(VIRTIO_F_INDIRECT_DESC)) !== 0n;
  const l = packedLayout(size, { dataSize: DATA, indirectSize: 16 * MAX_ELEMS * size * 2 });
  const drv = new PackedDriverQueue(l.mem, l.config, features, { indirectArea: l.indirectArea });
  const dev = new PackedDeviceQueue(l.mem, l.config, features);

  let seq = 0;
  const waitingForDevice: Added[] = []; // added, not yet popped (in ring order)
  const held: { added: Added; chain: DescriptorChain }[] = []; // popped, not yet pushed
  const expectLen = new Map<number, { added: Added; len: number }>(); // pushed, by buffer ID
  const outstandingIds = new Set<number>();
  const usedSeqs: number[] = [];
  let addedCount = 0;

  const pop = (): boolean => {
    const r = dev.pop();
    if (r.kind === 'error') throw new Error(`device error ${r.error.code}: ${r.error.message}`);
    if (r.kind === 'empty') {
      expect(waitingForDevice).toHaveLength(0);
      return false;
    }
    // §2.8.12: the device takes buffers in ring order, so this is the oldest one added.
    const added = waitingForDevice.shift();
    expect(added).toBeDefined();
    expect(r.chain.id).toBe(added!.id);
    expect(r.chain.buffers).toEqual(added!.buffers);
    held.push({ added: added!, chain: r.chain });
    return true;
  };

  const complete = (count: number, pick: number, batch: boolean, full: boolean, part: number): void => {
    const take: { added: Added; chain: DescriptorChain }[] = [];
    for (let i = 0; i < count && held.length > 0; i++) {
      // §2.8.8: in order means oldest first; otherwise any held buffer.
      const at = inOrder ? 0 : (pick + i * 7) % held.length;
      take.push(held.splice(at, 1)[0]);
    }
    const entries = take.map(({ added, chain }) => {
      const writable = chain.buffers.reduce((n, b) => n + (b.writable ? b.len : 0), 0);
      const writtenLen = full ? writable : writable === 0 ? 0 : part % (writable + 1);
      expect(expectLen.has(chain.id)).toBe(false);
      expectLen.set(chain.id, { added, len: writtenLen });
      return { chain, writtenLen };
    });
    if (batch) dev.pushBatch(entries);
    else for (const e of entries) dev.push(e.chain, e.writtenLen);
  };

  const poll = (): boolean => {
    const u = drv.pollUsed();
    if (!u) return false;
    const e = expectLen.get(u.id);
    expect(e, `used ID ${u.id} was never pushed`).toBeDefined();
    expect(u.len).toBe(e!.len);
    expectLen.delete(u.id);
    outstandingIds.delete(u.id);
    usedSeqs.push(e!.added.seq);
    return true;
  };

  let slotsFilled = 0;
  for (const op of ops) {
    if (op.op === 'add') {
      const elems = op.elems.slice(0, size);
      const buffers = elems.map((e, i) => ({ addr: l.dataAddr + e.off, len: e.len, writable: i >= op.readable }));
      let indirect = canIndirect && op.indirect;
      if (drv.numFree() < (indirect ? 1 : buffers.length)) continue;
      let id: number;
      try {
        id = drv.add(buffers, { indirect });
      } catch (e) {
        // IDs of results not yet collected stay reserved: the driver refuses and we move on.
        if (/no free buffer ID/.test(String(e))) {
          expect(expectLen.size).toBeGreaterThan(0);
          continue;
        }
        // Otherwise only a fragmented scratch area may refuse; fall back to a direct list if it fits.
        expect(String(e)).toMatch(/indirect table/);
        if (drv.numFree() < buffers.length) continue;
        id = drv.add(buffers);
        indirect = false;
      }
      slotsFilled += indirect ? 1 : buffers.length;
      expect(id).toBeLessThan(size);
      expect(outstandingIds.has(id)).toBe(false);
      outstandingIds.add(id);
      waitingForDevice.push({ seq: seq++, id, buffers });
      addedCount++;
    } else if (op.op === 'pop') {
      for (let i = 0; i < op.count && pop(); i++);
    } else if (op.op === 'complete') {
      complete(op.count, op.pick, op.batch, op.full, op.part);
    } else {
      for (let i = 0; i < op.count && poll(); i++);
    }
  }
  // Drain: the device takes and returns everything, the driver collects it.
  while (pop());
  while (held.length > 0) complete(held.length, 0, true, false, 3);
  while (poll());

  expect(dev.error).toBeNull();
  expect(expectLen.size).toBe(0);
  expect(outstandingIds.size).toBe(0);
  expect(usedSeqs).toHaveLength(addedCount);
  expect(new Set(usedSeqs).size).toBe(addedCount);
  if (inOrder) expect(usedSeqs).toEqual([...usedSeqs].sort((a, b) => a - b));
  expect(drv.numFree()).toBe(size);
  expect(dev.pop().kind).toBe('empty');
  expect(drv.pollUsed()).toBeNull();
  return slotsFilled;
}

const featuresArb = fc
  .record({ indirect: fc.boolean(), inOrder: fc.boolean(), eventIdx: fc.boolean() })
  .map(({ indirect, inOrder, eventIdx }) =>
    featureSet(...(indirect ? [VIRTIO_F_INDIRECT_DESC] : []), ...(inOrder ? [VIRTIO_F_IN_ORDER] : []), ...(eventIdx ? [VIRTIO_F_EVENT_IDX] : [])),
  );

describe('packed ring delivery (property)', () => {
  const ops = (min: number, max: number) => fc.array(opArb, { minLength: min, maxLength: max, size: 'max' });

  it('[AVP-VQ-3] [AVP-VQ-5] §2.8.6 §2.8.7 §2.8.22 every buffer reaches the device once with its elements and returns once with its written length', () => {
    let laps = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), featuresArb, ops(40, 250), (size, features, list) => {
        laps += run(size, features & ~featureSet(VIRTIO_F_IN_ORDER), list) / size;
      }),
      { numRuns: 150 },
    );
    // The runs are long enough to wrap the ring many times.
    expect(laps / 150).toBeGreaterThan(3);
  });

  it('[AVP-VQ-8] [AVP-VQ-25] §2.8.8 with VIRTIO_F_IN_ORDER buffers return in the order they were added, batches included', () => {
    let laps = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), featuresArb, ops(40, 250), (size, features, list) => {
        laps += run(size, features | featureSet(VIRTIO_F_IN_ORDER), list) / size;
      }),
      { numRuns: 150 },
    );
    expect(laps / 150).toBeGreaterThan(3);
  });

  it('[AVP-VQ-3] §2.8 larger rings (not powers of 2) behave the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 300 }), featuresArb, ops(50, 400), (size, features, list) => {
        run(size, features, list);
      }),
      { numRuns: 40 },
    );
  });
});
