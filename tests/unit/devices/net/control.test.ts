// The control queue (§5.1.9.5): every request answered OK or ERR, and receive filtering as
// the driver set it up.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as F from '../../../../src/lib/devices/net/features.ts';
import * as C from '../../../../src/lib/devices/net/control.ts';
import { NET_CFG_MAC, NET_CFG_STATUS, VIRTIO_NET_S_ANNOUNCE } from '../../../../src/lib/devices/net/config.ts';
import { parseMac } from '../../../../src/lib/devices/net/ethernet.ts';
import { ALL, frame, guest, type Guest, MAC_A, MAC_B, MAC_C, needsReset, OTHER, withoutBits } from './harness.ts';

const { VIRTIO_NET_OK: OK, VIRTIO_NET_ERR: ERR } = C;
const MCAST_1 = '01:00:5e:00:00:01';
const MCAST_2 = '33:33:00:00:00:fb';
const BCAST = 'ff:ff:ff:ff:ff:ff';

/** Offers one frame to each destination and returns which ones reached the driver. */
function arrivals(g: Guest, dsts: string[]): string[] {
  g.drv.postRx(dsts.length);
  for (const d of dsts) g.dev.receive(frame(d, MAC_B));
  const got = g.drv.receive().map((p) => p.frame);
  return dsts.filter((d) => got.some((f) => f.subarray(0, 6).every((b, i) => b === parseMac(d)[i])));
}

describe.each(RING_TYPES)('control queue (%s ring)', (ring) => {
  it('[AVP-NET-15] answers each supported command with one ack byte, VIRTIO_NET_OK', () => {
    const g = guest(ring, { maxQueuePairs: 2 });
    const requests = [
      C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true),
      C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_ALLMULTI, false),
      C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_ALLUNI, true),
      C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOMULTI, false),
      C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOUNI, false),
      C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOBCAST, true),
      C.ctrlMacTable([parseMac(OTHER)], [parseMac(MCAST_1)]),
      C.ctrlMacTable([], []),
      C.ctrlMacAddr(parseMac('02:00:00:00:00:01')),
      C.ctrlVlan(true, 100),
      C.ctrlVlan(false, 100),
      C.ctrlAnnounceAck(),
      C.ctrlMqPairs(2),
    ];
    for (const r of requests) {
      const c = g.lb.request(2 * 2, [r], [1]);
      expect(c.len, `class ${r[0]} cmd ${r[1]}`).toBe(1);
      expect(c.data[0], `class ${r[0]} cmd ${r[1]}: ${g.dev.stats.lastCtrlError}`).toBe(OK);
    }
    expect(g.dev.stats.ctrlOk).toBe(requests.length);
  });

  it('[AVP-NET-15] answers VIRTIO_NET_ERR to unknown classes and commands and to malformed data', () => {
    const g = guest(ring, { maxQueuePairs: 2 });
    const bad = [
      new Uint8Array([]),
      new Uint8Array([0]),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_RX, 6, new Uint8Array([1])),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, new Uint8Array([2])),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, new Uint8Array([1, 0])),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MAC, 2, new Uint8Array(6)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_TABLE_SET, new Uint8Array([1, 0, 0, 0])),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_TABLE_SET, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 9])),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_TABLE_SET, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])),
      C.ctrlMacTable([parseMac(MCAST_1)], []), // a group address in the unicast table
      C.ctrlMacTable([], [parseMac(OTHER)]), // an individual address in the multicast table
      C.ctrlMacAddr(parseMac(MCAST_1)),
      C.ctrlMacAddr(new Uint8Array(6)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_ADDR_SET, new Uint8Array(5)),
      C.ctrlVlan(true, 4096),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_VLAN, 2, new Uint8Array(2)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_VLAN, C.VIRTIO_NET_CTRL_VLAN_ADD, new Uint8Array(3)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_ANNOUNCE, C.VIRTIO_NET_CTRL_ANNOUNCE_ACK, new Uint8Array(1)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_ANNOUNCE, 1),
      C.ctrlMqPairs(0),
      C.ctrlMqPairs(3),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_RSS_CONFIG, new Uint8Array(16)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_HASH_CONFIG, new Uint8Array(16)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_GUEST_OFFLOADS, 0, new Uint8Array(8)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_NOTF_COAL, 0, new Uint8Array(8)),
      C.ctrlRequest(C.VIRTIO_NET_CTRL_STATS, 0),
      C.ctrlRequest(255, 255),
    ];
    for (const r of bad) expect(g.drv.control(r), `[${[...r.subarray(0, 2)]}]`).toBe(ERR);
    expect(g.dev.stats.ctrlErr).toBe(bad.length);
    expect(needsReset(g)).toBe(false);
    // Nothing was changed by the refused requests.
    expect(g.dev.activePairs).toBe(1);
    expect(Object.values(g.dev.rxFilter.modes).some((on) => on)).toBe(false);
    expect(g.dev.rxFilter.vlans.size).toBe(0);
    expect(g.dev.guestAddress).toEqual(parseMac(MAC_A));
  });

  it('[AVP-NET-15] answers ERR to commands whose feature was not negotiated', () => {
    const g = guest(ring, { maxQueuePairs: 2 }, {
      features: withoutBits(ALL, F.VIRTIO_NET_F_CTRL_RX, F.VIRTIO_NET_F_CTRL_RX_EXTRA, F.VIRTIO_NET_F_CTRL_VLAN,
        F.VIRTIO_NET_F_GUEST_ANNOUNCE, F.VIRTIO_NET_F_CTRL_MAC_ADDR, F.VIRTIO_NET_F_MQ),
    });
    for (const r of [C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true), C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOBCAST, true),
      C.ctrlMacTable([], []), C.ctrlMacAddr(parseMac(OTHER)), C.ctrlVlan(true, 1), C.ctrlAnnounceAck(), C.ctrlMqPairs(1)]) {
      expect(g.drv.control(r)).toBe(ERR);
    }
    expect(g.dev.rxFilter.modes.promisc).toBe(false);
  });

  it('[AVP-NET-15] needs CTRL_RX_EXTRA for ALLUNI, NOMULTI, NOUNI and NOBCAST but not for PROMISC and ALLMULTI', () => {
    const g = guest(ring, {}, { features: withoutBits(ALL, F.VIRTIO_NET_F_CTRL_RX_EXTRA) });
    expect(g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true))).toBe(OK);
    expect(g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_ALLMULTI, true))).toBe(OK);
    for (const cmd of [C.VIRTIO_NET_CTRL_RX_ALLUNI, C.VIRTIO_NET_CTRL_RX_NOMULTI, C.VIRTIO_NET_CTRL_RX_NOUNI, C.VIRTIO_NET_CTRL_RX_NOBCAST]) {
      expect(g.drv.control(C.ctrlRxMode(cmd, true))).toBe(ERR);
    }
  });

  it('[AVP-NET-15] answers in the first writable byte when the driver gives more room, and the data may be split', () => {
    const g = guest(ring);
    const req = C.ctrlMacTable([parseMac(OTHER)], [parseMac(MCAST_1), parseMac(MCAST_2)]);
    const c = g.lb.request(2, [req.subarray(0, 1), req.subarray(1, 7), req.subarray(7)], [4, 4]);
    expect(c.len).toBe(1);
    expect(c.data[0]).toBe(OK);
    expect(g.dev.rxFilter.multicast).toHaveLength(2);
  });

  it('[AVP-NET-16] returns a request without a writable byte with length 0 and carries nothing out', () => {
    const g = guest(ring);
    const c = g.lb.request(2, [C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true)], []);
    expect(c.len).toBe(0);
    expect(g.dev.stats.ctrlUnanswerable).toBe(1);
    expect(g.dev.rxFilter.modes.promisc).toBe(false);
    expect(needsReset(g)).toBe(false);
    expect(g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true))).toBe(OK);
  });

  it('[AVP-NET-17] [AVP-NET-19] filters unicast to its own address and the MAC table once the table is set', () => {
    const g = guest(ring);
    expect(arrivals(g, [MAC_A, OTHER, MAC_C])).toEqual([MAC_A]);
    expect(g.drv.control(C.ctrlMacTable([parseMac(OTHER)], []))).toBe(OK);
    // The table is in force as soon as the ack is seen.
    expect(arrivals(g, [MAC_A, OTHER, MAC_C])).toEqual([MAC_A, OTHER]);
    expect(g.dev.stats.rxDrops.filtered).toBe(3);
  });

  it('[AVP-NET-19] filters multicast by the table, ALLMULTI and NOMULTI, and broadcast by NOBCAST', () => {
    const g = guest(ring);
    expect(arrivals(g, [MCAST_1, MCAST_2, BCAST])).toEqual([BCAST]);
    g.drv.control(C.ctrlMacTable([], [parseMac(MCAST_2)]));
    expect(arrivals(g, [MCAST_1, MCAST_2, BCAST])).toEqual([MCAST_2, BCAST]);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_ALLMULTI, true));
    expect(arrivals(g, [MCAST_1, MCAST_2, BCAST])).toEqual([MCAST_1, MCAST_2, BCAST]);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOMULTI, true)); // wins over ALLMULTI, spares broadcast
    expect(arrivals(g, [MCAST_1, MCAST_2, BCAST])).toEqual([BCAST]);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOBCAST, true));
    expect(arrivals(g, [MCAST_1, MCAST_2, BCAST, MAC_A])).toEqual([MAC_A]);
  });

  it('[AVP-NET-19] ALLUNI lets every unicast through, NOUNI none, and PROMISC wins over both', () => {
    const g = guest(ring);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_ALLUNI, true));
    expect(arrivals(g, [MAC_A, OTHER])).toEqual([MAC_A, OTHER]);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOUNI, true));
    expect(arrivals(g, [MAC_A, OTHER, BCAST])).toEqual([BCAST]);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOBCAST, true));
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_NOMULTI, true));
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true));
    expect(arrivals(g, [MAC_A, OTHER, BCAST, MCAST_1])).toEqual([MAC_A, OTHER, BCAST, MCAST_1]);
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, false));
    expect(arrivals(g, [MAC_A, OTHER, BCAST, MCAST_1])).toEqual([]);
  });

  it('[AVP-NET-19] falls back to accepting a whole class when the MAC table overflows', () => {
    const g = guest(ring, { macTableSize: 2 });
    const many = [1, 2, 3].map((i) => parseMac(`01:00:5e:00:00:1${i}`));
    expect(g.drv.control(C.ctrlMacTable([], many))).toBe(OK);
    expect(arrivals(g, [MCAST_1, OTHER])).toEqual([MCAST_1]);
  });

  it('[AVP-NET-19] without CTRL_RX lets multicast through, and without a known address every unicast', () => {
    const g = guest(ring, { mac: undefined }, { features: withoutBits(ALL, F.VIRTIO_NET_F_CTRL_RX, F.VIRTIO_NET_F_CTRL_RX_EXTRA, F.VIRTIO_NET_F_CTRL_MAC_ADDR) });
    expect(g.dev.guestAddress).toBeNull();
    expect(arrivals(g, [MAC_A, OTHER, MCAST_1, BCAST])).toEqual([MAC_A, OTHER, MCAST_1, BCAST]);
  });

  it('[AVP-NET-17] MAC_ADDR_SET changes mac in the configuration space before the ack, and filtering follows', () => {
    const g = guest(ring);
    const addr = parseMac('02:aa:bb:cc:dd:ee');
    let seenAtNotification: Uint8Array | null = null;
    g.dev.config.setChangeListener(() => {
      seenAtNotification = g.dev.config.read(NET_CFG_MAC, 6);
    });
    const id = g.lb.submit(2, [C.ctrlMacAddr(addr)], [1]);
    expect(seenAtNotification).toEqual(addr); // updated while the device held the buffer
    expect(g.lb.poll(2).find((c) => c.id === id)!.data[0]).toBe(OK);
    expect(g.drv.mac).toEqual(addr);
    expect(arrivals(g, [MAC_A, '02:aa:bb:cc:dd:ee'])).toEqual(['02:aa:bb:cc:dd:ee']);
  });

  it('[AVP-NET-17] MAC_ADDR_SET without VIRTIO_NET_F_MAC filters on the new address but leaves mac alone', () => {
    const g = guest(ring, {}, { features: withoutBits(ALL, F.VIRTIO_NET_F_MAC) });
    expect(g.dev.guestAddress).toBeNull();
    g.drv.control(C.ctrlMacAddr(parseMac(OTHER)));
    expect(g.dev.config.read(NET_CFG_MAC, 6)).toEqual(parseMac(MAC_A));
    expect(arrivals(g, [MAC_A, OTHER])).toEqual([OTHER]);
  });

  it('[AVP-NET-20] with CTRL_VLAN accepts tagged frames of the VLANs in the table only; untagged are unaffected', () => {
    const g = guest(ring);
    const tagged = (vid: number) => frame(MAC_A, MAC_B, 46, { pcp: 0, dei: false, vid });
    g.drv.postRx(8);
    expect(g.dev.receive(tagged(10))).toBe('filtered');
    expect(g.drv.control(C.ctrlVlan(true, 10))).toBe(OK);
    expect(g.dev.receive(tagged(10))).toBe('delivered');
    expect(g.dev.receive(tagged(11))).toBe('filtered');
    expect(g.dev.receive(frame(MAC_A, MAC_B))).toBe('delivered');
    expect(g.drv.control(C.ctrlVlan(false, 10))).toBe(OK);
    expect(g.dev.receive(tagged(10))).toBe('filtered');
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true));
    expect(g.dev.receive(tagged(11))).toBe('delivered');
  });

  it('[AVP-NET-20] without CTRL_VLAN accepts every tagged frame', () => {
    const g = guest(ring, {}, { features: withoutBits(ALL, F.VIRTIO_NET_F_CTRL_VLAN) });
    g.drv.postRx(3);
    for (const vid of [1, 100, 4095]) expect(g.dev.receive(frame(MAC_A, MAC_B, 46, { pcp: 5, dei: false, vid }))).toBe('delivered');
  });

  it('[AVP-NET-23] clears VIRTIO_NET_S_ANNOUNCE before it returns the ANNOUNCE_ACK buffer', () => {
    const g = guest(ring);
    const before = g.lb.configNotifications;
    expect(g.dev.requestAnnounce()).toBe(true);
    expect(g.drv.status & VIRTIO_NET_S_ANNOUNCE).toBe(VIRTIO_NET_S_ANNOUNCE);
    expect(g.lb.configNotifications).toBe(before + 1);
    let clearedWhileHeld = false;
    g.dev.config.setChangeListener(() => {
      clearedWhileHeld = (g.dev.config.u16(NET_CFG_STATUS) & VIRTIO_NET_S_ANNOUNCE) === 0;
    });
    expect(g.drv.control(C.ctrlAnnounceAck())).toBe(OK);
    expect(clearedWhileHeld).toBe(true);
    expect(g.drv.status & VIRTIO_NET_S_ANNOUNCE).toBe(0);
  });

  it('[AVP-NET-23] does not raise ANNOUNCE unless GUEST_ANNOUNCE was negotiated', () => {
    const g = guest(ring, {}, { features: withoutBits(ALL, F.VIRTIO_NET_F_GUEST_ANNOUNCE) });
    expect(g.dev.requestAnnounce()).toBe(false);
    expect(g.drv.status & VIRTIO_NET_S_ANNOUNCE).toBe(0);
  });

  it('[AVP-NET-18] comes out of reset with every mode off, empty tables, one pair and the assigned address', () => {
    const g = guest(ring, { maxQueuePairs: 2 });
    g.drv.control(C.ctrlRxMode(C.VIRTIO_NET_CTRL_RX_PROMISC, true));
    g.drv.control(C.ctrlMacTable([parseMac(OTHER)], [parseMac(MCAST_1)]));
    g.drv.control(C.ctrlVlan(true, 7));
    g.drv.control(C.ctrlMacAddr(parseMac('02:00:00:00:00:02')));
    g.drv.control(C.ctrlMqPairs(2));
    expect(g.dev.activePairs).toBe(2);
    g.dev.reset();
    const f = g.dev.rxFilter;
    expect(Object.values(f.modes).every((on) => !on)).toBe(true);
    expect([f.unicast.length, f.multicast.length, f.vlans.size]).toEqual([0, 0, 0]);
    expect(g.dev.activePairs).toBe(1);
    expect(g.dev.config.read(NET_CFG_MAC, 6)).toEqual(parseMac(MAC_A));
  });
});
