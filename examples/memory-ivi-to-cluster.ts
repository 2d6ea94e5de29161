// Memory moves from the infotainment guest to the instrument cluster at run time: the IVI unplugs virtio-mem blocks and inflates its balloon, the pool grants the safety guest only memory no balloon is owed, and a reclaim the IVI cannot finish ends at the 500 ms bound with what arrived.
import { balloon, Loopback, mem, showSvg } from '../src/lib/index.ts';

const MiB = 1 << 20;
const clock = new mem.ModelClock(); // microseconds of model time
const pool = new mem.HostMemoryPool({
  totalBytes: 6144 * MiB,
  clock,
  guests: [
    { name: 'cluster', baseBytes: 1024 * MiB, safety: true },
    { name: 'ivi', baseBytes: 3072 * MiB },
  ],
});

// Each guest: a virtio-mem region above 4 GiB in 2 MiB blocks; the IVI also has a balloon.
const region = { addr: 0x1_0000_0000, blockSize: 2 * MiB, usableExtent: 256 * MiB };
const clusterMem = new mem.MemDriver(new Loopback(pool.memDevice('cluster', { ...region, regionSize: 1024 * MiB }), { ring: 'packed' }));
const iviMemDev = pool.memDevice('ivi', { ...region, regionSize: 2048 * MiB });
const iviMem = new mem.MemDriver(new Loopback(iviMemDev, { ring: 'split' }));
const iviBalloonDev = pool.balloon('ivi');
const iviBalloon = new balloon.BalloonDriver(new Loopback(iviBalloonDev, { ring: 'split' }), { firstPfn: 0x40000, pageCount: 0x20000 });
// How fast each guest responds: 64 blocks (128 MiB) per ms of plugging or unplugging, 16 MiB per
// ms of balloon inflation. The IVI reports its memory statistics when the device asks.
clusterMem.attach(clock, { blocksPerMs: 64 });
iviMem.attach(clock, { blocksPerMs: 64 });
iviBalloon.offerStats([]);
iviBalloon.attach(clock, {
  pagesPerMs: 4096,
  stats: () => [
    [balloon.VIRTIO_BALLOON_S_MEMTOT, 3072n * BigInt(MiB)],
    [balloon.VIRTIO_BALLOON_S_AVAIL, 410n * BigInt(MiB)],
    [balloon.VIRTIO_BALLOON_S_CACHES, 180n * BigInt(MiB)],
  ],
});

const run = (ms: number) => {
  for (let i = 0; i < ms; i++) clock.advance(1000);
};
const settle = (r: mem.Reclaim) => {
  while (r.state === 'running') clock.advance(1000);
  const took = `${(r.endedUs! - r.startedUs) / 1000} ms`;
  const why = r.refusal ? ` (${r.refusal})` : '';
  console.log(`  reclaim #${r.id}: ${mem.mib(r.wanted)} from ${r.guest} via ${r.via}: ${r.state}${why} after ${took}, ${mem.mib(r.got)} arrived`);
};
const attempt = (what: string, fn: () => void) => {
  try {
    fn();
    console.log(`  ${what}: ok`);
  } catch (e) {
    console.log(`  ${what}: refused, ${e instanceof mem.PoolError ? e.code : (e as Error).message}`);
  }
};
const table = (title: string) => {
  const v = pool.view();
  console.log(`${title} (model time ${clock.now / 1000} ms)`);
  for (const g of v.guests) {
    const extra = [g.inBalloon && `${mem.mib(g.inBalloon)} in balloon`, g.plugged && `${mem.mib(g.plugged)} plugged`, g.reserved && `${mem.mib(g.reserved)} set aside`].filter(Boolean).join(', ');
    console.log(`  ${(g.name + (g.safety ? ' (safety)' : '')).padEnd(18)} base ${mem.mib(g.base).padStart(9)}${extra ? `, ${extra}` : ''} -> uses ${mem.mib(g.usable)}`);
  }
  console.log(`  ${'pool'.padEnd(18)} free ${mem.mib(v.free)}, ballooned (owed back) ${mem.mib(v.owedFree)}, every byte accounted: ${pool.balanced()}`);
};

console.log('-- ignition: the IVI gets 1536 MiB of its virtio-mem region --');
pool.grant('ivi', 1536 * MiB);
run(20);
table('pool at ignition');
const before = pool.view();

console.log('\n-- the driver turns on the full-screen 3D map: the cluster needs 768 MiB more --');
attempt('grant 768 MiB to the cluster', () => pool.grant('cluster', 768 * MiB));
settle(pool.reclaim('ivi', 256 * MiB, 'mem'));
attempt('grant 768 MiB to the cluster', () => pool.grant('cluster', 768 * MiB));
run(20);
console.log(`  cluster plugged_size ${mem.mib(clusterMem.config().pluggedSize)} of requested ${mem.mib(clusterMem.config().requestedSize)}`);

console.log('\n-- the IVI gives cache pages through its balloon --');
iviBalloonDev.requestStats();
run(1);
const stat = (tag: number) => mem.mib(Number(iviBalloonDev.stats.get(tag) ?? 0n));
console.log(`  IVI statistics: available ${stat(balloon.VIRTIO_BALLOON_S_AVAIL)}, caches ${stat(balloon.VIRTIO_BALLOON_S_CACHES)}`);
settle(pool.reclaim('ivi', 128 * MiB, 'balloon'));
attempt('grant those 128 MiB to the cluster', () => pool.grant('cluster', 128 * MiB));

console.log('\n-- a reclaim the IVI cannot finish: most of its plugged blocks hold memory it cannot move --');
for (let b = 0; b < 576; b++) iviMem.pinned.add(b);
settle(pool.reclaim('ivi', 256 * MiB, 'mem'));
console.log(`  IVI requested_size is now ${mem.mib(iviMem.config().requestedSize)}: the platform stopped asking`);
attempt('grant the 128 MiB that arrived to the cluster', () => pool.grant('cluster', 128 * MiB));
run(5);

console.log('\n-- what the platform may not do to the safety guest --');
attempt('a balloon for the cluster', () => pool.balloon('cluster'));
settle(pool.reclaim('cluster', 256 * MiB, 'mem'));

console.log('');
table('pool with the 3D map on');
showSvg(
  mem.poolToSvg(
    [
      { label: 'at ignition', view: before },
      { label: '3D map on', view: pool.view() },
    ],
    { title: 'Host memory pool, 6144 MiB' },
  ),
  'Two bars of the 6144 MiB host memory pool. At ignition: cluster 1024 MiB, IVI 3072 MiB base plus 1536 MiB plugged, 512 MiB free. With the 3D map on: the cluster has 896 MiB plugged on top of its base, the IVI has 128 MiB in its balloon (owed back, grey) and 1152 MiB plugged, and no memory is free.',
);
