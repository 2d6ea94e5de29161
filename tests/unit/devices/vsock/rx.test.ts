// The receive path (§5.10.6.1, §5.10.6.4): placing packets in the driver's buffers, holding
// them while it has none, pausing tx when the holding area fills, and keeping a guest that does
// not read from holding up anyone else.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { settle } from '../../../../src/lib/devices/vsock/driver.ts';
import { VSOCK_RX_QUEUE, VSOCK_TX_QUEUE } from '../../../../src/lib/devices/vsock/device.ts';
import * as P from '../../../../src/lib/devices/vsock/packet.ts';
import { VsockPolicy } from '../../../../src/lib/devices/vsock/policy.ts';
import type { VsockDeviceOptions } from '../../../../src/lib/devices/vsock/device.ts';
import type { VsockDriverOptions } from '../../../../src/lib/devices/vsock/driver.ts';
import { bytes, concat, guest, needsReset, world, type World } from './harness.ts';

function connected(ring: RingType, dev: Partial<VsockDeviceOptions> = {}, drv: VsockDriverOptions = {}, w: World = world(), cid = 3) {
  const l = w.host.listen(5000 + cid);
  const g = guest(w, ring, cid, { dev, drv });
  const c = g.drv.connect(2, 5000 + cid);
  settle(g.drv);
  return { w, g, c, h: l.accept()! };
}

describe.each(RING_TYPES)('placing packets in receive buffers (%s ring)', (ring) => {
  it('[AVP-VSOCK-17] [AVP-VSOCK-32] continues an RW payload in the next buffer, never cutting it short, len counting each piece', () => {
    const { g, c, h } = connected(ring, {}, { rxBufferSize: 44 + 10 });
    g.drv.logging = true;
    const data = bytes(25, 4);
    h.send(data);
    settle(g.drv);
    const rw = g.drv.log.filter((p) => p.hdr.op === P.VIRTIO_VSOCK_OP_RW);
    expect(rw.map((p) => p.hdr.len)).toEqual([10, 10, 5]);
    expect(c.recv()).toEqual(data);
    expect(g.dev.hold.stats.split).toBe(1);
    expect(g.dev.stats.rxPackets).toBeGreaterThanOrEqual(2); // RESPONSE and the RW, counted once
  });

  it('[AVP-VSOCK-33] sets EOM and EOR only on the last piece of a seqpacket message', () => {
    const w = world();
    const l = w.host.listen(6000, { type: P.VIRTIO_VSOCK_TYPE_SEQPACKET });
    const g = guest(w, ring, 3, { drv: { rxBufferSize: 44 + 8 } });
    const c = g.drv.connect(2, 6000, { type: P.VIRTIO_VSOCK_TYPE_SEQPACKET });
    settle(g.drv);
    const h = l.accept()!;
    g.drv.logging = true;
    h.send(bytes(20), { eor: true });
    settle(g.drv);
    const rw = g.drv.log.filter((p) => p.hdr.op === P.VIRTIO_VSOCK_OP_RW);
    expect(rw.map((p) => [p.hdr.len, p.hdr.flags])).toEqual([[8, 0], [8, 0], [4, P.VIRTIO_VSOCK_SEQ_EOM | P.VIRTIO_VSOCK_SEQ_EOR]]);
    expect(c.recvMessage()).toEqual({ data: bytes(20), eor: true });
  });

  it('[AVP-VSOCK-34] returns buffers it cannot use with length 0 and keeps the packet for the next one', () => {
    const { g, c, h } = connected(ring, {}, { rxBuffers: 4 });
    const lb = g.lb;
    const before = g.drv.stats.rxEmpty;
    h.send(bytes(6, 1));
    h.send(bytes(6, 2));
    h.send(bytes(6, 3));
    h.send(bytes(6, 4));
    h.send(bytes(6, 5)); // more than the 4 posted buffers: one is held
    expect(g.dev.hold.length).toBe(1);
    lb.submit(VSOCK_RX_QUEUE, [new Uint8Array(4)], [100]); // a device-readable part
    lb.submit(VSOCK_RX_QUEUE, [], [43]); // not even a header
    lb.submit(VSOCK_RX_QUEUE, [], [44]); // a header, but no byte of the data that is next
    expect(g.dev.hold.length).toBe(1);
    expect(g.dev.hold.stats.badBuffers).toBe(3);
    lb.submit(VSOCK_RX_QUEUE, [], [44 + 6]);
    expect(g.dev.hold.length).toBe(0);
    const got = lb.poll(VSOCK_RX_QUEUE);
    expect(got.map((x) => x.len)).toEqual([50, 50, 50, 50, 0, 0, 0, 50]);
    for (const x of got.filter((x) => x.len > 0)) g.drv.sockets.receive(P.decodePacket(x.data)!);
    expect(c.recv()).toEqual(concat([1, 2, 3, 4, 5].map((s) => bytes(6, s))));
    expect(g.drv.stats.rxEmpty).toBe(before);
    expect(needsReset(g)).toBe(false);
  });
});

describe.each(RING_TYPES)('holding packets while the driver has no buffers (%s ring)', (ring) => {
  it('[AVP-VSOCK-18] holds packets in order outside the queue and loses none', () => {
    const { g, c, h } = connected(ring, {}, { rxBuffers: 4, bufAlloc: 4096 });
    const parts = Array.from({ length: 20 }, (_, i) => bytes(50, i));
    for (const p of parts) h.send(p);
    expect(g.dev.hold.length).toBe(16); // 4 placed, the rest wait
    settle(g.drv);
    expect(g.dev.hold.length).toBe(0);
    expect(c.recv()).toEqual(concat(parts));
  });

  it('[AVP-VSOCK-35] stops taking tx chains while the holding area is half full, and resumes when the driver reads', () => {
    const { w, g, c, h } = connected(ring, { holdPackets: 8 }, { rxBuffers: 1, bufAlloc: 4096 });
    for (let i = 0; i < 5; i++) h.send(bytes(10, i)); // 1 placed, 4 held: half of 8
    expect(g.dev.hold.halfFull).toBe(true);
    w.host.logging = true;
    c.send(bytes(7)); // the guest transmits: the chain stays on the tx ring
    c.send(bytes(7));
    expect(g.dev.stats.txPauses).toBeGreaterThan(0);
    expect(w.host.log).toEqual([]);
    expect(h.readable).toBe(0);
    g.drv.postRx(8); // the driver takes its packets: room again
    expect(g.dev.hold.length).toBe(0);
    expect(h.readable).toBe(14); // the paused tx went through
    expect(g.lb.poll(VSOCK_TX_QUEUE).map((x) => x.len)).toEqual([0, 0]); // returned once taken, nothing written
    settle(g.drv);
    expect(c.readable).toBe(50);
  });

  it('[AVP-VSOCK-19] bounds the holding area in packets and bytes; a packet beyond it resets its connection', () => {
    const { w, g, c, h } = connected(ring, { holdPackets: 6, holdBytes: 6 * (44 + 100) }, { rxBuffers: 1, bufAlloc: 64 * 1024 });
    for (let i = 0; i < 10 && h.state === 'established'; i++) h.send(bytes(100, i));
    expect(g.dev.hold.length).toBe(6);
    expect(g.dev.hold.bytes).toBeLessThanOrEqual(6 * 144);
    expect(w.sw.stats.refused.congested).toBe(1);
    expect([h.state, h.closeReason]).toEqual(['closed', 'reset']);
    expect(w.sw.flows.size).toBe(0);
    // The guest gets what was held, then learns the connection is gone when it next uses it.
    g.drv.postRx(16);
    settle(g.drv);
    expect(c.readable).toBe(700); // one placed, six held
    c.send(bytes(1));
    settle(g.drv);
    expect(c.closeReason).toBe('reset');
  });
});

describe.each(RING_TYPES)('a guest that stops reading (%s ring)', (ring) => {
  it('[AVP-VSOCK-20] does not hold up other guests or the host: only its own connections suffer', () => {
    const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4 }] }) });
    const slow = connected(ring, { holdPackets: 4 }, { rxBuffers: 0, bufAlloc: 64 * 1024 }, w, 3);
    const fast = connected(ring, {}, { bufAlloc: 64 * 1024 }, w, 4);
    const l = slow.g.drv.listen(700);
    const toSlow = fast.g.drv.connect(3, 700);
    slow.g.drv.postRx(1); // enough for the REQUEST
    settle(slow.g.drv, fast.g.drv);
    expect(toSlow.state).toBe('established');
    expect(l.accept()).not.toBeNull();
    // The slow guest stops reading; the host keeps sending to it until its area is full.
    for (let i = 0; i < 10 && slow.h.state === 'established'; i++) slow.h.send(bytes(30, i));
    expect(slow.h.closeReason).toBe('reset');
    // The fast guest's packet to the slow one is refused at once: its tx is never stalled.
    toSlow.send(bytes(10));
    settle(fast.g.drv);
    expect(toSlow.closeReason).toBe('reset');
    // Everything else carries on.
    for (let i = 0; i < 5; i++) {
      fast.c.send(bytes(1000, i));
      fast.h.send(bytes(1000, i));
      settle(fast.g.drv);
      expect(fast.h.recv()).toEqual(bytes(1000, i));
      expect(fast.c.recv()).toEqual(bytes(1000, i));
    }
    expect(fast.g.dev.stats.txPauses).toBe(0);
    expect(w.sw.stats.refused.congested).toBe(2);
  });
});
