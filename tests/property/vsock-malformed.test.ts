// Properties of the socket device and its switch. (1) Whatever a guest driver puts on the tx
// queue (random headers, lengths, CIDs, types, ops, framings, device-writable parts), nothing
// throws, the device never needs a reset, every chain is either forwarded or dropped and counted,
// nothing with a forged source reaches the host, the host's sockets never see a protocol error,
// the bounds hold, and a fresh connection still works afterwards. (2) A guest that sends raw RW
// packets of random sizes is never punished while it stays inside the credit the host has
// advertised, is always stopped before it overruns the host's buffer, and the host's buffer
// never holds more than buf_alloc.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { VsockDevice } from '../../src/lib/devices/vsock/device.ts';
import { settle, VsockDriver } from '../../src/lib/devices/vsock/driver.ts';
import { VsockHost } from '../../src/lib/devices/vsock/host.ts';
import * as P from '../../src/lib/devices/vsock/packet.ts';
import { VsockPolicy } from '../../src/lib/devices/vsock/policy.ts';
import { VsockSwitch } from '../../src/lib/devices/vsock/switch.ts';
import type { VsockConnection } from '../../src/lib/devices/vsock/connection.ts';
import { cut } from '../support/cut.ts';

const u32 = fc.nat(0xffffffff).map((x) => x >>> 0);
const cidArb = fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n, 4n, 7n, 0xffffffffn, 0xffffffffffffffffn, 3n | (1n << 40n)), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const packetArb = fc.record({
  src: fc.oneof({ weight: 4, arbitrary: fc.constant(3n) }, { weight: 1, arbitrary: cidArb }),
  dst: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(2n, 4n) }, { weight: 1, arbitrary: cidArb }),
  srcPort: fc.oneof(fc.constant(-1), fc.constantFrom(1024, 1025, 5000), u32), // -1: the open connection's port
  dstPort: fc.oneof(fc.constantFrom(5000, 700, 1), u32),
  type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  op: fc.oneof({ weight: 5, arbitrary: fc.nat(8) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  flags: fc.oneof(fc.nat(3), u32),
  bufAlloc: fc.oneof(fc.constantFrom(0, 64, 4096), u32),
  fwdCnt: fc.oneof(fc.nat(100), u32),
  payload: fc.uint8Array({ maxLength: 300 }),
  lenDelta: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -50, max: 50 }) }, { weight: 1, arbitrary: u32 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  writable: fc.oneof({ weight: 6, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 2 }) }),
});


function platform(ring: 'split' | 'packed') {
  const sw = new VsockSwitch({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4, ports: [700] }] }), maxFlowsPerCid: 64 });
  const host = new VsockHost(sw, { bufAlloc: 256 });
  const hostConns: VsockConnection[] = [];
  const l = host.listen(5000, { backlog: 64 });
  l.onConnection = (c) => hostConns.push(c);
  const a = new VsockDevice({ guestCid: 3, holdPackets: 16, maxPayload: 1024 });
  const b = new VsockDevice({ guestCid: 4, holdPackets: 16 });
  sw.attach(a);
  sw.attach(b);
  const la = new Loopback(a, { ring, memSize: 1 << 19 });
  const lbB = new Loopback(b, { ring, memSize: 1 << 19 });
  const da = new VsockDriver(la, { rxBuffers: 8 });
  const db = new VsockDriver(lbB, { rxBuffers: 8 });
  db.listen(700);
  return { sw, host, hostConns, a, b, la, lbB, da, db };
}

describe.each(RING_TYPES)('socket device under malformed packets (%s ring)', (ring) => {
  it('[AVP-VSOCK-8] [AVP-VSOCK-10] [AVP-VSOCK-27] [AVP-VSOCK-28] [AVP-VSOCK-12] [AVP-VSOCK-19] never throws or needs a reset, accounts for every chain, forwards no forged source, keeps its bounds and keeps working', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 25 }), fc.boolean(), (pkts, pumpBetween) => {
        const x = platform(ring);
        const open = x.da.connect(2, 5000);
        settle(x.da, x.db);
        x.host.logging = true;
        x.db.logging = true;
        let chains = 0;
        for (const r of pkts) {
          const srcPort = r.srcPort === -1 ? open.local.port : r.srcPort;
          const len = (r.payload.length + r.lenDelta) >>> 0;
          const bytes = new Uint8Array([...P.encodeHdr({ srcCid: r.src, dstCid: r.dst, srcPort, dstPort: r.dstPort, len, type: r.type, op: r.op, flags: r.flags, bufAlloc: r.bufAlloc, fwdCnt: r.fwdCnt }), ...r.payload]);
          x.da.raw(cut(bytes, r.cuts), r.writable);
          chains++;
          if (pumpBetween) settle(x.da, x.db);
          expect(x.a.hold.length).toBeLessThanOrEqual(16);
          expect(x.b.hold.length).toBeLessThanOrEqual(16);
        }
        settle(x.da, x.db);
        for (const lb of [x.la, x.lbB]) {
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
          expect(lb.error).toBeNull();
        }
        const drops = Object.values(x.a.stats.txDrops).reduce((n, k) => n + k, 0);
        const valid = x.a.stats.txPackets;
        // Every raw chain was either handed to the switch or dropped and counted (the driver's
        // own replies are extra packets the device also handed on).
        expect(valid + drops).toBeGreaterThanOrEqual(chains);
        expect(drops).toBeLessThanOrEqual(chains);
        // Nothing forged got through: all the host and guest B received came from CID 3.
        for (const p of [...x.host.log, ...x.db.log]) expect(p.hdr.srcCid).toBe(3n);
        for (const c of x.hostConns) expect(c.closeReason).not.toBe('protocol-error');
        expect(x.sw.flows.countOf(3n)).toBeLessThanOrEqual(64);
        // Still working: a new connection to the host carries data.
        const fresh = x.da.connect(2, 5000);
        settle(x.da, x.db);
        expect(fresh.state).toBe('established');
        const h = x.hostConns.at(-1)!;
        fresh.send(new Uint8Array([1, 2, 3]));
        settle(x.da, x.db);
        expect([...h.recv()]).toEqual([1, 2, 3]);
      }),
      { numRuns: 60 },
    );
  });

  it('[AVP-VSOCK-14] [AVP-VSOCK-15] never punishes a guest inside the advertised credit, always stops it before the host buffer overflows', () => {
    const BUF = 128;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ send: fc.nat(80) }), fc.record({ read: fc.nat(100) })), { minLength: 1, maxLength: 40 }), (steps) => {
        const sw = new VsockSwitch();
        const host = new VsockHost(sw, { bufAlloc: BUF });
        const l = host.listen(5000);
        const dev = new VsockDevice({ guestCid: 3 });
        sw.attach(dev);
        const drv = new VsockDriver(new Loopback(dev, { ring }));
        const c = drv.connect(2, 5000);
        settle(drv);
        const h = l.accept()!;
        let advertised = 0; // the fwd_cnt the host last put in a header
        sw.trace = (p) => {
          if (p.hdr.srcCid === 2n && p.hdr.op !== P.VIRTIO_VSOCK_OP_RST) advertised = p.hdr.fwdCnt;
        };
        let sent = 0;
        for (const s of steps) {
          if (h.state !== 'established') break;
          if ('read' in s) {
            h.recv(s.read);
            settle(drv);
            continue;
          }
          const within = sent + s.send <= advertised + BUF;
          const overflow = sent + s.send > h.credit.fwdCnt + BUF;
          const before = sw.stats.violations;
          drv.transmit(P.makePacket({ srcCid: 3n, dstCid: 2n, srcPort: c.local.port, dstPort: 5000, type: 1, op: P.VIRTIO_VSOCK_OP_RW, flags: 0, bufAlloc: 4096, fwdCnt: 0 }, new Uint8Array(s.send)));
          const punished = sw.stats.violations > before;
          if (within) expect(punished).toBe(false);
          if (overflow) expect(punished).toBe(true);
          if (!punished) sent += s.send;
          expect(h.readable).toBeLessThanOrEqual(BUF);
          settle(drv);
        }
        expect(h.closeReason).not.toBe('protocol-error');
      }),
      { numRuns: 100 },
    );
  });
});
