// The notification queue (§5.11.6.3): FUSE_NOTIFY_INVAL_INODE when a node the guest holds
// changes behind its back.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { O_RDWR } from '../../../../src/lib/devices/fs/fuse-file.ts';
import { FUSE_NOTIFY_INVAL_INODE } from '../../../../src/lib/devices/fs/fuse-dirent.ts';
import { FsShare } from '../../../../src/lib/devices/fs/share.ts';
import { FsDevice } from '../../../../src/lib/devices/fs/device.ts';
import { FsClient } from '../../../../src/lib/devices/fs/driver.ts';
import { FS_NOTIFY_BUF_SIZE } from '../../../../src/lib/devices/fs/notify.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bytes, mount, walk } from './harness.ts';

const ALL = (1n << 64n) - 1n;

describe.each(RING_TYPES)('notifications (%s ring)', (ring) => {
  it('[AVP-FS-24] [AVP-FS-5] sends FUSE_NOTIFY_INVAL_INODE for a held file the host rewrites, in a buffer of notify_buf_size', () => {
    const m = mount(ring, { dev: { notifications: true } });
    expect(m.c.notifyBufSize).toBe(FS_NOTIFY_BUF_SIZE);
    expect(FS_NOTIFY_BUF_SIZE).toBe(40);
    m.c.stockNotifications(2);
    const readme = walk(m, 'maps/readme.txt');
    m.tree.writeFile('/maps/readme.txt', 'new edition');
    const got = m.c.pollNotifications();
    expect(got).toEqual([{ code: FUSE_NOTIFY_INVAL_INODE, inval: { ino: readme, off: 0n, len: 0n }, len: 40 }]);
    expect(m.lb.usedNotifications[1]).toBe(1);
  });

  it('[AVP-FS-24] stays silent about nodes the guest does not hold and about its own writes', () => {
    const m = mount(ring, { dev: { notifications: true } });
    m.c.stockNotifications(4);
    m.tree.writeFile('/secret/keys.bin', 'rotated'); // never looked up
    m.tree.writeFile('/logs/new.txt', ''); // touches /logs, never looked up either
    const log = walk(m, 'logs/new.txt');
    const fh = m.c.open(log, O_RDWR).value!;
    m.c.write(fh, 0, bytes('guest write'));
    expect(m.c.pollNotifications()).toEqual([]);
    m.tree.writeFile('/maps/new-region.txt', 'x'); // the root's child list did not change; /maps did, unseen
    expect(m.c.pollNotifications()).toEqual([]);
    m.tree.writeFile('/top.txt', 'x'); // the root is always held
    expect(m.c.pollNotifications().map((n) => n.inval?.ino)).toEqual([1n]);
  });

  it('[AVP-FS-24] tells a guest about another guest\'s write to a shared tree', () => {
    const m = mount(ring, { dev: { notifications: true } });
    const other = new FsDevice({ tag: 'logs-writer', share: new FsShare(m.tree) });
    const oc = new FsClient(new Loopback(other, { ring }));
    oc.init();
    m.c.stockNotifications(1);
    const id = walk(m, 'maps/readme.txt');
    const ofh = oc.open(oc.lookup(oc.lookup(1n, 'maps').value!.nodeid, 'readme.txt').value!.nodeid, O_RDWR).value!;
    oc.write(ofh, 0, bytes('N'));
    expect(m.c.pollNotifications().map((n) => n.inval?.ino)).toEqual([id]);
  });

  it('[AVP-FS-24] keeps messages until buffers come, one per node however often it changed', () => {
    const m = mount(ring, { dev: { notifications: true } });
    const a = walk(m, 'maps/readme.txt');
    const b = walk(m, 'maps/eu/tile-0002.bin');
    m.tree.writeFile('/maps/readme.txt', '1');
    m.tree.writeFile('/maps/eu/tile-0002.bin', '2');
    m.tree.writeFile('/maps/readme.txt', '3');
    expect(m.dev.notifier.waiting).toBe(2);
    m.c.stockNotifications(3);
    expect(m.c.pollNotifications().map((n) => n.inval?.ino)).toEqual([a, b]);
    expect(m.dev.notifier.waiting).toBe(0);
  });

  it('[AVP-FS-34] gives back unused a notification buffer that is too small or device-readable', () => {
    const m = mount(ring, { dev: { notifications: true } });
    walk(m, 'maps/readme.txt');
    m.c.stockNotifications(1, 39);
    m.lb.submit(1, [new Uint8Array(4)], [40]);
    m.c.stockNotifications(1);
    m.tree.writeFile('/maps/readme.txt', 'x');
    const got = m.c.pollNotifications();
    expect(got.map((n) => n.len)).toEqual([0, 0, 40]);
    expect(m.dev.notifier.stats).toEqual({ sent: 1, badBuffers: 2 });
  });

  it('[AVP-FS-3] has no notification queue when the driver declines VIRTIO_FS_F_NOTIFICATION', () => {
    const m = mount(ring, { dev: { notifications: true }, lb: { features: ALL & ~1n } });
    expect(m.lb.queues.length).toBe(2); // hiprio + one request queue
    walk(m, 'maps/readme.txt');
    m.tree.writeFile('/maps/readme.txt', 'x');
    expect(m.dev.notifier.waiting).toBe(0);
    expect(m.c.getattr(1n).errno).toBe(0); // queue 1 is the request queue
  });
});
