// Transport resets (§5.10.6.7) and device resets (§2.4): what ends, what stays, what the driver
// is told.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { VSOCK_EVENT_QUEUE } from '../../../../src/lib/devices/vsock/device.ts';
import { settle, VsockDriver } from '../../../../src/lib/devices/vsock/driver.ts';
import { VsockPolicy } from '../../../../src/lib/devices/vsock/policy.ts';
import { bytes, guest, world } from './harness.ts';

describe.each(RING_TYPES)('transport reset (%s ring)', (ring) => {
  it('[AVP-VSOCK-21] [AVP-VSOCK-36] [AVP-VSOCK-37] [AVP-VSOCK-38] a migration to a new CID updates guest_cid, sends the event, resets the connections and keeps listeners', () => {
    const w = world();
    const l = w.host.listen(5000);
    const g = guest(w, ring, 3, { drv: { rxBuffers: 1 } });
    const c = g.drv.connect(2, 5000);
    settle(g.drv);
    const h = l.accept()!;
    const gl = g.drv.listen(700);
    h.send(bytes(10));
    h.send(bytes(10)); // no buffer left: held
    expect(g.dev.hold.length).toBe(1);
    const configBefore = g.lb.configNotifications;
    w.sw.transportReset(3n, 30n);
    expect(g.lb.configNotifications).toBe(configBefore + 1);
    expect(g.dev.cid).toBe(30n);
    expect(g.dev.stats.eventsDelivered).toBe(1);
    expect(g.dev.hold.length).toBe(0); // what was held belonged to the old connections
    expect(g.dev.hold.stats.discarded).toBe(1);
    expect([h.state, h.closeReason]).toEqual(['closed', 'reset']); // the peer learns at once
    expect(w.sw.flows.size).toBe(0);
    expect(w.sw.guest(30n)).toBe(g.dev);
    expect(w.sw.guest(3n)).toBeNull();
    settle(g.drv);
    expect(g.drv.stats.transportResets).toBe(1);
    expect(g.drv.cid).toBe(30n);
    expect([c.state, c.closeReason]).toEqual(['closed', 'transport-reset']);
    // The listener stayed, under the new CID.
    const back = w.host.connect(30, 700);
    settle(g.drv);
    expect(back.state).toBe('established');
    expect(gl.accept()!.local.cid).toBe(30n);
  });

  it('[AVP-VSOCK-36] holds the event until the driver offers a usable buffer; resets it has not seen yet make one event', () => {
    const w = world();
    const g = guest(w, ring, 3, { drv: { eventBuffers: 0 } });
    w.sw.transportReset(3n);
    w.sw.transportReset(3n);
    expect(g.dev.stats.eventsDelivered).toBe(0);
    g.lb.submit(VSOCK_EVENT_QUEUE, [], [3]); // too short for the event
    g.lb.submit(VSOCK_EVENT_QUEUE, [new Uint8Array(4)], [4]); // has a device-readable part
    expect(g.dev.stats.badEventBuffers).toBe(2);
    g.lb.submit(VSOCK_EVENT_QUEUE, [], [4]);
    g.lb.submit(VSOCK_EVENT_QUEUE, [], [4]);
    const used = g.lb.poll(VSOCK_EVENT_QUEUE);
    expect(used.map((u) => u.len)).toEqual([0, 0, 4]);
    expect([...used[2].data]).toEqual([0, 0, 0, 0]); // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET
    expect(g.dev.stats.eventsDelivered).toBe(1);
  });

  it('[AVP-VSOCK-36] [AVP-VSOCK-38] a host reset ends every connection, host and guest-to-guest alike, and tells every guest', () => {
    const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4 }] }) });
    const l = w.host.listen(5000);
    const a = guest(w, ring, 3);
    const b = guest(w, ring, 4);
    const bl = b.drv.listen(700);
    const ah = a.drv.connect(2, 5000);
    const ab = a.drv.connect(4, 700);
    settle(a.drv, b.drv);
    const h = l.accept()!;
    const ba = bl.accept()!;
    expect([ah.state, ab.state, ba.state]).toEqual(['established', 'established', 'established']);
    w.sw.hostReset();
    settle(a.drv, b.drv);
    expect([a.drv.stats.transportResets, b.drv.stats.transportResets]).toEqual([1, 1]);
    expect([ah, ab, ba, h].map((c) => c.closeReason)).toEqual(['transport-reset', 'transport-reset', 'transport-reset', 'transport-reset']);
    expect(w.sw.flows.size).toBe(0);
    // Both sides can connect again at once.
    const again = a.drv.connect(2, 5000);
    settle(a.drv);
    expect(again.state).toBe('established');
  });
});

describe.each(RING_TYPES)('device reset (%s ring)', (ring) => {
  it('[AVP-VSOCK-22] a guest reboot ends its connections, the peers get RST, and what was held for it is gone', () => {
    const w = world({ policy: new VsockPolicy({ guestLinks: [{ a: 3, b: 4 }] }) });
    const l = w.host.listen(5000);
    const a = guest(w, ring, 3, { drv: { rxBuffers: 2 } });
    const b = guest(w, ring, 4);
    const al = a.drv.listen(700);
    a.drv.connect(2, 5000);
    const ba = b.drv.connect(3, 700);
    settle(a.drv, b.drv);
    const h = l.accept()!;
    expect(al.accept()).not.toBeNull();
    for (let i = 0; i < 4; i++) h.send(bytes(10, i));
    expect(a.dev.hold.length).toBeGreaterThan(0);
    a.dev.reset();
    expect(a.dev.hold.length).toBe(0);
    expect(h.closeReason).toBe('reset');
    settle(b.drv);
    expect(ba.closeReason).toBe('reset');
    expect(w.sw.flows.size).toBe(0);
    expect(w.sw.stats.flowsTornDown).toBe(2);
    // While no driver runs, the guest is unreachable; after its new driver starts, it is back.
    const early = b.drv.connect(3, 700);
    settle(b.drv);
    expect(early.closeReason).toBe('refused');
    const drv = new VsockDriver(new Loopback(a.dev, { ring }));
    drv.listen(700);
    const later = b.drv.connect(3, 700);
    settle(b.drv, drv);
    expect(later.state).toBe('established');
  });
});
