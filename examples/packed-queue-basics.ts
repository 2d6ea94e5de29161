// A packed virtqueue step by step: buffers and their used descriptors share one ring, and the AVAIL/USED bits are read against wrap counters that flip on every lap.
import { ChainWriter, featureSet, GuestMemory, packed, readChain, ringAreas, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from '../src/lib/index.ts';

const SIZE = 4;
const features = featureSet(VIRTIO_F_RING_PACKED, VIRTIO_F_INDIRECT_DESC);
const mem = GuestMemory.create(0x4000);
const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const text = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\0+$/, '');

// The descriptor ring and the two 4-byte event suppression structures (§2.8.10.1).
const areas = ringAreas('packed', SIZE);
const config = { size: SIZE, descAddr: 0x1000, driverAddr: 0x1000 + areas.desc.bytes, deviceAddr: 0x1000 + areas.desc.bytes + areas.driver.bytes };
console.log(`ring of ${SIZE} slots at ${hex(config.descAddr)}; driver event suppression ${hex(config.driverAddr)}, device event suppression ${hex(config.deviceAddr)}`);

const driver = new packed.PackedDriverQueue(mem, config, features, { indirectArea: { addr: 0x2000, size: 0x400 } });
const device = new packed.PackedDeviceQueue(mem, config, features);

function showRing(title: string): void {
  console.log(`\n${title}`);
  for (let i = 0; i < SIZE; i++) {
    const d = packed.readPackedDesc(mem, packed.slotAddr(config.descAddr, i));
    const a = d.flags & packed.VIRTQ_DESC_F_AVAIL ? 1 : 0;
    const u = d.flags & packed.VIRTQ_DESC_F_USED ? 1 : 0;
    const other = [d.flags & packed.VIRTQ_DESC_F_NEXT && 'NEXT', d.flags & packed.VIRTQ_DESC_F_WRITE && 'WRITE', d.flags & packed.VIRTQ_DESC_F_INDIRECT && 'INDIRECT'].filter(Boolean);
    console.log(`  slot ${i}: AVAIL=${a} USED=${u} ${other.join('|').padEnd(14)} id=${d.id} addr=${hex(d.addr)} len=${d.len}`);
  }
  const dr = driver.ringState();
  const dv = device.ringState();
  console.log(`  driver: next slot to fill ${dr.nextAvail} (wrap counter ${+dr.availWrap}), next to poll ${dr.nextUsed} (${+dr.usedWrap})`);
  console.log(`  device: next slot to read ${dv.nextAvail} (${+dv.availWrap}), next to write ${dv.nextUsed} (wrap counter ${+dv.usedWrap})`);
}

let request = 0;
function offer(parts: number, indirect = false): number {
  const addr = 0x3000 + 0x100 * request;
  mem.write(addr, new TextEncoder().encode(`req ${++request}\0`));
  const bufs = [{ addr, len: 8, writable: false }];
  for (let i = 1; i < parts; i++) bufs.push({ addr: addr + 0x20 * i, len: 16, writable: true });
  return driver.add(bufs, { indirect });
}

function serve(order: 'oldest first' | 'newest first'): void {
  const chains = [];
  for (let r = device.pop(); r.kind === 'chain'; r = device.pop()) chains.push(r.chain);
  if (order === 'newest first') chains.reverse();
  for (const chain of chains) {
    const w = new ChainWriter(mem, chain);
    w.write(new TextEncoder().encode(`ok ${text(readChain(mem, chain))}`));
    console.log(`device serves buffer ${chain.id} (${chain.descCount} slot${chain.descCount > 1 ? 's' : ''}), writes ${w.written} bytes`);
    device.push(chain, w.written);
  }
}

function collect(): void {
  for (let u = driver.pollUsed(); u; u = driver.pollUsed()) console.log(`driver polls: buffer ${u.id}, ${u.len} bytes`);
}

// Lap 1: the driver's wrap counter is 1, so available descriptors carry AVAIL=1 USED=0.
const a = offer(2);
const b = offer(3, true);
showRing(`driver offers buffer ${a} (a list in slots 0-1) and buffer ${b} (indirect, slot 2):`);

serve('newest first');
showRing('the device returns them newest first: each used descriptor goes in the next used slot, AVAIL=USED=1:');
collect();

// Lap 2: slot 3 is the last of lap 1; slot 0 is lap 2, where the counters are 0.
const c = offer(2);
showRing(`driver offers buffer ${c} in slots 3 and 0: slot 0 is in the next lap, so it carries AVAIL=0 USED=1:`);
serve('oldest first');
collect();
showRing('the device marked slot 3 used with its lap-1 counter; both sides now wait at slot 1 of lap 2:');
