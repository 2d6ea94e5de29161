// `npm run bench`: device-side cost of taking and returning chains, for both ring layouts,
// chain lengths 1, 4 and 16, direct and indirect, with every validation on. Prints a table
// and writes the figures as JSON. Benchmarks, not tests: nothing here asserts a time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import {
  createDeviceQueue,
  createDriverQueue,
  featureSet,
  GuestMemory,
  ringAreas,
  type RingType,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
} from '../src/lib/index.ts';

const QUEUE_SIZE = 256;
const BUDGET_MS = Number(process.env.BENCH_MS ?? 400);
const OUT = process.env.BENCH_OUT ?? '.cache/bench/results.json';

interface Row {
  ring: RingType;
  chainLength: number;
  indirect: boolean;
  chains: number;
  descriptors: number;
  nsPerDescriptor: number;
  chainsPerSecond: number;
}

function setUp(ring: RingType) {
  const features = featureSet(VIRTIO_F_INDIRECT_DESC, ...(ring === 'packed' ? [VIRTIO_F_RING_PACKED] : []));
  const mem = GuestMemory.create(4 << 20);
  const a = ringAreas(ring, QUEUE_SIZE);
  const config = { size: QUEUE_SIZE, descAddr: 0x1000, driverAddr: 0x1000 + a.desc.bytes, deviceAddr: 0x1000 + a.desc.bytes + 0x1000 };
  const indirectArea = { addr: 0x10_0000, size: 0x10_0000 };
  const driver = createDriverQueue(mem, config, features, { indirectArea });
  const device = createDeviceQueue(mem, config, features);
  return { driver, device };
}

function measure(ring: RingType, chainLength: number, indirect: boolean): Row {
  const { driver, device } = setUp(ring);
  // Half readable, half writable, like a request with a header and a reply.
  const bufs = Array.from({ length: chainLength }, (_, i) => ({ addr: 0x20_0000 + i * 0x1000, len: 512, writable: i >= chainLength / 2 }));
  const perRound = indirect ? QUEUE_SIZE : Math.floor(QUEUE_SIZE / chainLength);
  let deviceNs = 0;
  let chains = 0;
  const round = () => {
    for (let i = 0; i < perRound; i++) driver.add(bufs, { indirect });
    const t0 = performance.now();
    for (;;) {
      const r = device.pop();
      if (r.kind !== 'chain') {
        if (r.kind === 'error') throw r.error;
        break;
      }
      device.push(r.chain, 0);
    }
    device.needsNotification();
    deviceNs += (performance.now() - t0) * 1e6;
    chains += perRound;
    while (driver.pollUsed());
  };
  for (let i = 0; i < 50; i++) round(); // warm-up: let the JIT settle
  deviceNs = 0;
  chains = 0;
  const end = performance.now() + BUDGET_MS;
  while (performance.now() < end) round();
  const descriptors = chains * chainLength;
  return { ring, chainLength, indirect, chains, descriptors, nsPerDescriptor: deviceNs / descriptors, chainsPerSecond: chains / (deviceNs / 1e9) };
}

const rows: Row[] = [];
for (const ring of (process.env.BENCH_RINGS ?? 'split,packed').split(',') as RingType[]) {
  for (const chainLength of [1, 4, 16]) {
    for (const indirect of [false, true]) rows.push(measure(ring, chainLength, indirect));
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`device side, validation on, queue size ${QUEUE_SIZE}, ${BUDGET_MS} ms per row, Node ${process.version}`);
console.log('ring    len  layout    ns/descriptor   chains/s');
for (const r of rows) {
  console.log(`${r.ring.padEnd(7)} ${String(r.chainLength).padStart(3)}  ${(r.indirect ? 'indirect' : 'direct').padEnd(8)} ${fmt(r.nsPerDescriptor, 1).padStart(14)} ${fmt(r.chainsPerSecond).padStart(10)}`);
}
mkdirSync(OUT.replace(/\/[^/]*$/, ''), { recursive: true });
writeFileSync(OUT, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? null, queueSize: QUEUE_SIZE, budgetMs: BUDGET_MS, rows }, null, 2) + '\n');
console.log(`wrote ${OUT}`);
