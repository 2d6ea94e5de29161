// The FUSE session (§5.11.5, §5.11.6.1): FUSE_INIT first, version negotiation, byte order,
// and what ends a session.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { EIO, EPROTO, ESTALE, EBADF } from '../../../../src/lib/devices/fs/errno.ts';
import { FUSE_BIG_WRITES, FUSE_MAP_ALIGNMENT, FUSE_MAX_PAGES, FUSE_POSIX_LOCKS, FUSE_ASYNC_READ, FUSE_WRITEBACK_CACHE } from '../../../../src/lib/devices/fs/fuse-init.ts';
import { FUSE_INIT, encodeInHeader, decodeOutHeader } from '../../../../src/lib/devices/fs/fuse-header.ts';
import { encodeInitIn } from '../../../../src/lib/devices/fs/fuse-init.ts';
import { FsClient } from '../../../../src/lib/devices/fs/driver.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { mount, README, text, walk } from './harness.ts';

describe.each(RING_TYPES)('FUSE session (%s ring)', (ring) => {
  it('[AVP-FS-12] answers EIO to every request before FUSE_INIT, changing nothing', () => {
    const m = mount(ring, { init: false });
    expect(m.c.lookup(1n, 'maps').errno).toBe(EIO);
    expect(m.c.getattr(1n).errno).toBe(EIO);
    expect(m.c.opendir(1n).errno).toBe(EIO);
    expect(m.c.call(999, 1n, new Uint8Array(0), 0).header?.error).toBe(-EIO); // even an unknown opcode
    expect(m.dev.stats.errors['no-session']).toBe(4);
    expect(m.dev.server.session.openHandles).toBe(0);
    expect(m.c.forget(1n, 1)).toBe(0); // forgets are dropped without a reply
    expect(m.c.init().errno).toBe(0);
    expect(m.c.lookup(1n, 'maps').errno).toBe(0);
  });

  it('[AVP-FS-13] [AVP-FS-33] negotiates 7.min(driver, 38) and accepts only the flags it implements', () => {
    const m = mount(ring, { init: false });
    const offered = FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_BIG_WRITES | FUSE_WRITEBACK_CACHE | FUSE_MAX_PAGES | FUSE_MAP_ALIGNMENT;
    const r = m.c.init({ minor: 41, flags: offered });
    expect(r.errno).toBe(0);
    expect(r.value).toMatchObject({ major: 7, minor: 38, maxWrite: 128 << 10, maxPages: 32, mapAlignment: 0 });
    expect(r.value!.flags).toBe(FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES);
    expect(m.dev.server.session.negotiated?.minor).toBe(38);
    const older = mount(ring, { init: false }).c.init({ minor: 31 });
    expect(older.value?.minor).toBe(31);
  });

  it('[AVP-FS-13] answers a newer major version with its own version and no session', () => {
    const m = mount(ring, { init: false });
    const r = m.c.call(FUSE_INIT, 0n, encodeInitIn({ major: 8, minor: 0, maxReadahead: 0, flags: 0, flags2: 0 }), 64);
    expect(r.header).toEqual({ len: 16 + 8, error: 0, unique: r.unique });
    expect([...r.data]).toEqual([7, 0, 0, 0, 38, 0, 0, 0]);
    expect(m.dev.server.session.active).toBe(false);
    expect(m.c.getattr(1n).errno).toBe(EIO);
    expect(m.c.init().errno).toBe(0); // the driver asks again with major 7
  });

  it('[AVP-FS-13] refuses with EPROTO a major version below 7 or a minor below 31, and a short fuse_init_in with EINVAL', () => {
    const m = mount(ring, { init: false });
    expect(m.c.init({ major: 6, minor: 40 }).errno).toBe(EPROTO);
    expect(m.c.init({ minor: 30 }).errno).toBe(EPROTO);
    expect(m.dev.server.session.active).toBe(false);
    const short = m.c.call(FUSE_INIT, 0n, new Uint8Array([7, 0, 0, 0, 38, 0, 0, 0]), 64);
    expect(short.header?.error).toBe(-22);
    expect(m.dev.stats.errors['bad-version']).toBe(2);
    expect(m.dev.stats.errors['short-body']).toBe(1);
  });

  it('[AVP-FS-14] serves a big-endian session in big-endian byte order throughout', () => {
    const m = mount(ring, { endian: 'big' });
    expect(m.dev.server.session.negotiated?.endian).toBe('big');
    const nodeid = walk(m, 'maps/readme.txt');
    const attr = m.c.getattr(nodeid);
    expect(attr.value?.size).toBe(README.length);
    const fh = m.c.open(nodeid, 0).value!;
    expect(text(m.c.read(fh, 0, 100).value)).toBe(README);
    // The raw reply: len 16 + 104 = 120 and the unique, most significant byte first.
    const raw = m.c.call(3, nodeid, new Uint8Array(16), 104);
    expect(raw.len).toBe(120);
    const hdr = new DataView(new Uint8Array([...raw.data]).buffer); // attr_out: attr_valid u64 = 1, big-endian
    expect(hdr.getBigUint64(0, false)).toBe(1n);
    expect(hdr.getBigUint64(16, false)).toBe(BigInt(m.tree.resolve('/maps/readme.txt')!.ino));
  });

  it('[AVP-FS-38] [AVP-FS-14] ends the session at the next FUSE_INIT: nodeids and handles are gone, and the byte order may change', () => {
    const m = mount(ring);
    const nodeid = walk(m, 'maps/readme.txt');
    const fh = m.c.open(nodeid, 0).value!;
    const be = new FsClient(m.lb, { endian: 'big' });
    expect(be.init().errno).toBe(0);
    expect(m.dev.server.endian).toBe('big');
    expect(be.getattr(nodeid).errno).toBe(ESTALE);
    expect(be.read(fh, 0, 10).errno).toBe(EBADF);
    expect(be.getattr(1n).errno).toBe(0);
    expect(m.c.init().errno).toBe(0); // and back to little-endian
    expect(m.c.getattr(1n).errno).toBe(0);
  });

  it('[AVP-FS-38] ends the session at a device reset', () => {
    const m = mount(ring);
    walk(m, 'maps');
    expect(m.dev.server.session.knownNodeids().length).toBe(1);
    const again = new Loopback(m.dev, { ring }); // a new driver: the transport resets the device first
    expect(m.dev.server.session.active).toBe(false);
    expect(new FsClient(again).getattr(1n).errno).toBe(EIO);
  });

  it('[AVP-FS-14] answers a request too short for a header in the session byte order', () => {
    const m = mount(ring, { endian: 'big' });
    const hdr = encodeInHeader({ len: 30, opcode: 3, unique: 0x0a0bn }, 'big');
    const c = m.lb.request(1, [hdr.subarray(0, 30)], [16]);
    expect(decodeOutHeader(c.data, 'big')).toEqual({ len: 16, error: -22, unique: 0x0a0bn });
  });
});
