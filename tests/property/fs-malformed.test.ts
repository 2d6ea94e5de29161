// Properties of the file system device. (1) Whatever a driver puts on hiprio or a request
// queue (random opcodes, nodeids, handles, lengths, byte orders, framings), the device never
// throws and never needs a reset; a request with room for a fuse_out_header is answered with
// a reply that fits, echoes `unique`, and carries 0 or a defined negative errno, and a
// read-only share never changes. (2) Random writes and reads through FUSE agree with a plain
// byte array.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { MemFs, type MemFile } from '../../src/lib/devices/fs/memfs.ts';
import { FsShare } from '../../src/lib/devices/fs/share.ts';
import { FsDevice } from '../../src/lib/devices/fs/device.ts';
import { FsClient } from '../../src/lib/devices/fs/driver.ts';
import { FS_ERROR_ERRNO } from '../../src/lib/devices/fs/outcome.ts';
import { decodeOutHeader, encodeInHeader, initEndian } from '../../src/lib/devices/fs/fuse-header.ts';
import { encodeInitIn } from '../../src/lib/devices/fs/fuse-init.ts';
import { encodeIoIn, encodeOpenIn, encodeReleaseIn, O_RDWR } from '../../src/lib/devices/fs/fuse-file.ts';
import { cut } from '../support/cut.ts';

const ERRNOS = new Set<number>(Object.values(FS_ERROR_ERRNO));

function tree(): MemFs {
  const t = new MemFs({ maxFileSize: 1 << 16 });
  t.writeFile('/maps/readme.txt', 'Navigation data');
  t.writeFile('/maps/eu/tile.bin', new Uint8Array(300).fill(7));
  t.mkdir('/logs');
  return t;
}

function snapshot(t: MemFs): string {
  const out: string[] = [];
  const walk = (path: string) => {
    const n = t.resolve(path)!;
    if (n.kind === 'file') out.push(`${path}:${[...t.read(n, 0, n.size)].join(',')}`);
    else for (const [name] of t.entries(n)) walk(`${path === '/' ? '' : path}/${name}`);
  };
  walk('/');
  return out.join('\n');
}


const small = fc.bigInt({ min: 0n, max: 12n });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const bodyArb = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 120 }),
  fc.record({ fh: fc.oneof(small, u64), offset: fc.oneof(small, u64), size: fc.oneof(fc.nat(400), fc.nat(0xffffffff)) }).map((r) => encodeIoIn(r)),
  fc.record({ fh: fc.oneof(small, u64), data: fc.uint8Array({ maxLength: 64 }), offset: fc.oneof(small, u64) })
    .map((r) => new Uint8Array([...encodeIoIn({ fh: r.fh, offset: r.offset, size: r.data.length }), ...r.data])),
  fc.nat(0xffffffff).map((flags) => encodeOpenIn({ flags, openFlags: 0 })),
  fc.oneof(small, u64).map((fh) => encodeReleaseIn({ fh })),
  fc.constantFrom('maps', 'eu', 'readme.txt', 'tile.bin', 'logs', '..', '.', '', 'a/b', 'x'.repeat(300)).map((n) => new TextEncoder().encode(`${n}\0`)),
  fc.record({ major: fc.constantFrom(6, 7, 7, 8), minor: fc.nat(45) }).map((v) => encodeInitIn({ ...v, maxReadahead: 0, flags: 0xffffffff, flags2: 0 })),
);

const requestArb = fc.record({
  opcode: fc.oneof(fc.constantFrom(1, 2, 3, 14, 15, 16, 18, 26, 27, 28, 29, 36, 42, 48), fc.nat(0xffffffff)),
  nodeid: fc.oneof(fc.constant(1n), small, u64),
  unique: u64,
  body: bodyArb,
  lenDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -45, max: 5 }) }),
  extlen: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) }),
  big: fc.boolean(),
  truncate: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(45) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  writable: fc.oneof(fc.constant([] as number[]), fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 3 }), fc.constantFrom([16 + 128], [16 + 400], [8, 8])),
  queue: fc.constantFrom(0, 1, 2),
});

describe.each(RING_TYPES)('virtio-fs under malformed requests (%s ring)', (ring) => {
  it('[AVP-FS-10] [AVP-FS-8] [AVP-FS-23] never throws or needs a reset; every answer fits, echoes unique and carries a defined errno', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(requestArb, { minLength: 1, maxLength: 10 }), (readOnly, init, reqs) => {
        const t = tree();
        const dev = new FsDevice({ tag: 'prop', share: new FsShare(t, { readOnly }), numRequestQueues: 2 });
        const lb = new Loopback(dev, { ring, memSize: 1 << 18 });
        const c = new FsClient(lb);
        if (init) {
          c.init();
          const maps = c.lookup(1n, 'maps').value!.nodeid;
          c.open(c.lookup(maps, 'readme.txt').value!.nodeid, readOnly ? 0 : O_RDWR); // fh 1
        }
        const before = snapshot(t);
        for (const r of reqs) {
          const endian = r.big ? 'big' : 'little';
          let bytes = new Uint8Array([...encodeInHeader({ len: (40 + r.body.length + r.lenDelta) >>> 0, opcode: r.opcode, unique: r.unique, nodeid: r.nodeid, totalExtlen: r.extlen }, endian), ...r.body]);
          if (r.truncate !== null) bytes = bytes.subarray(0, r.truncate);
          const parts = cut(bytes, r.cuts);
          if (parts.length + r.writable.length === 0) continue;
          const writable: number[] = [...r.writable];
          const room = writable.reduce((a, b) => a + b, 0);
          // The reply speaks the byte order of the session, or of the FUSE_INIT it answers.
          const replyEndian = initEndian(bytes) ?? dev.server.endian;
          const done = lb.request(r.queue, parts, writable);
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
          expect(lb.error).toBeNull();
          if (room < 16) {
            expect(done.len).toBe(0);
            continue;
          }
          if (done.len === 0) continue; // the forget family: no reply
          const h = decodeOutHeader(done.data, replyEndian);
          expect(h.len).toBe(done.len);
          expect(done.len).toBeLessThanOrEqual(room);
          expect(h.error === 0 || ERRNOS.has(-h.error)).toBe(true);
          if (h.error !== 0) expect(done.len).toBe(16);
          if (bytes.length >= 40 && dev.stats.lastError !== 'short-header') {
            const sent = new DataView(bytes.buffer, bytes.byteOffset + 8, 8).getBigUint64(0, replyEndian === 'little');
            expect(h.unique).toBe(sent);
          }
        }
        if (readOnly) expect(snapshot(t)).toBe(before);
        expect(dev.stats.replies + dev.stats.noReply + dev.stats.unanswerable).toBe(dev.stats.requests);
      }),
      { numRuns: 150 },
    );
  });
});

type Op = { kind: 'write'; offset: number; data: Uint8Array; queue: number } | { kind: 'read'; offset: number; size: number } | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), offset: fc.nat(600), data: fc.uint8Array({ minLength: 1, maxLength: 200 }), queue: fc.nat(1) }),
  fc.record({ kind: fc.constant('read' as const), offset: fc.nat(900), size: fc.nat(400) }),
  fc.constant({ kind: 'reopen' as const }),
);

describe.each(RING_TYPES)('virtio-fs against a model file (%s ring)', (ring) => {
  it('[AVP-FS-21] [AVP-FS-40] [AVP-FS-41] [AVP-FS-4] reads return what the writes left, over any request queue and any handle', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        const t = new MemFs();
        t.writeFile('/logs/trace.bin', '');
        const c = new FsClient(new Loopback(new FsDevice({ tag: 'm', share: new FsShare(t), numRequestQueues: 2 }), { ring, memSize: 1 << 18 }));
        c.init();
        const id = c.lookup(c.lookup(1n, 'logs').value!.nodeid, 'trace.bin').value!.nodeid;
        let fh = c.open(id, O_RDWR).value!;
        let model = new Uint8Array(0);
        for (const op of ops) {
          if (op.kind === 'write') {
            expect(c.write(fh, op.offset, op.data, { queue: op.queue }).value).toBe(op.data.length);
            const end = Math.max(model.length, op.offset + op.data.length);
            const next = new Uint8Array(end);
            next.set(model);
            next.set(op.data, op.offset);
            model = next;
          } else if (op.kind === 'read') {
            expect(c.read(fh, op.offset, op.size).value).toEqual(model.slice(op.offset, op.offset + op.size));
          } else {
            expect(c.release(fh).errno).toBe(0);
            fh = c.open(id, O_RDWR).value!;
          }
        }
        expect(c.getattr(id).value?.size).toBe(model.length);
        expect((t.resolve('/logs/trace.bin') as MemFile).size).toBe(model.length);
      }),
      { numRuns: 80 },
    );
  });
});
