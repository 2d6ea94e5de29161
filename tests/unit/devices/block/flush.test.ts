// Flush and durability (VIRTIO_BLK_T_FLUSH, §5.2.6.2): which completed writes survive a power
// loss, in each cache mode.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as F from '../../../../src/lib/devices/block/features.ts';
import {
  encodeBlkHeader,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
} from '../../../../src/lib/devices/block/request.ts';
import { ALL, disk, pattern, without } from './harness.ts';

const ZERO = (n: number) => new Uint8Array(n * 512);

describe.each(RING_TYPES)('flush (%s ring)', (ring) => {
  it('[AVP-BLK-45] in writeback mode, makes every write completed before a flush durable when the flush completes', () => {
    const t = disk(ring, { writeback: true });
    expect(t.dev.writeThrough()).toBe(false);
    t.drv.write(0, pattern(2, 1));
    t.drv.write(7, pattern(1, 2));
    expect(t.disk.dirtySectors).toBe(3);
    expect(t.disk.durable(0, 2)).toEqual(ZERO(2)); // completed, but only in the volatile cache
    expect(t.drv.flush().status).toBe(VIRTIO_BLK_S_OK);
    expect(t.disk.dirtySectors).toBe(0);
    t.disk.powerLoss();
    expect(t.drv.read(0, 2).data).toEqual(pattern(2, 1));
    expect(t.drv.read(7, 1).data).toEqual(pattern(1, 2));
    expect(t.dev.stats.flushes).toBe(1);
  });

  it('[AVP-BLK-45] in writeback mode, a write not yet flushed may be lost on power loss (the model loses it)', () => {
    const t = disk(ring, { writeback: true });
    t.drv.write(3, pattern(1, 5));
    expect(t.disk.powerLoss()).toBe(1);
    expect(t.drv.read(3, 1).data).toEqual(ZERO(1));
  });

  it('[AVP-BLK-21] with writeback set to 0, makes each write durable before completing it', () => {
    const t = disk(ring, { writeback: true });
    t.drv.setWriteback(0);
    t.drv.write(4, pattern(2, 6));
    expect(t.disk.dirtySectors).toBe(0);
    t.disk.powerLoss();
    expect(t.drv.read(4, 2).data).toEqual(pattern(2, 6));
  });

  it('[AVP-BLK-21] without FLUSH and CONFIG_WCE accepted, makes each write durable before completing it', () => {
    const t = disk(ring, { writeback: true }, { features: without(ALL, F.VIRTIO_BLK_F_FLUSH, F.VIRTIO_BLK_F_CONFIG_WCE) });
    t.drv.write(9, pattern(1, 7));
    t.disk.powerLoss();
    expect(t.drv.read(9, 1).data).toEqual(pattern(1, 7));
  });

  it('[AVP-BLK-45] [AVP-BLK-46] does not report a flush OK when the medium fails to flush, and keeps the data cached', () => {
    const t = disk(ring);
    t.drv.write(0, pattern(1, 3));
    t.disk.failOn('flush');
    expect(t.drv.flush().status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.disk.dirtySectors).toBe(1);
    t.disk.clearFaults();
    expect(t.drv.flush().status).toBe(VIRTIO_BLK_S_OK);
    expect(t.disk.durable(0, 1)).toEqual(pattern(1, 3));
  });

  it('[AVP-BLK-21] [AVP-BLK-46] fails a writethrough write with IOERR if the medium cannot make it durable', () => {
    const t = disk(ring, { writeback: false });
    t.disk.failOn('flush');
    expect(t.drv.write(0, pattern(1)).status).toBe(VIRTIO_BLK_S_IOERR);
  });

  it('[AVP-BLK-22] fails with IOERR a flush whose sector is not 0, and flushes nothing', () => {
    const t = disk(ring);
    t.drv.write(0, pattern(1));
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_FLUSH, sector: 1 })], [1]);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('flush-sector');
    expect(t.disk.dirtySectors).toBe(1);
  });

  it('[AVP-BLK-22] ignores data in a flush request', () => {
    const t = disk(ring);
    t.drv.write(0, pattern(1));
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_FLUSH }), pattern(1, 9)], [8]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.data).toEqual(new Uint8Array(7));
    expect(t.disk.dirtySectors).toBe(0);
    expect(t.disk.peek(0, 1)).toEqual(pattern(1));
  });

  it('[AVP-BLK-14] answers a flush UNSUPP when the driver did not accept FLUSH', () => {
    const t = disk(ring, {}, { features: without(ALL, F.VIRTIO_BLK_F_FLUSH) });
    expect(t.drv.flush().status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(t.dev.stats.lastError).toBe('not-negotiated');
  });
});
