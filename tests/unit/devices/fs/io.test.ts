// Open files: OPEN, READ, WRITE, RELEASE, file handles, and read-only shares.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { EACCES, EBADF, EFBIG, EINVAL, EISDIR, EROFS } from '../../../../src/lib/devices/fs/errno.ts';
import { encodeIoIn, O_APPEND, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../../../src/lib/devices/fs/fuse-file.ts';
import { FUSE_READ } from '../../../../src/lib/devices/fs/fuse-header.ts';
import { FUSE_MAP_ALIGNMENT } from '../../../../src/lib/devices/fs/fuse-init.ts';
import { MemFs } from '../../../../src/lib/devices/fs/memfs.ts';
import { bytes, hostTree, mount, README, text, walk } from './harness.ts';

describe.each(RING_TYPES)('open files (%s ring)', (ring) => {
  it('[AVP-FS-21] [AVP-FS-25] [AVP-FS-40] reads whole files, pieces, and nothing at or past the end; no DAX window is needed', () => {
    const m = mount(ring);
    const fh = m.c.open(walk(m, 'maps/eu/tile-0001.bin'), O_RDONLY).value!;
    const all = m.c.read(fh, 0, 4096);
    expect(all.value?.length).toBe(3000);
    expect(all.value).toEqual(Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
    expect(m.c.read(fh, 2990, 100).value).toEqual(all.value!.subarray(2990));
    expect(m.c.read(fh, 100, 5).value).toEqual(all.value!.subarray(100, 105));
    expect(m.c.read(fh, 3000, 10).value?.length).toBe(0);
    expect(m.c.read(fh, 1n << 62n, 10).value?.length).toBe(0);
    expect(m.c.init().value?.flags! & FUSE_MAP_ALIGNMENT).toBe(0); // map_alignment not offered: no DAX window
  });

  it('[AVP-FS-35] [AVP-FS-36] reports a used length of 16 + the bytes returned', () => {
    const m = mount(ring);
    const fh = m.c.open(walk(m, 'maps/readme.txt'), O_RDONLY).value!;
    const r = m.c.call(FUSE_READ, 0n, encodeIoIn({ fh, size: 200 }), 200);
    expect(r.len).toBe(16 + README.length);
    expect(r.header).toEqual({ len: 16 + README.length, error: 0, unique: r.unique });
  });

  it('[AVP-FS-41] [AVP-FS-42] [AVP-FS-43] writes, extends with zeroes across a gap, appends, truncates, and reports bytes written', () => {
    const m = mount(ring);
    const id = walk(m, 'logs');
    m.tree.writeFile('/logs/boot.log', '');
    const log = m.c.lookup(id, 'boot.log').value!.nodeid;
    const fh = m.c.open(log, O_RDWR).value!;
    expect(m.c.write(fh, 0, bytes('first')).value).toBe(5);
    expect(m.c.write(fh, 8, bytes('X')).value).toBe(1);
    expect(text(m.c.read(fh, 0, 100).value)).toBe('first\0\0\0X');
    const app = m.c.open(log, O_WRONLY | O_APPEND).value!;
    expect(m.c.write(app, 0, bytes('+')).value).toBe(1); // the offset is ignored: at the end
    expect(text(m.c.read(fh, 0, 100).value)).toBe('first\0\0\0X+');
    expect(m.c.getattr(log).value?.size).toBe(10);
    const t = m.c.open(log, O_WRONLY | O_TRUNC).value!;
    expect(m.c.getattr(log).value?.size).toBe(0);
    expect(m.c.write(t, 0, bytes('ok')).value).toBe(2);
    expect(text(m.c.read(fh, 0, 100).value)).toBe('ok');
    expect(m.c.write(fh, 0, new Uint8Array(0)).value).toBe(0);
  });

  it('[AVP-FS-44] [AVP-FS-45] refuses a write past the largest file with EFBIG and one over max_write with EINVAL', () => {
    const tree = hostTree();
    const small = new MemFs({ maxFileSize: 1000 });
    small.writeFile('/f', 'x');
    const m = mount(ring, { tree: small, dev: { maxWrite: 4096 } });
    const fh = m.c.open(walk(m, 'f'), O_RDWR).value!;
    expect(m.c.write(fh, 990, new Uint8Array(11)).errno).toBe(EFBIG);
    expect(m.c.write(fh, (1n << 64n) - 1n, new Uint8Array(1)).errno).toBe(EFBIG);
    expect(m.c.write(fh, 990, new Uint8Array(10)).value).toBe(10);
    expect(m.c.write(fh, 0, new Uint8Array(4097)).errno).toBe(EINVAL);
    expect(m.dev.stats.errors['write-too-large']).toBe(1);
    expect(m.c.getattr(walk(m, 'f')).value?.size).toBe(1000);
    expect(tree.maxFileSize).toBe(16 << 20);
  });

  it('[AVP-FS-18] answers EBADF to unknown, released, wrong-kind and wrong-access handles; never reuses one', () => {
    const m = mount(ring);
    const id = walk(m, 'maps/readme.txt');
    expect(m.c.read(99n, 0, 10).errno).toBe(EBADF);
    const ro = m.c.open(id, O_RDONLY).value!;
    const wo = m.c.open(id, O_WRONLY).value!;
    expect(wo).not.toBe(ro);
    expect(m.c.write(ro, 0, bytes('x')).errno).toBe(EBADF);
    expect(m.c.read(wo, 0, 10).errno).toBe(EBADF);
    const dir = m.c.opendir(1n).value!;
    expect(m.c.read(dir, 0, 10).errno).toBe(EBADF);
    expect(m.c.release(dir).errno).toBe(EBADF);
    expect(m.c.readdir(ro, 0).errno).toBe(EBADF);
    expect(m.c.releasedir(ro).errno).toBe(EBADF);
    expect(m.c.release(ro).errno).toBe(0);
    expect(m.c.release(ro).errno).toBe(EBADF);
    expect(m.c.read(ro, 0, 10).errno).toBe(EBADF);
    const again = m.c.open(id, O_RDONLY).value!;
    expect([ro, wo, dir]).not.toContain(again);
    expect(text(m.c.read(again, 0, 100).value)).toBe(README);
  });

  it('[AVP-FS-20] answers EISDIR to OPEN of a directory, EACCES to opening a write-protected file for writing, EINVAL to access mode 3', () => {
    const m = mount(ring);
    expect(m.c.open(walk(m, 'maps'), O_RDONLY).errno).toBe(EISDIR);
    expect(m.c.lookup(walk(m, 'maps/readme.txt'), 'x').errno).toBe(20); // ENOTDIR: LOOKUP in a file
    const locked = walk(m, 'config/locked.conf');
    expect(m.c.open(locked, O_WRONLY).errno).toBe(EACCES);
    expect(m.c.open(locked, O_RDONLY | O_TRUNC).errno).toBe(EACCES);
    expect(m.c.open(locked, O_RDONLY).errno).toBe(0);
    expect(m.c.open(locked, 3).errno).toBe(EINVAL);
    expect(m.c.getattr(locked).value?.size).toBe('speed_limit=130\n'.length); // not truncated
  });
});

describe.each(RING_TYPES)('[AVP-FS-23] read-only shares (%s ring)', (ring) => {
  it('refuses with EROFS every open for writing or truncation, and every WRITE, and changes nothing', () => {
    const m = mount(ring, { share: { readOnly: true } });
    const id = walk(m, 'maps/readme.txt');
    expect(m.c.open(id, O_WRONLY).errno).toBe(EROFS);
    expect(m.c.open(id, O_RDWR).errno).toBe(EROFS);
    expect(m.c.open(id, O_RDONLY | O_TRUNC).errno).toBe(EROFS);
    const fh = m.c.open(id, O_RDONLY).value!;
    expect(m.c.write(fh, 0, bytes('overwrite')).errno).toBe(EROFS);
    expect(m.c.write(12345n, 0, bytes('x')).errno).toBe(EROFS); // whatever the handle
    expect(text(m.c.read(fh, 0, 100).value)).toBe(README);
    expect(m.dev.stats.errors['read-only']).toBe(5);
  });

  it('still lets the host change what a read-only share shows', () => {
    const m = mount(ring, { share: { readOnly: true } });
    const fh = m.c.open(walk(m, 'maps/readme.txt'), O_RDONLY).value!;
    m.tree.writeFile('/maps/readme.txt', 'Navigation data, region EU, 2026.2\n');
    expect(text(m.c.read(fh, 0, 100).value)).toBe('Navigation data, region EU, 2026.2\n');
  });
});
