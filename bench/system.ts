// The rest of the system's throughput, each through its real driver and device model over a
// loopback transport (both sides in this process, so each figure is the cost of both): 4 KiB
// block reads, frames through the virtual switch, frames on a shared CAN bus, and the
// conformance runner replaying the shipped virtqueue vectors; and a virtqueue whose device holds
// many chains at once.
import { readdirSync, readFileSync } from 'node:fs';
import {
  block,
  can,
  conformance,
  createDeviceQueue,
  createDriverQueue,
  type DescriptorChain,
  featureSet,
  GuestMemory,
  Loopback,
  net,
  ringAreas,
} from '../src/lib/index.ts';

export interface SystemRow {
  name: string;
  unit: string;
  perSecond: number;
  count: number;
}

/** Runs `step` (which does `per` operations) until `ms` have passed; operations per second. */
function rate(name: string, unit: string, ms: number, per: number, step: () => void): SystemRow {
  for (let i = 0; i < 20; i++) step(); // warm-up
  let count = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  while (performance.now() < end) {
    step();
    count += per;
  }
  return { name, unit, perSecond: count / ((performance.now() - t0) / 1000), count };
}

function blockReads(ms: number): SystemRow {
  const disk = new block.MemoryBlockBackend({ sectors: 8192 });
  const drv = new block.BlockDriver(new Loopback(new block.BlockDevice(disk), { ring: 'split' }));
  let sector = 0;
  return rate('block: 4 KiB reads', 'requests/s', ms, 1, () => {
    const r = drv.read(sector, 8);
    if (r.status !== block.VIRTIO_BLK_S_OK) throw new Error(`block read failed with status ${r.status}`);
    sector = (sector + 8) % 8192;
  });
}

function switchFrames(ms: number): SystemRow {
  const sw = new net.VirtualSwitch();
  const guest = (mac: string) => {
    const dev = new net.NetDevice({ mac, mtu: 1500, speed: 1000 });
    sw.plug(dev, { name: mac, vlan: 10, lockedSource: mac });
    const drv = new net.NetDriver(new Loopback(dev, { ring: 'split' }));
    drv.postRx(64);
    return drv;
  };
  const a = guest('52:54:00:00:00:0a');
  const b = guest('52:54:00:00:00:0b');
  const frame = net.buildFrame({ dst: b.mac, src: a.mac, ethertype: 0x88b5, payload: new Uint8Array(1000) });
  return rate('network: 1014-byte frames through the virtual switch', 'frames/s', ms, 1, () => {
    if (a.send(frame) === null) throw new Error('transmit buffer not returned');
    if (b.receive().length !== 1) throw new Error('frame not received');
    b.postRx(1);
  });
}

function canFrames(ms: number): SystemRow {
  const bus = new can.CanBus({ name: 'bench', bitrate: 500_000, dataBitrate: 2_000_000 });
  const guest = (name: string) => {
    const dev = new can.CanDevice({ rxBacklog: 64 });
    bus.attach(dev, { name });
    const drv = new can.CanDriver(new Loopback(dev, { ring: 'split' }));
    drv.postRx(16);
    drv.start();
    return drv;
  };
  const a = guest('A');
  const b = guest('B');
  const data = new Uint8Array(8);
  return rate('CAN: 8-byte frames on a shared bus', 'frames/s', ms, 1, () => {
    bus.advance(1_000_000);
    a.send({ id: 0x123, data });
    if (b.receive().length !== 1) throw new Error('CAN frame not received');
  });
}

/**
 * A device that holds many chains at once, as a block device with a deep queue does: the driver
 * offers 128 two-buffer chains, the device takes them all, reads each one's buffers, then returns
 * them all. Unlike the ring rows, where each chain is returned before the next is taken, this
 * keeps 128 chain records in play: if they did not share one hidden class, every access to
 * them would fall back to the engine's slowest property lookups.
 */
function heldChains(ms: number): SystemRow {
  const size = 256;
  const held = 128;
  const mem = GuestMemory.create(4 << 20);
  const a = ringAreas('split', size);
  const config = { size, descAddr: 0x1000, driverAddr: 0x1000 + a.desc.bytes, deviceAddr: 0x1000 + a.desc.bytes + 0x1000 };
  const features = featureSet();
  const driver = createDriverQueue(mem, config, features);
  const device = createDeviceQueue(mem, config, features);
  const bufs = [
    { addr: 0x20_0000, len: 512, writable: false },
    { addr: 0x21_0000, len: 512, writable: true },
  ];
  const taken: DescriptorChain[] = [];
  return rate(`virtqueue: ${held} chains held at once (split ring, both sides)`, 'chains/s', ms, held, () => {
    for (let i = 0; i < held; i++) driver.add(bufs);
    for (let r = device.pop(); r.kind === 'chain'; r = device.pop()) taken.push(r.chain);
    if (taken.length !== held) throw new Error(`device took ${taken.length} chains of ${held}`);
    for (const c of taken) device.push(c, c.buffers[1].len);
    taken.length = 0;
    let used = 0;
    while (driver.pollUsed()) used++;
    if (used !== held) throw new Error(`driver got ${used} chains back of ${held}`);
  });
}

function runnerVectors(ms: number, dir: string): SystemRow {
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.includes('schema'))
    .flatMap((f) => conformance.parseVectorFile(f, readFileSync(`${dir}/${f}`, 'utf8')).cases);
  return rate(`conformance runner: ${cases.length} virtqueue vectors`, 'vectors/s', ms, cases.length, () => {
    for (const c of cases) if (!conformance.runCase(c).ok) throw new Error(`vector ${c.name} failed`);
  });
}

export function systemRows(ms: number, vectorDir = 'tests/conformance/vectors'): SystemRow[] {
  return [blockReads(ms), switchFrames(ms), canFrames(ms), heldChains(ms), runnerVectors(ms, vectorDir)];
}
