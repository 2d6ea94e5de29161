// Configuration space, feature bit and queue layout of the file system device (§5.11.2-5.11.4).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit, hasFeature } from '../../../../src/lib/virtio/feature-bits.ts';
import * as C from '../../../../src/lib/devices/fs/config.ts';
import { FsDevice } from '../../../../src/lib/devices/fs/device.ts';
import { FsClient } from '../../../../src/lib/devices/fs/driver.ts';
import { firstRequestQueue, requestQueueIndex, VIRTIO_FS_F_NOTIFICATION, VIRTIO_ID_FS } from '../../../../src/lib/devices/fs/features.ts';
import { FUSE_INIT } from '../../../../src/lib/devices/fs/fuse-header.ts';
import { encodeInitIn } from '../../../../src/lib/devices/fs/fuse-init.ts';
import { FS_NOTIFY_BUF_SIZE } from '../../../../src/lib/devices/fs/notify.ts';
import { FsShare } from '../../../../src/lib/devices/fs/share.ts';
import { hostTree, mount, walk } from './harness.ts';

const ALL = (1n << 64n) - 1n;

describe('virtio-fs configuration', () => {
  it('[AVP-FS-1] lays out struct virtio_fs_config: tag at 0 (36 bytes), num_request_queues at 36, notify_buf_size at 40', () => {
    expect([C.FS_CFG_TAG, C.FS_TAG_BYTES, C.FS_CFG_NUM_REQUEST_QUEUES, C.FS_CFG_NOTIFY_BUF_SIZE, C.FS_CONFIG_SIZE]).toEqual([0, 36, 36, 40, 44]);
    const dev = new FsDevice({ tag: 'maps', share: new FsShare(hostTree()), numRequestQueues: 3, notifications: true });
    expect(dev.deviceId).toBe(VIRTIO_ID_FS);
    expect(VIRTIO_ID_FS).toBe(26);
    expect(dev.config.size).toBe(44);
    expect([...dev.config.read(0, 5)]).toEqual([0x6d, 0x61, 0x70, 0x73, 0]);
    expect(dev.config.u32(36)).toBe(3);
    expect(dev.config.u32(40)).toBe(FS_NOTIFY_BUF_SIZE);
  });

  it('[AVP-FS-1] ignores every driver write to the configuration space', () => {
    const dev = new FsDevice({ tag: 'maps', share: new FsShare(hostTree()), numRequestQueues: 2 });
    const before = dev.config.read(0, 44);
    dev.writeConfig(0, new Uint8Array(44).fill(0x41));
    dev.writeConfig(36, new Uint8Array([9, 9, 9, 9]));
    expect(dev.config.read(0, 44)).toEqual(before);
    expect(dev.config.generation).toBe(0);
  });

  it('[AVP-FS-2] encodes the tag in UTF-8, NUL-padded, without a terminator when it fills all 36 bytes', () => {
    expect(C.decodeTag(C.encodeTag('navi'))).toBe('navi');
    const u = C.encodeTag('Karten-ÄÖÜ');
    expect(u.length).toBe(36);
    expect(C.decodeTag(u)).toBe('Karten-ÄÖÜ');
    expect(u.subarray(new TextEncoder().encode('Karten-ÄÖÜ').length).every((b) => b === 0)).toBe(true);
    const full = 'x'.repeat(36);
    const f = C.encodeTag(full);
    expect(f.includes(0)).toBe(false);
    expect(C.decodeTag(f)).toBe(full);
    const lb = new Loopback(new FsDevice({ tag: full, share: new FsShare(hostTree()) }));
    expect(new FsClient(lb).tag).toBe(full);
  });

  it('[AVP-FS-2] refuses a tag that is empty, over 36 bytes in UTF-8, or contains NUL', () => {
    const share = new FsShare(hostTree());
    expect(() => new FsDevice({ tag: '', share })).toThrow(RangeError);
    expect(() => new FsDevice({ tag: 'y'.repeat(37), share })).toThrow(RangeError);
    expect(() => new FsDevice({ tag: 'ü'.repeat(19), share })).toThrow(/38 bytes/); // 19 characters, 38 bytes
    expect(() => new FsDevice({ tag: 'a\0b', share })).toThrow(RangeError);
  });

  it('[AVP-FS-31] refuses num_request_queues 0', () => {
    expect(() => new FsDevice({ tag: 't', share: new FsShare(hostTree()), numRequestQueues: 0 })).toThrow(RangeError);
  });

  it('[AVP-FS-3] numbers the queues hiprio, notification (only with VIRTIO_FS_F_NOTIFICATION), then request queues', () => {
    expect(VIRTIO_FS_F_NOTIFICATION).toBe(0);
    expect(firstRequestQueue(0n)).toBe(1);
    expect(firstRequestQueue(bit(VIRTIO_FS_F_NOTIFICATION))).toBe(2);
    expect(requestQueueIndex(bit(VIRTIO_FS_F_NOTIFICATION), 2)).toBe(4);
    const plain = new FsDevice({ tag: 't', share: new FsShare(hostTree()), numRequestQueues: 2 });
    expect(hasFeature(plain.offeredFeatures(), VIRTIO_FS_F_NOTIFICATION)).toBe(false);
    expect(plain.queueCount(ALL)).toBe(4); // hiprio + notification + 2 request queues
    expect(plain.queueCount(0n)).toBe(3);
    const notif = new FsDevice({ tag: 't', share: new FsShare(hostTree()), notifications: true });
    expect(hasFeature(notif.offeredFeatures(), VIRTIO_FS_F_NOTIFICATION)).toBe(true);
  });
});

describe.each(RING_TYPES)('virtio-fs queues (%s ring)', (ring) => {
  it('[AVP-FS-3] [AVP-FS-31] [AVP-FS-4] serves every request queue, with or without the notification queue, in one session', () => {
    for (const notifications of [false, true]) {
      const m = mount(ring, { dev: { numRequestQueues: 3, notifications } });
      expect(m.lb.queues.length).toBe(notifications ? 5 : 4);
      expect(m.c.numRequestQueues).toBe(3);
      // A lookup on queue 2 gives a nodeid the session honours on queue 0 and 1.
      const tile = m.c.lookup(1n, 'maps', { queue: 2 }).value!.nodeid;
      const fh = m.c.open(walk(m, 'maps/readme.txt'), 0, { queue: 1 }).value!;
      expect(m.c.getattr(tile, undefined, { queue: 0 }).errno).toBe(0);
      expect(m.c.read(fh, 0, 10, { queue: 2 }).errno).toBe(0);
      expect(m.c.release(fh, { queue: 0 }).errno).toBe(0);
      expect(m.lb.usedNotifications.slice(-3).every((n) => n > 0)).toBe(true);
    }
  });

  it('[AVP-FS-4] needs FUSE_INIT once, on any request queue', () => {
    const m = mount(ring, { dev: { numRequestQueues: 2 }, init: false });
    expect(m.c.getattr(1n, undefined, { queue: 0 }).errno).toBe(5);
    // The client sends INIT on request queue 0; re-send it by hand on queue 1 instead.
    const fresh = mount(ring, { dev: { numRequestQueues: 2 }, init: false });
    const r = fresh.c.call(FUSE_INIT, 0n, encodeInitIn({ major: 7, minor: 38, maxReadahead: 0, flags: 0, flags2: 0 }), 64, { queue: 1 });
    expect(r.header?.error).toBe(0);
    expect(fresh.c.getattr(1n, undefined, { queue: 0 }).errno).toBe(0);
  });
});
