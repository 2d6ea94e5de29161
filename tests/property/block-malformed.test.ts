// Properties of the block device. (1) Whatever a driver puts on a request queue (random
// types, sectors, lengths, directions, framings), the device never throws and never needs a
// reset; every request with a device-writable byte comes back with a used length covering all
// of its writable bytes and a status of OK, IOERR or UNSUPP, and one that fails changes
// nothing on the disk. (2) Random sequences of writes, reads, write-zeroes, flushes and power
// losses behave like a plain array of sectors with a volatile cache in front of it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import type { Features } from '../../src/lib/virtio/feature-bits.ts';
import { MemoryBlockBackend } from '../../src/lib/devices/block/backend.ts';
import { BlockDevice } from '../../src/lib/devices/block/device.ts';
import { BlockDriver } from '../../src/lib/devices/block/driver.ts';
import * as F from '../../src/lib/devices/block/features.ts';
import { encodeBlkHeader, encodeBlkSegments, VIRTIO_BLK_S_OK } from '../../src/lib/devices/block/request.ts';
import { cut } from '../support/cut.ts';

const SECTORS = 64;
const ALL: Features = (1n << 64n) - 1n;
const drop = (...bits: number[]) => bits.reduce((f, b) => f & ~(1n << BigInt(b)), ALL);
const FEATURE_SETS: Features[] = [ALL, drop(F.VIRTIO_BLK_F_FLUSH, F.VIRTIO_BLK_F_DISCARD, F.VIRTIO_BLK_F_SEG_MAX), drop(F.VIRTIO_BLK_F_CONFIG_WCE, F.VIRTIO_BLK_F_WRITE_ZEROES)];

/** Byte equality without the cost of a deep-equality diff on every step. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}


const typeArb = fc.oneof(fc.constantFrom(0, 1, 4, 8, 10, 11, 13, 14, 15, 16, 18, 24, 26, 2, 3, 5), fc.nat(0xffffffff).map((x) => x >>> 0));
const sectorArb = fc.oneof(fc.nat(SECTORS + 2).map(BigInt), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const segmentsArb = fc
  .array(fc.record({ sector: sectorArb, numSectors: fc.oneof(fc.nat(SECTORS + 1), fc.nat(0xffffffff)), flags: fc.constantFrom(0, 0, 1, 2, 0x80000000) }), { maxLength: 5 })
  .map((s) => encodeBlkSegments(s));
const bodyArb = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.nat(4).map((n) => new Uint8Array(n * 512).fill(0x5a)),
  fc.uint8Array({ maxLength: 1100 }),
  segmentsArb,
);

const requestArb = fc.record({
  header: fc.oneof(
    fc.record({ type: typeArb, reserved: fc.nat(0xffffffff), sector: sectorArb }).map((h) => encodeBlkHeader(h)),
    fc.uint8Array({ maxLength: 20 }), // too short, or 16 random bytes, or more
  ),
  body: bodyArb,
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
  writable: fc.oneof(
    fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 3 }),
    fc.nat(3).map((n) => [n * 512 + 1]),
    fc.constantFrom([21], [7], [1], []),
  ),
  queue: fc.nat(1),
});

describe.each(RING_TYPES)('block device under malformed requests (%s ring)', (ring) => {
  it('[AVP-BLK-15] [AVP-BLK-9] [AVP-BLK-10] [AVP-BLK-40] never throws or needs a reset; answers every request it can with a defined status; a failed request changes nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FEATURE_SETS),
        fc.boolean(),
        fc.array(requestArb, { minLength: 1, maxLength: 8 }),
        (features, readOnly, reqs) => {
          const disk = new MemoryBlockBackend({ sectors: SECTORS, contents: Uint8Array.from({ length: SECTORS * 512 }, (_, i) => (i * 13) & 0xff) });
          const dev = new BlockDevice(disk, { readOnly, numQueues: 2, segMax: 3, sizeMax: 1024, secureErase: { maxSectors: 32, maxSegments: 4 } });
          const lb = new Loopback(dev, { ring, features, memSize: 1 << 18 });
          const drv = new BlockDriver(lb);
          let sent = 0;
          for (const r of reqs) {
            const before = disk.peek(0, SECTORS);
            const unanswerable = dev.stats.unanswerable;
            const parts = cut(new Uint8Array([...r.header, ...r.body]), r.cuts);
            const writable: number[] = [...r.writable];
            const room = writable.reduce((a, b) => a + b, 0);
            if (parts.length + writable.length === 0) continue; // no driver can offer an empty buffer
            sent++;
            const reply = drv.raw(parts, writable, { queue: r.queue });
            expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
            expect(lb.error).toBeNull();
            if (room === 0) {
              expect(reply.len).toBe(0);
              expect(dev.stats.unanswerable).toBe(unanswerable + 1);
              expect(same(disk.peek(0, SECTORS), before)).toBe(true);
              continue;
            }
            expect(reply.len).toBe(room);
            expect([0, 1, 2]).toContain(reply.status);
            if (reply.status !== VIRTIO_BLK_S_OK) {
              expect(same(disk.peek(0, SECTORS), before)).toBe(true);
              expect(reply.data.every((b) => b === 0)).toBe(true);
            }
            if (readOnly) expect(disk.stats.writes + disk.stats.sectorsDiscarded + disk.stats.sectorsSecurelyErased).toBe(0);
          }
          expect(dev.stats.requests + dev.stats.unanswerable).toBe(sent);
          expect(dev.stats.ok + dev.stats.ioerr + dev.stats.unsupp).toBe(dev.stats.requests);
        },
      ),
      { numRuns: 100 },
    );
  });
});

type Op =
  | { kind: 'write'; sector: number; count: number; seed: number; cuts: number[] }
  | { kind: 'read'; sector: number; count: number }
  | { kind: 'zeroes'; sector: number; count: number }
  | { kind: 'flush' }
  | { kind: 'power-loss' }
  | { kind: 'writeback'; on: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), sector: fc.nat(SECTORS + 2), count: fc.nat(4), seed: fc.nat(255), cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), sector: fc.nat(SECTORS + 2), count: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zeroes' as const), sector: fc.nat(SECTORS), count: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'power-loss' as const }) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'writeback' as const, on })) },
);

describe.each(RING_TYPES)('block device against a model disk (%s ring)', (ring) => {
  it('[AVP-BLK-8] [AVP-BLK-21] [AVP-BLK-45] [AVP-BLK-18] [AVP-BLK-32] reads return what the model holds; after a power loss, exactly what was made durable', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        const disk = new MemoryBlockBackend({ sectors: SECTORS });
        const dev = new BlockDevice(disk, { writeback: true, writeZeroes: { maxSectors: 8, maxSegments: 2, mayUnmap: false } });
        const drv = new BlockDriver(new Loopback(dev, { ring, memSize: 1 << 18 }));
        let current = new Uint8Array(SECTORS * 512); // what reads must return
        let durable = new Uint8Array(SECTORS * 512); // what survives a power loss
        let writeback = true;
        // In writethrough mode the model device flushes its whole cache before completing a
        // write of at least one sector: more than a write needs, which the model mirrors.
        const settle = () => {
          if (!writeback) durable = current.slice();
        };
        for (const op of ops) {
          const fits = (s: number, n: number) => s + n <= SECTORS;
          switch (op.kind) {
            case 'write': {
              const data = Uint8Array.from({ length: op.count * 512 }, (_, i) => (i + op.seed * 17) & 0xff);
              const parts = [encodeBlkHeader({ type: 1, sector: op.sector }), ...cut(data, op.cuts)];
              const r = drv.raw(parts, [1]);
              expect(r.status).toBe(fits(op.sector, op.count) ? 0 : 1);
              if (r.status === 0) {
                current.set(data, op.sector * 512);
                if (op.count > 0) settle();
              }
              break;
            }
            case 'read': {
              const r = drv.read(op.sector, op.count);
              expect(r.status).toBe(fits(op.sector, op.count) ? 0 : 1);
              if (r.status === 0) expect(same(r.data, current.subarray(op.sector * 512, (op.sector + op.count) * 512))).toBe(true);
              break;
            }
            case 'zeroes': {
              const r = drv.writeZeroes([{ sector: op.sector, numSectors: op.count }]);
              expect(r.status).toBe(fits(op.sector, op.count) && op.count <= 8 ? 0 : 1);
              if (r.status === 0) {
                current.fill(0, op.sector * 512, (op.sector + op.count) * 512);
                if (op.count > 0) settle();
              }
              break;
            }
            case 'flush':
              expect(drv.flush().status).toBe(0);
              durable = current.slice();
              break;
            case 'power-loss':
              disk.powerLoss();
              current = durable.slice();
              break;
            case 'writeback':
              drv.setWriteback(op.on ? 1 : 0);
              writeback = op.on;
              break;
          }
          expect(same(disk.durable(0, SECTORS), durable)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
