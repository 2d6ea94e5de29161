// The in-memory host tree behind a share.
import { describe, expect, it } from 'vitest';
import { MemFs, type MemFile } from '../../../../src/lib/devices/fs/memfs.ts';
import { S_IFDIR, S_IFREG } from '../../../../src/lib/devices/fs/fuse-attr.ts';

describe('MemFs', () => {
  it('numbers inodes from 1 (the root) and never reuses a number', () => {
    const t = new MemFs();
    expect(t.root.ino).toBe(1);
    const a = t.writeFile('/a/b.txt', 'x');
    expect(t.resolve('/a')!.ino).toBe(2);
    expect(a.ino).toBe(3);
    t.remove('/a/b.txt');
    expect(t.node(3)).toBeUndefined();
    expect(t.writeFile('/a/b.txt', 'y').ino).toBe(4);
  });

  it('creates parents, replaces contents, keeps modes, and refuses to confuse files and directories', () => {
    const t = new MemFs();
    const f = t.writeFile('/x/y/z.bin', new Uint8Array([1, 2, 3]), { mode: 0o600 });
    expect(f.mode).toBe(S_IFREG | 0o600);
    expect(t.resolve('/x/y')!.mode).toBe(S_IFDIR | 0o755);
    expect(t.writeFile('/x/y/z.bin', 'ab')).toBe(f);
    expect(f.size).toBe(2);
    expect(() => t.mkdir('/x/y/z.bin')).toThrow();
    expect(() => t.writeFile('/x/y', 'no')).toThrow();
    expect(() => t.remove('/x')).toThrow(/not empty/);
    expect(t.nlink(t.resolve('/x')!)).toBe(3);
  });

  it('reads within the size, writes with zero-filled gaps, truncates, and caps the size', () => {
    const t = new MemFs({ maxFileSize: 100 });
    const f = t.writeFile('/f', 'hello') as MemFile;
    expect([...t.read(f, 3, 10)]).toEqual([108, 111]);
    expect(t.read(f, 5, 10).length).toBe(0);
    t.write(f, 8, new Uint8Array([9]), 'test');
    expect([...t.read(f, 0, 20)]).toEqual([104, 101, 108, 108, 111, 0, 0, 0, 9]);
    t.truncate(f, 2, 'test');
    t.truncate(f, 4, 'test');
    expect([...t.read(f, 0, 20)]).toEqual([104, 101, 0, 0]);
    expect(() => t.write(f, 99, new Uint8Array(2), 'test')).toThrow(RangeError);
  });

  it('reports every change with its origin and a later timestamp', () => {
    const t = new MemFs();
    const seen: [number, unknown][] = [];
    const stop = t.watch((c) => seen.push([c.node.ino, c.origin]));
    const f = t.writeFile('/f', 'a');
    const before = f.mtimeMs;
    t.write(f, 0, new Uint8Array([1]), 'guest-1');
    expect(f.mtimeMs).toBeGreaterThan(before);
    stop();
    t.writeFile('/g', 'b');
    expect(seen).toEqual([[1, 'host'], [2, 'guest-1']]);
    expect(new MemFs({ now: () => 5000 }).writeFile('/h', '').mtimeMs).toBe(5000);
  });
});
