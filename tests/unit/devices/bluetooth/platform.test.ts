// The platform's side of Bluetooth, on both ring layouts: two guests on one shared physical
// controller (the infotainment system and the cluster), what each may see and touch, addresses,
// and what happens when a physical controller resets, to the guests on it and to the others.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { answer, bt, cmd, needsReset, PHONE, rig, rx, sendTx, statusOf } from './harness.ts';

const seen = (events: bt.HciEvent[]) => [...new Set(events.flatMap((e) => (e.kind === 'advertising-report' ? [e.report.address] : [])))].sort();

describe.each(RING_TYPES)('a shared controller (%s ring first)', (ring) => {
  it('[AVP-BT-37] gives each guest only the advertisements its policy allows', () => {
    const r = rig(ring);
    const ivi = new bt.BtHost(r.ivi.lb);
    const cluster = new bt.BtHost(r.cluster.lb);
    ivi.init();
    cluster.init();
    ivi.startScan({ active: true });
    cluster.startScan({ active: true });
    r.platform.clock.advance(1_000_000);
    expect(seen(ivi.take())).toEqual([PHONE, 'C4:7D:12:00:5E:01']);
    expect(seen(cluster.take())).toEqual(['F0:54:00:00:00:11', 'F0:54:00:00:00:12']);
  });

  it('[AVP-BT-38] keeps a guest\'s links to itself: events, data and handles reach no other guest', () => {
    const r = rig(ring);
    const pc = r.platform.controller('bt0');
    const ivi = new bt.BtHost(r.ivi.lb);
    const cluster = new bt.BtHost(r.cluster.lb);
    ivi.init();
    cluster.init();
    // The cluster may not see the phone, so its attempt never completes; the ivi's does.
    expect(cluster.connect(PHONE, bt.ADDR_RANDOM).status).toBe(0);
    expect(ivi.connect(PHONE, bt.ADDR_RANDOM).status).toBe(0);
    r.platform.clock.advance(500_000);
    expect(ivi.take().filter((e) => e.kind === 'le-connection-complete')).toHaveLength(1);
    expect(cluster.take()).toEqual([]);
    expect([...pc.linkOwners()]).toEqual([[1, 'ivi']]);
    // The cluster names the ivi's handle: unknown to it.
    expect(cluster.disconnect(1)).toMatchObject({ status: bt.HCI_UNKNOWN_CONNECTION_ID });
    cluster.sendAcl(1, Uint8Array.of(1, 2, 3));
    expect(r.cluster.dev.errors('UNKNOWN_HANDLE')).toBe(1);
    expect(pc.sent).toEqual([]);
    // Data from the phone and the end of the link go to the ivi only.
    pc.fromPeer('phone', Uint8Array.of(0xaa));
    pc.peerGone('phone');
    expect(ivi.take()).toEqual([
      { kind: 'acl', handle: 1, data: Uint8Array.of(0xaa) },
      { kind: 'disconnection-complete', status: 0, handle: 1, reason: bt.HCI_CONNECTION_TIMEOUT },
    ]);
    expect(cluster.take()).toEqual([]);
    expect(r.ivi.vc.connections.size).toBe(0);
  });

  it('[AVP-BT-39] gives each guest a BD_ADDR of its own', () => {
    const r = rig(ring);
    const a = (answer(r.ivi, bt.OP_READ_BD_ADDR) as { ret: Uint8Array }).ret.subarray(1);
    const b = (answer(r.cluster, bt.OP_READ_BD_ADDR) as { ret: Uint8Array }).ret.subarray(1);
    expect(bt.addrString(a)).toBe(bt.IVI_ADDRESS);
    expect(bt.addrString(b)).toBe(bt.CLUSTER_ADDRESS);
    expect(() => new bt.BtPlatform({ controllers: [{ id: 'x', guests: [{ name: 'a', address: bt.IVI_ADDRESS, sees: 'all' }] }, { id: 'y', guests: [{ name: 'b', address: bt.IVI_ADDRESS, sees: 'all' }] }] })).toThrow(/two guests/);
    expect(() => new bt.BtPlatform({ controllers: [{ id: 'x', guests: [{ name: 'a', address: bt.IVI_ADDRESS, sees: 'all' }, { name: 'b', address: bt.IVI_ADDRESS, sees: 'all' }] }] })).toThrow(/address/);
  });

  it('[AVP-BT-40] lets no guest\'s scan parameters, HCI_Reset or device reset change what another guest has', () => {
    const r = rig(ring);
    const ivi = new bt.BtHost(r.ivi.lb);
    const cluster = new bt.BtHost(r.cluster.lb);
    ivi.init();
    cluster.init();
    cluster.startScan({ active: false, interval: 0x0320, window: 0x0320 }); // 500 ms, continuous
    ivi.startScan({ active: true, interval: 0x00a0, window: 0x0010 }); // 100 ms, 10 ms windows
    expect(r.cluster.vc.scanParameters).toMatchObject({ type: 0, interval: 0x0320, window: 0x0320 });
    r.platform.clock.advance(1_000_000);
    const before = cluster.take().length;
    expect(before).toBe(4);
    ivi.init(); // HCI_Reset among other things
    r.ivi.dev.reset(); // and a device reset
    expect(r.cluster.vc.scanEnabled).toBe(true);
    expect(r.cluster.vc.scanParameters).toMatchObject({ type: 0, interval: 0x0320, window: 0x0320 });
    r.platform.clock.advance(1_000_000);
    expect(cluster.take().length).toBe(4);
    expect(r.platform.controller('bt0').resets).toBe(0);
  });
});

describe.each(RING_TYPES)('when the physical controller resets (%s ring first)', (ring) => {
  it('[AVP-BT-43] tells every guest on it with a Hardware Error event, ends their links, and delivers nothing from before', () => {
    const r = rig(ring, { iviSees: 'all' });
    const ivi = new bt.BtHost(r.ivi.lb, { rxBuffers: 2 });
    const cluster = new bt.BtHost(r.cluster.lb);
    ivi.init();
    cluster.init();
    ivi.startScan();
    cluster.startScan();
    ivi.connect(PHONE, bt.ADDR_RANDOM);
    r.platform.clock.advance(600_000); // more reports for the ivi than its two buffers hold
    expect(r.ivi.dev.pending).toBeGreaterThan(0);
    cluster.take();
    const waiting = r.ivi.dev.pending;
    expect(waiting).toBeGreaterThan(0);
    const discarded = r.ivi.dev.stats.discarded;
    r.platform.controller('bt0').reset(0x42);
    expect(r.ivi.dev.stats.discarded - discarded).toBe(waiting); // undelivered reports thrown away
    const stream = ivi.take();
    // Only what was already in the two rx buffers comes before the Hardware Error; nothing after it.
    expect(stream.length).toBe(3);
    expect(stream[stream.length - 1]).toEqual({ kind: 'hardware-error', code: 0x42 });
    expect(cluster.take()).toEqual([{ kind: 'hardware-error', code: 0x42 }]);
    for (const g of [r.ivi, r.cluster]) {
      expect(g.vc.scanEnabled).toBe(false);
      expect(g.vc.connections.size).toBe(0);
      expect(g.vc.eventMasks.eventMask).toBe(bt.DEFAULT_EVENT_MASK);
      expect(g.vc.stats.physicalResets).toBe(1);
      expect(needsReset(g)).toBe(false);
    }
    expect(r.platform.controller('bt0').linkOwners().size).toBe(0);
    r.platform.clock.advance(1_000_000);
    expect(ivi.take()).toEqual([]); // scanning stays off until the guest starts it again
  });

  it('[AVP-BT-44] puts the device in DEVICE_NEEDS_RESET when the guest masked Hardware Error', () => {
    const r = rig(ring);
    cmd(r.ivi, bt.OP_SET_EVENT_MASK, bt.le64(bt.DEFAULT_EVENT_MASK & ~bt.EVENT_MASK_HARDWARE_ERROR));
    const cluster = new bt.BtHost(r.cluster.lb);
    cluster.init();
    r.platform.controller('bt0').reset(0x01);
    expect(needsReset(r.ivi)).toBe(true);
    expect(r.ivi.lb.error?.code).toBe('CONTROLLER_LOST');
    expect(rx(r.ivi)).toEqual([]);
    expect(needsReset(r.cluster)).toBe(false); // the cluster kept it enabled and was told
    expect(cluster.take()).toEqual([{ kind: 'hardware-error', code: 0x01 }]);
  });

  it('[AVP-BT-45] the guest starts the controller again from HCI_Reset after a Hardware Error, and scanning resumes', () => {
    const r = rig(ring);
    const ivi = new bt.BtHost(r.ivi.lb);
    ivi.init();
    expect(ivi.take()).toEqual([]);
    expect(r.ivi.vc.eventMasks.eventMask & bt.EVENT_MASK_HARDWARE_ERROR).not.toBe(0n);
    ivi.startScan({ active: true });
    r.platform.clock.advance(200_000);
    ivi.take();
    r.platform.controller('bt0').reset(0x07);
    expect(ivi.take()).toEqual([{ kind: 'hardware-error', code: 0x07 }]);
    expect(ivi.hardwareErrors).toBe(1);
    const resetsBefore = r.ivi.vc.stats.hciResets;
    ivi.recover();
    expect(r.ivi.vc.stats.hciResets).toBe(resetsBefore + 1);
    expect(r.ivi.vc.scanEnabled).toBe(true);
    expect(r.ivi.vc.scanParameters.type).toBe(1);
    r.platform.clock.advance(200_000);
    expect(seen(ivi.take())).toEqual([PHONE, 'C4:7D:12:00:5E:01']);
  });

  it('[AVP-BT-47] leaves guests on other physical controllers alone', () => {
    const p = new bt.BtPlatform({
      advertisers: bt.vehicleRadioScene(),
      controllers: [
        { id: 'ivi-bt', guests: [{ name: 'ivi', address: bt.IVI_ADDRESS, sees: 'all' }] },
        { id: 'cluster-bt', guests: [{ name: 'cluster', address: bt.CLUSTER_ADDRESS, sees: 'all' }] },
      ],
    });
    expect(p.controller('ivi-bt').shared).toBe(false);
    const ivi = new bt.BtHost(new Loopback(p.device('ivi'), { ring }));
    const cluster = new bt.BtHost(new Loopback(p.device('cluster'), { ring }));
    ivi.init();
    cluster.init();
    cluster.startScan();
    p.controller('ivi-bt').reset(0x05);
    expect(ivi.take()).toEqual([{ kind: 'hardware-error', code: 0x05 }]);
    p.clock.advance(100_000);
    const c = cluster.take();
    expect(c.some((e) => e.kind === 'hardware-error')).toBe(false);
    expect(c.filter((e) => e.kind === 'advertising-report').length).toBeGreaterThan(0);
    expect(p.virtual('cluster').stats.physicalResets).toBe(0);
  });
});

describe.each(RING_TYPES)('raw HCI on a shared controller (%s ring)', (ring) => {
  it('[AVP-BT-38] a command naming another guest\'s handle is answered as for an unknown handle', () => {
    const r = rig(ring, { iviSees: 'all' });
    answer(r.ivi, bt.OP_LE_CREATE_CONNECTION, Uint8Array.of(0x60, 0, 0x60, 0, 0, 1, ...bt.addrBytes(PHONE), 0, 0x18, 0, 0x28, 0, 0, 0, 0xf4, 1, 0, 0, 0, 0));
    r.platform.clock.advance(10_000);
    expect(r.ivi.vc.connections.has(1)).toBe(true);
    expect(statusOf(answer(r.cluster, bt.OP_DISCONNECT, Uint8Array.of(1, 0, 0x13)))).toBe(bt.HCI_UNKNOWN_CONNECTION_ID);
    sendTx(r.cluster, [bt.aclPacket(1, Uint8Array.of(0))]);
    expect(r.ivi.vc.connections.has(1)).toBe(true);
    expect(r.platform.controller('bt0').sent).toEqual([]);
  });
});
