// A guest puts its disk behind the virtio-iommu: it probes and attaches the disk's endpoint, maps the rings and one read's buffers, reads a sector through them, then unmaps the data page, and the disk's next access to it comes back as a fault report on the IOMMU's event queue.
import { block, DEVICE_NEEDS_RESET, type DmaMapping, GuestMemory, iommu, Loopback, VIRTIO_F_ACCESS_PLATFORM } from '../src/lib/index.ts';

const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const status = (s: number | null) => iommu.statusName(s);

// The guest's RAM, and the platform's virtio-iommu for it: the disk is endpoint 1, whose MSI
// doorbell the platform keeps out of the IOVA space.
const ram = GuestMemory.create(1 << 20);
const msi = { subtype: iommu.VIRTIO_IOMMU_RESV_MEM_T_MSI, start: 0x0809_0000, end: 0x0809_ffff };
const viommu = new iommu.IommuDevice({ memory: ram, endpoints: [{ id: 1, reserved: [msi] }] });
const drv = new iommu.IommuDriver(new Loopback(viommu, { ring: 'packed' }));
console.log(`virtio-iommu: device ID ${viommu.deviceId}, granule ${drv.granule} bytes (page_size_mask ${hex(drv.pageSizeMask)}), ` +
  `IOVAs ${hex(drv.inputRange.start)}..${hex(drv.inputRange.end)}, domains ${drv.domainRange.start}..${drv.domainRange.end}, bypass ${drv.bypass}`);
drv.postEventBuffers(4);

// The guest's IOMMU driver: PROBE, then ATTACH the endpoint to a domain of its own.
const probe = drv.probe(1);
for (const r of probe.regions) console.log(`PROBE endpoint 1: ${status(probe.status)}, reserved ${r.subtype === iommu.VIRTIO_IOMMU_RESV_MEM_T_MSI ? 'MSI doorbell' : 'region'} ${hex(r.start)}..${hex(r.end)}`);
console.log(`ATTACH endpoint 1 to domain 1: ${status(drv.attach(1, 1))}`);

// The disk, and the pages of its rings, mapped before the disk is told where they are.
const backend = new block.MemoryBlockBackend({ sectors: 64 });
backend.write(3, new TextEncoder().encode('sector 3: calibration table v7'.padEnd(512, '.')));
const disk = new block.BlockDevice(backend);
const dma = new iommu.GuestDma(drv, 1, probe.regions);
const rings = iommu.loopbackRingWindow(disk, { ring: 'split' });
const ringPages = dma.pages(rings.addr, rings.size);
console.log(`MAP rings ${hex(ringPages.addr)}..${hex(ringPages.addr + ringPages.size - 1)} read-write: ${status(dma.map(rings.addr, rings.size, 'read-write'))}`);
const lb = new Loopback(disk, { ring: 'split', memory: ram, iommu: { translation: viommu, endpoint: 1 } });
console.log(`virtio-blk behind it: VIRTIO_F_ACCESS_PLATFORM ${lb.features & (1n << BigInt(VIRTIO_F_ACCESS_PLATFORM)) ? 'negotiated' : 'not negotiated'}`);

// One read of sector 3: header, data and status each on a page of its own, each mapped the way the disk uses it.
const [hdr, data, st] = [0x8_0000, 0x8_1000, 0x8_2000];
console.log(`MAP header page ${hex(hdr)} read-only: ${status(dma.map(hdr, 16, 'read'))}`);
console.log(`MAP data page ${hex(data)} write-only: ${status(dma.map(data, 512, 'write'))}`);
console.log(`MAP status page ${hex(st)} write-only: ${status(dma.map(st, 1, 'write'))}`);
console.log(`MAP over the MSI doorbell, refused by the device: ${status(drv.map(1, msi.start, 0x1000, 0x3000))}`);
const reach = viommu.mappings(1) as readonly DmaMapping[];
console.log(`endpoint 1 now reaches: ${reach.map((m) => `${hex(m.iova)}+${hex(m.size)} ${m.read ? 'R' : ''}${m.write ? 'W' : ''}`).join(', ')}`);

function readSector3(): string {
  ram.write(hdr, block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_IN, sector: 3 }));
  ram.write(st, Uint8Array.of(0xff));
  lb.queues[0].add([{ addr: hdr, len: 16, writable: false }, { addr: data, len: 512, writable: true }, { addr: st, len: 1, writable: true }]);
  lb.device.queueNotify(0);
  const used = lb.queues[0].pollUsed();
  return used ? `used length ${used.len}, status ${ram.read(st, 1)[0]}` : 'not completed';
}

console.log(`\nread sector 3: ${readSector3()}, data "${new TextDecoder().decode(ram.read(data, 30))}"`);
console.log(`fault reports so far: ${drv.faults().length}`);

// The guest is done with the data page and unmaps it; the disk then tries to use it again.
ram.write(data, new TextEncoder().encode('(page reused for something else)'));
console.log(`\nUNMAP data page: ${status(dma.unmap(data, 512))}`);
console.log(`read sector 3 again: ${readSector3()}`);
console.log(`disk: ${lb.error?.code}, DEVICE_NEEDS_RESET ${lb.status & DEVICE_NEEDS_RESET ? 'set' : 'clear'}; the page still holds "${new TextDecoder().decode(ram.read(data, 32))}"`);
for (const f of drv.faults()) console.log(`event queue: ${iommu.describeFault(f)}`);
const s = viommu.faultStats;
console.log(`faults reported ${s.reported}, rate-limited ${s.rateLimited}, dropped ${s.dropped}`);
