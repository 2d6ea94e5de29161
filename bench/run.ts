// `npm run bench`: the device side of both ring layouts (chain lengths 1, 4 and 16, direct and
// indirect, every validation on) against a bare loop over the same rings with no checks, the
// bytes the checked path allocates per chain, and the throughput of the rest of the system.
// Prints tables and writes the figures as JSON. Benchmarks, not tests: nothing here asserts a time.
// Rounds of the checked and the bare device alternate, so both see the same machine load, and
// each side's figure is the median of its rounds, so a round the scheduler interrupted does not
// count; the ratio between them is the figure to compare across machines.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
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
import { BarePackedDevice, BareSplitDevice } from './bare-device.ts';
import { systemRows } from './system.ts';

const QUEUE_SIZE = 256;
const BUDGET_MS = Number(process.env.BENCH_MS ?? 400);
const OUT = process.env.BENCH_OUT ?? '.cache/bench/results.json';
const PUBLISHED = 'src/content/performance.json';
/** Present when node runs with --expose-gc (npm run bench does): a clean heap before allocation is counted. */
const gc = (globalThis as { gc?: () => void }).gc;

export interface RingRow {
  ring: RingType;
  chainLength: number;
  indirect: boolean;
  chains: number;
  descriptors: number;
  nsPerDescriptor: number;
  bareNsPerDescriptor: number;
  /** Checked cost over bare cost: the bench's first figure. */
  ratio: number;
  chainsPerSecond: number;
  /** Heap bytes the checked device side allocates per chain (pop and push), over rounds without a GC. */
  bytesPerChain: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Heap bytes that reading the heap size itself allocates (its result object), measured once. */
const readingCost = (() => {
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const h0 = process.memoryUsage().heapUsed;
    samples.push(process.memoryUsage().heapUsed - h0);
  }
  return median(samples);
})();

function setUp(ring: RingType) {
  const features = featureSet(VIRTIO_F_INDIRECT_DESC, ...(ring === 'packed' ? [VIRTIO_F_RING_PACKED] : []));
  const mem = GuestMemory.create(4 << 20);
  const a = ringAreas(ring, QUEUE_SIZE);
  const config = { size: QUEUE_SIZE, descAddr: 0x1000, driverAddr: 0x1000 + a.desc.bytes, deviceAddr: 0x1000 + a.desc.bytes + 0x1000 };
  const indirectArea = { addr: 0x10_0000, size: 0x10_0000 };
  const driver = createDriverQueue(mem, config, features, { indirectArea });
  return { mem, config, features, driver };
}

function measure(ring: RingType, chainLength: number, indirect: boolean): RingRow {
  const checked = setUp(ring);
  const device = createDeviceQueue(checked.mem, checked.config, checked.features);
  const bare = setUp(ring);
  const bareDevice = ring === 'split' ? new BareSplitDevice(bare.mem, bare.config) : new BarePackedDevice(bare.mem, bare.config);
  // Half readable, half writable, like a request with a header and a reply.
  const bufs = Array.from({ length: chainLength }, (_, i) => ({ addr: 0x20_0000 + i * 0x1000, len: 512, writable: i >= chainLength / 2 }));
  const perRound = indirect ? QUEUE_SIZE : Math.floor(QUEUE_SIZE / chainLength);
  let checkedRounds: number[] = [];
  let bareRounds: number[] = [];
  let chains = 0;
  let counting = false;
  let allocBytes = 0;
  let allocChains = 0;
  const checkedRound = () => {
    for (let i = 0; i < perRound; i++) checked.driver.add(bufs, { indirect });
    const heap0 = counting ? process.memoryUsage().heapUsed : 0;
    const t0 = performance.now();
    let n = 0;
    for (;;) {
      const r = device.pop();
      if (r.kind !== 'chain') {
        if (r.kind === 'error') throw r.error;
        break;
      }
      device.push(r.chain, 0);
      n++;
    }
    device.needsNotification();
    const t1 = performance.now();
    // Read before any bookkeeping below allocates (the array of round times grows now and then).
    const heap1 = counting ? process.memoryUsage().heapUsed : 0;
    checkedRounds.push((t1 - t0) * 1e6);
    if (counting) {
      const grew = heap1 - heap0;
      // A collection during the round shrinks the heap: such a round says nothing, so it is left out.
      if (grew >= 0) {
        allocBytes += grew - readingCost;
        allocChains += n;
      }
    }
    if (n !== perRound) throw new Error(`checked device took ${n} chains of ${perRound}`);
    while (checked.driver.pollUsed());
  };
  const bareRound = () => {
    for (let i = 0; i < perRound; i++) bare.driver.add(bufs, { indirect });
    const t0 = performance.now();
    const n = bareDevice.run();
    bareRounds.push((performance.now() - t0) * 1e6);
    if (n !== perRound) throw new Error(`bare device took ${n} chains of ${perRound}`);
    while (bare.driver.pollUsed());
  };
  for (let i = 0; i < 200; i++) {
    checkedRound(); // warm-up: let the JIT settle
    bareRound();
  }
  checkedRounds = [];
  bareRounds = [];
  const end = performance.now() + BUDGET_MS;
  while (performance.now() < end) {
    checkedRound();
    bareRound();
    chains += perRound;
  }
  const checkedNs = median(checkedRounds);
  const bareNs = median(bareRounds);
  // Allocation, counted apart from the timing: reading the heap size costs time of its own.
  // With --single-threaded-gc (npm run bench) the heap shrinks only in a collection on this
  // thread, which allocation-free device code never triggers; rounds where it shrank are left out.
  gc?.();
  for (let i = 0; i < 50; i++) checkedRound();
  counting = true;
  for (let i = 0; i < 500; i++) checkedRound();
  const descriptors = chains * chainLength;
  const perRoundDescriptors = perRound * chainLength;
  return {
    ring,
    chainLength,
    indirect,
    chains,
    descriptors,
    nsPerDescriptor: checkedNs / perRoundDescriptors,
    bareNsPerDescriptor: bareNs / perRoundDescriptors,
    ratio: checkedNs / bareNs,
    chainsPerSecond: perRound / (checkedNs / 1e9),
    bytesPerChain: allocChains > 0 ? Math.max(0, allocBytes / allocChains) : null,
  };
}

const rows: RingRow[] = [];
for (const ring of (process.env.BENCH_RINGS ?? 'split,packed').split(',') as RingType[]) {
  for (const chainLength of (process.env.BENCH_LENGTHS ?? '1,4,16').split(',').map(Number)) {
    for (const indirect of [false, true]) rows.push(measure(ring, chainLength, indirect));
  }
}
const system = process.env.BENCH_SYSTEM === '0' ? [] : systemRows(BUDGET_MS);

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const machine = { cpu: cpus()[0]?.model ?? null, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
console.log(`device side, validation on, queue size ${QUEUE_SIZE}, ${BUDGET_MS} ms per row, Node ${process.version}, ${machine.cores} x ${machine.cpu}`);
console.log('ring    len  layout    ratio to bare   ns/descriptor   bare ns   chains/s   bytes/chain');
for (const r of rows) {
  console.log(
    `${r.ring.padEnd(7)} ${String(r.chainLength).padStart(3)}  ${(r.indirect ? 'indirect' : 'direct').padEnd(8)} ` +
      `${fmt(r.ratio, 2).padStart(12)}x ${fmt(r.nsPerDescriptor, 1).padStart(15)} ${fmt(r.bareNsPerDescriptor, 1).padStart(9)} ` +
      `${fmt(r.chainsPerSecond).padStart(10)} ${(r.bytesPerChain === null ? 'n/a' : fmt(r.bytesPerChain, 1)).padStart(13)}`,
  );
}
if (system.length > 0) {
  console.log('\nsystem (driver and device in one process)');
  for (const s of system) console.log(`${s.name.padEnd(56)} ${fmt(s.perSecond).padStart(10)} ${s.unit}`);
}
const results = { date: new Date().toISOString(), node: process.version, machine, queueSize: QUEUE_SIZE, budgetMs: BUDGET_MS, rows, system };
mkdirSync(OUT.replace(/\/[^/]*$/, ''), { recursive: true });
writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${OUT}`);
// --publish: these figures become the ones the site's Performance page shows (with the last
// published fuzzing figures, kept as they are).
if (process.argv.includes('--publish')) {
  const published = existsSync(PUBLISHED) ? JSON.parse(readFileSync(PUBLISHED, 'utf8')) : {};
  writeFileSync(PUBLISHED, JSON.stringify({ ...published, bench: results }, null, 2) + '\n');
  console.log(`published to ${PUBLISHED}`);
}
