// A split virtqueue step by step: the driver lays it out, offers a chained and an indirect buffer; the device pops, writes and pushes; the driver polls.
import { ChainWriter, featureSet, GuestMemory, readChain, ringAreas, split, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC } from '../src/lib/index.ts';

const SIZE = 8;
const features = featureSet(VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX);
const mem = GuestMemory.create(0x4000);
const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

// 1. The driver places the three parts where their alignment allows (§2.7).
const areas = ringAreas('split', SIZE);
const at = (addr: number, align: number) => Math.ceil(addr / align) * align;
const descAddr = 0x1000;
const driverAddr = at(descAddr + areas.desc.bytes, areas.driver.align);
const deviceAddr = at(driverAddr + areas.driver.bytes, areas.device.align);
const config = { size: SIZE, descAddr, driverAddr, deviceAddr };
console.log(`queue of ${SIZE}: descriptor table ${hex(descAddr)} (${areas.desc.bytes} bytes), available ring ${hex(driverAddr)} (${areas.driver.bytes}), used ring ${hex(deviceAddr)} (${areas.device.bytes})`);

const driver = new split.SplitDriverQueue(mem, config, features, { indirectArea: { addr: 0x2000, size: 0x400 } });
const device = new split.SplitDeviceQueue(mem, config, features);

function showDesc(table: number, i: number, indent = '  '): void {
  const d = split.readSplitDesc(mem, split.descAddrOf(table, i));
  const flags = [d.flags & split.VIRTQ_DESC_F_NEXT && 'NEXT', d.flags & split.VIRTQ_DESC_F_WRITE && 'WRITE', d.flags & split.VIRTQ_DESC_F_INDIRECT && 'INDIRECT'].filter(Boolean);
  const next = d.flags & split.VIRTQ_DESC_F_NEXT ? ` next=${d.next}` : '';
  console.log(`${indent}desc[${i}] addr=${hex(d.addr)} len=${d.len} flags=${flags.join('|') || '0'}${next}`);
}

// 2. A chained buffer: an 8-byte request the device reads, then 32 bytes it may write.
mem.write(0x3000, new TextEncoder().encode('ping #1\0'));
const a = driver.add([
  { addr: 0x3000, len: 8, writable: false },
  { addr: 0x3100, len: 32, writable: true },
]);
console.log(`\ndriver adds a chain of 2 descriptors, head ${a}:`);
showDesc(descAddr, a);
showDesc(descAddr, split.readSplitDesc(mem, split.descAddrOf(descAddr, a)).next);

// 3. An indirect buffer: one table entry points at a table of three descriptors (§2.7.5.3).
mem.write(0x3200, new TextEncoder().encode('ping #2\0'));
const b = driver.add(
  [
    { addr: 0x3200, len: 8, writable: false },
    { addr: 0x3300, len: 4, writable: true },
    { addr: 0x3400, len: 16, writable: true },
  ],
  { indirect: true },
);
const ind = split.readSplitDesc(mem, split.descAddrOf(descAddr, b));
console.log(`driver adds an indirect buffer, head ${b}:`);
showDesc(descAddr, b);
for (let i = 0; i < ind.len / 16; i++) showDesc(Number(ind.addr), i, '    table ');

const idx = split.readAvailIdx(mem, config);
const ring = Array.from({ length: idx }, (_, i) => split.readAvailEntry(mem, config, i));
console.log(`available ring: idx=${idx} ring=[${ring.join(', ')}]; ${driver.numFree()} descriptors free`);
console.log(`driver must notify the device: ${driver.kickNeeded()}`);

// 4. The device takes both, reads each request and writes a reply across the writable parts.
for (let r = device.pop(); r.kind === 'chain'; r = device.pop()) {
  const { chain } = r;
  const request = text(readChain(mem, chain)).replace(/\0+$/, '');
  const w = new ChainWriter(mem, chain);
  w.write(new TextEncoder().encode(`pong to "${request}"`));
  console.log(`\ndevice pops head ${chain.id}: ${chain.buffers.length} buffers (${chain.descCount} of the table's entries), reads "${request}", writes ${w.written} of ${w.written + w.remaining} bytes`);
  device.push(chain, w.written);
}
const used = split.readUsedIdx(mem, config);
const elems = Array.from({ length: used }, (_, i) => split.readUsedElem(mem, config, i));
console.log(`used ring: idx=${used} ring=[${elems.map((e) => `{id ${e.id}, len ${e.len}}`).join(', ')}]`);
console.log(`device must notify the driver: ${device.needsNotification()}`);

// 5. The driver collects the replies: the first `len` bytes of each buffer's writable parts.
const writable = new Map([
  [a, [{ addr: 0x3100, len: 32 }]],
  [b, [{ addr: 0x3300, len: 4 }, { addr: 0x3400, len: 16 }]],
]);
for (let u = driver.pollUsed(); u; u = driver.pollUsed()) {
  let left = u.len;
  let reply = '';
  for (const part of writable.get(u.id)!) {
    const n = Math.min(part.len, left);
    reply += text(mem.read(part.addr, n));
    left -= n;
  }
  console.log(`\ndriver polls: head ${u.id}, ${u.len} bytes: ${reply}`);
}
console.log(`${driver.numFree()} descriptors free; used_event now ${split.readUsedEvent(mem, config)}, avail_event ${split.readAvailEvent(mem, config)}`);
