// Stream and seqpacket connections between a guest and the host's sockets (§5.10.6.5,
// §5.10.6.6): set-up, refusal, data both ways, shutdown and clean disconnect.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { VsockDevice } from '../../../../src/lib/devices/vsock/device.ts';
import { VsockPolicy } from '../../../../src/lib/devices/vsock/policy.ts';
import { settle } from '../../../../src/lib/devices/vsock/driver.ts';
import * as P from '../../../../src/lib/devices/vsock/packet.ts';
import { bytes, guest, text, world } from './harness.ts';

const ops = (t: { p: P.VsockPacket }[]) => t.map((e) => P.opName(e.p.hdr.op));

describe.each(RING_TYPES)('guest to host connections (%s ring)', (ring) => {
  it('[AVP-VSOCK-11] REQUEST to a listener is answered with RESPONSE; both ends are established', () => {
    const w = world();
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3);
    const c = g.drv.connect(2, 5000);
    expect(c.state).toBe('connecting');
    settle(g.drv);
    expect(c.state).toBe('established');
    const h = l.accept()!;
    expect(h.state).toBe('established');
    expect(h.peer).toEqual({ cid: 3n, port: c.local.port });
    expect(ops(w.trace)).toEqual(['REQUEST', 'RESPONSE']);
    expect(w.sw.flows.size).toBe(1);
  });

  it('[AVP-VSOCK-11] REQUEST to a port nobody listens on, or to a listener of the other type, gets RST', () => {
    const w = world();
    w.host.listen(5001, { type: P.VIRTIO_VSOCK_TYPE_SEQPACKET });
    const g = guest(w, ring, 3);
    const a = g.drv.connect(2, 5000);
    const b = g.drv.connect(2, 5001); // stream to a seqpacket listener
    settle(g.drv);
    expect([a.state, a.closeReason, b.state, b.closeReason]).toEqual(['closed', 'refused', 'closed', 'refused']);
    expect(w.host.sockets.stats.refused).toBe(2);
    expect(w.sw.flows.size).toBe(0);
  });

  it('[AVP-VSOCK-11] REQUEST to a CID no guest has, or to a guest whose driver is not up, gets RST from the switch', () => {
    const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 9 }] }) });
    const g = guest(w, ring, 3);
    const down = new VsockDevice({ guestCid: 9 });
    w.sw.attach(down); // plugged in, never activated
    const a = g.drv.connect(7, 1);
    const b = g.drv.connect(9, 1);
    settle(g.drv);
    expect([a.closeReason, b.closeReason]).toEqual(['refused', 'refused']);
    expect(w.sw.stats.refused['unknown-cid']).toBe(2);
  });

  it('carries data both ways in order, across packets of at most maxPacket bytes', () => {
    const w = world();
    const l = w.host.listen(5000, { maxPacket: 100 });
    const g = guest(w, ring, 3, { drv: { maxPacket: 1000 } });
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    const h = l.accept()!;
    const up = bytes(3000, 5);
    expect(c.send(up)).toBe(3000);
    settle(g.drv);
    expect(h.recv()).toEqual(up);
    const down = bytes(450, 9);
    h.send(down);
    settle(g.drv);
    expect(c.recv(100)).toEqual(down.subarray(0, 100));
    expect(c.recv()).toEqual(down.subarray(100));
    const rw = w.trace.filter((e) => e.p.hdr.op === P.VIRTIO_VSOCK_OP_RW);
    expect(rw.filter((e) => e.p.hdr.srcCid === 3n).map((e) => e.p.hdr.len)).toEqual([1000, 1000, 1000]);
    expect(rw.filter((e) => e.p.hdr.srcCid === 2n).map((e) => e.p.hdr.len)).toEqual([100, 100, 100, 100, 50]);
  });

  it('[AVP-VSOCK-13] [AVP-VSOCK-41] SHUTDOWN bits stay set; full shutdown is answered with RST and both ends close cleanly', () => {
    const w = world();
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3);
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    const h = l.accept()!;
    c.shutdown(P.VSOCK_SHUTDOWN_SEND);
    settle(g.drv);
    expect(h.peerShutdown).toBe(P.VSOCK_SHUTDOWN_SEND);
    expect(c.send(text('more'))).toBe(0); // we said we would not send
    h.send(text('still flowing the other way'));
    settle(g.drv);
    expect(new TextDecoder().decode(c.recv())).toBe('still flowing the other way');
    c.shutdown(P.VSOCK_SHUTDOWN_RECEIVE); // the header carries both bits now: hints are permanent
    settle(g.drv);
    const sd = w.trace.filter((e) => e.p.hdr.op === P.VIRTIO_VSOCK_OP_SHUTDOWN).map((e) => e.p.hdr.flags);
    expect(sd).toEqual([P.VSOCK_SHUTDOWN_SEND, P.VSOCK_SHUTDOWN_BOTH]);
    expect([c.state, c.closeReason, h.state, h.closeReason]).toEqual(['closed', 'closed', 'closed', 'closed']);
    expect(ops(w.trace).at(-1)).toBe('RST');
    expect(w.sw.flows.size).toBe(0);
  });

  it('[AVP-VSOCK-13] a peer sending a SHUTDOWN with the bits clear does not undo an earlier one', () => {
    const w = world();
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3);
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    const h = l.accept()!;
    h.shutdown(P.VSOCK_SHUTDOWN_SEND);
    settle(g.drv);
    h.emit(P.VIRTIO_VSOCK_OP_SHUTDOWN, 0);
    settle(g.drv);
    expect(c.peerShutdown).toBe(P.VSOCK_SHUTDOWN_SEND);
    expect(w.sw.flows.all()[0].responder.shutdown).toBe(P.VSOCK_SHUTDOWN_SEND);
  });

  it('close() lets queued data go first, then shuts down', () => {
    const w = world({}, { bufAlloc: 100 });
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3);
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    const h = l.accept()!;
    c.send(bytes(250));
    c.close();
    settle(g.drv);
    expect(c.state).toBe('established'); // still 150 bytes to go
    const got = [h.recv()];
    settle(g.drv);
    got.push(h.recv());
    settle(g.drv);
    got.push(h.recv());
    settle(g.drv);
    expect(got.map((b) => b.length)).toEqual([100, 100, 50]);
    expect([c.state, h.state]).toEqual(['closed', 'closed']);
  });

  it('abort() resets the connection at once', () => {
    const w = world();
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3);
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    const h = l.accept()!;
    c.abort();
    settle(g.drv);
    expect([c.closeReason, h.closeReason]).toEqual(['aborted', 'reset']);
  });

  it('host-initiated connections reach a listening guest', () => {
    const w = world();
    const g = guest(w, ring, 3);
    const l = g.drv.listen(700);
    const h = w.host.connect(3, 700);
    settle(g.drv);
    const c = l.accept()!;
    expect([h.state, c.state]).toEqual(['established', 'established']);
    h.send(text('ping'));
    settle(g.drv);
    expect(new TextDecoder().decode(c.recv())).toBe('ping');
  });

  it('seqpacket keeps message and record boundaries', () => {
    const w = world();
    const l = w.host.listen(6000, { type: P.VIRTIO_VSOCK_TYPE_SEQPACKET, maxPacket: 8 });
    const g = guest(w, ring, 3, { drv: { maxPacket: 8 } });
    const c = g.drv.connect(2, 6000, { type: P.VIRTIO_VSOCK_TYPE_SEQPACKET });
    settle(g.drv);
    const h = l.accept()!;
    c.send(text('first message, long'));
    c.send(text('second'), { eor: true });
    settle(g.drv);
    expect(h.recvMessage()).toEqual({ data: text('first message, long'), eor: false });
    expect(h.recvMessage()).toEqual({ data: text('second'), eor: true });
    expect(h.recvMessage()).toBeNull();
    const rw = w.trace.filter((e) => e.p.hdr.op === P.VIRTIO_VSOCK_OP_RW).map((e) => e.p.hdr.flags);
    expect(rw).toEqual([0, 0, P.VIRTIO_VSOCK_SEQ_EOM, P.VIRTIO_VSOCK_SEQ_EOM | P.VIRTIO_VSOCK_SEQ_EOR]);
    expect(c.send(new Uint8Array(64 * 1024 + 1))).toBe(0); // larger than the peer's whole buffer
  });
});
