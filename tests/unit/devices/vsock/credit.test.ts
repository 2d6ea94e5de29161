// Credit-based flow control (§5.10.6.3): the arithmetic, what the switch enforces on guests,
// and what the host's own sockets keep to.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { CreditAccount, CreditWindow, peerFree } from '../../../../src/lib/devices/vsock/credit.ts';
import { settle } from '../../../../src/lib/devices/vsock/driver.ts';
import * as P from '../../../../src/lib/devices/vsock/packet.ts';
import type { VsockViolation } from '../../../../src/lib/devices/vsock/switch.ts';
import { bytes, concat, guest, world } from './harness.ts';

describe('credit arithmetic', () => {
  it('[AVP-VSOCK-14] peer_free is buf_alloc minus what is in flight, on wrapping u32 counters, never negative', () => {
    expect(peerFree(100, 30, 0)).toBe(70);
    expect(peerFree(100, 5, 0xfffffffb)).toBe(90); // tx_cnt wrapped past 2^32
    expect(peerFree(100, 0xfffffff0, 0xfffffff0)).toBe(100);
    expect(peerFree(10, 50, 0)).toBe(0); // the peer shrank its buffer below what is in flight
  });

  it('an account tracks what it sent, received and consumed, and says when a credit update is due', () => {
    const a = new CreditAccount(64);
    a.fromPeer(100, 0);
    a.sent(60);
    expect(a.peerFree).toBe(40);
    a.received(64);
    expect(a.fits(1)).toBe(false);
    expect(a.stamp()).toEqual({ bufAlloc: 64, fwdCnt: 0 });
    a.consumed(31);
    expect(a.updateDue()).toBe(false); // less than half freed
    a.consumed(1);
    expect(a.updateDue()).toBe(true);
    expect(a.stamp()).toEqual({ bufAlloc: 64, fwdCnt: 32 });
    expect(a.updateDue()).toBe(false); // the peer knows now
    expect(() => new CreditAccount(-1)).toThrow(RangeError);
  });

  it('[AVP-VSOCK-14] the switch window follows grants on unwrapped counts, never shrinks, and caps impossible fwd_cnt', () => {
    const w = new CreditWindow();
    expect(w.allows(1)).toBe(false); // nothing granted yet
    w.grant(100, 0xfffffff0); // fwd_cnt starting anywhere
    expect(w.allows(100)).toBe(true);
    expect(w.allows(101)).toBe(false);
    w.charge(100);
    w.grant(100, 0x00000054); // fwd_cnt wrapped: 100 consumed
    expect(w.available).toBe(100);
    w.grant(10, 0x54); // a smaller buffer does not take back what was granted
    expect(w.available).toBe(100);
    w.grant(100, 0x54 + 5000); // claims more consumed than was ever sent
    expect(w.consumed).toBe(100);
    expect(w.windowEnd).toBe(200);
  });
});

describe.each(RING_TYPES)('credit on a connection (%s ring)', (ring) => {
  function connected(hostBuf = 64, guestBuf = 1024) {
    const w = world({}, { bufAlloc: hostBuf });
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3, { drv: { bufAlloc: guestBuf } });
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    return { w, g, c, h: l.accept()! };
  }

  it('[AVP-VSOCK-14] a guest that sends beyond the credit has the flow reset at both ends and is reported', () => {
    const { w, g, c, h } = connected(64);
    const seen: VsockViolation[] = [];
    w.sw.onViolation = (v) => seen.push(v);
    const hdr = { srcCid: 3n, dstCid: 2n, srcPort: c.local.port, dstPort: 5000, type: P.VIRTIO_VSOCK_TYPE_STREAM, op: P.VIRTIO_VSOCK_OP_RW, flags: 0, bufAlloc: 1024, fwdCnt: 0 };
    g.drv.transmit(P.makePacket(hdr, bytes(40)));
    g.drv.transmit(P.makePacket(hdr, bytes(24))); // exactly the 64 granted: fine
    expect(w.sw.stats.violations).toBe(0);
    g.drv.transmit(P.makePacket(hdr, bytes(1))); // one byte too many
    settle(g.drv);
    expect(w.sw.stats.violations).toBe(1);
    expect(w.sw.violations).toEqual([{ cid: 3n, port: c.local.port, peerCid: 2n, peerPort: 5000, op: P.VIRTIO_VSOCK_OP_RW, fault: 'credit-exceeded' }]);
    expect(seen).toEqual(w.sw.violations);
    expect(h.readable).toBe(64); // the extra byte never reached the host
    expect([c.state, c.closeReason, h.state, h.closeReason]).toEqual(['closed', 'reset', 'closed', 'reset']);
    expect(w.sw.flows.size).toBe(0);
  });

  it('[AVP-VSOCK-14] credit returned by the receiver lets the sender go on', () => {
    const { w, g, c, h } = connected(64);
    const hdr = { srcCid: 3n, dstCid: 2n, srcPort: c.local.port, dstPort: 5000, type: 1, op: P.VIRTIO_VSOCK_OP_RW, flags: 0, bufAlloc: 1024, fwdCnt: 0 };
    g.drv.transmit(P.makePacket(hdr, bytes(64)));
    h.recv(); // frees 64: a CREDIT_UPDATE goes to the guest
    g.drv.transmit(P.makePacket(hdr, bytes(64)));
    expect(w.sw.stats.violations).toBe(0);
    expect(h.readable).toBe(64);
    expect(c.state).toBe('established');
  });

  it('[AVP-VSOCK-15] [AVP-VSOCK-39] the host never sends beyond the guest credit, and stamps every packet with its buf_alloc and fwd_cnt', () => {
    const { w, g, c, h } = connected(64, 100);
    const data = bytes(1000, 3);
    h.send(data);
    settle(g.drv);
    const fromHost = () => w.trace.filter((e) => e.p.hdr.srcCid === 2n);
    const rwBytes = () => fromHost().filter((e) => e.p.hdr.op === P.VIRTIO_VSOCK_OP_RW).reduce((n, e) => n + e.p.hdr.len, 0);
    expect(rwBytes()).toBe(100);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 30 && h.pendingTx > 0; i++) {
      got.push(c.recv(37));
      settle(g.drv);
      expect(rwBytes() - (c.credit.fwdCnt + c.readable)).toBeLessThanOrEqual(0); // nothing in flight beyond what the guest holds
      expect(c.readable).toBeLessThanOrEqual(100);
    }
    got.push(c.recv());
    expect(concat(got)).toEqual(data);
    expect(w.sw.stats.violations).toBe(0);
    for (const e of fromHost()) expect(e.p.hdr.bufAlloc).toBe(64);
    const fwd = fromHost().map((e) => e.p.hdr.fwdCnt);
    expect(fwd.every((f, i) => i === 0 || f >= fwd[i - 1])).toBe(true);
  });

  it('[AVP-VSOCK-40] the host answers CREDIT_REQUEST with CREDIT_UPDATE carrying its current fwd_cnt', () => {
    const { w, g, c, h } = connected(64);
    c.send(bytes(10));
    settle(g.drv);
    h.recv(4);
    c.requestCredit();
    settle(g.drv);
    const last = w.trace.at(-1)!.p.hdr;
    expect(P.opName(last.op)).toBe('CREDIT_UPDATE');
    expect([last.srcCid, last.bufAlloc, last.fwdCnt]).toEqual([2n, 64, 4]);
    expect(c.credit.peerFree).toBe(58);
  });

  it('[AVP-VSOCK-16] a receiver that frees half its buffer tells the sender without being asked, and the sender resumes', () => {
    const { w, g, c, h } = connected(64);
    c.send(bytes(200, 8));
    settle(g.drv);
    expect(c.pendingTx).toBe(136);
    h.recv(31);
    settle(g.drv);
    expect(w.trace.filter((e) => e.p.hdr.op === P.VIRTIO_VSOCK_OP_CREDIT_UPDATE)).toHaveLength(0);
    h.recv(1); // 32 of 64 freed
    settle(g.drv);
    expect(w.trace.filter((e) => e.p.hdr.op === P.VIRTIO_VSOCK_OP_CREDIT_UPDATE)).toHaveLength(1);
    expect(c.pendingTx).toBe(104);
    let got = 32;
    for (let i = 0; i < 20 && got < 200; i++) {
      got += h.recv().length;
      settle(g.drv);
    }
    expect(got).toBe(200);
    expect(c.pendingTx).toBe(0);
  });
});
