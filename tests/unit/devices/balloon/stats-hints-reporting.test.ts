// The balloon's optional queues on both ring layouts: memory statistics (§5.5.6.3), free page
// hinting (§5.5.6.5), page poison (§5.5.6.6) and free page reporting (§5.5.6.7).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { DeviceEnv } from '../../../../src/lib/virtio/device.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { BalloonDevice } from '../../../../src/lib/devices/balloon/device.ts';
import { BalloonDriver } from '../../../../src/lib/devices/balloon/driver.ts';
import * as P from '../../../../src/lib/devices/balloon/protocol.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { errorCount, rig, type Rig, without } from './harness.ts';

const MiB = BigInt(1 << 20);

/** A balloon whose driver writes poison_val between FEATURES_OK and DRIVER_OK, as §5.5.6.6.1 asks. */
class PoisonedBalloon extends BalloonDevice {
  poison = 0xaa55_aa55;
  protected onActivate(env: DeviceEnv): void {
    this.writeConfig(P.BALLOON_CFG_POISON_VAL, P.encodePfns([this.poison]));
    super.onActivate(env);
  }
}

function poisonedRig(ring: RingType): Rig {
  const dev = new PoisonedBalloon({ guestPages: 0x1000 });
  const lb = new Loopback(dev, { ring });
  return { dev, lb, drv: new BalloonDriver(lb) };
}

/** Offers one report of the given ranges, with a device-readable buffer first if `readable`. */
function rawReport(r: Rig, ranges: { addr: number; len: number; writable?: boolean }[]): number | undefined {
  const q = r.drv.queueOf('reporting_vq');
  r.lb.queues[q].add(ranges.map((x) => ({ addr: x.addr, len: x.len, writable: x.writable ?? true })));
  r.lb.kick(q);
  return r.lb.queues[q].pollUsed()?.len;
}

describe.each(RING_TYPES)('balloon statistics (%s ring)', (ring) => {
  it('[AVP-MEM-21] accepts entries in any order and ignores tags it does not know', () => {
    const r = rig(ring);
    r.drv.offerStats([
      [P.VIRTIO_BALLOON_S_AVAIL, 300n * MiB],
      [0x7777, 5n],
      [P.VIRTIO_BALLOON_S_SWAP_IN, 0n],
      [P.VIRTIO_BALLOON_S_MEMTOT, 2048n * MiB],
    ]);
    expect(Object.fromEntries(r.dev.stats)).toEqual({ [P.VIRTIO_BALLOON_S_AVAIL]: 300n * MiB, [P.VIRTIO_BALLOON_S_SWAP_IN]: 0n, [P.VIRTIO_BALLOON_S_MEMTOT]: 2048n * MiB });
    expect(r.dev.counters.statsUpdates).toBe(1);
    expect(r.dev.errors.size).toBe(0);
  });

  it('[AVP-MEM-22] refuses a buffer that is not whole 10-byte entries, has a tag twice or a writable part, and keeps the statistics it had', () => {
    const r = rig(ring);
    const q = r.drv.queueOf('statsq');
    r.drv.offerStats([[P.VIRTIO_BALLOON_S_MEMFREE, 7n]]);
    const cases: [Uint8Array[], number[], string][] = [
      [[P.encodeStats([[P.VIRTIO_BALLOON_S_MEMFREE, 1n]]).subarray(0, 6)], [], 'STATS_BAD_LENGTH'],
      [[P.encodeStats([[P.VIRTIO_BALLOON_S_MEMFREE, 1n], [P.VIRTIO_BALLOON_S_MEMFREE, 2n]])], [], 'STATS_DUPLICATE_TAG'],
      [[P.encodeStats([[P.VIRTIO_BALLOON_S_MEMFREE, 1n]])], [10], 'WRITABLE_BUFFER'],
    ];
    for (const [out, inLens, code] of cases) {
      expect(r.dev.requestStats()).toBe(true);
      r.lb.poll(q);
      r.lb.submit(q, out, inLens);
      expect(errorCount(r, code)).toBe(1);
      expect(r.dev.stats.get(P.VIRTIO_BALLOON_S_MEMFREE)).toBe(7n);
    }
    // The refused buffer is still the one the device holds: the next request uses it.
    expect(r.dev.requestStats()).toBe(true);
  });

  it('[AVP-MEM-23] the driver sends statistics buffers of whole 10-byte entries, which the device reads', () => {
    const entries: [number, bigint][] = [[P.VIRTIO_BALLOON_S_MAJFLT, 3n], [P.VIRTIO_BALLOON_S_CACHES, 9n], [P.VIRTIO_BALLOON_S_HTLB_PGFAIL, 1n]];
    expect(P.encodeStats(entries).length).toBe(30);
    expect(P.BALLOON_STAT_SIZE).toBe(10);
    const r = rig(ring);
    r.drv.offerStats(entries);
    expect(r.dev.stats.size).toBe(3);
    // A buffer a multiple of 6 bytes long, as VIRTIO 1.4's text has it, is not entries at all.
    r.dev.requestStats();
    r.drv.answerStats([]);
    r.lb.poll(r.drv.queueOf('statsq'));
    r.dev.requestStats();
    r.lb.poll(r.drv.queueOf('statsq'));
    r.lb.submit(r.drv.queueOf('statsq'), [new Uint8Array(12)], []);
    expect(errorCount(r, 'STATS_BAD_LENGTH')).toBe(1);
  });

  it('[AVP-MEM-24] holds one buffer at a time and uses a second one at once', () => {
    const r = rig(ring);
    const q = r.drv.queueOf('statsq');
    r.drv.offerStats([[P.VIRTIO_BALLOON_S_MEMFREE, 1n]]);
    const second = r.lb.submit(q, [P.encodeStats([[P.VIRTIO_BALLOON_S_MEMFREE, 2n]])], []);
    expect(r.lb.poll(q).map((c) => [c.id, c.len])).toEqual([[second, 0]]);
    expect(errorCount(r, 'STATS_EXTRA_BUFFER')).toBe(1);
    expect(r.dev.stats.get(P.VIRTIO_BALLOON_S_MEMFREE)).toBe(1n);
  });

  it('[AVP-MEM-25] keeps the buffer until it wants new statistics, and asks by using it', () => {
    const r = rig(ring);
    const q = r.drv.queueOf('statsq');
    expect(r.dev.requestStats()).toBe(false); // nothing held yet
    r.drv.offerStats([[P.VIRTIO_BALLOON_S_MEMFREE, 1n]]);
    expect(r.lb.poll(q)).toEqual([]);
    expect(r.dev.requestStats()).toBe(true);
    expect(r.dev.requestStats()).toBe(false);
    expect(r.drv.answerStats([[P.VIRTIO_BALLOON_S_MEMFREE, 42n]])).toBe(true);
    expect(r.dev.stats.get(P.VIRTIO_BALLOON_S_MEMFREE)).toBe(42n);
    expect(r.dev.counters.statsUpdates).toBe(2);
  });
});

describe.each(RING_TYPES)('balloon free page hinting (%s ring)', (ring) => {
  it('[AVP-MEM-26] is not offered unless the platform asks for it', () => {
    expect(() => rig(ring).drv.queueOf('free_page_vq')).toThrow(/no free_page_vq/);
    expect(() => rig(ring).dev.startHinting()).toThrow(/FREE_PAGE_HINT/);
  });

  it('[AVP-MEM-27] never issues a command ID twice, STOP and DONE between rounds included', () => {
    const r = rig(ring, { freePageHint: true });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(r.dev.startHinting());
      expect(r.dev.config.u32(P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID)).toBe(ids[i]);
      if (i % 2) r.dev.finishHinting();
      else r.dev.stopHinting();
    }
    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => id >= 2)).toBe(true);
    r.dev.reset(); // not even after a reset
    expect(r.dev.startHinting()).toBe(ids[3] + 1);
  });

  it('[AVP-MEM-28] keeps pages hinted under the current command ID and ignores those under any other', () => {
    const r = rig(ring, { freePageHint: true });
    const id = r.dev.startHinting();
    r.drv.hint(id, [{ addr: 0x40000, len: 0x2000 }]);
    expect([...r.dev.hints.hinted]).toEqual([0x40, 0x41]);
    r.drv.hint(id + 5, [{ addr: 0x50000, len: 0x1000 }]);
    r.drv.hint(null, [{ addr: 0x60000, len: 0x1000 }]); // still the stale round
    expect(errorCount(r, 'HINT_STALE_ID')).toBe(2);
    r.drv.hint(P.VIRTIO_BALLOON_CMD_ID_STOP);
    r.drv.hint(null, [{ addr: 0x70000, len: 0x1000 }]); // after the driver's STOP
    const next = r.dev.startHinting();
    r.drv.hint(id, [{ addr: 0x80000, len: 0x1000 }]); // the old round's ID
    expect(errorCount(r, 'HINT_STALE_ID')).toBe(4);
    r.drv.hint(next, [{ addr: 0x90000, len: 0x1000 }]);
    expect([...r.dev.hints.hinted]).toEqual([0x90]);
  });

  it('[AVP-MEM-29] ignores a chain whose command ID buffer is not exactly 4 bytes', () => {
    const r = rig(ring, { freePageHint: true });
    const id = r.dev.startHinting();
    const q = r.drv.queueOf('free_page_vq');
    for (const len of [2, 8]) {
      const at = r.lb.alloc(len);
      r.lb.mem.write(at, new Uint8Array(len).fill(id));
      r.lb.queues[q].add([{ addr: at, len, writable: false }, { addr: 0x40000, len: 0x1000, writable: true }]);
      r.lb.kick(q);
    }
    expect(errorCount(r, 'HINT_BAD_LENGTH')).toBe(2);
    expect(r.dev.hints.hinted.size).toBe(0);
  });

  it('[AVP-MEM-30] after DONE, keeps no hinted page and never writes one', () => {
    const r = rig(ring, { freePageHint: true });
    const id = r.dev.startHinting();
    r.lb.mem.write(0x40000, new Uint8Array(0x1000).fill(0x5c));
    r.drv.hint(id, [{ addr: 0x40000, len: 0x1000 }]);
    r.dev.finishHinting();
    expect(r.dev.config.u32(P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID)).toBe(P.VIRTIO_BALLOON_CMD_ID_DONE);
    expect(r.dev.hints.hinted.size).toBe(0);
    r.drv.hint(id, [{ addr: 0x40000, len: 0x1000 }]);
    expect(r.dev.hints.hinted.size).toBe(0);
    expect(r.lb.mem.read(0x40000, 0x1000).every((b) => b === 0x5c)).toBe(true);
  });
});

describe.each(RING_TYPES)('balloon page poison and free page reporting (%s ring)', (ring) => {
  it('[AVP-MEM-31] takes poison_val before DRIVER_OK and ignores a write after it', () => {
    const r = poisonedRig(ring);
    expect(r.dev.config.u32(P.BALLOON_CFG_POISON_VAL)).toBe(0xaa55_aa55);
    r.dev.writeConfig(P.BALLOON_CFG_POISON_VAL, P.encodePfns([1]));
    expect(r.dev.config.u32(P.BALLOON_CFG_POISON_VAL)).toBe(0xaa55_aa55);
    expect(errorCount(r, 'POISON_LOCKED')).toBe(1);
    // Without PAGE_POISON negotiated, the field is not the driver's to write at all.
    const plain = rig(ring, {}, without(P.VIRTIO_BALLOON_F_PAGE_POISON));
    plain.dev.writeConfig(P.BALLOON_CFG_POISON_VAL, P.encodePfns([1]));
    expect(errorCount(plain, 'CONFIG_READ_ONLY')).toBe(1);
  });

  it('[AVP-MEM-32] with PAGE_POISON, leaves reported pages holding poison_val and nothing else', () => {
    const r = poisonedRig(ring);
    r.lb.mem.write(0x40000, new Uint8Array(0x2000).fill(0x11));
    expect(r.drv.report([{ addr: 0x40000, len: 0x2000 }])).toBe(true);
    const v = new DataView(r.lb.mem.read(0x40000, 0x2000).buffer);
    for (let i = 0; i < 0x2000; i += 4) expect(v.getUint32(i, true)).toBe(0xaa55_aa55);
    expect(r.dev.counters.reportedPages).toBe(2);
    // Without it, the host drops the contents: the guest reads zeros.
    const plain = rig(ring, {}, without(P.VIRTIO_BALLOON_F_PAGE_POISON));
    plain.lb.mem.write(0x40000, new Uint8Array(0x1000).fill(0x11));
    plain.drv.report([{ addr: 0x40000, len: 0x1000 }]);
    expect(plain.lb.mem.read(0x40000, 0x1000).every((b) => b === 0)).toBe(true);
  });

  it('[AVP-MEM-33] refuses a report with a device-readable buffer, a range not in whole pages, or a page that is not the guest\'s to report', () => {
    const r = rig(ring, { protectedRanges: [{ first: 0x80, count: 1 }] });
    r.drv.inflate([0x50]);
    r.lb.mem.write(0x40000, new Uint8Array(0x1000).fill(0x22));
    const cases: [{ addr: number; len: number; writable?: boolean }[], string][] = [
      [[{ addr: 0x40000, len: 0x1000, writable: false }], 'REPORT_READABLE_BUFFER'],
      [[{ addr: 0x40000, len: 0x1000 }, { addr: 0x42000, len: 0x800 }], 'REPORT_MISALIGNED'],
      [[{ addr: 0x40000, len: 0x1000 }, { addr: 0x41800, len: 0x1000 }], 'REPORT_MISALIGNED'],
      [[{ addr: 0x40000, len: 0x1000 }, { addr: 0x50000, len: 0x1000 }], 'REPORT_IN_BALLOON'],
      [[{ addr: 0x40000, len: 0x1000 }, { addr: 0x80000, len: 0x1000 }], 'PFN_PROTECTED'],
    ];
    for (const [ranges, code] of cases) {
      expect(rawReport(r, ranges)).toBe(0);
      expect(errorCount(r, code)).toBeGreaterThan(0);
    }
    // All or nothing: the good page in each refused report kept its contents.
    expect(r.lb.mem.read(0x40000, 0x1000).every((b) => b === 0x22)).toBe(true);
    expect(r.dev.counters.reportedPages).toBe(0);
    const small = rig(ring, { guestPages: 0x10 });
    expect(rawReport(small, [{ addr: 0x40000, len: 0x1000 }])).toBe(0);
    expect(errorCount(small, 'PFN_OUT_OF_RANGE')).toBe(1);
  });
});
