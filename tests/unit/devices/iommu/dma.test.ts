// Devices behind the virtio-iommu (VIRTIO 1.4 §5.13 with VIRTIO_F_ACCESS_PLATFORM, §2.6): a
// block device and a network device, each the guest's endpoint, whose driver maps exactly the
// rings and buffers it gives them through the IOMMU's request queue. They reach exactly that;
// an unmapped or read-only access fails at the device with IOMMU_FAULT and reaches the guest as
// a fault report on the IOMMU's event queue.
//
// Every Loopback allocates its rings from 0x1000 of its own memory, so two Loopbacks cannot
// share one guest memory: the IOMMU's own queues therefore live in memory of their own, and the
// device behind it uses the guest memory the IOMMU maps. A second bus master in the same guest
// is a passed-through controller that reads and writes through TranslatedMemory directly.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as block from '../../../../src/lib/devices/block/index.ts';
import * as net from '../../../../src/lib/devices/net/index.ts';
import { bit, VIRTIO_F_ACCESS_PLATFORM } from '../../../../src/lib/virtio/feature-bits.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import type { VirtioDevice } from '../../../../src/lib/virtio/device.ts';
import { GuestDma, loopbackRingWindow } from '../../../../src/lib/devices/iommu/driver.ts';
import * as P from '../../../../src/lib/devices/iommu/protocol.ts';
import { dmaRead, MSI, needsReset, PAGE, rig, type Rig } from './harness.ts';

const SECTOR = 512;
const MAPPING = P.VIRTIO_IOMMU_FAULT_R_MAPPING;
const R = P.VIRTIO_IOMMU_FAULT_F_READ | P.VIRTIO_IOMMU_FAULT_F_ADDRESS;
const W = P.VIRTIO_IOMMU_FAULT_F_WRITE | P.VIRTIO_IOMMU_FAULT_F_ADDRESS;
// Buffers on pages of their own, far above the Loopback's rings.
const HDR = 0x8_0000;
const DATA = 0x8_1000;
const STATUS = 0x8_2000;

/**
 * The guest's side, in the order a kernel follows: PROBE the endpoint, ATTACH it to a domain of
 * its own, map the pages of the rings, then set the device up behind the IOMMU.
 */
function behindIommu<D extends VirtioDevice>(ring: RingType, device: D, endpoint: number, domain: number, r: Rig = rig(ring)) {
  r.drv.postEventBuffers(16);
  const probe = r.drv.probe(endpoint);
  expect(probe.status).toBe(P.VIRTIO_IOMMU_S_OK);
  expect(r.drv.attach(domain, endpoint)).toBe(P.VIRTIO_IOMMU_S_OK);
  const dma = new GuestDma(r.drv, domain, probe.regions);
  const window = loopbackRingWindow(device, { ring });
  expect(dma.map(window.addr, window.size, 'read-write')).toBe(P.VIRTIO_IOMMU_S_OK);
  const lb = new Loopback(device, { ring, memory: r.memory, iommu: { translation: r.dev, endpoint } });
  return { ...r, device, lb, dma, window };
}

function disk() {
  const backend = new block.MemoryBlockBackend({ sectors: 64 });
  backend.write(3, new Uint8Array(SECTOR).fill(0x5a));
  return { backend, dev: new block.BlockDevice(backend) };
}

/** A block request laid out on the three pages, its device-writable parts pre-filled with 0xee. */
function blkRequest(lb: Loopback, type: number, sector: number) {
  lb.mem.write(HDR, block.encodeBlkHeader({ type, sector }));
  lb.mem.write(STATUS, Uint8Array.of(0xee));
  const write = type === block.VIRTIO_BLK_T_IN;
  lb.queues[0].add([{ addr: HDR, len: 16, writable: false }, { addr: DATA, len: SECTOR, writable: write }, { addr: STATUS, len: 1, writable: true }]);
  lb.device.queueNotify(0);
  return lb.queues[0].pollUsed();
}

describe.each(RING_TYPES)('a block device behind the virtio-iommu (%s ring)', (ring) => {
  it('[AVP-IOMMU-74] [AVP-IOMMU-15] reaches exactly the rings and buffers its driver mapped, and reads and writes through them', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    expect(g.lb.features & bit(VIRTIO_F_ACCESS_PLATFORM)).not.toBe(0n);
    expect(g.lb.error).toBeNull();
    expect(g.lb.alloc(16)).toBe(g.window.addr + g.window.size); // the rings lie exactly in the mapped window
    g.dma.map(HDR, 16, 'read');
    g.dma.map(DATA, SECTOR, 'write');
    g.dma.map(STATUS, 1, 'write');
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)?.len).toBe(SECTOR + 1);
    expect(g.memory.read(DATA, SECTOR).every((b) => b === 0x5a)).toBe(true);
    expect(g.memory.read(STATUS, 1)[0]).toBe(block.VIRTIO_BLK_S_OK);
    // A write request: the data page is for the device to read now.
    g.dma.unmap(DATA, SECTOR);
    g.dma.map(DATA, SECTOR, 'read');
    g.memory.write(DATA, new Uint8Array(SECTOR).fill(0x77));
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_OUT, 9)?.len).toBe(1);
    const back = new Uint8Array(SECTOR);
    d.backend.read(9, back);
    expect(back.every((b) => b === 0x77)).toBe(true);
    expect(g.drv.faults()).toEqual([]);
    expect(g.dev.spaces.mappingsOf(1).map((m) => [m.start, m.end - m.start + 1])).toEqual([
      [0x1000, Math.ceil((0x1000 + g.window.size) / PAGE) * PAGE - 0x1000],
      [HDR, PAGE],
      [DATA, PAGE],
      [STATUS, PAGE],
    ]);
  });

  it('[AVP-IOMMU-72] [AVP-IOMMU-64] [AVP-IOMMU-76] faults on a data buffer its driver unmapped: the device touches nothing there, and the guest reads the fault on the event queue', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    g.dma.map(HDR, 16, 'read');
    g.dma.map(STATUS, 1, 'write');
    g.memory.write(DATA, new Uint8Array(SECTOR).fill(0x11));
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)).toBeNull();
    expect(g.lb.error?.code).toBe('IOMMU_FAULT');
    expect(needsReset(g.lb)).toBe(true);
    expect(g.memory.read(DATA, SECTOR).every((b) => b === 0x11)).toBe(true);
    expect(g.memory.read(STATUS, 1)[0]).toBe(0xee);
    expect(g.drv.faults()).toEqual([{ reason: MAPPING, flags: W, endpoint: 1, address: BigInt(DATA) }]);
  });

  it('[AVP-IOMMU-72] [AVP-IOMMU-16] [AVP-IOMMU-17] faults on a read into a read-only page and on a write from a write-only page', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    g.dma.map(HDR, 16, 'read');
    g.dma.map(STATUS, 1, 'write');
    g.dma.map(DATA, SECTOR, 'read');
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)).toBeNull();
    expect(g.drv.faults()).toEqual([{ reason: MAPPING, flags: W, endpoint: 1, address: BigInt(DATA) }]);
    const d2 = disk();
    const g2 = behindIommu(ring, d2.dev, 1, 1);
    g2.dma.map(HDR, 16, 'read');
    g2.dma.map(STATUS, 1, 'write');
    g2.dma.map(DATA, SECTOR, 'write');
    expect(blkRequest(g2.lb, block.VIRTIO_BLK_T_OUT, 9)).toBeNull();
    expect(g2.drv.faults()).toEqual([{ reason: MAPPING, flags: R, endpoint: 1, address: BigInt(DATA) }]);
    const after = new Uint8Array(SECTOR);
    d2.backend.read(9, after);
    expect(after.every((b) => b === 0)).toBe(true);
  });

  it('[AVP-IOMMU-19] [AVP-IOMMU-76] reaches nothing of a range once the UNMAP of it has completed, its rings included', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    g.dma.map(HDR, 16, 'read');
    g.dma.map(DATA, SECTOR, 'write');
    g.dma.map(STATUS, 1, 'write');
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)?.len).toBe(SECTOR + 1);
    expect(g.dma.unmap(g.window.addr, g.window.size)).toBe(P.VIRTIO_IOMMU_S_OK);
    g.memory.write(STATUS, Uint8Array.of(0xee));
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)).toBeNull();
    expect(g.lb.error?.code).toBe('IOMMU_FAULT');
    expect(g.memory.read(STATUS, 1)[0]).toBe(0xee);
    const [f] = g.drv.faults();
    expect([f.reason, f.endpoint]).toEqual([MAPPING, 1]);
    expect(Number(f.address)).toBeGreaterThanOrEqual(g.window.addr);
    expect(Number(f.address)).toBeLessThan(g.window.addr + g.window.size);
  });

  it('[AVP-IOMMU-18] [AVP-IOMMU-19] [AVP-IOMMU-13] reaches nothing once DETACH has completed: the next access is a DOMAIN fault', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    g.dma.map(HDR, 16, 'read');
    g.dma.map(DATA, SECTOR, 'write');
    g.dma.map(STATUS, 1, 'write');
    expect(g.drv.detach(1, 1)).toBe(P.VIRTIO_IOMMU_S_OK);
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)).toBeNull();
    const [f] = g.drv.faults();
    expect([f.reason, f.endpoint]).toEqual([P.VIRTIO_IOMMU_FAULT_R_DOMAIN, 1]);
  });

  it('[AVP-IOMMU-13] [AVP-IOMMU-72] cannot even start before its driver attached and mapped it: its rings are out of reach', () => {
    const d = disk();
    const r = rig(ring);
    r.drv.postEventBuffers(4);
    const lb = new Loopback(d.dev, { ring, memory: r.memory, iommu: { translation: r.dev, endpoint: 1 } });
    lb.mem.write(HDR, block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_IN, sector: 3 }));
    lb.queues[0].add([{ addr: HDR, len: 16, writable: false }, { addr: DATA, len: SECTOR, writable: true }, { addr: STATUS, len: 1, writable: true }]);
    lb.device.queueNotify(0);
    expect(lb.queues[0].pollUsed()).toBeNull();
    expect(lb.error?.code).toBe('IOMMU_FAULT');
    const faults = r.drv.faults();
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((f) => f.reason === P.VIRTIO_IOMMU_FAULT_R_DOMAIN && f.endpoint === 1)).toBe(true);
  });
});

describe.each(RING_TYPES)('a network device behind the virtio-iommu (%s ring)', (ring) => {
  const FRAME = net.buildFrame({ dst: '52:54:00:00:00:0b', src: '52:54:00:00:00:0a', ethertype: 0x88b5, payload: new TextEncoder().encode('through the IOMMU') });
  const INCOMING = net.buildFrame({ dst: '52:54:00:00:00:0a', src: '52:54:00:00:00:0b', ethertype: 0x88b5, payload: new TextEncoder().encode('and back in') });
  const TX = 0x9_0000;
  const RX = 0x9_2000;

  function nic() {
    const dev = new net.NetDevice({ mac: '52:54:00:00:00:0a', mtu: 1500 });
    const tap = new net.NetTap();
    net.cable(dev, tap);
    return { dev, tap };
  }

  it('[AVP-IOMMU-15] [AVP-IOMMU-74] transmits from and receives into exactly the pages its driver mapped', () => {
    const n = nic();
    const g = behindIommu(ring, n.dev, 2, 2);
    const hs = net.netHdrSize(g.lb.features);
    // Transmit: header and frame on a page the device may only read.
    g.memory.write(TX, new Uint8Array([...net.encodeNetHdr({}, hs), ...FRAME]));
    g.dma.map(TX, hs + FRAME.length, 'read');
    g.lb.queues[1].add([{ addr: TX, len: hs + FRAME.length, writable: false }]);
    g.lb.device.queueNotify(1);
    expect(g.lb.queues[1].pollUsed()?.len).toBe(0);
    expect(n.tap.take()).toEqual([FRAME]);
    // Receive: a buffer on a page the device may only write.
    g.dma.map(RX, hs + 1514, 'write');
    g.lb.queues[0].add([{ addr: RX, len: hs + 1514, writable: true }]);
    expect(n.tap.send(INCOMING)).toBe(true);
    expect(g.lb.queues[0].pollUsed()?.len).toBe(hs + INCOMING.length);
    expect([...g.memory.read(RX + hs, INCOMING.length)]).toEqual([...INCOMING]);
    expect(g.drv.faults()).toEqual([]);
    expect(g.lb.error).toBeNull();
  });

  it('[AVP-IOMMU-72] [AVP-IOMMU-64] faults on a transmit buffer that is not mapped: nothing leaves, and the guest reads the fault', () => {
    const n = nic();
    const g = behindIommu(ring, n.dev, 2, 2);
    const hs = net.netHdrSize(g.lb.features);
    g.memory.write(TX, new Uint8Array([...net.encodeNetHdr({}, hs), ...FRAME]));
    g.lb.queues[1].add([{ addr: TX, len: hs + FRAME.length, writable: false }]);
    g.lb.device.queueNotify(1);
    expect(g.lb.queues[1].pollUsed()).toBeNull();
    expect(n.tap.take()).toEqual([]);
    expect(g.lb.error?.code).toBe('IOMMU_FAULT');
    expect(g.drv.faults()).toEqual([{ reason: MAPPING, flags: R, endpoint: 2, address: BigInt(TX) }]);
  });

  it('[AVP-IOMMU-72] [AVP-IOMMU-16] faults on a receive buffer mapped read-only: the frame is not delivered, and the guest reads the fault', () => {
    const n = nic();
    const g = behindIommu(ring, n.dev, 2, 2);
    const hs = net.netHdrSize(g.lb.features);
    g.memory.write(RX, new Uint8Array(hs + 1514).fill(0xcc));
    g.dma.map(RX, hs + 1514, 'read');
    g.lb.queues[0].add([{ addr: RX, len: hs + 1514, writable: true }]);
    n.tap.send(INCOMING);
    expect(n.dev.stats.rxDrops['queue-error']).toBe(1);
    expect(g.lb.queues[0].pollUsed()).toBeNull();
    expect(g.memory.read(RX, hs + 1514).every((b) => b === 0xcc)).toBe(true);
    expect(g.lb.error?.code).toBe('IOMMU_FAULT');
    expect(g.drv.faults()).toEqual([{ reason: MAPPING, flags: W, endpoint: 2, address: BigInt(RX) }]);
  });
});

describe.each(RING_TYPES)('isolation between the endpoints of one guest (%s ring)', (ring) => {
  it('[AVP-IOMMU-15] [AVP-IOMMU-64] a passed-through controller in a domain of its own cannot reach the disk\'s buffers, nor the disk its', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    g.dma.map(HDR, 16, 'read');
    g.dma.map(DATA, SECTOR, 'write');
    g.dma.map(STATUS, 1, 'write');
    // The controller (endpoint 3) gets a receive ring page of its own in domain 3.
    expect(g.drv.attach(3, 3)).toBe(P.VIRTIO_IOMMU_S_OK);
    const ctl = new GuestDma(g.drv, 3);
    ctl.map(0xa_0000, PAGE, 'read-write');
    expect(blkRequest(g.lb, block.VIRTIO_BLK_T_IN, 3)?.len).toBe(SECTOR + 1);
    expect(dmaRead(g, 3, DATA, 16)).toBe('IOMMU_FAULT'); // the sector the disk just read
    expect(dmaRead(g, 3, 0xa_0000, 16)).toBeInstanceOf(Uint8Array);
    expect(g.dev.mappings(1)).not.toContainEqual(expect.objectContaining({ iova: 0xa_0000 }));
    expect(g.drv.faults()).toEqual([{ reason: MAPPING, flags: R, endpoint: 3, address: BigInt(DATA) }]);
  });

  it('[AVP-IOMMU-75] the guest\'s DMA layer never maps an IOVA that PROBE reported reserved', () => {
    const d = disk();
    const g = behindIommu(ring, d.dev, 1, 1);
    expect(g.dma.reserved).toEqual([MSI]);
    expect(() => g.dma.map(MSI.start + 0x100, 64, 'write')).toThrow(/reserved IOVAs/);
    expect(g.dev.spaces.mappingsOf(1).some((m) => m.start <= MSI.end && m.end >= MSI.start)).toBe(false);
  });
});
