// Features, configuration layout and cache mode of the block device (§5.2.3, §5.2.4, §5.2.5).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { bit, hasFeature, VIRTIO_F_VERSION_1 } from '../../../../src/lib/virtio/feature-bits.ts';
import * as C from '../../../../src/lib/devices/block/config.ts';
import * as F from '../../../../src/lib/devices/block/features.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP } from '../../../../src/lib/devices/block/request.ts';
import { ALL, disk, pattern, without } from './harness.ts';

describe('feature bits and layout constants', () => {
  it('[AVP-BLK-2] use the bit numbers of §5.2.3', () => {
    expect([F.VIRTIO_BLK_F_SIZE_MAX, F.VIRTIO_BLK_F_SEG_MAX, F.VIRTIO_BLK_F_GEOMETRY, F.VIRTIO_BLK_F_RO, F.VIRTIO_BLK_F_BLK_SIZE]).toEqual([1, 2, 4, 5, 6]);
    expect([F.VIRTIO_BLK_F_FLUSH, F.VIRTIO_BLK_F_TOPOLOGY, F.VIRTIO_BLK_F_CONFIG_WCE, F.VIRTIO_BLK_F_MQ]).toEqual([9, 10, 11, 12]);
    expect([F.VIRTIO_BLK_F_DISCARD, F.VIRTIO_BLK_F_WRITE_ZEROES, F.VIRTIO_BLK_F_LIFETIME, F.VIRTIO_BLK_F_SECURE_ERASE, F.VIRTIO_BLK_F_ZONED]).toEqual([13, 14, 15, 16, 17]);
  });

  it('[AVP-BLK-2] place every field of struct virtio_blk_config at its offset, 96 bytes in all', () => {
    expect(C.BLK_CONFIG_SIZE).toBe(96);
    const offsets = [
      C.BLK_CFG_CAPACITY, C.BLK_CFG_SIZE_MAX, C.BLK_CFG_SEG_MAX, C.BLK_CFG_GEOMETRY_CYLINDERS, C.BLK_CFG_GEOMETRY_HEADS,
      C.BLK_CFG_GEOMETRY_SECTORS, C.BLK_CFG_BLK_SIZE, C.BLK_CFG_PHYSICAL_BLOCK_EXP, C.BLK_CFG_ALIGNMENT_OFFSET,
      C.BLK_CFG_MIN_IO_SIZE, C.BLK_CFG_OPT_IO_SIZE, C.BLK_CFG_WRITEBACK, C.BLK_CFG_UNUSED0, C.BLK_CFG_NUM_QUEUES,
      C.BLK_CFG_MAX_DISCARD_SECTORS, C.BLK_CFG_MAX_DISCARD_SEG, C.BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
      C.BLK_CFG_MAX_WRITE_ZEROES_SECTORS, C.BLK_CFG_MAX_WRITE_ZEROES_SEG, C.BLK_CFG_WRITE_ZEROES_MAY_UNMAP, C.BLK_CFG_UNUSED1,
      C.BLK_CFG_MAX_SECURE_ERASE_SECTORS, C.BLK_CFG_MAX_SECURE_ERASE_SEG, C.BLK_CFG_SECURE_ERASE_SECTOR_ALIGNMENT,
      C.BLK_CFG_ZONE_SECTORS, C.BLK_CFG_MAX_OPEN_ZONES, C.BLK_CFG_MAX_ACTIVE_ZONES, C.BLK_CFG_MAX_APPEND_SECTORS,
      C.BLK_CFG_WRITE_GRANULARITY, C.BLK_CFG_ZONED_MODEL, C.BLK_CFG_UNUSED2,
    ];
    expect(offsets).toEqual([0, 8, 12, 16, 18, 19, 20, 24, 25, 26, 28, 32, 33, 34, 36, 40, 44, 48, 52, 56, 57, 60, 64, 68, 72, 76, 80, 84, 88, 92, 93]);
  });

  it('[AVP-BLK-2] [AVP-BLK-3] shows capacity in 512-byte sectors whatever blk_size says, and every configured field little-endian', () => {
    const d = new MemoryBlockBackend({ sectors: 0x12345 });
    const dev = new BlockDevice(d, {
      numQueues: 3,
      sizeMax: 0x10000,
      segMax: 62,
      geometry: { cylinders: 0x1234, heads: 16, sectors: 63 },
      blockSize: 4096,
      topology: { physicalBlockExp: 3, alignmentOffset: 1, minIoSize: 8, optIoSize: 0x100 },
      discard: { maxSectors: 0x8000, maxSegments: 4, sectorAlignment: 8 },
      writeZeroes: { maxSectors: 0x4000, maxSegments: 2, mayUnmap: true },
      secureErase: { maxSectors: 0x2000, maxSegments: 1, sectorAlignment: 16 },
    });
    const b = dev.config.bytes;
    expect([...b.subarray(0, 8)]).toEqual([0x45, 0x23, 0x01, 0, 0, 0, 0, 0]);
    expect(dev.config.u32(C.BLK_CFG_SIZE_MAX)).toBe(0x10000);
    expect(dev.config.u32(C.BLK_CFG_SEG_MAX)).toBe(62);
    expect([b[16], b[17], b[18], b[19]]).toEqual([0x34, 0x12, 16, 63]);
    expect(dev.config.u32(C.BLK_CFG_BLK_SIZE)).toBe(4096);
    expect([b[24], b[25], b[26], b[27], b[28], b[29]]).toEqual([3, 1, 8, 0, 0x00, 0x01]);
    expect(dev.config.u16(C.BLK_CFG_NUM_QUEUES)).toBe(3);
    expect([36, 40, 44].map((o) => dev.config.u32(o))).toEqual([0x8000, 4, 8]);
    expect([48, 52].map((o) => dev.config.u32(o))).toEqual([0x4000, 2]);
    expect(b[56]).toBe(1);
    expect([60, 64, 68].map((o) => dev.config.u32(o))).toEqual([0x2000, 1, 16]);
  });
});

describe.each(RING_TYPES)('configuration space (%s ring)', (ring) => {
  it('[AVP-BLK-2] keeps unused0, unused1 and the zoned block zero', () => {
    const { dev } = disk(ring, { writeZeroes: { maxSectors: 8, maxSegments: 1, mayUnmap: true } });
    expect(dev.config.u8(C.BLK_CFG_UNUSED0)).toBe(0);
    expect([...dev.config.read(C.BLK_CFG_UNUSED1, 3)]).toEqual([0, 0, 0]);
    expect([...dev.config.read(C.BLK_CFG_ZONED, 24)].every((x) => x === 0)).toBe(true);
  });

  it('[AVP-BLK-2] ignores driver writes to every field but writeback', () => {
    const { dev } = disk(ring);
    const before = dev.config.read(0, C.BLK_CONFIG_SIZE);
    for (let off = 0; off < C.BLK_CONFIG_SIZE; off++) if (off !== C.BLK_CFG_WRITEBACK) dev.writeConfig(off, new Uint8Array([0xa5]));
    dev.writeConfig(0, new Uint8Array(8).fill(0xff));
    expect(dev.config.read(0, C.BLK_CONFIG_SIZE)).toEqual(before);
  });

  it('[AVP-BLK-5] [AVP-BLK-39] always offers VIRTIO_BLK_F_FLUSH, and CONFIG_WCE only together with it', () => {
    for (const configWce of [true, false]) {
      const f = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }), { configWce }).offeredFeatures();
      expect(hasFeature(f, F.VIRTIO_BLK_F_FLUSH)).toBe(true);
      expect(hasFeature(f, F.VIRTIO_BLK_F_CONFIG_WCE)).toBe(configWce);
    }
  });

  it('[AVP-BLK-7] never offers VIRTIO_BLK_F_ZONED', () => {
    const { dev } = disk(ring, { numQueues: 2, sizeMax: 4096, geometry: { cylinders: 1, heads: 1, sectors: 1 }, secureErase: { maxSectors: 1, maxSegments: 1 } });
    expect(hasFeature(dev.offeredFeatures(), F.VIRTIO_BLK_F_ZONED)).toBe(false);
  });

  it('offers only the features its options ask for', () => {
    const plain = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }), { discard: false, writeZeroes: false, segMax: null, configWce: false }).offeredFeatures();
    for (const b of [F.VIRTIO_BLK_F_RO, F.VIRTIO_BLK_F_MQ, F.VIRTIO_BLK_F_SEG_MAX, F.VIRTIO_BLK_F_SIZE_MAX, F.VIRTIO_BLK_F_GEOMETRY, F.VIRTIO_BLK_F_TOPOLOGY, F.VIRTIO_BLK_F_DISCARD, F.VIRTIO_BLK_F_WRITE_ZEROES, F.VIRTIO_BLK_F_SECURE_ERASE, F.VIRTIO_BLK_F_LIFETIME, F.VIRTIO_BLK_F_CONFIG_WCE]) {
      expect(hasFeature(plain, b), `bit ${b}`).toBe(false);
    }
    expect(hasFeature(plain, F.VIRTIO_BLK_F_BLK_SIZE)).toBe(true);
  });

  it('refuses options outside the field ranges', () => {
    const d = new MemoryBlockBackend({ sectors: 8 });
    expect(() => new BlockDevice(d, { serial: 'x'.repeat(21) })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { serial: 'caf\u00e9' })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { numQueues: 0 })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { numQueues: 0x10000 })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { blockSize: 1000 })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { blockSize: 256 })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { discard: { maxSectors: 0, maxSegments: 1 } })).toThrow(RangeError);
    expect(() => new BlockDevice(d, { geometry: { cylinders: 0x10000, heads: 1, sectors: 1 } })).toThrow(RangeError);
  });

  it('[AVP-BLK-4] publishes a new capacity with a configuration change notification', () => {
    const t = disk(ring);
    expect(t.drv.capacity).toBe(128n);
    const gen = t.dev.config.generation;
    t.disk.resize(256);
    expect(t.dev.refreshCapacity()).toBe(true);
    expect(t.drv.capacity).toBe(256n);
    expect(t.lb.configNotifications).toBe(1);
    expect(t.dev.config.generation).not.toBe(gen);
    expect(t.drv.write(200, pattern(1)).status).toBe(VIRTIO_BLK_S_OK);
    expect(t.dev.refreshCapacity()).toBe(false);
    expect(t.lb.configNotifications).toBe(1);
  });
});

describe.each(RING_TYPES)('cache mode (%s ring)', (ring) => {
  it('[AVP-BLK-6] starts writeback 0 when CONFIG_WCE is accepted without FLUSH', () => {
    const t = disk(ring, { writeback: true }, { features: without(ALL, F.VIRTIO_BLK_F_FLUSH) });
    expect(hasFeature(t.lb.features, F.VIRTIO_BLK_F_CONFIG_WCE)).toBe(true);
    expect(t.drv.writeback).toBe(C.VIRTIO_BLK_WRITETHROUGH);
    expect(t.dev.writeThrough()).toBe(true);
  });

  it('[AVP-BLK-6] starts in the configured mode, and lets the driver switch with 0 and 1 only', () => {
    const t = disk(ring, { writeback: true });
    expect(t.drv.writeback).toBe(C.VIRTIO_BLK_WRITEBACK);
    t.drv.setWriteback(0);
    expect(t.drv.writeback).toBe(0);
    expect(t.dev.writeThrough()).toBe(true);
    t.drv.setWriteback(7);
    expect(t.drv.writeback).toBe(0);
    t.drv.setWriteback(1);
    expect(t.dev.writeThrough()).toBe(false);
    const wt = disk(ring, { writeback: false });
    expect(wt.drv.writeback).toBe(C.VIRTIO_BLK_WRITETHROUGH);
  });

  it('[AVP-BLK-6] ignores writes to writeback when CONFIG_WCE was not accepted', () => {
    const t = disk(ring, { writeback: true }, { features: without(ALL, F.VIRTIO_BLK_F_CONFIG_WCE) });
    t.drv.setWriteback(0);
    expect(t.drv.writeback).toBe(1);
    expect(t.dev.writeThrough()).toBe(false); // FLUSH accepted: the driver flushes a writeback cache
  });

  it('[AVP-BLK-6] writes 0 or 1 at offset 32 even inside a wider write, and restores the default on reset', () => {
    const t = disk(ring, { writeback: true });
    t.dev.writeConfig(30, new Uint8Array([9, 9, 0, 9]));
    expect(t.drv.writeback).toBe(0);
    expect(t.dev.config.u16(C.BLK_CFG_NUM_QUEUES)).toBe(1);
    t.dev.reset();
    expect(t.drv.writeback).toBe(1);
  });

  it('[AVP-BLK-21] is writethrough when the driver accepted neither FLUSH nor CONFIG_WCE', () => {
    const t = disk(ring, { writeback: true }, { features: without(ALL, F.VIRTIO_BLK_F_FLUSH, F.VIRTIO_BLK_F_CONFIG_WCE) });
    expect(t.dev.writeThrough()).toBe(true);
    expect(t.drv.flush().status).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it('refuses a driver that does not accept VERSION_1', () => {
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    expect(dev.checkFeatures(dev.offeredFeatures() & ~bit(VIRTIO_F_VERSION_1))).not.toBeNull();
  });
});
