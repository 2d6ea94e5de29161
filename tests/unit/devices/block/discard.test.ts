// Discard, write zeroes and secure erase (§5.2.6): segment lists, their limits and flags.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as F from '../../../../src/lib/devices/block/features.ts';
import {
  encodeBlkHeader,
  encodeBlkSegments,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_SECURE_ERASE,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
} from '../../../../src/lib/devices/block/request.ts';
import { ALL, disk, pattern, without } from './harness.ts';

const LIMITS = { maxSectors: 16, maxSegments: 3, sectorAlignment: 8 };
const OPTS = { discard: LIMITS, writeZeroes: { ...LIMITS, mayUnmap: true }, secureErase: LIMITS };
const UNMAP = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;

describe.each(RING_TYPES)('discard, write zeroes, secure erase (%s ring)', (ring) => {
  it('[AVP-BLK-32] makes written-zeroes ranges read as zeroes, with unmap and without', () => {
    for (const mayUnmap of [true, false]) {
      const t = disk(ring, { writeZeroes: { ...LIMITS, mayUnmap } }, {}, { contents: pattern(64, 4) });
      const r = t.drv.writeZeroes([{ sector: 2, numSectors: 3 }, { sector: 20, numSectors: 16, flags: UNMAP }]);
      expect(r.status).toBe(VIRTIO_BLK_S_OK);
      expect(t.drv.read(2, 3).data).toEqual(new Uint8Array(3 * 512));
      expect(t.drv.read(20, 16).data).toEqual(new Uint8Array(16 * 512));
      expect(t.drv.read(5, 1).data).toEqual(pattern(64, 4).subarray(5 * 512, 6 * 512));
    }
  });

  it('[AVP-BLK-33] deallocates on write zeroes only when unmap is set and write_zeroes_may_unmap is 1', () => {
    const yes = disk(ring, { writeZeroes: { ...LIMITS, mayUnmap: true } });
    yes.drv.writeZeroes([{ sector: 0, numSectors: 4, flags: UNMAP }, { sector: 8, numSectors: 4 }]);
    expect(yes.disk.stats.sectorsDiscarded).toBe(4);
    const no = disk(ring, { writeZeroes: { ...LIMITS, mayUnmap: false } });
    no.drv.writeZeroes([{ sector: 0, numSectors: 4, flags: UNMAP }]);
    expect(no.disk.stats.sectorsDiscarded).toBe(0);
    expect(no.dev.config.u8(56)).toBe(0);
  });

  it('discards and securely erases ranges (the model reads them back as zeroes)', () => {
    const t = disk(ring, OPTS, {}, { contents: pattern(64, 1) });
    expect(t.drv.discard([{ sector: 0, numSectors: 8 }, { sector: 32, numSectors: 8 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.disk.stats.sectorsDiscarded).toBe(16);
    expect(t.drv.secureErase([{ sector: 16, numSectors: 16 }]).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.disk.stats.sectorsSecurelyErased).toBe(16);
    expect(t.disk.durable(16, 16)).toEqual(new Uint8Array(16 * 512));
  });

  it('[AVP-BLK-29] fails with IOERR a segment list that is empty or not a whole number of segments', () => {
    const t = disk(ring, OPTS);
    for (const type of [VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_T_SECURE_ERASE]) {
      expect(t.drv.raw([encodeBlkHeader({ type })], [1]).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.drv.raw([encodeBlkHeader({ type }), new Uint8Array(24)], [1]).status).toBe(VIRTIO_BLK_S_IOERR);
    }
    expect(t.dev.stats.errors['bad-length']).toBe(6);
  });

  it('[AVP-BLK-29] fails with IOERR more segments than max_*_seg, a segment over max_*_sectors, or one past capacity', () => {
    const t = disk(ring, OPTS, {}, { contents: pattern(128, 2) });
    const four = [0, 1, 2, 3].map((i) => ({ sector: i * 8, numSectors: 1 }));
    for (const op of ['discard', 'writeZeroes', 'secureErase'] as const) {
      expect(t.drv[op](four).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.dev.stats.lastError).toBe('too-many-segments');
      expect(t.drv[op]([{ sector: 0, numSectors: 17 }]).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.dev.stats.lastError).toBe('too-many-sectors');
      expect(t.drv[op]([{ sector: 120, numSectors: 9 }]).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.drv[op]([{ sector: (1n << 64n) - 4n, numSectors: 8 }]).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.dev.stats.lastError).toBe('out-of-range');
    }
    expect(t.disk.peek(0, 128)).toEqual(pattern(128, 2));
  });

  it('[AVP-BLK-30] answers UNSUPP to reserved flag bits, and to unmap on a discard or secure erase', () => {
    const t = disk(ring, OPTS);
    for (const op of ['discard', 'writeZeroes', 'secureErase'] as const) {
      expect(t.drv[op]([{ sector: 0, numSectors: 1, flags: 2 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
      expect(t.dev.stats.lastError).toBe('unknown-flags');
      expect(t.drv[op]([{ sector: 0, numSectors: 1, flags: 0x80000000 | UNMAP }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    }
    expect(t.drv.discard([{ sector: 0, numSectors: 1, flags: UNMAP }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(t.dev.stats.lastError).toBe('unmap-not-allowed');
    expect(t.drv.secureErase([{ sector: 0, numSectors: 1, flags: UNMAP }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(t.drv.writeZeroes([{ sector: 0, numSectors: 1, flags: UNMAP }]).status).toBe(VIRTIO_BLK_S_OK);
  });

  it('[AVP-BLK-31] checks every segment before it carries out any, so a failed request changes nothing', () => {
    const t = disk(ring, OPTS, {}, { contents: pattern(128, 3) });
    const bad = [{ sector: 0, numSectors: 8 }, { sector: 8, numSectors: 8 }, { sector: 127, numSectors: 2 }];
    expect(t.drv.writeZeroes(bad).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.drv.discard(bad).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.drv.writeZeroes([{ sector: 0, numSectors: 8 }, { sector: 8, numSectors: 1, flags: 4 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(t.disk.peek(0, 128)).toEqual(pattern(128, 3));
    expect(t.disk.stats.writes + t.disk.stats.sectorsDiscarded).toBe(0);
  });

  it('[AVP-BLK-19] fails discard, write zeroes and secure erase on a read-only device with IOERR', () => {
    const t = disk(ring, { ...OPTS, readOnly: true }, {}, { contents: pattern(16, 5) });
    for (const op of ['discard', 'writeZeroes', 'secureErase'] as const) {
      expect(t.drv[op]([{ sector: 0, numSectors: 4 }]).status).toBe(VIRTIO_BLK_S_IOERR);
      expect(t.dev.stats.lastError).toBe('read-only');
    }
    expect(t.disk.peek(0, 16)).toEqual(pattern(16, 5));
  });

  it('[AVP-BLK-13] fails with IOERR a segment request that has writable bytes before the status', () => {
    const t = disk(ring, OPTS);
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_DISCARD }), encodeBlkSegments([{ sector: 0, numSectors: 1 }])], [17]);
    expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('data-direction');
  });

  it('[AVP-BLK-14] answers UNSUPP when the request type\'s feature was not accepted or not offered', () => {
    const off = disk(ring, { discard: false, writeZeroes: false });
    expect(off.drv.discard([{ sector: 0, numSectors: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(off.drv.writeZeroes([{ sector: 0, numSectors: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(off.drv.secureErase([{ sector: 0, numSectors: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    const declined = disk(ring, OPTS, { features: without(ALL, F.VIRTIO_BLK_F_DISCARD, F.VIRTIO_BLK_F_WRITE_ZEROES, F.VIRTIO_BLK_F_SECURE_ERASE) });
    for (const op of ['discard', 'writeZeroes', 'secureErase'] as const) {
      expect(declined.drv[op]([{ sector: 0, numSectors: 1 }]).status).toBe(VIRTIO_BLK_S_UNSUPP);
      expect(declined.dev.stats.lastError).toBe('not-negotiated');
    }
  });

  it('[AVP-BLK-16] answers IOERR when the medium fails a discard', () => {
    const t = disk(ring, OPTS);
    t.disk.failOn('discard');
    expect(t.drv.discard([{ sector: 0, numSectors: 1 }]).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(t.dev.stats.lastError).toBe('backend-error');
  });
});
