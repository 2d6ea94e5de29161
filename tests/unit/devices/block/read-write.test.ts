// Reads and writes (VIRTIO_BLK_T_IN / VIRTIO_BLK_T_OUT, §5.2.6) and every way the driver can
// get one wrong.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { SECTOR_SIZE } from '../../../../src/lib/devices/block/config.ts';
import * as F from '../../../../src/lib/devices/block/features.ts';
import {
  encodeBlkHeader,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
} from '../../../../src/lib/devices/block/request.ts';
import { ALL, concat, cut, disk, needsReset, pattern, without } from './harness.ts';

describe.each(RING_TYPES)('read and write (%s ring)', (ring) => {
  it('[AVP-BLK-8] writes sectors and reads them back byte for byte', () => {
    const t = disk(ring);
    const data = pattern(4, 3);
    const w = t.drv.write(10, data);
    expect(w).toEqual({ status: VIRTIO_BLK_S_OK, data: new Uint8Array(0), len: 1 });
    const r = t.drv.read(10, 4);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.data).toEqual(data);
    expect(t.disk.peek(10, 4)).toEqual(data);
    expect(t.dev.stats.sectorsWritten).toBe(4);
    expect(t.dev.stats.sectorsRead).toBe(4);
  });

  it('[AVP-BLK-8] accepts any framing: the header split across buffers, data and status sharing buffers, indirect tables', () => {
    const t = disk(ring);
    const data = pattern(2, 9);
    const bytes = concat(encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 5 }), data);
    // 3 + 5 + 8 bytes of header, then the data in 3 pieces, the second one straddling a sector.
    expect(t.drv.raw(cut(bytes, 3, 5, 8, 100, 700), [1]).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.disk.peek(5, 2)).toEqual(data);
    // A read whose writable part is 3 buffers, the last holding the end of the data and the status.
    const r = t.drv.raw(cut(encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 5 }), 10), [300, 600, 2 * SECTOR_SIZE + 1 - 900]);
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.data).toEqual(data);
    const ind = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 5 })], [SECTOR_SIZE, SECTOR_SIZE, 1], { indirect: true });
    expect(ind.data).toEqual(data);
  });

  it('[AVP-BLK-9] reports a used length covering data and status', () => {
    const t = disk(ring);
    expect(t.drv.read(0, 3).len).toBe(3 * SECTOR_SIZE + 1);
    expect(t.drv.write(0, pattern(3)).len).toBe(1);
  });

  it('[AVP-BLK-12] ignores the reserved field', () => {
    const t = disk(ring);
    const data = pattern(1, 4);
    expect(t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, reserved: 0xdeadbeef, sector: 1 }), data], [1]).status).toBe(VIRTIO_BLK_S_OK);
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN, reserved: 7, sector: 1 })], [SECTOR_SIZE + 1]);
    expect(r.data).toEqual(data);
  });

  it('[AVP-BLK-17] fails with IOERR a read or write whose data is not a multiple of 512 bytes, transferring nothing', () => {
    const t = disk(ring);
    t.disk.write(0, pattern(2, 5));
    const w = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 0 }), new Uint8Array(700).fill(0xee)], [1]);
    expect(w.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('bad-length');
    expect(t.disk.peek(0, 2)).toEqual(pattern(2, 5));
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 0 })], [100 + 1]);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(r.data).toEqual(new Uint8Array(100));
    expect(t.dev.stats.errors['bad-length']).toBe(2);
  });

  it('[AVP-BLK-18] fails with IOERR requests that reach past capacity, and reads that start at it', () => {
    const t = disk(ring);
    expect(t.drv.write(127, pattern(1)).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.drv.write(127, pattern(2)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.drv.read(128, 1).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.drv.read(126, 3).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.errors['out-of-range']).toBe(3);
    expect(t.disk.stats.reads).toBe(0);
  });

  it('[AVP-BLK-18] does the range check in 64 bits: a sector near 2^64 cannot wrap round to a valid one', () => {
    const t = disk(ring);
    const before = t.disk.stats.writes;
    for (const sector of [(1n << 64n) - 1n, (1n << 64n) - 2n, 1n << 63n, 1n << 53n, (1n << 53n) + 1n]) {
      expect(t.drv.write(sector, pattern(2)).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.drv.read(sector, 1).status).toBe(VIRTIO_BLK_S_IOERR);
    }
    expect(t.disk.stats.writes).toBe(before);
  });

  it('[AVP-BLK-13] fails with IOERR a read that carries device-readable data, and a write with writable bytes before the status', () => {
    const t = disk(ring);
    t.disk.write(0, pattern(1, 8));
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 0 }), new Uint8Array(SECTOR_SIZE)], [SECTOR_SIZE + 1]);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(r.data).toEqual(new Uint8Array(SECTOR_SIZE)); // zeroes, not the disk's contents
    const w = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 0 }), pattern(1, 2)], [SECTOR_SIZE + 1]);
    expect(w.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.disk.peek(0, 1)).toEqual(pattern(1, 8));
    expect(t.dev.stats.errors['data-direction']).toBe(2);
  });

  it('[AVP-BLK-19] fails every write to a read-only device with IOERR and leaves the disk unchanged, while reads work', () => {
    const t = disk(ring, { readOnly: true }, {}, { contents: pattern(4, 6) });
    expect(t.lb.features & (1n << BigInt(F.VIRTIO_BLK_F_RO))).not.toBe(0n);
    expect(t.drv.write(0, pattern(1, 1)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('read-only');
    expect(t.disk.stats.writes).toBe(0);
    expect(t.drv.read(0, 4).data).toEqual(pattern(4, 6));
    expect(t.drv.flush().status).toBe(VIRTIO_BLK_S_OK);
  });

  it('[AVP-BLK-19] fails writes with IOERR when RO is offered even if the driver did not accept it', () => {
    const t = disk(ring, { readOnly: true }, { features: without(ALL, F.VIRTIO_BLK_F_RO) });
    expect(t.lb.features & (1n << BigInt(F.VIRTIO_BLK_F_RO))).toBe(0n);
    expect(t.drv.write(0, pattern(1)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.disk.stats.writes).toBe(0);
  });

  it('[AVP-BLK-20] fails with IOERR data spread over more than seg_max buffers, when SEG_MAX is negotiated', () => {
    const t = disk(ring, { segMax: 2 });
    const hdr = encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 0 });
    expect(t.drv.raw([hdr, ...cut(pattern(2), 512)], [1]).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.drv.raw([hdr, ...cut(pattern(3), 512, 512)], [1]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('too-many-segments');
    // Header and first data bytes in one buffer: that buffer counts as a data segment too.
    expect(t.drv.raw(cut(concat(hdr, pattern(2)), 16 + 512), [1]).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.drv.raw(cut(concat(hdr, pattern(3)), 16 + 512, 512), [1]).status).toBe(VIRTIO_BLK_S_IOERR);
    const rd = encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 0 });
    expect(t.drv.raw([rd], [512, 512, 512, 1]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.drv.raw([rd], [512, 512 + 1]).status).toBe(VIRTIO_BLK_S_OK);
    // Not negotiated: no limit.
    const u = disk(ring, { segMax: 2 }, { features: without(ALL, F.VIRTIO_BLK_F_SEG_MAX) });
    expect(u.drv.raw([hdr, ...cut(pattern(3), 512, 512)], [1]).status).toBe(VIRTIO_BLK_S_OK);
  });

  it('[AVP-BLK-20] fails with IOERR a data buffer longer than size_max, when SIZE_MAX is negotiated', () => {
    const t = disk(ring, { sizeMax: 1024 });
    const hdr = encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 0 });
    expect(t.drv.raw([hdr, pattern(2)], [1]).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.drv.raw([hdr, pattern(4)], [1]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('segment-too-large');
    expect(t.drv.raw([hdr, ...cut(pattern(4), 1024)], [1]).status).toBe(VIRTIO_BLK_S_OK);
    // Only the data bytes of a buffer count: a status byte after 1024 data bytes is fine.
    expect(t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 0 })], [1025]).status).toBe(VIRTIO_BLK_S_OK);
  });

  it('[AVP-BLK-16] [AVP-BLK-40] answers a failing medium with IOERR and returns zeroes, not partial data', () => {
    const t = disk(ring, {}, {}, { contents: pattern(8, 2) });
    t.disk.failOn('read', { from: 3, to: 4 });
    const r = t.drv.read(2, 3);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(r.data).toEqual(new Uint8Array(3 * SECTOR_SIZE));
    expect(t.drv.read(0, 2).data).toEqual(pattern(8, 2).subarray(0, 2 * SECTOR_SIZE));
    t.disk.failOn('write');
    expect(t.drv.write(0, pattern(1)).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.errors['backend-error']).toBe(2);
    expect(needsReset(t)).toBe(false);
  });

  it('[AVP-BLK-40] returns zeroes when a medium fails a read after filling part of the buffer', () => {
    const t = disk(ring);
    const half = t.disk as unknown as { read: (s: number, into: Uint8Array) => boolean };
    half.read = (_s, into) => {
      into.fill(0xff, 0, into.length / 2);
      return false;
    };
    const r = t.drv.read(0, 2);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(r.data).toEqual(new Uint8Array(2 * SECTOR_SIZE));
  });

  it('[AVP-BLK-16] answers a back end that throws with IOERR instead of failing itself', () => {
    const t = disk(ring);
    const broken = t.disk as unknown as { read: () => boolean };
    broken.read = () => {
      throw new Error('medium gone');
    };
    expect(t.drv.read(0, 1).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.drv.write(0, pattern(1)).status).toBe(VIRTIO_BLK_S_OK);
  });

  it('accepts reads and writes of no sectors as long as the sector is within capacity', () => {
    const t = disk(ring);
    expect(t.drv.write(128, new Uint8Array(0)).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.drv.read(128, 0).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.drv.read(129, 0).status).toBe(VIRTIO_BLK_S_IOERR);
  });
});
