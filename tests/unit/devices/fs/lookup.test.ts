// Name space requests: LOOKUP, GETATTR, FORGET and BATCH_FORGET, nodeid validity, and the
// share's boundary.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { EINVAL, ENAMETOOLONG, ENOENT, ENOTDIR, ESTALE, EBADF } from '../../../../src/lib/devices/fs/errno.ts';
import { S_IFDIR, S_IFREG } from '../../../../src/lib/devices/fs/fuse-attr.ts';
import { FUSE_LOOKUP } from '../../../../src/lib/devices/fs/fuse-header.ts';
import { bytes, mount, README, walk } from './harness.ts';

describe.each(RING_TYPES)('LOOKUP and GETATTR (%s ring)', (ring) => {
  it('[AVP-FS-17] returns the entry with its attributes; nodeid 1 is the share root', () => {
    const m = mount(ring);
    const maps = m.c.lookup(1n, 'maps');
    expect(maps.errno).toBe(0);
    const node = m.tree.resolve('/maps')!;
    expect(maps.value).toMatchObject({ nodeid: BigInt(node.ino), generation: 0n, entryValid: 1, attrValid: 1 });
    expect(maps.value!.attr).toMatchObject({ ino: node.ino, mode: S_IFDIR | 0o755, nlink: 3 }); // ., .. and eu
    const f = m.c.lookup(maps.value!.nodeid, 'readme.txt').value!;
    expect(f.attr).toMatchObject({ size: README.length, blocks: 1, mode: S_IFREG | 0o644, nlink: 1, blksize: 4096 });
    const root = m.c.getattr(1n);
    expect(root.value?.ino).toBe(m.tree.root.ino);
    expect(m.c.getattr(f.nodeid).value).toEqual(f.attr);
  });

  it('[AVP-FS-17] refuses with ESTALE a nodeid never looked up, and one forgotten as often as it was looked up', () => {
    const m = mount(ring);
    const ino = BigInt(m.tree.resolve('/maps/readme.txt')!.ino);
    expect(m.c.getattr(ino).errno).toBe(ESTALE); // it exists, but the guest was never given it
    expect(m.c.open(ino, 0).errno).toBe(ESTALE);
    const maps = walk(m, 'maps');
    expect(walk(m, 'maps')).toBe(maps);
    expect(m.dev.server.session.lookupCount(maps)).toBe(2n);
    expect(m.c.forget(maps, 1)).toBe(0); // no reply
    expect(m.c.getattr(maps).errno).toBe(0);
    m.c.forget(maps, 1);
    expect(m.c.getattr(maps).errno).toBe(ESTALE);
    expect(m.c.lookup(maps, 'readme.txt').errno).toBe(ESTALE);
    m.c.forget(1n, 100); // the root never goes stale
    expect(m.c.getattr(1n).errno).toBe(0);
    expect(m.c.getattr(0n).errno).toBe(ESTALE);
    expect(m.c.getattr((1n << 64n) - 1n).errno).toBe(ESTALE);
    expect(m.dev.stats.noReply).toBe(3);
  });

  it('[AVP-FS-17] applies every entry of a BATCH_FORGET', () => {
    const m = mount(ring);
    const maps = walk(m, 'maps');
    const eu = m.c.lookup(maps, 'eu').value!.nodeid;
    m.c.lookup(maps, 'eu');
    expect([m.dev.server.session.lookupCount(maps), m.dev.server.session.lookupCount(eu)]).toEqual([1n, 2n]);
    expect(m.c.batchForget([{ nodeid: maps, nlookup: 1n }, { nodeid: eu, nlookup: 1n }])).toBe(0);
    expect(m.c.getattr(maps).errno).toBe(ESTALE);
    expect(m.c.getattr(eu).errno).toBe(0); // one reference left
    m.c.batchForget([{ nodeid: eu, nlookup: 1n }]);
    expect(m.c.getattr(eu).errno).toBe(ESTALE);
  });

  it('[AVP-FS-17] makes a nodeid stale when the host removes its file', () => {
    const m = mount(ring);
    const id = walk(m, 'maps/eu/tile-0002.bin');
    m.tree.remove('/maps/eu/tile-0002.bin');
    expect(m.c.getattr(id).errno).toBe(ESTALE);
    expect(m.c.lookup(walk(m, 'maps/eu'), 'tile-0002.bin').errno).toBe(ENOENT);
  });

  it('[AVP-FS-17] answers GETATTR through an open handle with FUSE_GETATTR_FH, and EBADF for an unknown one', () => {
    const m = mount(ring);
    const id = walk(m, 'maps/readme.txt');
    const fh = m.c.open(id, 0).value!;
    m.c.forget(id, 1);
    expect(m.c.getattr(id).errno).toBe(ESTALE);
    expect(m.c.getattr(id, fh).value?.size).toBe(README.length);
    expect(m.c.getattr(1n, 77n).errno).toBe(EBADF);
  });

  it('[AVP-FS-19] refuses names that are empty, contain "/", lack their NUL, or exceed 255 bytes; ENOENT for what is not there', () => {
    const m = mount(ring);
    expect(m.c.lookup(1n, '').errno).toBe(EINVAL);
    expect(m.c.lookup(1n, 'maps/readme.txt').errno).toBe(EINVAL);
    expect(m.c.call(FUSE_LOOKUP, 1n, bytes('maps'), 128).header?.error).toBe(-EINVAL); // no NUL terminator
    expect(m.c.lookup(1n, 'a'.repeat(256)).errno).toBe(ENAMETOOLONG);
    expect(m.c.lookup(1n, 'a'.repeat(255)).errno).toBe(ENOENT);
    expect(m.c.call(FUSE_LOOKUP, 1n, new Uint8Array([0xff, 0xfe, 0]), 128).header?.error).toBe(-ENOENT); // not UTF-8
    expect(m.c.lookup(walk(m, 'maps/readme.txt'), 'x').errno).toBe(ENOTDIR);
    expect(m.dev.stats.errors['bad-name']).toBe(3);
  });

  it('[AVP-FS-19] resolves "." and "..", but ".." of the share root is the root', () => {
    const m = mount(ring, { share: { root: '/maps' } });
    expect(m.c.lookup(1n, '..').value?.nodeid).toBe(1n);
    expect(m.c.lookup(1n, '.').value?.nodeid).toBe(1n);
    const eu = walk(m, 'eu');
    expect(m.c.lookup(eu, '..').value?.nodeid).toBe(1n);
    expect(m.c.lookup(eu, '.').value?.nodeid).toBe(eu);
    expect(m.c.lookup(walk(m, '../../..'), 'secret').errno).toBe(ENOENT);
    expect(m.c.lookup(1n, 'readme.txt').errno).toBe(0);
  });

  it('[AVP-FS-19] never lets a nodeid reach outside a subtree share, even one guessed right', () => {
    const m = mount(ring, { share: { root: '/maps' } });
    const secret = BigInt(m.tree.resolve('/secret/keys.bin')!.ino);
    const hostRoot = m.tree.root;
    expect(m.c.getattr(1n).value?.ino).toBe(m.tree.resolve('/maps')!.ino);
    expect(m.c.getattr(1n).value?.ino).not.toBe(hostRoot.ino);
    m.dev.server.session.looked(secret); // even if the session somehow held it
    expect(m.c.getattr(secret).errno).toBe(ESTALE);
    expect(m.c.open(secret, 0).errno).toBe(ESTALE);
    const mapsIno = BigInt(m.tree.resolve('/maps')!.ino);
    m.dev.server.session.looked(mapsIno);
    expect(m.c.getattr(mapsIno).errno).toBe(ESTALE); // the share root is only ever nodeid 1
  });
});
