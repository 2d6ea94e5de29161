// The host's side of a share: an in-memory tree of directories and regular files with inode
// numbers, standing in for the host file system a real virtio-fs daemon serves. It knows
// nothing of FUSE; a device exports part of it (share.ts) and translates requests into these
// calls. Inode numbers are never reused, so a number the guest holds can only ever name the
// node it was given for, or nothing.
import { S_IFDIR, S_IFREG } from './fuse-attr.ts';

// #region memfs-nodes
interface MemNodeBase {
  readonly ino: number;
  /** Type and permission bits, as stat(2) reports them. */
  mode: number;
  uid: number;
  gid: number;
  /** Milliseconds since the epoch. */
  mtimeMs: number;
  ctimeMs: number;
  /** Null for the root. */
  parent: MemDir | null;
  name: string;
}

export interface MemDir extends MemNodeBase {
  readonly kind: 'dir';
  readonly children: Map<string, MemNode>;
}

export interface MemFile extends MemNodeBase {
  readonly kind: 'file';
  /** Storage; only the first `size` bytes are file contents. */
  data: Uint8Array;
  size: number;
}

export type MemNode = MemDir | MemFile;

/** A change to the tree: which node, and who made it (a device, or 'host'). */
export interface MemChange {
  readonly node: MemNode;
  readonly origin: unknown;
}
// #endregion memfs-nodes

export interface MemFsOptions {
  /** The clock for timestamps, in ms; default a deterministic one that starts at 2026-04-08 and ticks 1 s per change. */
  readonly now?: () => number;
  /** The largest file size a write may produce; default 16 MiB. */
  readonly maxFileSize?: number;
  readonly uid?: number;
  readonly gid?: number;
}

const START = Date.UTC(2026, 3, 8);

export class MemFs {
  readonly root: MemDir;
  readonly maxFileSize: number;
  private readonly inodes = new Map<number, MemNode>();
  private readonly watchers = new Set<(c: MemChange) => void>();
  private readonly now: () => number;
  private readonly owner: { uid: number; gid: number };
  private nextIno = 1;

  constructor(opts: MemFsOptions = {}) {
    let tick = START;
    this.now = opts.now ?? (() => (tick += 1000));
    this.maxFileSize = opts.maxFileSize ?? 16 << 20;
    this.owner = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
    this.root = this.newDir(null, '', 0o755); // inode 1
  }

  /** The node with this inode number, if it still exists. */
  node(ino: number): MemNode | undefined {
    return this.inodes.get(ino);
  }

  /** The node at an absolute path ('/maps/eu.bin'), if any. */
  resolve(path: string): MemNode | undefined {
    let at: MemNode = this.root;
    for (const part of splitPath(path)) {
      if (at.kind !== 'dir') return undefined;
      const next = at.children.get(part);
      if (!next) return undefined;
      at = next;
    }
    return at;
  }

  /** A directory's entries, sorted by name so listings are reproducible. */
  entries(dir: MemDir): [string, MemNode][] {
    return [...dir.children].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Subdirectories count towards a directory's link count, as on a POSIX file system. */
  nlink(node: MemNode): number {
    if (node.kind === 'file') return 1;
    let n = 2;
    for (const c of node.children.values()) if (c.kind === 'dir') n++;
    return n;
  }

  // ---- Host-side changes (what the platform does outside any guest) ----

  /** Creates a directory and any missing parents; returns the existing one if there is one. */
  mkdir(path: string, mode = 0o755): MemDir {
    let at = this.root;
    for (const part of splitPath(path)) {
      const next = at.children.get(part);
      if (next && next.kind !== 'dir') throw new Error(`mkdir ${path}: ${part} is a file`);
      at = next ?? this.addChild(at, this.newDir(at, part, mode), 'host');
    }
    return at;
  }

  /** Creates or replaces a regular file (parents included) with these contents. */
  writeFile(path: string, contents: Uint8Array | string, opts: { mode?: number; origin?: unknown } = {}): MemFile {
    const parts = splitPath(path);
    const name = parts.pop();
    if (!name) throw new Error(`writeFile ${path}: no file name`);
    const dir = this.mkdir('/' + parts.join('/'));
    const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents.slice();
    const origin = opts.origin ?? 'host';
    const existing = dir.children.get(name);
    if (existing && existing.kind !== 'file') throw new Error(`writeFile ${path}: is a directory`);
    if (existing) {
      existing.data = bytes;
      existing.size = bytes.length;
      if (opts.mode !== undefined) existing.mode = S_IFREG | (opts.mode & 0o7777);
      this.touch(existing, origin);
      return existing;
    }
    const ino = this.nextIno++;
    const t = this.now();
    const file: MemFile = { kind: 'file', ino, mode: S_IFREG | ((opts.mode ?? 0o644) & 0o7777), ...this.owner, mtimeMs: t, ctimeMs: t, parent: dir, name, data: bytes, size: bytes.length };
    this.inodes.set(ino, file);
    return this.addChild(dir, file, origin);
  }

  /** Removes a file or an empty directory; its inode number is never given out again. */
  remove(path: string): void {
    const node = this.resolve(path);
    if (!node || !node.parent) throw new Error(`remove ${path}: no such file, or the root`);
    if (node.kind === 'dir' && node.children.size > 0) throw new Error(`remove ${path}: directory not empty`);
    node.parent.children.delete(node.name);
    this.inodes.delete(node.ino);
    this.touch(node.parent, 'host');
  }

  /** Calls `fn` on every change; returns the function that stops it. */
  watch(fn: (c: MemChange) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  // ---- File contents (what a device calls on a guest's behalf) ----

  /** Up to `size` bytes from `offset`; fewer at the end of the file, none past it. */
  read(file: MemFile, offset: number, size: number): Uint8Array {
    if (offset >= file.size) return new Uint8Array(0);
    return file.data.slice(offset, Math.min(file.size, offset + size));
  }

  /** Writes `data` at `offset`, growing the file (with zeroes in any gap). The caller checks maxFileSize. */
  write(file: MemFile, offset: number, data: Uint8Array, origin: unknown): void {
    const end = offset + data.length;
    if (end > this.maxFileSize) throw new RangeError(`write to ${end} bytes: over maxFileSize ${this.maxFileSize}`);
    if (end > file.data.length) {
      const grown = new Uint8Array(Math.min(this.maxFileSize, Math.max(end, file.data.length * 2, 64)));
      grown.set(file.data.subarray(0, file.size));
      file.data = grown;
    }
    file.data.set(data, offset);
    file.size = Math.max(file.size, end);
    this.touch(file, origin);
  }

  /** Cuts or extends (with zeroes) a file to `size` bytes. */
  truncate(file: MemFile, size: number, origin: unknown): void {
    if (size > this.maxFileSize) throw new RangeError(`truncate to ${size}: over maxFileSize`);
    if (size < file.size) file.data.fill(0, size, file.size);
    else if (size > file.data.length) this.write(file, file.size, new Uint8Array(size - file.size), origin);
    file.size = size;
    this.touch(file, origin);
  }

  private newDir(parent: MemDir | null, name: string, mode: number): MemDir {
    const ino = this.nextIno++;
    const t = this.now();
    const dir: MemDir = { kind: 'dir', ino, mode: S_IFDIR | (mode & 0o7777), ...this.owner, mtimeMs: t, ctimeMs: t, parent, name, children: new Map() };
    this.inodes.set(ino, dir);
    return dir;
  }

  private addChild<T extends MemNode>(dir: MemDir, child: T, origin: unknown): T {
    dir.children.set(child.name, child);
    this.touch(dir, origin);
    return child;
  }

  private touch(node: MemNode, origin: unknown): void {
    node.mtimeMs = node.ctimeMs = this.now();
    for (const w of this.watchers) w({ node, origin });
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}
