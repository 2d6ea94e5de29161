// A device behind an IOMMU (VIRTIO_F_ACCESS_PLATFORM, §2.6, §5.13): it reaches exactly what is
// mapped for its endpoint, as mapped, and an access outside is a fault reported to the IOMMU, not
// a read of whatever lies there.
import { describe, expect, it } from 'vitest';
import { block, bit, GuestMemory, Loopback, net, TranslatedMemory, VIRTIO_F_ACCESS_PLATFORM } from '../../../src/lib/index.ts';
import { identity, TestIommu } from '../../support/test-iommu.ts';

const MEM = 1 << 20;
const SECTOR = 512;

function disk() {
  const backend = new block.MemoryBlockBackend({ sectors: 64 });
  backend.write(3, new Uint8Array(SECTOR).fill(0x5a));
  return new block.BlockDevice(backend);
}

/** A loopback block device as endpoint 7, with all the driver's memory but `hole` mapped. */
function behindIommu(ring: 'split' | 'packed', hole?: [number, number], readOnly?: [number, number]) {
  const memory = GuestMemory.create(MEM);
  const iommu = new TestIommu();
  const ranges: [number, number, { write?: boolean }?][] = [];
  // Map [0x1000, MEM) around the hole and the read-only range.
  const cuts = [hole, readOnly].filter((c): c is [number, number] => c !== undefined).sort((a, b) => a[0] - b[0]);
  let at = 0x1000;
  for (const [a, n] of cuts) {
    if (a > at) ranges.push([at, a - at]);
    if (readOnly && a === readOnly[0]) ranges.push([a, n, { write: false }]);
    at = a + n;
  }
  ranges.push([at, MEM - at]);
  iommu.set(7, identity(...ranges));
  const lb = new Loopback(disk(), { ring, memory, iommu: { translation: iommu, endpoint: 7 } });
  return { lb, iommu, memory };
}

/** A block IN request for sector 3 laid out by hand: header at h, data at d, status at s. */
function readSector(lb: Loopback, h: number, d: number, s: number) {
  lb.mem.write(h, block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_IN, sector: 3 }));
  lb.mem.write(s, new Uint8Array([0xee]));
  const q = lb.queues[0];
  q.add([{ addr: h, len: 16, writable: false }, { addr: d, len: SECTOR, writable: true }, { addr: s, len: 1, writable: true }]);
  lb.device.queueNotify(0);
  return q.pollUsed();
}

for (const ring of ['split', 'packed'] as const) {
  describe(`a block device behind an IOMMU, ${ring} ring (§2.6, §5.13)`, () => {
    it('negotiates VIRTIO_F_ACCESS_PLATFORM and reaches the buffers mapped for it', () => {
      const { lb, iommu } = behindIommu(ring);
      expect(lb.features & bit(VIRTIO_F_ACCESS_PLATFORM)).not.toBe(0n);
      const [h, d, s] = [lb.alloc(16), lb.alloc(SECTOR), lb.alloc(16)];
      const used = readSector(lb, h, d, s);
      expect(used?.len).toBe(SECTOR + 1);
      expect(lb.mem.read(d, SECTOR).every((b) => b === 0x5a)).toBe(true);
      expect(lb.mem.read(s, 1)[0]).toBe(block.VIRTIO_BLK_S_OK);
      expect(iommu.faults).toEqual([]);
      expect(lb.error).toBeNull();
    });

    it('faults on a buffer outside its mappings: the fault is reported, nothing is read or written there', () => {
      const hole = 0x8_0000;
      const { lb, iommu, memory } = behindIommu(ring, [hole, 0x1000]);
      memory.write(hole, new Uint8Array(SECTOR).fill(0x11));
      const [h, s] = [lb.alloc(16), lb.alloc(16)];
      expect(readSector(lb, h, hole, s)).toBeNull();
      expect(iommu.faults).toEqual([{ endpoint: 7, address: BigInt(hole), len: SECTOR, write: true, reason: 'unmapped' }]);
      expect(lb.error?.code).toBe('IOMMU_FAULT');
      expect(memory.read(hole, SECTOR).every((b) => b === 0x11)).toBe(true);
      expect(lb.mem.read(s, 1)[0]).toBe(0xee);
    });

    it('faults on a write into a read-only mapping (a permission fault)', () => {
      const ro = 0x9_0000;
      const { lb, iommu } = behindIommu(ring, undefined, [ro, 0x1000]);
      const [h, s] = [lb.alloc(16), lb.alloc(16)];
      expect(readSector(lb, h, ro, s)).toBeNull();
      expect(iommu.faults).toEqual([{ endpoint: 7, address: BigInt(ro), len: SECTOR, write: true, reason: 'permission' }]);
      expect(lb.error?.code).toBe('IOMMU_FAULT');
    });

    it('stops using its rings once they are unmapped, with a reported fault', () => {
      const { lb, iommu } = behindIommu(ring);
      const [h, d, s] = [lb.alloc(16), lb.alloc(SECTOR), lb.alloc(16)];
      expect(readSector(lb, h, d, s)?.len).toBe(SECTOR + 1);
      iommu.set(7, []); // the driver unmapped everything, rings included
      lb.mem.write(s, new Uint8Array([0xee]));
      expect(readSector(lb, h, d, s)).toBeNull();
      expect(lb.error?.code).toBe('IOMMU_FAULT');
      expect(iommu.faults.length).toBe(1);
      expect(iommu.faults[0].reason).toBe('unmapped');
      expect(lb.mem.read(s, 1)[0]).toBe(0xee);
    });
  });
}

describe('TranslatedMemory', () => {
  it('shows each mapping at its IOVA over the guest-physical bytes, with its permissions', () => {
    const phys = GuestMemory.create(0x4000);
    phys.write(0x2000, new Uint8Array([1, 2, 3, 4]));
    const iommu = new TestIommu();
    iommu.set(1, [{ iova: 0x10_0000, size: 0x1000, gpa: 0x2000, read: true, write: false }]);
    const dev = new TranslatedMemory(phys, iommu, 1);
    expect([...dev.read(0x10_0000, 4)]).toEqual([1, 2, 3, 4]);
    expect(() => dev.write(0x10_0000, new Uint8Array([9]))).toThrow(/IOMMU_FAULT: .* without write permission for endpoint 1/);
    expect(() => dev.read(0x2000, 4)).toThrow(/IOMMU_FAULT: .* is not mapped/);
    expect(iommu.faults.map((f) => f.reason)).toEqual(['permission', 'unmapped']);
    // A range wrapping past 2^64 is the driver's ADDR_OVERFLOW, not a DMA fault.
    expect(() => dev.read((1n << 64n) - 2n, 4)).toThrow(/ADDR_OVERFLOW/);
    expect(iommu.faults).toHaveLength(2);
  });

  it('follows the mappings as they change, and counts the changes', () => {
    const phys = GuestMemory.create(0x4000);
    const iommu = new TestIommu();
    const dev = new TranslatedMemory(phys, iommu, 2);
    expect(dev.contains(0x1000, 4)).toBe(false);
    iommu.set(2, identity([0x1000, 0x1000]));
    expect(dev.generation).toBe(1);
    expect(dev.contains(0x1000, 4)).toBe(true);
    iommu.set(2, 'bypass');
    expect(dev.contains(0x3ffc, 4)).toBe(true);
    expect(dev.generation).toBe(2);
  });

  it('a driver that declines VIRTIO_F_ACCESS_PLATFORM gives the device guest-physical addresses', () => {
    const iommu = new TestIommu(); // nothing mapped at all
    const lb = new Loopback(disk(), { iommu: { translation: iommu, endpoint: 3 }, features: ~bit(VIRTIO_F_ACCESS_PLATFORM) & ((1n << 64n) - 1n) });
    expect(lb.features & bit(VIRTIO_F_ACCESS_PLATFORM)).toBe(0n);
    const [h, d, s] = [lb.alloc(16), lb.alloc(SECTOR), lb.alloc(16)];
    expect(readSector(lb, h, d, s)?.len).toBe(SECTOR + 1);
    expect(iommu.faults).toEqual([]);
  });
});

describe('a network device behind an IOMMU', () => {
  it('[AVP-VQ-9] reports IOMMU_FAULT, without throwing, when a receive buffer it holds is unmapped before a frame arrives', () => {
    const memory = GuestMemory.create(MEM);
    const iommu = new TestIommu();
    iommu.set(5, identity([0x1000, MEM - 0x1000]));
    const dev = new net.NetDevice({ mac: '52:54:00:00:00:05', mtu: 1500 });
    const lb = new Loopback(dev, { memory, iommu: { translation: iommu, endpoint: 5 } });
    const drv = new net.NetDriver(lb);
    const mark = lb.alloc(16); // everything the rings took lies below this; the receive buffer above
    drv.postRx(1, drv.hdrSize + 100);
    const frame = (n: number) => net.buildFrame({ dst: drv.mac, src: new Uint8Array([2, 0, 0, 0, 0, 1]), ethertype: 0x88b5, payload: new Uint8Array(n) });
    // Too big for the buffer (with VIRTIO_NET_F_MRG_RXBUF, for the buffers there are): refused
    // whole, and the device keeps the buffer it took for the next frame.
    expect(dev.receive(frame(1000))).toBe('no-buffers');
    // The driver unmaps the buffer (the rings stay mapped); a frame that fits then arrives.
    iommu.set(5, identity([0x1000, mark - 0x1000]));
    expect(() => dev.receive(frame(40))).not.toThrow();
    expect(lb.error?.code).toBe('IOMMU_FAULT');
    expect(iommu.faults).toEqual([expect.objectContaining({ endpoint: 5, write: true, reason: 'unmapped' })]);
  });
});
