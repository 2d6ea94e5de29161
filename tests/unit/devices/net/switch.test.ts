// Guests on the virtual switch: two devices exchanging frames, VLAN separation, forwarding
// rules, and what the switch keeps of a frame's priority (the TSN chapter's requirements).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import * as C from '../../../../src/lib/devices/net/control.ts';
import { NetDevice, type NetDeviceOptions } from '../../../../src/lib/devices/net/device.ts';
import { NetDriver } from '../../../../src/lib/devices/net/driver.ts';
import { NetTap } from '../../../../src/lib/devices/net/backend.ts';
import { buildFrame, parseFrame, parseMac, untag } from '../../../../src/lib/devices/net/ethernet.ts';
import { type PortOptions, VirtualSwitch } from '../../../../src/lib/devices/net/switch.ts';
import * as F from '../../../../src/lib/devices/net/features.ts';
import { ALL, frame, MAC_A, MAC_B, MAC_C, withoutBits } from './harness.ts';

function guestOn(sw: VirtualSwitch, ring: RingType, mac: string, port: PortOptions = {}, opts: NetDeviceOptions = {}, features = ALL) {
  const dev = new NetDevice({ mac, ...opts });
  const p = sw.plug(dev, port);
  const lb = new Loopback(dev, { ring, features });
  const drv = new NetDriver(lb);
  drv.postRx(16);
  return { dev, drv, port: p };
}

const tag = (vid: number, pcp = 0, dei = false) => ({ vid, pcp, dei });

describe.each(RING_TYPES)('two guests on the virtual switch (%s ring)', (ring) => {
  it('exchange frames both ways, header and all', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A);
    const b = guestOn(sw, ring, MAC_B);
    const ab = frame(MAC_B, MAC_A, 64);
    const ba = frame(MAC_A, MAC_B, 100);
    a.drv.send(ab);
    b.drv.send(ba);
    const atB = b.drv.receive();
    const atA = a.drv.receive();
    expect(atB.map((p) => p.frame)).toEqual([ab]);
    expect(atA.map((p) => p.frame)).toEqual([ba]);
    expect(atB[0].hdr.numBuffers).toBe(1);
    expect(sw.lookup(1, MAC_A)).toBe(a.port);
    expect(sw.lookup(1, MAC_B)).toBe(b.port);
  });

  it('floods broadcast to every other port of the VLAN, never back to the sender', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A);
    const b = guestOn(sw, ring, MAC_B);
    const c = guestOn(sw, ring, MAC_C);
    const bc = frame('ff:ff:ff:ff:ff:ff', MAC_A);
    a.drv.send(bc);
    expect(a.drv.receive()).toHaveLength(0);
    expect(b.drv.receive().map((p) => p.frame)).toEqual([bc]);
    expect(c.drv.receive().map((p) => p.frame)).toEqual([bc]);
  });

  it('[AVP-NET-27] sends known unicast only to its port: a promiscuous third guest does not see it', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A);
    const b = guestOn(sw, ring, MAC_B);
    const c = guestOn(sw, ring, MAC_C);
    expect(c.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true))).toBe(C.VIRTIO_NET_OK);
    b.drv.send(frame('ff:ff:ff:ff:ff:ff', MAC_B)); // the switch learns B
    c.drv.receive();
    a.drv.receive();
    a.drv.send(frame(MAC_B, MAC_A));
    expect(b.drv.receive()).toHaveLength(1);
    expect(c.drv.receive()).toHaveLength(0);
    // A frame to an address learned on the sender's own port is not reflected.
    const tap = new NetTap();
    const tp = sw.plug(tap);
    tap.send(frame('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:77'));
    tap.take();
    tap.send(frame('02:00:00:00:00:77', '02:00:00:00:00:78'));
    expect(tap.received).toHaveLength(0);
    expect(sw.drops['same-port']).toBe(1);
    expect(tp.counters.fromEndpoint).toBe(2);
  });

  it('[AVP-NET-26] keeps VLANs apart: a guest receives nothing from another VLAN, whatever its own filters say', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A, { vlan: 10 });
    const b = guestOn(sw, ring, MAC_B, { vlan: 20 });
    const c = guestOn(sw, ring, MAC_C, { vlan: 10 });
    b.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true));
    b.drv.control(C.ctrlVlan(true, 10));
    a.drv.send(frame('ff:ff:ff:ff:ff:ff', MAC_A));
    a.drv.send(frame(MAC_B, MAC_A));
    expect(b.drv.receive()).toHaveLength(0);
    expect(b.dev.stats.rxPackets + Object.values(b.dev.stats.rxDrops).reduce((x, y) => x + y, 0)).toBe(0);
    // C shares VLAN 10: both frames reach its device, whose own filter keeps the unicast for B out.
    expect(c.drv.receive()).toHaveLength(1);
    expect(c.dev.stats.rxDrops.filtered).toBe(1);
  });

  it('[AVP-NET-26] drops tagged and priority-tagged frames a guest sends on an access port', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A, { vlan: 10 });
    const trunk = new NetTap();
    sw.plug(trunk, { mode: 'trunk', vlans: [10, 20] });
    a.drv.send(frame(MAC_B, MAC_A, 46, tag(20)));
    a.drv.send(frame(MAC_B, MAC_A, 46, tag(10, 7)));
    a.drv.send(frame(MAC_B, MAC_A, 46, tag(0, 7)));
    expect(trunk.received).toHaveLength(0);
    expect(sw.drops['tagged-on-access']).toBe(3);
    a.drv.send(frame(MAC_B, MAC_A));
    expect(trunk.received.map((f) => parseFrame(f)!.vlan)).toEqual([tag(10)]);
  });

  it('[AVP-NET-26] refuses on a trunk the VLANs it does not carry, and untagged frames without a native VLAN', () => {
    const sw = new VirtualSwitch();
    const t1 = new NetTap();
    const t2 = new NetTap();
    sw.plug(t1, { mode: 'trunk', vlans: [10] });
    sw.plug(t2, { mode: 'trunk', vlans: [10, 30] });
    t2.send(frame(MAC_A, MAC_B, 46, tag(30)));
    t1.send(frame(MAC_A, MAC_C, 46, tag(30)));
    t1.send(frame(MAC_A, MAC_C));
    expect(t1.received).toHaveLength(0);
    expect(t2.received).toHaveLength(0);
    expect(sw.drops['vlan-not-allowed']).toBe(1);
    expect(sw.drops['untagged-on-trunk']).toBe(1);
  });

  it('[AVP-NET-28] drops frames whose source is not the address the port is locked to', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A, { lockedSource: MAC_A });
    const tap = new NetTap();
    sw.plug(tap);
    a.drv.send(frame(MAC_B, MAC_C));
    a.drv.send(frame(MAC_B, '01:00:5e:00:00:01'));
    expect(tap.received).toHaveLength(0);
    expect(sw.drops['spoofed-source']).toBe(1);
    expect(sw.drops['bad-source']).toBe(1); // a group address is never a valid source
    a.drv.send(frame(MAC_B, MAC_A));
    expect(tap.received).toHaveLength(1);
    const unlocked = new NetTap();
    sw.plug(unlocked);
    unlocked.send(frame(MAC_B, MAC_C));
    expect(tap.received).toHaveLength(2);
  });

  it('[AVP-TSN-5] never forwards frames to the reserved link-local addresses, gPTP peer delay included', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A);
    const b = guestOn(sw, ring, MAC_B);
    b.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true));
    for (let last = 0; last <= 0x0f; last++) a.drv.send(frame(`01:80:c2:00:00:${last.toString(16).padStart(2, '0')}`, MAC_A));
    expect(b.drv.receive()).toHaveLength(0);
    expect(sw.drops['link-local']).toBe(16);
    a.drv.send(frame('01:80:c2:00:00:10', MAC_A)); // just outside the reserved block
    expect(b.drv.receive()).toHaveLength(1);
  });

  it('[AVP-TSN-12] relays no gPTP message between a guest and the physical network, in either direction', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A);
    a.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true));
    const phy = new NetTap();
    sw.plug(phy, { mode: 'trunk', vlans: [], nativeVlan: 1 });
    // A gPTP Sync message: the 802.1AS link-local group address and EtherType 0x88F7.
    const sync = buildFrame({ dst: '01:80:c2:00:00:0e', src: MAC_B, ethertype: 0x88f7, payload: new Uint8Array(44) });
    phy.send(sync);
    expect(a.drv.receive()).toHaveLength(0);
    a.drv.send(buildFrame({ dst: '01:80:c2:00:00:0e', src: MAC_A, ethertype: 0x88f7, payload: new Uint8Array(44) }));
    expect(phy.take()).toHaveLength(0);
    expect(sw.drops['link-local']).toBe(2);
  });

  it('[AVP-TSN-1] carries a guest\'s 802.1Q tag through the device unchanged in both directions', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A, { mode: 'trunk', vlans: [10, 20] }, {}, withoutBits(ALL, F.VIRTIO_NET_F_CTRL_VLAN));
    const t = new NetTap();
    sw.plug(t, { mode: 'trunk', vlans: [10, 20] });
    const tagged = frame(MAC_B, MAC_A, 80, tag(20, 6, true));
    a.drv.send(tagged);
    expect(t.take()).toEqual([tagged]);
    const back = frame(MAC_A, MAC_B, 80, tag(10, 3));
    t.send(back);
    expect(a.drv.receive().map((p) => p.frame)).toEqual([back]);
  });

  it('[AVP-TSN-2] preserves PCP, DEI and VID between trunk ports', () => {
    const sw = new VirtualSwitch();
    const t1 = new NetTap();
    const t2 = new NetTap();
    sw.plug(t1, { mode: 'trunk', vlans: [10, 20] });
    sw.plug(t2, { mode: 'trunk', vlans: [10, 20] });
    const sent = [tag(10, 0), tag(10, 7, true), tag(20, 5), tag(20, 3, true)].map((t, i) => frame(MAC_B, `02:00:00:00:01:0${i}`, 46, t));
    for (const f of sent) t1.send(f);
    expect(t2.take()).toEqual(sent);
  });

  it('[AVP-TSN-3] gives frames from an access port the port\'s priority, whatever the guest would like', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A, { vlan: 10, priority: 5 });
    const b = guestOn(sw, ring, MAC_B, { vlan: 10 });
    const trunk = new NetTap();
    sw.plug(trunk, { mode: 'trunk', vlans: [10], nativeVlan: 99 });
    const f = frame(MAC_B, MAC_A);
    a.drv.send(f);
    a.drv.send(frame(MAC_B, MAC_A, 46, tag(10, 7))); // dropped: the guest cannot pick its priority
    const [onTrunk] = trunk.take();
    expect(parseFrame(onTrunk)!.vlan).toEqual(tag(10, 5));
    expect(untag(onTrunk)).toEqual(f);
    expect(b.drv.receive().map((p) => p.frame)).toEqual([f]); // an access port gets it untagged
    expect(trunk.received).toHaveLength(0);
  });

  it('[AVP-TSN-3] maps the native VLAN of a trunk to untagged frames, keeping a priority tag\'s PCP', () => {
    const sw = new VirtualSwitch();
    const t1 = new NetTap();
    const t2 = new NetTap();
    sw.plug(t1, { mode: 'trunk', vlans: [10], nativeVlan: 5, priority: 2 });
    sw.plug(t2, { mode: 'trunk', vlans: [5, 10] });
    t1.send(frame(MAC_B, MAC_A));
    t1.send(frame(MAC_B, MAC_A, 46, tag(0, 6)));
    expect(t2.take().map((f) => parseFrame(f)!.vlan)).toEqual([tag(5, 2), tag(5, 6)]);
  });

  it('[AVP-TSN-4] delivers the frames of one stream in the order they were sent, through both devices', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A, { vlan: 3, priority: 6 });
    const b = guestOn(sw, ring, MAC_B, { vlan: 3 });
    b.drv.postRx(40);
    const frames = Array.from({ length: 50 }, (_, i) => frame(MAC_B, MAC_A, new Uint8Array([i, ...new Uint8Array(45 + (i % 7) * 50)])));
    for (const f of frames) a.drv.send(f);
    expect(b.drv.receive().map((p) => p.frame[14])).toEqual(frames.map((_, i) => i));
  });

  it('counts what each port sent, received and refused', () => {
    const sw = new VirtualSwitch();
    const a = guestOn(sw, ring, MAC_A);
    const b = new NetDevice({ mac: MAC_B }); // plugged in but its driver never started
    const pb = sw.plug(b);
    a.drv.send(frame(MAC_B, MAC_A));
    expect(pb.counters).toEqual({ fromEndpoint: 0, toEndpoint: 1, refused: 1 });
    expect(b.stats.rxDrops.inactive).toBe(1);
    sw.unplug(pb);
    expect(sw.ports).toHaveLength(1);
    expect(sw.lookup(1, parseMac(MAC_A))).toBe(a.port);
  });
});
