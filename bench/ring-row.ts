// One row of `npm run bench`: the checked device side of one ring layout, chain length and
// layout (direct or indirect) against the bare loop over the same rings. bench/run.ts runs each
// row in a process of its own (see there); run directly, this file measures the row named by
// BENCH_ROW ("split,16,direct") and prints it as one line of JSON.
// Rounds of the checked and the bare device alternate, so both see the same machine load, and
// each side's figure is the median of its rounds, so a round the scheduler interrupted does not
// count; the ratio between them is the figure to compare across machines.
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

export const QUEUE_SIZE = 256;
const BUDGET_MS = Number(process.env.BENCH_MS ?? 400);
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
  /** Heap bytes the checked device side allocates per chain (pop, push and the notification check), over rounds without a GC. */
  bytesPerChain: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

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
  /** The checked device's part of a round: every available chain taken and returned. */
  const serve = (): number => {
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
    return n;
  };
  const checkedRound = () => {
    for (let i = 0; i < perRound; i++) checked.driver.add(bufs, { indirect });
    let n: number;
    if (counting) {
      // Only the device's work lies between the two readings: the timing calls allocate too.
      // What a reading itself allocates is measured beside it, in the same state of the JIT.
      const idle0 = process.memoryUsage().heapUsed;
      const heap0 = process.memoryUsage().heapUsed;
      n = serve();
      const heap1 = process.memoryUsage().heapUsed;
      const grew = heap1 - heap0 - (heap0 - idle0);
      // A collection during the round shrinks the heap: such a round says nothing, so it is left out.
      if (heap1 >= heap0 && heap0 >= idle0) {
        allocBytes += grew;
        allocChains += n;
      }
    } else {
      const t0 = performance.now();
      n = serve();
      checkedRounds.push((performance.now() - t0) * 1e6);
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

const spec = process.env.BENCH_ROW;
if (spec !== undefined) {
  const [ring, length, layout] = spec.split(',');
  if ((ring !== 'split' && ring !== 'packed') || !(Number(length) > 0) || (layout !== 'direct' && layout !== 'indirect')) {
    throw new Error(`BENCH_ROW "${spec}": expected ring,length,layout as in "split,16,direct"`);
  }
  console.log(JSON.stringify(measure(ring, Number(length), layout === 'indirect')));
}
