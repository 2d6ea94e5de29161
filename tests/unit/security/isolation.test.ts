// The security chapter's requirements that the reference models can show: a device reaches only
// its own guest's memory, checks a buffer before it touches it, reads each byte of a request
// once, and a hostile guest cannot stop or change another guest's device on a shared back end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { block, DEVICE_NEEDS_RESET, Loopback, type GuestMemory } from '../../../src/lib/index.ts';
import { RING_TYPES } from '../../support/rings.ts';

type Access = { op: string; addr: number; len: number };
const WIDTH: Record<string, number> = { readU8: 1, readU16: 2, readU32: 4, readU64: 8, writeU8: 1, writeU16: 2, writeU32: 4, writeU64: 8 };

/** Records every access made to `mem` from now on (the instance's methods are wrapped). */
function record(mem: GuestMemory): Access[] {
  const log: Access[] = [];
  const m = mem as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const op of ['read', 'write', ...Object.keys(WIDTH)]) {
    const orig = m[op].bind(mem);
    m[op] = (...args: unknown[]) => {
      const addr = Number(args[0]);
      const len = op === 'read' ? Number(args[1]) : op === 'write' ? (args[1] as Uint8Array).length : WIDTH[op];
      log.push({ op, addr, len });
      return orig(...args);
    };
  }
  return log;
}

const SECTORS = 32;
const image = Uint8Array.from({ length: SECTORS * 512 }, (_, i) => (i * 7 + 3) & 0xff);

/** Two guests, each with a read-only block device over one shared disk image (AVP-BLK-36). */
function twoGuests(ring: (typeof RING_TYPES)[number]) {
  const disk = new block.MemoryBlockBackend({ sectors: SECTORS, contents: image });
  const attacker = new Loopback(new block.BlockDevice(disk, { readOnly: true }), { ring, memSize: 1 << 16 });
  const victim = new Loopback(new block.BlockDevice(disk, { readOnly: true }), { ring, memSize: 1 << 16 });
  // A secret the victim keeps at the same guest-physical addresses the attacker uses.
  const secret = Uint8Array.from({ length: 0x8000 }, (_, i) => (i * 31 + 0x5a) & 0xff);
  victim.mem.write(0x8000, secret);
  return { disk, attacker, victim, victimDrv: new block.BlockDriver(victim) };
}

const hostileArb = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('bytes' as const), out: fc.uint8Array({ maxLength: 40 }), inLen: fc.nat(600) }),
    fc.record({ kind: fc.constant('buffer' as const), addr: fc.oneof(fc.nat(0x1_0000 + 64), fc.constant(0x7fff_0000_0000)), len: fc.nat(4096), writable: fc.boolean() }),
  ),
  { minLength: 1, maxLength: 6 },
);

describe.each(RING_TYPES)('a hostile guest against a shared back end (%s ring)', (ring) => {
  it('[AVP-SEC-4] [AVP-SEC-9] [AVP-ARCH-2] the attacker\'s device never touches the victim\'s memory, and the victim\'s reads stay exact', () => {
    fc.assert(
      fc.property(hostileArb, (reqs) => {
        const { attacker, victim, victimDrv } = twoGuests(ring);
        const before = victim.mem.read(0, 1 << 16);
        const victimLog = record(victim.mem);
        for (const r of reqs) {
          if (attacker.status & DEVICE_NEEDS_RESET) break;
          if (r.kind === 'bytes') attacker.submit(0, r.out.length ? [r.out] : [], r.out.length ? [r.inLen] : [Math.max(r.inLen, 1)]);
          else {
            attacker.queues[0].add([{ addr: r.addr, len: r.len, writable: r.writable }]);
            attacker.kick(0);
          }
        }
        // Nothing the attacker's device did reached the victim's memory.
        expect(victimLog).toEqual([]);
        expect(Buffer.compare(victim.mem.read(0, 1 << 16), before)).toBe(0);
        // The victim's device, on the same disk, still answers with the disk's bytes.
        const got = victimDrv.read(5, 2);
        expect(got.status).toBe(block.VIRTIO_BLK_S_OK);
        expect([...got.data]).toEqual([...image.subarray(5 * 512, 7 * 512)]);
        expect(victim.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('[AVP-SEC-8] a device refuses a buffer outside its guest\'s memory without asking memory for a byte of it', () => {
    for (const [addr, len] of [
      [(1 << 16) - 8, 16], // straddles the end of guest memory
      [1 << 16, 1],
      [0x7fff_0000_0000, 512],
    ]) {
      const { attacker } = twoGuests(ring);
      const log = record(attacker.mem);
      attacker.queues[0].add([{ addr, len, writable: false }]);
      attacker.kick(0);
      expect(attacker.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
      expect(attacker.error?.code).toBe('ADDR_OUT_OF_RANGE');
      expect(log.filter((a) => !attacker.mem.contains(a.addr, a.len))).toEqual([]);
    }
  });

  it('[AVP-SEC-10] a device reads each byte of a request\'s device-readable buffers exactly once', () => {
    const disk = new block.MemoryBlockBackend({ sectors: SECTORS });
    const lb = new Loopback(new block.BlockDevice(disk), { ring, memSize: 1 << 16 });
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 5) & 0xff);
    const log = record(lb.mem);
    // submit() lays out the buffers (the driver's three writes) and kicks: the device serves
    // the request inside the call, before the driver reads anything back.
    lb.submit(0, [block.encodeBlkHeader({ type: 1, sector: 4n }), data.subarray(0, 512), data.subarray(512)], [1]);
    const placed = log.filter((a) => a.op === 'write').slice(0, 3);
    expect(placed.map((a) => a.len)).toEqual([16, 512, 512]);
    const deviceReads = log.slice(log.indexOf(placed[2]) + 1).filter((a) => a.op.startsWith('read'));
    for (const buf of placed) {
      for (let b = buf.addr; b < buf.addr + buf.len; b++) {
        expect(deviceReads.filter((a) => b >= a.addr && b < a.addr + a.len).length).toBe(1);
      }
    }
    expect(lb.poll(0)[0].data[0]).toBe(block.VIRTIO_BLK_S_OK);
    expect([...disk.peek(4, 2)]).toEqual([...data]);
  });
});
