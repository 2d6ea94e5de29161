// The FUSE codec: struct sizes and field offsets as the Linux FUSE protocol (version 7)
// defines them, opcode numbers, byte order, and directory record alignment.
import { describe, expect, it } from 'vitest';
import * as A from '../../../../src/lib/devices/fs/fuse-attr.ts';
import * as D from '../../../../src/lib/devices/fs/fuse-dirent.ts';
import * as F from '../../../../src/lib/devices/fs/fuse-file.ts';
import * as H from '../../../../src/lib/devices/fs/fuse-header.ts';
import * as I from '../../../../src/lib/devices/fs/fuse-init.ts';
import * as E from '../../../../src/lib/devices/fs/errno.ts';

const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('FUSE codec', () => {
  it('[AVP-FS-37] encodes fuse_in_header (40 bytes) and fuse_out_header (16 bytes) field by field', () => {
    const h = H.encodeInHeader({ len: 0x1234, opcode: 15, unique: 0x0102030405060708n, nodeid: 0x1112131415161718n, uid: 1000, gid: 1001, pid: 77, totalExtlen: 3 });
    expect(h.length).toBe(H.FUSE_IN_HEADER_SIZE);
    expect(H.FUSE_IN_HEADER_SIZE).toBe(40);
    const v = le(h);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getBigUint64(8, true), v.getBigUint64(16, true)]).toEqual([0x1234, 15, 0x0102030405060708n, 0x1112131415161718n]);
    expect([v.getUint32(24, true), v.getUint32(28, true), v.getUint32(32, true), v.getUint16(36, true), v.getUint16(38, true)]).toEqual([1000, 1001, 77, 3, 0]);
    expect(H.decodeInHeader(h, 'little')).toEqual({ len: 0x1234, opcode: 15, unique: 0x0102030405060708n, nodeid: 0x1112131415161718n, uid: 1000, gid: 1001, pid: 77, totalExtlen: 3 });
    const o = H.encodeOutHeader({ len: 16, error: -E.ENOENT, unique: 9n }, 'little');
    expect(o.length).toBe(16);
    expect([le(o).getUint32(0, true), le(o).getInt32(4, true), le(o).getBigUint64(8, true)]).toEqual([16, -2, 9n]);
  });

  it('[AVP-FS-11] uses the FUSE opcode numbers', () => {
    expect([H.FUSE_LOOKUP, H.FUSE_FORGET, H.FUSE_GETATTR, H.FUSE_OPEN, H.FUSE_READ, H.FUSE_WRITE, H.FUSE_RELEASE]).toEqual([1, 2, 3, 14, 15, 16, 18]);
    expect([H.FUSE_INIT, H.FUSE_OPENDIR, H.FUSE_READDIR, H.FUSE_RELEASEDIR, H.FUSE_INTERRUPT, H.FUSE_BATCH_FORGET]).toEqual([26, 27, 28, 29, 36, 42]);
    expect([H.FUSE_SETUPMAPPING, H.FUSE_REMOVEMAPPING]).toEqual([48, 49]);
    expect(H.fuseOpcodeName(28)).toBe('FUSE_READDIR');
    expect(H.fuseOpcodeName(999)).toBe('opcode 999');
  });

  it('uses the Linux errno values', () => {
    expect([E.ENOENT, E.EIO, E.EBADF, E.EACCES, E.EEXIST, E.ENOTDIR, E.EISDIR, E.EINVAL, E.EFBIG, E.EROFS, E.ENAMETOOLONG, E.ENOSYS, E.EPROTO, E.ESTALE])
      .toEqual([2, 5, 9, 13, 17, 20, 21, 22, 27, 30, 36, 38, 71, 116]);
    expect(E.errnoName(-30)).toBe('EROFS');
    expect(E.errnoName(0)).toBe('OK');
  });

  it('[AVP-FS-14] tells a little-endian FUSE_INIT from a big-endian one by its opcode', () => {
    expect(H.initEndian(H.encodeInHeader({ len: 40, opcode: H.FUSE_INIT }, 'little'))).toBe('little');
    expect(H.initEndian(H.encodeInHeader({ len: 40, opcode: H.FUSE_INIT }, 'big'))).toBe('big');
    expect(H.initEndian(H.encodeInHeader({ len: 40, opcode: H.FUSE_LOOKUP }, 'little'))).toBeNull();
    expect(H.initEndian(new Uint8Array(7))).toBeNull();
    const big = H.encodeInHeader({ len: 40, opcode: H.FUSE_INIT, unique: 5n }, 'big');
    expect(new DataView(big.buffer).getUint32(4, true)).toBe(0x1a000000); // FUSE_INIT << 24
    expect(H.decodeInHeader(big, 'big').unique).toBe(5n);
  });

  it('[AVP-FS-13] lays out fuse_init_in (64 bytes) and fuse_init_out (64 bytes, 24 or 8 for old minors)', () => {
    const i = I.encodeInitIn({ major: 7, minor: 41, maxReadahead: 4096, flags: I.FUSE_INIT_EXT | 1, flags2: 0xabcd });
    expect(i.length).toBe(64);
    expect(I.decodeInitIn(i, 'little')).toEqual({ major: 7, minor: 41, maxReadahead: 4096, flags: I.FUSE_INIT_EXT | 1, flags2: 0xabcd });
    expect(I.decodeInitIn(i.subarray(0, 16), 'little').flags2).toBe(0); // a 7.35 driver sends 16 bytes
    const out = { major: 7, minor: 38, maxReadahead: 1, flags: 2, maxBackground: 3, congestionThreshold: 4, maxWrite: 5, timeGran: 6, maxPages: 7, mapAlignment: 8, flags2: 9 };
    const o = I.encodeInitOut(out, 'little');
    expect(o.length).toBe(64);
    const v = le(o);
    expect([v.getUint32(8, true), v.getUint16(16, true), v.getUint16(18, true), v.getUint32(20, true), v.getUint32(24, true), v.getUint16(28, true), v.getUint16(30, true), v.getUint32(32, true)]).toEqual([1, 3, 4, 5, 6, 7, 8, 9]);
    expect(I.decodeInitOut(o, 'little')).toEqual(out);
    expect([I.initOutSize(4), I.initOutSize(22), I.initOutSize(23), I.initOutSize(38)]).toEqual([8, 24, 64, 64]);
    expect([I.FUSE_ASYNC_READ, I.FUSE_ATOMIC_O_TRUNC, I.FUSE_BIG_WRITES, I.FUSE_MAX_PAGES, I.FUSE_MAP_ALIGNMENT, I.FUSE_INIT_EXT]).toEqual([1, 8, 32, 1 << 22, 1 << 26, 1 << 30]);
  });

  it('[AVP-FS-37] lays out fuse_attr (88), fuse_entry_out (128), fuse_attr_out (104) and fuse_getattr_in (16)', () => {
    const attr: A.FuseAttr = { ino: 11, size: 12, blocks: 13, atime: 14, mtime: 15, ctime: 16, atimensec: 17, mtimensec: 18, ctimensec: 19, mode: A.S_IFREG | 0o644, nlink: 1, uid: 20, gid: 21, rdev: 0, blksize: 4096, flags: 0 };
    const e = A.encodeEntryOut({ nodeid: 5n, generation: 6n, entryValid: 7, attrValid: 8, entryValidNsec: 9, attrValidNsec: 10, attr }, 'little');
    expect(e.length).toBe(128);
    const v = le(e);
    expect([v.getBigUint64(0, true), v.getBigUint64(8, true), v.getUint32(32, true), v.getUint32(36, true)]).toEqual([5n, 6n, 9, 10]);
    expect([v.getBigUint64(40, true), v.getBigUint64(48, true), v.getUint32(40 + 60, true), v.getUint32(40 + 80, true)]).toEqual([11n, 12n, 0o100644, 4096]);
    expect(A.decodeEntryOut(e, 'little').attr).toEqual(attr);
    const ao = A.encodeAttrOut({ attrValid: 3, attrValidNsec: 4, attr }, 'little');
    expect(ao.length).toBe(104);
    expect(le(ao).getBigUint64(16, true)).toBe(11n);
    expect(A.decodeAttrOut(ao, 'big').attr.ino).not.toBe(11); // byte order matters
    expect(A.encodeGetattrIn({ getattrFlags: A.FUSE_GETATTR_FH, fh: 0x99n }).length).toBe(16);
    expect(le(A.encodeGetattrIn({ getattrFlags: 1, fh: 0x99n })).getBigUint64(8, true)).toBe(0x99n);
    expect([A.S_IFDIR, A.S_IFREG]).toEqual([0o040000, 0o100000]);
  });

  it('[AVP-FS-37] lays out the open, read, write, release, forget and interrupt structs', () => {
    expect([F.FUSE_OPEN_IN_SIZE, F.FUSE_OPEN_OUT_SIZE, F.FUSE_READ_IN_SIZE, F.FUSE_WRITE_IN_SIZE, F.FUSE_WRITE_OUT_SIZE, F.FUSE_RELEASE_IN_SIZE]).toEqual([8, 16, 40, 40, 8, 24]);
    expect([F.FUSE_FORGET_IN_SIZE, F.FUSE_BATCH_FORGET_IN_SIZE, F.FUSE_FORGET_ONE_SIZE, F.FUSE_INTERRUPT_IN_SIZE]).toEqual([8, 8, 16, 8]);
    const r = F.encodeIoIn({ fh: 3n, offset: 4096n, size: 512, ioFlags: 2, lockOwner: 7n, flags: F.O_RDWR });
    expect(r.length).toBe(40);
    const v = le(r);
    expect([v.getBigUint64(0, true), v.getBigUint64(8, true), v.getUint32(16, true), v.getUint32(20, true), v.getBigUint64(24, true), v.getUint32(32, true)]).toEqual([3n, 4096n, 512, 2, 7n, 2]);
    expect(F.decodeIoIn(r, 'little')).toEqual({ fh: 3n, offset: 4096n, size: 512, ioFlags: 2, lockOwner: 7n, flags: 2 });
    expect(F.decodeOpenOut(F.encodeOpenOut({ fh: 77n, openFlags: 2 }, 'big'), 'big')).toEqual({ fh: 77n, openFlags: 2 });
    const rel = F.encodeReleaseIn({ fh: 8n, flags: 1, releaseFlags: 2, lockOwner: 3n });
    expect(F.decodeReleaseIn(rel, 'little')).toEqual({ fh: 8n, flags: 1, releaseFlags: 2, lockOwner: 3n });
    const batch = F.encodeBatchForget([{ nodeid: 5n, nlookup: 2n }, { nodeid: 6n, nlookup: 1n }]);
    expect(batch.length).toBe(8 + 32);
    expect(F.decodeBatchForget(batch, 'little')).toEqual([{ nodeid: 5n, nlookup: 2n }, { nodeid: 6n, nlookup: 1n }]);
    expect(F.decodeBatchForget(batch.subarray(0, 30), 'little')).toBeNull();
    expect([F.O_RDONLY, F.O_WRONLY, F.O_RDWR, F.O_CREAT, F.O_TRUNC, F.O_APPEND]).toEqual([0, 1, 2, 0x40, 0x200, 0x400]);
  });

  it('[AVP-FS-22] pads every fuse_dirent to a multiple of 8 bytes, the name at offset 24', () => {
    expect(D.FUSE_NAME_OFFSET).toBe(24);
    expect([D.direntSize(1), D.direntSize(8), D.direntSize(9)]).toEqual([32, 32, 40]);
    const one = D.encodeDirent({ ino: 9, off: 1, type: D.DT_REG, name: 'abc' }, 'little');
    expect(one.length).toBe(32);
    expect([le(one).getBigUint64(0, true), le(one).getBigUint64(8, true), le(one).getUint32(16, true), le(one).getUint32(20, true)]).toEqual([9n, 1n, 3, 8]);
    expect([...one.subarray(24)]).toEqual([0x61, 0x62, 0x63, 0, 0, 0, 0, 0]);
    const two = new Uint8Array([...one, ...D.encodeDirent({ ino: 10, off: 2, type: D.DT_DIR, name: 'sub-directory' }, 'little')]);
    expect(D.decodeDirents(two, 'little').map((d) => d.name)).toEqual(['abc', 'sub-directory']);
    expect(D.decodeDirents(two.subarray(0, 50), 'little').length).toBe(1);
    expect([D.DT_DIR, D.DT_REG]).toEqual([4, 8]);
  });

  it('[AVP-FS-5] lays out FUSE_NOTIFY_INVAL_INODE (code 2, 24 bytes)', () => {
    expect(D.FUSE_NOTIFY_INVAL_INODE).toBe(2);
    const n = D.encodeNotifyInvalInode({ ino: 5n, off: -1n, len: 0n }, 'little');
    expect(n.length).toBe(24);
    expect(D.decodeNotifyInvalInode(n, 'little')).toEqual({ ino: 5n, off: -1n, len: 0n });
  });
});
