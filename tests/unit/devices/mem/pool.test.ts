// The platform's host memory pool with balloons and memory devices on both ring layouts: what
// the pool counts, what it never takes from or gives to a safety guest, the claims that come
// before any grant, and the deadline on a reclaim.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { hasFeature } from '../../../../src/lib/virtio/feature-bits.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import { BalloonDriver } from '../../../../src/lib/devices/balloon/driver.ts';
import { VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_FREE_PAGE_HINT } from '../../../../src/lib/devices/balloon/protocol.ts';
import { MemDriver } from '../../../../src/lib/devices/mem/driver.ts';
import { AVP_RECLAIM_BOUND_US, HostMemoryPool, PoolError } from '../../../../src/lib/devices/mem/pool.ts';

const MiB = 1 << 20;
const region = { addr: 0x1_0000_0000, regionSize: 512 * MiB, blockSize: 2 * MiB, usableExtent: 64 * MiB };

/** 1 GiB: a safety cluster (128 MiB), an IVI (512 MiB) with a balloon and a memory device, a rear-seat guest (128 MiB) with a memory device; 256 MiB free. */
function platform(ring: RingType) {
  const clock = new ModelClock();
  const pool = new HostMemoryPool({
    totalBytes: 1024 * MiB,
    clock,
    guests: [
      { name: 'cluster', baseBytes: 128 * MiB, safety: true },
      { name: 'ivi', baseBytes: 512 * MiB },
      { name: 'rse', baseBytes: 128 * MiB },
    ],
  });
  const cluster = new MemDriver(new Loopback(pool.memDevice('cluster', region), { ring }));
  const ivi = new MemDriver(new Loopback(pool.memDevice('ivi', region), { ring }));
  const rse = new MemDriver(new Loopback(pool.memDevice('rse', region), { ring }));
  const balloonDev = pool.balloon('ivi');
  const balloon = new BalloonDriver(new Loopback(balloonDev, { ring }), { firstPfn: 0x10000, pageCount: 0x10000 });
  const step = (ms: number) => {
    for (let i = 0; i < ms; i++) clock.advance(1000);
  };
  return { clock, pool, cluster, ivi, rse, balloonDev, balloon, step };
}

const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof PoolError ? e.code : String(e);
  }
};

describe.each(RING_TYPES)('host memory pool (%s ring)', (ring) => {
  it('[AVP-MEM-13] counts a balloon by the pages its device accepted, not by `actual`', () => {
    const p = platform(ring);
    p.balloonDev.setTarget(1024);
    p.balloon.sync();
    p.balloonDev.writeConfig(4, Uint8Array.of(0, 0, 1, 0)); // the driver claims 65536 pages
    expect(p.balloonDev.actual).toBe(65536);
    expect(p.pool.view().guests[1].inBalloon).toBe(4 * MiB);
    expect(p.pool.view().owedFree).toBe(4 * MiB);
    expect(p.pool.balanced()).toBe(true);
  });

  it('[AVP-MEM-17] [AVP-MEM-26] gives a guest a balloon with DEFLATE_ON_OOM and without free page hinting', () => {
    const p = platform(ring);
    expect(hasFeature(p.balloonDev.offeredFeatures(), VIRTIO_BALLOON_F_DEFLATE_ON_OOM)).toBe(true);
    expect(hasFeature(p.balloonDev.offeredFeatures(), VIRTIO_BALLOON_F_FREE_PAGE_HINT)).toBe(false);
  });

  it('[AVP-MEM-34] lends no page the guest reported free', () => {
    const p = platform(ring);
    const before = p.pool.view();
    expect(p.balloon.report([{ addr: 0x40000, len: 0x4000 }])).toBe(true);
    expect(p.balloonDev.counters.reportedPages).toBe(4);
    expect(p.pool.view()).toEqual(before);
    expect(code(() => p.pool.grant('rse', 258 * MiB))).toBe('POOL_SHORT');
  });

  it('[AVP-MEM-35] gives a safety guest no balloon', () => {
    const p = platform(ring);
    expect(code(() => p.pool.balloon('cluster'))).toBe('SAFETY_GUEST_BALLOON');
  });

  it('[AVP-MEM-36] does not let a guest run while memory its reset claimed back is not backed', () => {
    const p = platform(ring);
    p.balloonDev.setTarget((64 * MiB) / 4096);
    p.balloon.sync();
    p.pool.grant('rse', 256 * MiB + 64 * MiB); // the free memory and the IVI's ballooned pages
    p.rse.sync();
    expect(p.pool.view().free + p.pool.view().owedFree).toBe(0);
    p.pool.resetGuest('ivi');
    expect(p.balloonDev.pagesInBalloon).toBe(0);
    expect(p.pool.runnable('ivi')).toBe(false);
    expect(p.pool.view().guests[1].shortfall).toBe(64 * MiB);
    expect(p.pool.balanced()).toBe(true);
    // The platform takes memory back from the rear-seat guest; the IVI's claim comes first.
    p.rse.attach(p.clock, { blocksPerMs: 16 });
    const r = p.pool.reclaim('rse', 64 * MiB, 'mem');
    p.step(3);
    expect(r.state).toBe('done');
    expect(p.pool.runnable('ivi')).toBe(true);
    expect(p.pool.view().guests[1].usable).toBe(512 * MiB);
  });

  it('[AVP-MEM-37] backs waiting deflates before it grants memory to anyone', () => {
    const p = platform(ring);
    p.balloonDev.setTarget((32 * MiB) / 4096);
    p.balloon.sync();
    p.pool.grant('rse', 256 * MiB + 32 * MiB);
    p.rse.sync();
    // The IVI, short of memory, takes 16 MiB back: nothing backs them yet, so the deflate waits.
    expect(p.balloon.oomDeflate(4096)).toBe(false);
    expect(p.balloonDev.pendingDeflatePages).toBe(4096);
    p.rse.attach(p.clock, { blocksPerMs: 1 });
    p.pool.reclaim('rse', 8 * MiB, 'mem');
    p.step(4); // 8 MiB back in the pool: not enough for the deflate, and not anyone else's either
    expect(p.pool.view().owedFree).toBe(8 * MiB);
    expect(p.balloonDev.pendingDeflatePages).toBe(4096);
    expect(code(() => p.pool.grant('rse', 2 * MiB))).toBe('POOL_SHORT');
    p.pool.reclaim('rse', 8 * MiB, 'mem');
    p.step(4);
    p.balloon.collect();
    expect(p.balloonDev.pendingDeflatePages).toBe(0);
    expect(p.balloon.waitingPages).toBe(0);
    expect(p.pool.view().guests[1].inBalloon).toBe(16 * MiB);
    expect(p.pool.balanced()).toBe(true);
  });

  it('[AVP-MEM-60] unplugs every block of a guest that resets and returns it to the pool', () => {
    const p = platform(ring);
    p.pool.grant('rse', 64 * MiB);
    p.rse.sync();
    expect(p.pool.view().guests[2].plugged).toBe(64 * MiB);
    p.pool.resetGuest('rse');
    const g = p.pool.view().guests[2];
    expect([g.plugged, g.reserved]).toEqual([0, 64 * MiB]); // still granted: the guest plugs again after boot
    p.pool.reclaim('rse', 64 * MiB, 'mem');
    expect(p.pool.view().free).toBe(256 * MiB);
  });

  it('[AVP-MEM-64] never lowers a safety guest\'s requested_size below what it has plugged', () => {
    const p = platform(ring);
    p.pool.grant('cluster', 64 * MiB);
    p.cluster.plug(0, 16); // 32 MiB of the 64 granted
    const r = p.pool.reclaim('cluster', 48 * MiB, 'mem');
    expect([r.state, r.refusal]).toEqual(['refused', 'SAFETY_GUEST_SHRINK']);
    expect(p.cluster.config().requestedSize).toBe(64 * MiB);
    // What is set aside and not plugged may go back.
    const ok = p.pool.reclaim('cluster', 32 * MiB, 'mem');
    expect(ok.state).toBe('done');
    expect(p.cluster.config().pluggedSize).toBe(32 * MiB);
  });

  it('[AVP-MEM-65] plugs no ballooned memory into a safety guest, and lends it to other guests', () => {
    const p = platform(ring);
    p.pool.grant('ivi', 256 * MiB); // all the free memory
    p.balloonDev.setTarget((64 * MiB) / 4096);
    p.balloon.sync();
    expect(p.pool.view().owedFree).toBe(64 * MiB);
    expect(code(() => p.pool.grant('cluster', 2 * MiB))).toBe('POOL_SHORT');
    expect(code(() => p.pool.grant('rse', 64 * MiB))).toBeNull();
    expect(p.pool.view().owedFree).toBe(0);
    // Returned by the rear-seat guest, it is still owed: still not the cluster's.
    p.pool.reclaim('rse', 64 * MiB, 'mem');
    expect(p.pool.view().owedFree).toBe(64 * MiB);
    expect(code(() => p.pool.grant('cluster', 2 * MiB))).toBe('POOL_SHORT');
  });

  it('[AVP-MEM-66] grants only memory the pool holds, and sets it aside for that guest', () => {
    const p = platform(ring);
    expect(code(() => p.pool.grant('rse', 258 * MiB))).toBe('POOL_SHORT');
    expect(p.rse.config().requestedSize).toBe(0);
    p.pool.grant('rse', 200 * MiB);
    expect(code(() => p.pool.grant('cluster', 64 * MiB))).toBe('POOL_SHORT'); // set aside for rse
    p.pool.grant('cluster', 56 * MiB);
    p.rse.sync();
    p.cluster.sync();
    expect([p.rse.config().pluggedSize, p.cluster.config().pluggedSize]).toEqual([200 * MiB, 56 * MiB]);
    expect(p.pool.view().free).toBe(0);
    expect(p.pool.balanced()).toBe(true);
  });

  it('[AVP-MEM-67] ends a reclaim at 500 ms with what arrived and stops asking', () => {
    const p = platform(ring);
    expect(AVP_RECLAIM_BOUND_US).toBe(500_000);
    p.pool.grant('ivi', 128 * MiB);
    p.ivi.sync();
    for (let b = 0; b < 56; b++) p.ivi.pinned.add(b); // 8 of 64 blocks can move
    p.ivi.attach(p.clock, { blocksPerMs: 1 });
    const r = p.pool.reclaim('ivi', 64 * MiB, 'mem');
    p.step(499);
    expect(r.state).toBe('running');
    p.step(1);
    expect([r.state, r.got, r.endedUs! - r.startedUs]).toEqual(['timed-out', 16 * MiB, 500_000]);
    expect(p.ivi.config().requestedSize).toBe(112 * MiB);
    // The balloon's reclaim: a guest that does not respond at all.
    p.balloon.attach(p.clock, { pagesPerMs: 0 });
    const b = p.pool.reclaim('ivi', 8 * MiB, 'balloon');
    p.step(500);
    expect([b.state, b.got]).toEqual(['timed-out', 0]);
    expect(p.balloonDev.numPages).toBe(0);
    expect(p.pool.balanced()).toBe(true);
  });

  it('[AVP-MEM-67] ends a balloon reclaim early when the guest deflates on out-of-memory', () => {
    const p = platform(ring);
    p.balloon.attach(p.clock, { pagesPerMs: 256 });
    const r = p.pool.reclaim('ivi', 4 * MiB, 'balloon');
    p.step(2);
    p.balloon.oomDeflate(64);
    p.step(1);
    expect([r.state, r.refusal]).toEqual(['refused', 'GUEST_OOM']);
  });
});
