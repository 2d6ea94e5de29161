// Indirect tables far into a large region (a guest with gigabytes in one region): the table
// walks read them through a view of their own, so that offsets into the region's view stay
// 32-bit integers. The region is 2 GiB and 4 MiB of zeroed memory the test never touches
// except where the rings and tables lie.
import { describe, expect, it } from 'vitest';
import { createDeviceQueue, createDriverQueue, ringAreas, type RingType } from '../../../src/lib/virtio/queue-factory.ts';
import { featureSet, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from '../../../src/lib/virtio/feature-bits.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';

const REGION = 2 ** 31 + 2 ** 22;

function walkThrough(ring: RingType, tableAt: number) {
  const features = featureSet(VIRTIO_F_INDIRECT_DESC, ...(ring === 'packed' ? [VIRTIO_F_RING_PACKED] : []));
  const mem = GuestMemory.create(REGION);
  const a = ringAreas(ring, 8);
  const config = { size: 8, descAddr: 0x1000, driverAddr: 0x1000 + a.desc.bytes, deviceAddr: 0x1000 + a.desc.bytes + 0x1000 };
  const driver = createDriverQueue(mem, config, features, { indirectArea: { addr: tableAt, size: 0x1000 } });
  const device = createDeviceQueue(mem, config, features);
  const bufs = [
    { addr: 0x8000, len: 16, writable: false },
    { addr: REGION - 0x100, len: 0x100, writable: true }, // the last bytes of the region
    { addr: 2 ** 31 + 0x10, len: 32, writable: true },
  ];
  driver.add(bufs, { indirect: true });
  const r = device.pop();
  if (r.kind !== 'chain') throw new Error(r.kind === 'error' ? r.error.message : r.kind);
  return { chain: r.chain, bufs };
}

describe('indirect tables far into a large region', () => {
  for (const ring of ['split', 'packed'] as const) {
    it(`${ring}: a table 2 GiB + 1 MiB into the region is read whole and right`, () => {
      const { chain, bufs } = walkThrough(ring, 2 ** 31 + 2 ** 20);
      expect(chain.descCount).toBe(1);
      expect(chain.buffers).toEqual(bufs);
    });
    it(`${ring}: a table just below the far limit is read through the region's view, just as right`, () => {
      const { chain, bufs } = walkThrough(ring, 2 ** 31 - 2 ** 21 - 0x1000);
      expect(chain.buffers).toEqual(bufs);
    });
  }
});
