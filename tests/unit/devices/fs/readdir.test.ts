// Directories: OPENDIR, READDIR, RELEASEDIR.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { EINVAL, ENOTDIR } from '../../../../src/lib/devices/fs/errno.ts';
import { DT_DIR, DT_REG, direntSize } from '../../../../src/lib/devices/fs/fuse-dirent.ts';
import { mount, walk } from './harness.ts';

describe.each(RING_TYPES)('directories (%s ring)', (ring) => {
  it('[AVP-FS-22] lists ".", "..", then the entries by name, with inode numbers and types', () => {
    const m = mount(ring);
    const dir = m.c.opendir(walk(m, 'maps')).value!;
    const r = m.c.readdir(dir, 0);
    expect(r.errno).toBe(0);
    const maps = m.tree.resolve('/maps')!;
    expect(r.value).toEqual([
      { ino: maps.ino, off: 1, type: DT_DIR, name: '.' },
      { ino: m.tree.root.ino, off: 2, type: DT_DIR, name: '..' },
      { ino: m.tree.resolve('/maps/eu')!.ino, off: 3, type: DT_DIR, name: 'eu' },
      { ino: m.tree.resolve('/maps/readme.txt')!.ino, off: 4, type: DT_REG, name: 'readme.txt' },
    ]);
    expect(m.c.readdir(dir, 4).value).toEqual([]); // past the last entry: an empty reply
    expect(m.c.releasedir(dir).errno).toBe(0);
  });

  it('[AVP-FS-22] returns whole 8-byte-aligned records within the size asked, continuing at `off`', () => {
    const m = mount(ring);
    for (let i = 0; i < 20; i++) m.tree.writeFile(`/logs/ivi/trace-${String(i).padStart(2, '0')}.txt`, `${i}`);
    const dir = m.c.opendir(walk(m, 'logs/ivi')).value!;
    const rec = direntSize('trace-00.txt'.length);
    expect(rec).toBe(40);
    const r = m.c.call(28, 0n, new Uint8Array(0), 0); // a READDIR without its fuse_read_in
    expect(r.header?.error).toBe(-EINVAL);
    const first = m.c.readdir(dir, 2, 3 * rec + 39);
    expect(first.value?.map((d) => d.name)).toEqual(['trace-00.txt', 'trace-01.txt', 'trace-02.txt']);
    const all = m.c.readdirAll(dir, 100);
    expect(all.value?.length).toBe(22);
    expect(all.value?.slice(2).map((d) => d.name)).toEqual(Array.from({ length: 20 }, (_, i) => `trace-${String(i).padStart(2, '0')}.txt`));
    expect(m.c.readdir(dir, 0, 31).errno).toBe(EINVAL); // not even "." (32 bytes) fits
  });

  it('[AVP-FS-22] keeps the listing of an open handle while the host changes the directory', () => {
    const m = mount(ring);
    const dir = m.c.opendir(walk(m, 'maps')).value!;
    m.tree.writeFile('/maps/aaa-new.txt', 'new');
    expect(m.c.readdirAll(dir).value?.map((d) => d.name)).toEqual(['.', '..', 'eu', 'readme.txt']);
    const fresh = m.c.opendir(walk(m, 'maps')).value!;
    expect(m.c.readdirAll(fresh).value?.map((d) => d.name)).toEqual(['.', '..', 'aaa-new.txt', 'eu', 'readme.txt']);
  });

  it('[AVP-FS-20] answers ENOTDIR to OPENDIR of a file', () => {
    const m = mount(ring);
    expect(m.c.opendir(walk(m, 'maps/readme.txt')).errno).toBe(ENOTDIR);
    expect(m.dev.server.session.openHandles).toBe(0);
  });

  it('[AVP-FS-19] lists ".." of a subtree share root as the root itself', () => {
    const m = mount(ring, { share: { root: '/maps/eu' } });
    const list = m.c.readdirAll(m.c.opendir(1n).value!).value!;
    const eu = m.tree.resolve('/maps/eu')!.ino;
    expect(list.slice(0, 2)).toEqual([{ ino: eu, off: 1, type: DT_DIR, name: '.' }, { ino: eu, off: 2, type: DT_DIR, name: '..' }]);
  });
});
