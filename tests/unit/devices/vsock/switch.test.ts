// The switch: what a guest may transmit (§5.10.6.4), routing by CID, packets of no connection,
// the rules of a flow (§5.10.6.5), the flow limit, and the platform's policy (§5.10.6.2).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { settle } from '../../../../src/lib/devices/vsock/driver.ts';
import * as P from '../../../../src/lib/devices/vsock/packet.ts';
import { VsockPolicy } from '../../../../src/lib/devices/vsock/policy.ts';
import type { VsockSwitchOptions } from '../../../../src/lib/devices/vsock/switch.ts';
import { bytes, guest, needsReset, text, world } from './harness.ts';

const hdr = (h: Partial<P.VsockHdr>): Omit<P.VsockHdr, 'len'> => ({ srcCid: 3n, dstCid: 2n, srcPort: 1000, dstPort: 5000, type: 1, op: P.VIRTIO_VSOCK_OP_REQUEST, flags: 0, bufAlloc: 64, fwdCnt: 0, ...h });

function twoGuests(ring: RingType, opts: VsockSwitchOptions = {}) {
  const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4, ports: [700] }] }), ...opts });
  return { w, a: guest(w, ring, 3), b: guest(w, ring, 4) };
}

describe.each(RING_TYPES)('what the device accepts from its driver (%s ring)', (ring) => {
  it('[AVP-VSOCK-8] [AVP-VSOCK-42] drops a packet whose src_cid is not guest_cid, without forwarding or answering it', () => {
    const w = world();
    w.host.listen(5000);
    const g = guest(w, ring, 3);
    for (const srcCid of [4n, 2n, 3n | (1n << 32n)]) g.drv.transmit(P.makePacket(hdr({ srcCid })));
    settle(g.drv);
    expect(g.dev.stats.txDrops['spoofed-source']).toBe(3);
    expect(w.trace).toEqual([]);
    expect(g.drv.stats.rxPackets).toBe(0);
    expect(w.sw.flows.size).toBe(0);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-VSOCK-9] answers an unknown type, or one the driver did not negotiate, with RST and forwards nothing', () => {
    const w = world();
    w.host.listen(5000);
    w.host.logging = true;
    const g = guest(w, ring, 3, { lb: { features: ~(1n << 1n) } }); // no F_SEQPACKET
    g.drv.logging = true;
    for (const type of [0, 3, 0xffff, P.VIRTIO_VSOCK_TYPE_SEQPACKET]) g.drv.transmit(P.makePacket(hdr({ type })));
    g.drv.transmit(P.makePacket(hdr({ type: 9, op: P.VIRTIO_VSOCK_OP_RST }))); // a RST is never answered
    settle(g.drv);
    expect(w.sw.stats.refused['bad-type']).toBe(5);
    expect(g.drv.log.map((p) => [p.hdr.op, p.hdr.type])).toEqual([[3, 0], [3, 3], [3, 0xffff], [3, 2]]);
    expect(w.host.log).toEqual([]);
  });

  it('[AVP-VSOCK-9] the guest driver, too, answers a packet of unknown type with RST', () => {
    const w = world();
    const g = guest(w, ring, 3);
    g.drv.listen(700);
    g.dev.deliver(P.makePacket(hdr({ srcCid: 2n, dstCid: 3n, dstPort: 700, type: 7 })));
    settle(g.drv);
    expect(g.drv.sockets.stats.badType).toBe(1);
    expect(w.trace.map((e) => [e.p.hdr.op, e.p.hdr.type])).toEqual([[P.VIRTIO_VSOCK_OP_RST, 7]]);
  });

  it('[AVP-VSOCK-10] [AVP-VSOCK-27] [AVP-VSOCK-28] [AVP-VSOCK-29] drops malformed tx chains, counts them, returns the buffers and keeps serving', () => {
    const w = world();
    w.host.listen(5000);
    const g = guest(w, ring, 3, { dev: { maxPayload: 1024 } });
    const rw = (len: number) => P.encodeHdr({ ...hdr({ op: P.VIRTIO_VSOCK_OP_RW }), len });
    g.drv.raw([new Uint8Array(43)]); // short header
    g.drv.raw([rw(10), new Uint8Array(9)]); // len runs past the data
    g.drv.raw([rw(2000), new Uint8Array(2000)]); // above the device's largest payload
    g.drv.raw([P.encodeHdr(hdr({}))], [16]); // a device-writable part on tx
    const s = g.dev.stats.txDrops;
    expect([s['short-header'], s['short-payload'], s.oversize, s['writable-buffer']]).toEqual([1, 1, 1, 1]);
    expect(w.trace).toEqual([]);
    expect(needsReset(g)).toBe(false);
    // Still serving: a good connection goes through afterwards, and a payload on a REQUEST is not forwarded.
    w.host.logging = true;
    g.drv.raw([P.encodeHdr({ ...hdr({}), len: 5 }), text('extra')]);
    settle(g.drv);
    expect([w.host.log[0].hdr.op, w.host.log[0].hdr.len, w.host.log[0].payload.length]).toEqual([P.VIRTIO_VSOCK_OP_REQUEST, 0, 0]);
    expect(w.sw.stats.forwarded).toBeGreaterThan(0);
  });
});

describe.each(RING_TYPES)('routing and the rules of a flow (%s ring)', (ring) => {
  it('[AVP-VSOCK-11] answers a packet of no connection with RST, and never answers a RST', () => {
    const w = world();
    w.host.listen(5000);
    const g = guest(w, ring, 3);
    g.drv.logging = true;
    for (const op of [P.VIRTIO_VSOCK_OP_RW, P.VIRTIO_VSOCK_OP_CREDIT_UPDATE, P.VIRTIO_VSOCK_OP_SHUTDOWN, P.VIRTIO_VSOCK_OP_RESPONSE, 0, 8]) g.drv.transmit(P.makePacket(hdr({ op })));
    g.drv.transmit(P.makePacket(hdr({ op: P.VIRTIO_VSOCK_OP_RST })));
    settle(g.drv);
    expect(g.drv.log.map((p) => p.hdr.op)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(w.sw.stats.refused['no-flow']).toBe(4);
    expect(w.sw.stats.refused['bad-op']).toBe(2);
    expect(w.sw.stats.ignoredRst).toBe(1);
  });

  it('[AVP-VSOCK-12] [AVP-VSOCK-30] [AVP-VSOCK-31] resets a flow at both ends when a guest breaks its state rules, and reports each', () => {
    const { w, a, b } = twoGuests(ring);
    const l = b.drv.listen(700);
    const conn = a.drv.connect(4, 700);
    const h = hdr({ dstCid: 4n, srcPort: conn.local.port, dstPort: 700 });
    a.drv.transmit(P.makePacket({ ...h, op: P.VIRTIO_VSOCK_OP_RW }, bytes(1))); // before RESPONSE
    expect(w.sw.violations.at(-1)?.fault).toBe('unexpected-op');
    settle(a.drv, b.drv);
    expect(conn.closeReason).toBe('refused'); // a RST while connecting
    expect(l.pending).toBe(0); // B's half-open connection was reset too
    const cases: [Partial<P.VsockHdr>, string][] = [
      [{ op: P.VIRTIO_VSOCK_OP_REQUEST }, 'duplicate-request'],
      [{ op: P.VIRTIO_VSOCK_OP_RESPONSE }, 'unexpected-op'], // the initiator cannot answer itself
      [{ op: P.VIRTIO_VSOCK_OP_RW, type: 2 }, 'type-mismatch'],
      [{ op: 9 }, 'bad-op'],
    ];
    for (const [change, fault] of cases) {
      const c = a.drv.connect(4, 700);
      settle(a.drv, b.drv);
      const peer = l.accept()!;
      expect(c.state).toBe('established');
      a.drv.transmit(P.makePacket({ ...h, srcPort: c.local.port, ...change }));
      settle(a.drv, b.drv);
      expect(w.sw.violations.at(-1)).toMatchObject({ cid: 3n, port: c.local.port, peerCid: 4n, peerPort: 700, fault });
      expect([c.state, peer.state]).toEqual(['closed', 'closed']);
    }
    // RW after SHUTDOWN(SEND).
    const c = a.drv.connect(4, 700);
    settle(a.drv, b.drv);
    l.accept();
    c.shutdown(P.VSOCK_SHUTDOWN_SEND);
    a.drv.transmit(P.makePacket({ ...h, srcPort: c.local.port, op: P.VIRTIO_VSOCK_OP_RW }, bytes(1)));
    expect(w.sw.violations.at(-1)?.fault).toBe('send-after-shutdown');
    expect(w.sw.stats.violations).toBe(6);
    expect(w.sw.flows.size).toBe(0);
  });

  it('[AVP-VSOCK-19] bounds the flows of each CID and refuses REQUESTs beyond with RST', () => {
    const w = world({ maxFlowsPerCid: 3 });
    w.host.listen(5000);
    const g = guest(w, ring, 3);
    const conns = [0, 1, 2, 3].map(() => g.drv.connect(2, 5000));
    settle(g.drv);
    expect(conns.map((c) => c.state)).toEqual(['established', 'established', 'established', 'closed']);
    expect(w.sw.stats.refused['flow-limit']).toBe(1);
    expect(w.sw.flows.countOf(3n)).toBe(3);
    conns[0].close();
    settle(g.drv);
    const again = g.drv.connect(2, 5000);
    settle(g.drv);
    expect(again.state).toBe('established');
  });

  it('guests the policy links exchange data through the switch', () => {
    const { w, a, b } = twoGuests(ring);
    const l = b.drv.listen(700);
    const c = a.drv.connect(4, 700);
    settle(a.drv, b.drv);
    const peer = l.accept()!;
    c.send(bytes(5000, 2));
    peer.send(text('from B'));
    for (let i = 0; i < 10; i++) {
      peer.recv();
      settle(a.drv, b.drv);
    }
    expect(peer.credit.rxCnt).toBe(5000);
    expect(new TextDecoder().decode(c.recv())).toBe('from B');
    expect(w.sw.stats.violations).toBe(0);
  });
});

describe.each(RING_TYPES)('policy (%s ring)', (ring) => {
  it('[AVP-VSOCK-23] [AVP-VSOCK-24] refuses guest-to-guest connections the allow-list does not name, like a closed port', () => {
    const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4, ports: [700] }] }) });
    const a = guest(w, ring, 3);
    const b = guest(w, ring, 4);
    const c = guest(w, ring, 5);
    b.drv.listen(700);
    b.drv.listen(701);
    c.drv.listen(700);
    b.drv.logging = true;
    c.drv.logging = true;
    const ok = a.drv.connect(4, 700);
    const wrongPort = a.drv.connect(4, 701);
    const notLinked = a.drv.connect(5, 700);
    const closed = a.drv.connect(4, 702); // allowed pair, nobody listens: compare the answers
    settle(a.drv, b.drv, c.drv);
    expect(ok.state).toBe('established');
    expect([wrongPort, notLinked, closed].map((x) => x.closeReason)).toEqual(['refused', 'refused', 'refused']);
    expect(w.sw.stats.refused['policy-denied']).toBe(3); // 702 is not in the rule either
    expect(c.drv.log).toEqual([]); // nothing reached the guest that was not linked
    expect(b.drv.log.map((p) => p.hdr.dstPort)).toEqual([700]);
    // The link works both ways.
    const l = a.drv.listen(700);
    b.drv.connect(3, 700);
    settle(a.drv, b.drv);
    expect(l.pending).toBe(1);
  });

  it('[AVP-VSOCK-24] a denied REQUEST gets the same RST as a REQUEST to a port nobody listens on', () => {
    const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4 }] }) });
    const a = guest(w, ring, 3);
    const b = guest(w, ring, 4);
    guest(w, ring, 5).drv.listen(700);
    a.drv.logging = true;
    a.drv.connect(4, 700, { localPort: 2000 }); // linked, no listener: B answers
    a.drv.connect(5, 700, { localPort: 2000 }); // not linked: the switch answers
    settle(a.drv, b.drv);
    const fromB = a.drv.log.find((p) => p.hdr.srcCid === 4n)!.hdr;
    const fromSwitch = a.drv.log.find((p) => p.hdr.srcCid === 5n)!.hdr;
    expect(fromSwitch).toEqual({ ...fromB, srcCid: 5n });
  });

  it('[AVP-VSOCK-25] may limit the host ports each guest reaches', () => {
    const w = world({ policy: new VsockPolicy({ hostAccess: [{ cid: 3, ports: [5000] }] }) });
    w.host.listen(5000);
    w.host.listen(5001);
    const a = guest(w, ring, 3);
    const b = guest(w, ring, 4);
    const ok = a.drv.connect(2, 5000);
    const no = a.drv.connect(2, 5001);
    const other = b.drv.connect(2, 5000); // a guest not listed reaches nothing
    settle(a.drv, b.drv);
    expect([ok.state, no.closeReason, other.closeReason]).toEqual(['established', 'refused', 'refused']);
    // The host itself may always connect to a guest.
    const l = b.drv.listen(9);
    w.host.connect(4, 9);
    settle(b.drv);
    expect(l.pending).toBe(1);
  });
});
