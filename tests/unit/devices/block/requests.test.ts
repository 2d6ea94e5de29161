// Request framing, the identification requests, unknown types, and several queues (§5.2.6).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { hasFeature } from '../../../../src/lib/virtio/feature-bits.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import * as F from '../../../../src/lib/devices/block/features.ts';
import {
  BLK_ZONE_REQUEST_TYPES,
  encodeBlkHeader,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_PRE_EOL_INFO_WARNING,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_GET_LIFETIME,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
} from '../../../../src/lib/devices/block/request.ts';
import { ALL, disk, needsReset, pattern, without } from './harness.ts';

describe.each(RING_TYPES)('framing (%s ring)', (ring) => {
  it('[AVP-BLK-11] fails with IOERR a request with fewer than 16 device-readable bytes', () => {
    const t = disk(ring);
    for (const n of [0, 1, 8, 15]) {
      const r = t.drv.raw(n === 0 ? [] : [encodeBlkHeader({ type: VIRTIO_BLK_T_IN }).subarray(0, n)], [513]);
      expect(r.status).toBe(VIRTIO_BLK_S_IOERR);
      expect(r.data).toEqual(new Uint8Array(512));
    }
    expect(t.dev.stats.errors['short-header']).toBe(4);
  });

  it('[AVP-BLK-10] returns a request without a device-writable byte with used length 0, doing nothing, and keeps working', () => {
    const t = disk(ring);
    const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 0 }), pattern(1)], []);
    expect(r).toEqual({ status: null, data: new Uint8Array(0), len: 0 });
    expect(t.disk.stats.writes).toBe(0);
    expect(t.dev.stats.unanswerable).toBe(1);
    expect(needsReset(t)).toBe(false);
    expect(t.drv.write(0, pattern(1)).status).toBe(VIRTIO_BLK_S_OK);
  });

  it('[AVP-BLK-14] answers UNSUPP to request types VIRTIO 1.4 does not define for this device, legacy ones included', () => {
    const t = disk(ring);
    for (const type of [2, 3, 5, 6, 7, 9, 12, 17, 27, 0x80000000, 0x80000001, 0xffffffff]) {
      const r = t.drv.raw([encodeBlkHeader({ type }), pattern(1)], [1]);
      expect(r.status, `type ${type}`).toBe(VIRTIO_BLK_S_UNSUPP);
    }
    expect(t.dev.stats.errors['unknown-type']).toBe(12);
    expect(t.disk.stats.writes + t.disk.stats.reads).toBe(0);
  });

  it('[AVP-BLK-44] answers UNSUPP to the seven zone request types', () => {
    const t = disk(ring);
    expect(BLK_ZONE_REQUEST_TYPES).toEqual([15, 16, 18, 20, 22, 24, 26]);
    for (const type of BLK_ZONE_REQUEST_TYPES) {
      expect(t.drv.raw([encodeBlkHeader({ type, sector: 0 }), pattern(1)], [1]).status).toBe(VIRTIO_BLK_S_UNSUPP);
      expect(t.drv.raw([encodeBlkHeader({ type, sector: 0 })], [4096 + 1]).status).toBe(VIRTIO_BLK_S_UNSUPP);
    }
    expect(t.dev.stats.errors['zoned-not-negotiated']).toBe(14);
    expect(t.disk.stats.writes).toBe(0);
  });

  it('[AVP-BLK-15] never enters DEVICE_NEEDS_RESET because of what a request contains', () => {
    const t = disk(ring, { readOnly: true });
    t.drv.raw([new Uint8Array(3)], [1]);
    t.drv.raw([encodeBlkHeader({ type: 99 })], [1]);
    t.drv.write(1n << 60n, pattern(1));
    t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_GET_ID })], [5]);
    t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_IN })], []);
    expect(needsReset(t)).toBe(false);
    expect(t.lb.error).toBeNull();
    expect(t.drv.read(0, 1).status).toBe(VIRTIO_BLK_S_OK);
  });
});

describe.each(RING_TYPES)('identification (%s ring)', (ring) => {
  it('[AVP-BLK-25] returns the ID string NUL-padded to 20 bytes', () => {
    const t = disk(ring, { serial: 'ECU-A/boot' });
    const { reply, id } = t.drv.getId();
    expect(reply.status).toBe(VIRTIO_BLK_S_OK);
    expect(reply.len).toBe(21);
    expect(id).toBe('ECU-A/boot');
    expect([...reply.data.subarray(10)]).toEqual(new Array(10).fill(0));
  });

  it('[AVP-BLK-25] returns a 20-character ID without a terminator', () => {
    const t = disk(ring, { serial: '0123456789abcdefghij' });
    const { reply, id } = t.drv.getId();
    expect(id).toBe('0123456789abcdefghij');
    expect(reply.data.length).toBe(VIRTIO_BLK_ID_BYTES);
    expect(reply.data.includes(0)).toBe(false);
  });

  it('[AVP-BLK-25] fails with IOERR a GET_ID whose buffer is not exactly 20 bytes, revealing nothing', () => {
    const t = disk(ring, { serial: 'secret-serial' });
    for (const n of [0, 1, 19, 21, 512]) {
      const r = t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_GET_ID })], [n + 1]);
      expect(r.status, `${n} bytes`).toBe(VIRTIO_BLK_S_IOERR);
      expect(r.data).toEqual(new Uint8Array(n));
    }
  });

  it('[AVP-BLK-13] fails with IOERR a GET_ID carrying device-readable data', () => {
    const t = disk(ring);
    expect(t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_GET_ID }), new Uint8Array(20)], [21]).status).toBe(VIRTIO_BLK_S_IOERR);
  });

  it('[AVP-BLK-27] offers LIFETIME only over a medium with wear data, and reports it', () => {
    expect(hasFeature(disk(ring).lb.features, F.VIRTIO_BLK_F_LIFETIME)).toBe(false);
    const lifetime = { preEolInfo: VIRTIO_BLK_PRE_EOL_INFO_WARNING, lifetimeEstA: 3, lifetimeEstB: 11 };
    const t = disk(ring, {}, {}, { lifetime });
    expect(hasFeature(t.lb.features, F.VIRTIO_BLK_F_LIFETIME)).toBe(true);
    const r = t.drv.getLifetime();
    expect(r.reply.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.lifetime).toEqual(lifetime);
    expect([...r.reply.data]).toEqual([2, 0, 3, 0, 11, 0]);
  });

  it('[AVP-BLK-27] never reports reserved lifetime values: a medium giving them fails the request with IOERR', () => {
    const t = disk(ring, {}, {}, { lifetime: { preEolInfo: 1, lifetimeEstA: 1, lifetimeEstB: 1 } });
    for (const bad of [{ preEolInfo: 4, lifetimeEstA: 1, lifetimeEstB: 1 }, { preEolInfo: 1, lifetimeEstA: 12, lifetimeEstB: 1 }, { preEolInfo: 1, lifetimeEstA: 1, lifetimeEstB: 0xffff }]) {
      t.disk.setLifetime(bad);
      const r = t.drv.getLifetime();
      expect(r.reply.status).toBe(VIRTIO_BLK_S_IOERR);
      expect(r.reply.data).toEqual(new Uint8Array(6));
    }
  });

  it('[AVP-BLK-14] answers GET_LIFETIME UNSUPP without LIFETIME negotiated, and IOERR for a buffer other than 6 bytes', () => {
    expect(disk(ring).drv.getLifetime().reply.status).toBe(VIRTIO_BLK_S_UNSUPP);
    const declined = disk(ring, {}, { features: without(ALL, F.VIRTIO_BLK_F_LIFETIME) }, { lifetime: { preEolInfo: 1, lifetimeEstA: 1, lifetimeEstB: 1 } });
    expect(declined.drv.getLifetime().reply.status).toBe(VIRTIO_BLK_S_UNSUPP);
    const t = disk(ring, {}, {}, { lifetime: { preEolInfo: 1, lifetimeEstA: 1, lifetimeEstB: 1 } });
    expect(t.drv.raw([encodeBlkHeader({ type: VIRTIO_BLK_T_GET_LIFETIME })], [8]).status).toBe(VIRTIO_BLK_S_IOERR);
  });
});

describe.each(RING_TYPES)('several queues (%s ring)', (ring) => {
  it('[AVP-BLK-1] sets up num_queues request queues with MQ and serves each, over one disk', () => {
    const t = disk(ring, { numQueues: 4 });
    expect(t.lb.queues.length).toBe(4);
    expect(t.drv.queues).toBe(4);
    for (let q = 0; q < 4; q++) expect(t.drv.write(q * 4, pattern(1, q), { queue: q }).status).toBe(VIRTIO_BLK_S_OK);
    for (let q = 0; q < 4; q++) expect(t.drv.read(q * 4, 1, { queue: (q + 1) % 4 }).data).toEqual(pattern(1, q));
    expect(t.lb.usedNotifications.every((n) => n > 0)).toBe(true);
  });

  it('[AVP-BLK-1] has one request queue when MQ is not accepted', () => {
    const t = disk(ring, { numQueues: 4 }, { features: without(ALL, F.VIRTIO_BLK_F_MQ) });
    expect(t.lb.queues.length).toBe(1);
    expect(t.drv.read(0, 1).status).toBe(VIRTIO_BLK_S_OK);
    t.dev.queueNotify(2); // a notification for a queue that does not exist is ignored
    expect(needsReset(t)).toBe(false);
  });
});

describe('the device without a driver', () => {
  it('ignores notifications before DRIVER_OK and after a reset', () => {
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    expect(() => dev.queueNotify(0)).not.toThrow();
    dev.reset();
    expect(() => dev.queueNotify(0)).not.toThrow();
    expect(dev.stats.requests).toBe(0);
  });
});
