// Several queue pairs (VIRTIO_NET_F_MQ, §5.1.9.5): which receive queues the device may use,
// and automatic steering of a flow's replies to the pair it was sent on.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as C from '../../../../src/lib/devices/net/control.ts';
import { buildFrame, ETH_P_IPV4 } from '../../../../src/lib/devices/net/ethernet.ts';
import { FlowTable, flowKey, keyHash } from '../../../../src/lib/devices/net/steering.ts';
import { NetDriver } from '../../../../src/lib/devices/net/driver.ts';
import { frame, guest, type Guest, MAC_A, MAC_B } from './harness.ts';

/** An IPv4 UDP frame between two hosts and ports (headers only matter for steering). */
function udp(dst: string, src: string, ipSrc: number, ipDst: number, sport: number, dport: number): Uint8Array {
  const ip = new Uint8Array(28);
  ip.set([0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0]);
  ip.set([10, 0, 0, ipSrc, 10, 0, 0, ipDst], 12);
  ip.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 8, 0, 0], 20);
  return buildFrame({ dst, src, ethertype: ETH_P_IPV4, payload: ip });
}

/** Which receive queues got something, by pair index. */
function pairsUsed(g: Guest): number[] {
  const used: number[] = [];
  for (let p = 0; p < g.drv.pairs; p++) if (g.drv.receive(p).length > 0) used.push(p);
  return used;
}

describe.each(RING_TYPES)('multiqueue (%s ring)', (ring) => {
  it('[AVP-NET-21] queues packets only on receiveq1 until VQ_PAIRS_SET', () => {
    const g = guest(ring, { maxQueuePairs: 4 });
    for (let p = 0; p < 4; p++) g.drv.postRx(16, undefined, p);
    for (let port = 0; port < 32; port++) g.dev.receive(udp(MAC_A, MAC_B, 2, 1, 1000 + port, 53));
    expect(pairsUsed(g)).toEqual([0]);
  });

  it('[AVP-NET-21] spreads flows over receiveq1..n after VQ_PAIRS_SET n, and never beyond n', () => {
    const g = guest(ring, { maxQueuePairs: 4 });
    for (let p = 0; p < 4; p++) g.drv.postRx(40, undefined, p);
    expect(g.drv.control(C.ctrlMqPairs(3))).toBe(C.VIRTIO_NET_OK);
    for (let port = 0; port < 60; port++) g.dev.receive(udp(MAC_A, MAC_B, 2, 1, 1000 + port, 53));
    expect(pairsUsed(g)).toEqual([0, 1, 2]);
    expect(g.drv.control(C.ctrlMqPairs(1))).toBe(C.VIRTIO_NET_OK);
    for (let port = 0; port < 20; port++) g.dev.receive(udp(MAC_A, MAC_B, 2, 1, 1000 + port, 53));
    expect(pairsUsed(g)).toEqual([0]);
  });

  it('[AVP-NET-21] drops packets the driver puts on a transmit queue above virtqueue_pairs', () => {
    const g = guest(ring, { maxQueuePairs: 2 });
    const f = frame(MAC_B, MAC_A);
    expect(g.drv.send(f, { pair: 1 })).toBe(0);
    expect(g.dev.stats.txDrops['queue-inactive']).toBe(1);
    expect(g.tap.received).toHaveLength(0);
    g.drv.control(C.ctrlMqPairs(2));
    g.drv.send(f, { pair: 1 });
    expect(g.tap.take()).toEqual([f]);
  });

  it('[AVP-NET-22] steers the replies of a flow to the pair it was transmitted on', () => {
    const g = guest(ring, { maxQueuePairs: 4 });
    for (let p = 0; p < 4; p++) g.drv.postRx(8, undefined, p);
    g.drv.control(C.ctrlMqPairs(4));
    for (let pair = 0; pair < 4; pair++) {
      for (let k = 0; k < 3; k++) {
        const sport = 40000 + pair * 10 + k;
        g.drv.send(udp(MAC_B, MAC_A, 1, 2, sport, 7), { pair });
        g.dev.receive(udp(MAC_A, MAC_B, 2, 1, 7, sport));
      }
    }
    for (let pair = 0; pair < 4; pair++) {
      const got = g.drv.receive(pair);
      expect(got.map((p) => (p.frame[14 + 22] << 8) | p.frame[14 + 23])).toEqual([0, 1, 2].map((k) => 40000 + pair * 10 + k));
    }
  });

  it('has one receive cache per pair: buffers of pair 2 never hold frames for pair 1', () => {
    const g = guest(ring, { maxQueuePairs: 2 });
    g.drv.postRx(1, undefined, 1);
    expect(g.dev.receive(frame(MAC_A, MAC_B))).toBe('no-buffers');
    expect(g.drv.receive(1)).toHaveLength(0);
    expect(NetDriver.rxQueue(1)).toBe(2);
  });
});

describe('flow keys', () => {
  it('names the reverse direction of a transmitted packet the same as the reply', () => {
    const out = udp(MAC_B, MAC_A, 1, 2, 5000, 53);
    const back = udp(MAC_A, MAC_B, 2, 1, 53, 5000);
    expect(flowKey(out, true)).toBe(flowKey(back));
    expect(flowKey(out)).not.toBe(flowKey(back));
  });

  it('falls back to the MAC pair for frames that are not TCP or UDP', () => {
    expect(flowKey(frame(MAC_A, MAC_B))).toBe('52540000000b>52540000000a');
    expect(flowKey(frame(MAC_A, MAC_B))).toBe(flowKey(frame(MAC_B, MAC_A), true));
  });

  it('forgets the least recently used flow when full', () => {
    const t = new FlowTable(2);
    const a = udp(MAC_B, MAC_A, 1, 2, 1, 7);
    const b = udp(MAC_B, MAC_A, 1, 2, 2, 7);
    const c = udp(MAC_B, MAC_A, 1, 2, 3, 7);
    const reply = (f: Uint8Array) => udp(MAC_A, MAC_B, 2, 1, 7, (f[14 + 20] << 8) | f[14 + 21]);
    const hashed = keyHash(flowKey(reply(a))) % 4;
    const learned = (hashed + 1) % 4;
    t.learn(a, learned);
    expect(t.select(reply(a), 4)).toBe(learned);
    t.learn(b, learned);
    t.learn(a, learned); // used again: now b is the oldest
    t.learn(c, learned);
    expect(t.select(reply(a), 4)).toBe(learned);
    expect(t.select(reply(c), 4)).toBe(learned);
    t.learn(b, learned); // evicts a
    expect(t.select(reply(a), 4)).toBe(hashed);
  });
});
