// The balloon device (VIRTIO 1.4 §5.5) as a whole, on both ring layouts: its ID and queues, the
// numbering of the optional queues, MUST_TELL_HOST, the configuration space, used lengths,
// suspend, and a broken ring against a bad request.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit, hasFeature, VIRTIO_F_SUSPEND } from '../../../../src/lib/virtio/feature-bits.ts';
import { BalloonDevice } from '../../../../src/lib/devices/balloon/device.ts';
import * as P from '../../../../src/lib/devices/balloon/protocol.ts';
import { ALL, errorCount, needsReset, rig, send, without } from './harness.ts';

const le32 = (v: number) => P.encodePfns([v]);

describe.each(RING_TYPES)('balloon device and queues (%s ring)', (ring) => {
  it('[AVP-MEM-1] has device ID 5, the inflateq at 0 and the deflateq at 1', () => {
    const r = rig(ring);
    expect(r.dev.deviceId).toBe(5);
    expect(P.VIRTIO_ID_BALLOON).toBe(5);
    expect(r.drv.queueOf('inflateq')).toBe(0);
    expect(r.drv.queueOf('deflateq')).toBe(1);
    r.drv.inflate([0x100]);
    expect(r.dev.has(0x100)).toBe(true);
    r.drv.deflate([0x100]);
    expect(r.dev.has(0x100)).toBe(false);
  });

  it('[AVP-MEM-2] numbers the optional queues one after another, only those whose feature was negotiated', () => {
    const { STATS_VQ, FREE, REPORT } = { STATS_VQ: P.VIRTIO_BALLOON_F_STATS_VQ, FREE: P.VIRTIO_BALLOON_F_FREE_PAGE_HINT, REPORT: P.VIRTIO_BALLOON_F_PAGE_REPORTING };
    const all = rig(ring, { freePageHint: true });
    expect(all.lb.queues.length).toBe(5);
    expect(['statsq', 'free_page_vq', 'reporting_vq'].map((q) => all.drv.queueOf(q as P.BalloonQueueRole))).toEqual([2, 3, 4]);
    const noStats = rig(ring, { freePageHint: true }, without(STATS_VQ));
    expect(noStats.lb.queues.length).toBe(4);
    expect([noStats.drv.queueOf('free_page_vq'), noStats.drv.queueOf('reporting_vq')]).toEqual([2, 3]);
    const reportOnly = rig(ring, {}, without(STATS_VQ, FREE));
    expect(reportOnly.lb.queues.length).toBe(3);
    expect(reportOnly.drv.queueOf('reporting_vq')).toBe(2);
    // The device serves the reporting queue at index 2, where the driver put it.
    expect(reportOnly.drv.report([{ addr: 0x20000, len: 0x1000 }])).toBe(true);
    expect(reportOnly.dev.counters.reportedPages).toBe(1);
    const bare = rig(ring, {}, without(STATS_VQ, FREE, REPORT));
    expect(bare.lb.queues.length).toBe(2);
  });

  it('[AVP-MEM-3] offers MUST_TELL_HOST and refuses FEATURES_OK to a driver that does not accept it', () => {
    const dev = new BalloonDevice({ guestPages: 0x1000 });
    expect(hasFeature(dev.offeredFeatures(), P.VIRTIO_BALLOON_F_MUST_TELL_HOST)).toBe(true);
    expect(dev.checkFeatures(dev.offeredFeatures() & without(P.VIRTIO_BALLOON_F_MUST_TELL_HOST))).toMatch(/MUST_TELL_HOST/);
    expect(() => new Loopback(dev, { ring, features: without(P.VIRTIO_BALLOON_F_MUST_TELL_HOST) })).toThrow(/FEATURES_OK refused.*MUST_TELL_HOST/);
    expect(() => new Loopback(dev, { ring })).not.toThrow();
  });

  it('[AVP-MEM-10] uses every buffer of every queue with used length 0, the device-writable ones included', () => {
    const r = rig(ring);
    expect(send(r, 'inflateq', [le32(0x100)]).len).toBe(0);
    expect(send(r, 'deflateq', [le32(0x100)]).len).toBe(0);
    r.drv.offerStats([[P.VIRTIO_BALLOON_S_MEMFREE, 1n]]);
    r.dev.requestStats();
    expect(r.lb.poll(r.drv.queueOf('statsq')).map((c) => c.len)).toEqual([0]);
    const q = r.drv.queueOf('reporting_vq');
    r.lb.queues[q].add([{ addr: 0x30000, len: 0x2000, writable: true }]);
    r.lb.kick(q);
    const used = r.lb.queues[q].pollUsed();
    expect(used?.len).toBe(0);
    // Refused requests too.
    expect(send(r, 'inflateq', [new Uint8Array(3)]).len).toBe(0);
    expect(send(r, 'inflateq', [le32(1)], [16]).len).toBe(0);
  });

  it('[AVP-MEM-10] uses a free page hint buffer with used length 0', () => {
    const r = rig(ring, { freePageHint: true });
    const q = r.drv.queueOf('free_page_vq');
    r.dev.startHinting();
    const at = r.lb.alloc(4);
    r.lb.mem.write(at, P.encodeCmdId(2));
    r.lb.queues[q].add([{ addr: at, len: 4, writable: false }, { addr: 0x40000, len: 0x1000, writable: true }]);
    r.lb.kick(q);
    expect(r.lb.queues[q].pollUsed()?.len).toBe(0);
    expect(r.dev.hints.hinted.has(0x40)).toBe(true);
  });

  it('[AVP-MEM-12] never needs a reset for what a request holds, only for a broken ring', () => {
    const r = rig(ring);
    for (const bytes of [new Uint8Array(1), new Uint8Array(7).fill(0xff), P.encodePfns([0xffff_ffff, 0x100, 0x100])]) {
      for (const role of ['inflateq', 'deflateq', 'statsq', 'reporting_vq'] as const) r.lb.submit(r.drv.queueOf(role), [bytes], role === 'reporting_vq' ? [4096] : []);
    }
    expect(needsReset(r)).toBe(false);
    r.drv.inflate([0x101]);
    expect(r.dev.has(0x101)).toBe(true);
    r.lb.queues[0].add([{ addr: 0x7fff_0000, len: 4, writable: false }]);
    r.dev.queueNotify(0);
    expect(needsReset(r)).toBe(true);
  });

  it('[AVP-MEM-18] lays out num_pages, actual, free_page_hint_cmd_id and poison_val, takes `actual` from the driver and ignores writes to the rest', () => {
    const r = rig(ring, { initialTarget: 7, freePageHint: true });
    expect(P.BALLOON_CONFIG_SIZE).toBe(16);
    expect([P.BALLOON_CFG_NUM_PAGES, P.BALLOON_CFG_ACTUAL, P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID, P.BALLOON_CFG_POISON_VAL]).toEqual([0, 4, 8, 12]);
    expect(r.dev.config.u32(0)).toBe(7);
    r.dev.writeConfig(4, le32(3));
    expect(r.dev.actual).toBe(3);
    for (const off of [0, 8, 2, 6]) r.dev.writeConfig(off, le32(0xdead));
    expect(r.dev.config.u32(0)).toBe(7);
    expect(r.dev.config.u32(8)).toBe(P.VIRTIO_BALLOON_CMD_ID_STOP);
    expect(r.dev.actual).toBe(3);
    expect(errorCount(r, 'CONFIG_READ_ONLY')).toBe(4);
    // The device's own count is what it accepted, whatever the driver writes in `actual`.
    r.dev.writeConfig(4, le32(999));
    expect(r.dev.pagesInBalloon).toBe(0);
  });

  it('[AVP-MEM-19] raises a configuration change notification for every change of num_pages', () => {
    const r = rig(ring);
    const before = r.lb.configNotifications;
    const gen = r.dev.config.generation;
    r.dev.setTarget(10);
    r.dev.setTarget(4);
    expect(r.lb.configNotifications - before).toBe(2);
    expect(r.dev.config.generation).not.toBe(gen);
    expect(r.dev.numPages).toBe(4);
    expect(() => r.dev.setTarget(0x1001)).toThrow(RangeError); // beyond the guest's memory
  });

  it('[AVP-MEM-20] holds a change of num_pages or of the command ID back while suspended and makes it, with one notification, at resume', () => {
    const r = rig(ring, { freePageHint: true });
    expect(hasFeature(r.lb.features, VIRTIO_F_SUSPEND)).toBe(true);
    r.dev.suspend();
    const n = r.lb.configNotifications;
    r.dev.setTarget(12);
    r.dev.startHinting();
    expect(r.dev.numPages).toBe(0);
    expect(r.dev.config.u32(8)).toBe(0);
    expect(r.lb.configNotifications).toBe(n);
    // A suspended device takes no buffers either.
    r.lb.submit(0, [le32(0x100)], []);
    expect(r.dev.pagesInBalloon).toBe(0);
    r.dev.resume();
    expect(r.dev.numPages).toBe(12);
    expect(r.dev.config.u32(8)).toBe(2);
    expect(r.lb.configNotifications).toBe(n + 1);
    expect(r.dev.has(0x100)).toBe(true);
  });
});

describe('balloon feature offer', () => {
  it('[AVP-MEM-17] offers DEFLATE_ON_OOM unless the platform turns it off', () => {
    expect(hasFeature(new BalloonDevice().offeredFeatures(), P.VIRTIO_BALLOON_F_DEFLATE_ON_OOM)).toBe(true);
    expect(hasFeature(new BalloonDevice({ deflateOnOom: false }).offeredFeatures(), P.VIRTIO_BALLOON_F_DEFLATE_ON_OOM)).toBe(false);
    expect(new BalloonDevice().offeredFeatures() & bit(P.VIRTIO_BALLOON_F_FREE_PAGE_HINT)).toBe(0n);
    expect(ALL & bit(P.VIRTIO_BALLOON_F_FREE_PAGE_HINT)).not.toBe(0n);
  });
});
