// How requests travel (§5.11.6.1, §5.11.6.2): framing over descriptors, lengths that do not
// add up, room for the reply, unknown opcodes, and the hiprio queue.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { EINVAL, ENOSYS } from '../../../../src/lib/devices/fs/errno.ts';
import { encodeGetattrIn, FUSE_ATTR_OUT_SIZE } from '../../../../src/lib/devices/fs/fuse-attr.ts';
import { encodeForgetIn, encodeIoIn, encodeOpenIn } from '../../../../src/lib/devices/fs/fuse-file.ts';
import * as H from '../../../../src/lib/devices/fs/fuse-header.ts';
import { encodeInitIn } from '../../../../src/lib/devices/fs/fuse-init.ts';
import type { MemFile } from '../../../../src/lib/devices/fs/memfs.ts';
import { FS_HIPRIO_QUEUE } from '../../../../src/lib/devices/fs/features.ts';
import { concat, cut, mount, needsReset, README, text, walk } from './harness.ts';

const REQ = 1; // request queue 0 without the notification queue

function request(opcode: number, nodeid: bigint, body: Uint8Array, over: Partial<H.FuseInHeader> = {}): Uint8Array {
  return concat(H.encodeInHeader({ len: 40 + body.length, opcode, unique: 0x55n, nodeid, ...over }), body);
}

describe.each(RING_TYPES)('request framing (%s ring)', (ring) => {
  it('[AVP-FS-6] [AVP-FS-35] accepts a request cut anywhere, in indirect tables, and a reply spread over several buffers', () => {
    const m = mount(ring);
    const id = walk(m, 'maps/readme.txt');
    const req = request(H.FUSE_GETATTR, id, encodeGetattrIn({ getattrFlags: 0, fh: 0n }));
    for (const [parts, inLens, indirect] of [
      [cut(req, 3, 10, 20), [16 + FUSE_ATTR_OUT_SIZE], false],
      [[req], [7, 9, 50, 54], false],
      [cut(req, 41), [10, 110], true],
    ] as const) {
      const c = m.lb.request(REQ, parts, inLens, { indirect });
      const h = H.decodeOutHeader(c.data, 'little');
      expect(h).toEqual({ len: 120, error: 0, unique: 0x55n });
      expect(c.len).toBe(120);
      expect(new DataView(c.data.buffer, c.data.byteOffset).getBigUint64(16 + 16, true)).toBe(BigInt(m.tree.resolve('/maps/readme.txt')!.ino));
    }
  });

  it('[AVP-FS-7] answers EINVAL to a request shorter than fuse_in_header, echoing what it can of `unique`', () => {
    const m = mount(ring);
    const req = request(H.FUSE_GETATTR, 1n, new Uint8Array(16));
    const c = m.lb.request(REQ, [req.subarray(0, 39)], [16]);
    expect(H.decodeOutHeader(c.data, 'little')).toEqual({ len: 16, error: -EINVAL, unique: 0x55n });
    const tiny = m.lb.request(REQ, [req.subarray(0, 10)], [16]);
    expect(H.decodeOutHeader(tiny.data, 'little')).toEqual({ len: 16, error: -EINVAL, unique: 0n });
    expect(m.dev.stats.errors['short-header']).toBe(2);
  });

  it('[AVP-FS-7] answers EINVAL to a header whose len disagrees with the chain, or whose extensions overrun it, carrying nothing out', () => {
    const m = mount(ring);
    m.tree.writeFile('/logs/x', 'abc');
    const fh = m.c.open(walk(m, 'logs/x'), 2).value!;
    const body = concat(encodeIoIn({ fh, size: 3 }), new TextEncoder().encode('XYZ'));
    for (const over of [{ len: 40 + 43 + 1 }, { len: 40 + 43 - 1 }, { len: 0 }, { totalExtlen: 6 }]) {
      const c = m.lb.request(REQ, [request(H.FUSE_WRITE, 0n, body, over)], [24]);
      expect(H.decodeOutHeader(c.data, 'little').error).toBe(-EINVAL);
    }
    expect(text(m.tree.read(m.tree.resolve('/logs/x') as MemFile, 0, 10))).toBe('abc');
    expect(m.dev.stats.errors['length-mismatch']).toBe(4);
    // Extensions that fit are skipped: the arguments end where they begin.
    const ext = request(H.FUSE_WRITE, 0n, concat(body, new Uint8Array(8)), { totalExtlen: 1 });
    expect(H.decodeOutHeader(m.lb.request(REQ, [ext], [24]).data, 'little').error).toBe(0);
    expect(text(m.tree.read(m.tree.resolve('/logs/x') as MemFile, 0, 10))).toBe('XYZ');
  });

  it('[AVP-FS-7] answers EINVAL to arguments shorter than the opcode needs', () => {
    const m = mount(ring);
    for (const op of [H.FUSE_GETATTR, H.FUSE_OPEN, H.FUSE_READ, H.FUSE_WRITE, H.FUSE_RELEASE, H.FUSE_OPENDIR, H.FUSE_READDIR, H.FUSE_RELEASEDIR]) {
      expect(m.c.call(op, 1n, new Uint8Array(7), 4096).header?.error).toBe(-EINVAL);
    }
    expect(m.dev.stats.errors['short-body']).toBe(8);
    expect(m.c.call(H.FUSE_WRITE, 0n, encodeIoIn({ fh: 1n, size: 10 }), 8).header?.error).toBe(-EINVAL); // size 10, no data
  });

  it('[AVP-FS-8] returns a request with under 16 device-writable bytes with used length 0, not carried out', () => {
    const m = mount(ring);
    const id = walk(m, 'maps/readme.txt');
    for (const inLens of [[], [15], [5, 10]]) {
      const c = m.lb.request(REQ, [request(H.FUSE_OPEN, id, encodeOpenIn({ flags: 0, openFlags: 0 }))], inLens);
      expect(c.len).toBe(0);
    }
    expect(m.dev.server.session.openHandles).toBe(0);
    expect(m.dev.stats.unanswerable).toBe(3);
    expect(needsReset(m)).toBe(false);
  });

  it('[AVP-FS-9] answers EINVAL, without carrying the request out, when the reply does not fit', () => {
    const m = mount(ring);
    const maps = walk(m, 'maps');
    expect(m.c.call(H.FUSE_LOOKUP, maps, new TextEncoder().encode('eu\0'), 127).header?.error).toBe(-EINVAL);
    expect(m.dev.server.session.lookupCount(BigInt(m.tree.resolve('/maps/eu')!.ino))).toBe(0n);
    expect(m.c.call(H.FUSE_OPEN, walk(m, 'maps/readme.txt'), encodeOpenIn({ flags: 0, openFlags: 0 }), 15).header?.error).toBe(-EINVAL);
    expect(m.dev.server.session.openHandles).toBe(0);
    const fh = m.c.open(walk(m, 'maps/readme.txt'), 0).value!;
    const r = m.c.call(H.FUSE_READ, 0n, encodeIoIn({ fh, size: 100 }), 99);
    expect(r.header).toEqual({ len: 16, error: -EINVAL, unique: r.unique });
    expect(r.len).toBe(16);
    expect(m.c.call(H.FUSE_GETATTR, 1n, new Uint8Array(16), 103).header?.error).toBe(-EINVAL);
    expect(m.c.call(H.FUSE_INIT, 0n, encodeInitIn({ major: 7, minor: 38, maxReadahead: 0, flags: 0, flags2: 0 }), 63).header?.error).toBe(-EINVAL);
    expect(m.dev.server.session.active).toBe(true); // that INIT was not carried out
    expect(m.dev.stats.errors['reply-room']).toBe(5);
    expect(text(m.c.read(fh, 0, 100).value)).toBe(README);
  });

  it('[AVP-FS-11] answers ENOSYS to opcodes it does not implement, DAX mappings included, changing nothing', () => {
    const m = mount(ring);
    for (const op of [H.FUSE_SETATTR, H.FUSE_STATFS, H.FUSE_CREATE, H.FUSE_SETUPMAPPING, H.FUSE_REMOVEMAPPING, H.FUSE_READDIRPLUS, 0, 53, 4096, 0xffffffff]) {
      const r = m.c.call(op, 1n, new Uint8Array(64), 256);
      expect(r.header).toEqual({ len: 16, error: -ENOSYS, unique: r.unique });
    }
    expect(m.dev.stats.errors['unknown-opcode']).toBe(10);
    expect(m.c.getattr(1n).errno).toBe(0);
  });
});

describe.each(RING_TYPES)('hiprio queue (%s ring)', (ring) => {
  it('[AVP-FS-15] takes FORGET, BATCH_FORGET and INTERRUPT without a reply, also with writable buffers', () => {
    const m = mount(ring);
    const maps = walk(m, 'maps');
    const c = m.lb.request(FS_HIPRIO_QUEUE, [request(H.FUSE_INTERRUPT, 0n, new Uint8Array(8))], [64]);
    expect(c.len).toBe(0);
    expect(m.lb.request(FS_HIPRIO_QUEUE, [request(H.FUSE_FORGET, maps, encodeForgetIn(1n))], [16]).len).toBe(0);
    expect(m.c.getattr(maps).errno).not.toBe(0);
    expect(m.dev.stats.noReply).toBe(2);
    expect(m.dev.stats.replies).toBe(3); // INIT, LOOKUP, GETATTR
  });

  it('[AVP-FS-39] serves hiprio while request queues hold a backlog it has not reached', () => {
    const m = mount(ring);
    const maps = walk(m, 'maps');
    const q = m.lb.queues[REQ];
    const addr = m.lb.alloc(64);
    m.lb.mem.write(addr, request(H.FUSE_GETATTR, maps, new Uint8Array(16)));
    const out = m.lb.alloc(200);
    q.add([{ addr, len: 56, writable: false }, { addr: out, len: 200, writable: true }]); // available, not notified
    expect(m.c.forget(maps, 1)).toBe(0);
    expect(m.dev.server.session.lookupCount(maps)).toBe(0n);
    expect(q.pollUsed()).toBeNull(); // the request queue was never touched
  });

  it('[AVP-FS-16] answers EINVAL to a normal request on hiprio and does not carry it out', () => {
    const m = mount(ring);
    const r = m.c.call(H.FUSE_LOOKUP, 1n, new TextEncoder().encode('maps\0'), 128, { hiprio: true });
    expect(r.header?.error).toBe(-EINVAL);
    expect(m.dev.server.session.knownNodeids()).toEqual([]);
    expect(m.c.call(H.FUSE_INIT, 0n, new Uint8Array(64), 64, { hiprio: true }).header?.error).toBe(-EINVAL);
    expect(m.dev.server.session.active).toBe(true);
    expect(m.dev.stats.errors['not-hiprio']).toBe(2);
  });
});
