// What one guest sees of the host tree: a share is a directory of a MemFs, exported to one
// device under its tag, read-only or not. Nodeid 1 (FUSE_ROOT_ID) is the share's root; every
// other nodeid is the node's inode number. Name resolution never leaves the share: ".." of
// its root is the root itself, and a name cannot contain "/".
import { EINVAL, ENAMETOOLONG, ENOENT, ENOTDIR } from './errno.ts';
import { type FuseAttr, S_IFMT } from './fuse-attr.ts';
import { DT_DIR, DT_REG } from './fuse-dirent.ts';
import { FUSE_ROOT_ID } from './fuse-header.ts';
import type { MemDir, MemFs, MemNode } from './memfs.ts';

/** The longest name a LOOKUP may carry, in bytes (NAME_MAX). */
export const FS_NAME_MAX = 255;

export interface FsShareOptions {
  /** The directory of `fs` the guest sees as its root; default '/'. */
  readonly root?: string;
  /** Refuse every change with EROFS. Default false. */
  readonly readOnly?: boolean;
}

export class FsShare {
  readonly fs: MemFs;
  readonly root: MemDir;
  readonly readOnly: boolean;

  constructor(fs: MemFs, opts: FsShareOptions = {}) {
    const root = fs.resolve(opts.root ?? '/');
    if (!root || root.kind !== 'dir') throw new Error(`share root ${opts.root}: not a directory of the host tree`);
    this.fs = fs;
    this.root = root;
    this.readOnly = opts.readOnly ?? false;
  }

  nodeidOf(node: MemNode): bigint {
    return node === this.root ? FUSE_ROOT_ID : BigInt(node.ino);
  }

  // #region share-node
  /**
   * The node a nodeid names, if it still exists and lies inside the share. Whether the
   * session may use it (has looked it up) is the session's question, not the share's.
   */
  nodeOf(nodeid: bigint): MemNode | undefined {
    if (nodeid === FUSE_ROOT_ID) return this.root;
    if (nodeid > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const node = this.fs.node(Number(nodeid));
    return node && node !== this.root && this.contains(node) ? node : undefined;
  }

  private contains(node: MemNode): boolean {
    for (let at: MemNode | null = node; at; at = at.parent) if (at === this.root) return true;
    return false;
  }
  // #endregion share-node

  // #region share-lookup
  /** Resolves one name in a directory: a node, or the errno a LOOKUP answers. */
  lookup(dir: MemNode, nameBytes: Uint8Array): MemNode | number {
    if (dir.kind !== 'dir') return ENOTDIR;
    if (nameBytes.length === 0 || nameBytes.includes(0x2f)) return EINVAL; // empty, or a path ("/")
    if (nameBytes.length > FS_NAME_MAX) return ENAMETOOLONG;
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(nameBytes);
    } catch {
      return ENOENT; // every host name is valid UTF-8, so bytes that are not name nothing
    }
    if (name === '.') return dir;
    if (name === '..') return dir === this.root || !dir.parent ? this.root : dir.parent; // never above the share
    return dir.children.get(name) ?? ENOENT;
  }

  /** The listing a directory handle walks: ".", "..", then the entries by name. */
  listing(dir: MemDir): { name: string; node: MemNode }[] {
    const up = dir === this.root || !dir.parent ? this.root : dir.parent;
    return [{ name: '.', node: dir }, { name: '..', node: up }, ...this.fs.entries(dir).map(([name, node]) => ({ name, node }))];
  }
  // #endregion share-lookup

  // #region share-attr
  attr(node: MemNode): FuseAttr {
    const size = node.kind === 'file' ? node.size : 4096;
    return {
      ino: node.ino, size, blocks: Math.ceil(size / 512),
      atime: Math.floor(node.mtimeMs / 1000), mtime: Math.floor(node.mtimeMs / 1000), ctime: Math.floor(node.ctimeMs / 1000),
      atimensec: (node.mtimeMs % 1000) * 1e6, mtimensec: (node.mtimeMs % 1000) * 1e6, ctimensec: (node.ctimeMs % 1000) * 1e6,
      mode: node.mode, nlink: this.fs.nlink(node), uid: node.uid, gid: node.gid, rdev: 0, blksize: 4096, flags: 0,
    };
  }
  // #endregion share-attr
}

/** The d_type of a directory entry. */
export function direntType(node: MemNode): number {
  return ((node.mode & S_IFMT) >> 12) === DT_DIR ? DT_DIR : DT_REG;
}
