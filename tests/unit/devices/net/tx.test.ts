// Transmission (§5.1.9.2): the header in front of every packet, and what the device does with
// a header it cannot honour.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { featureSet } from '../../../../src/lib/virtio/feature-bits.ts';
import * as F from '../../../../src/lib/devices/net/features.ts';
import {
  encodeNetHdr,
  netHdrSize,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_F_RSC_INFO,
  VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_UDP_L4,
  VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
} from '../../../../src/lib/devices/net/net-hdr.ts';
import { buildFrame, ETH_P_IPV4 } from '../../../../src/lib/devices/net/ethernet.ts';
import { checksumVerifies, onesComplementSum } from '../../../../src/lib/devices/net/checksum.ts';
import { ALL, frame, guest, MAC_A, MAC_B, needsReset, withoutBits } from './harness.ts';

/** An IPv4/UDP frame whose UDP checksum field holds the pseudo-header sum, as a driver leaves it. */
function partialUdp(payloadLen: number) {
  const udpLen = 8 + payloadLen;
  const ip = new Uint8Array(20 + udpLen);
  ip.set([0x45, 0, (20 + udpLen) >> 8, (20 + udpLen) & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  const udp = ip.subarray(20);
  udp.set([0x30, 0x39, 0x00, 0x35, udpLen >> 8, udpLen & 0xff]);
  for (let i = 0; i < payloadLen; i++) udp[8 + i] = (i * 13 + 1) & 0xff;
  const pseudo = new Uint8Array([10, 0, 0, 1, 10, 0, 0, 2, 0, 17, udpLen >> 8, udpLen & 0xff]);
  const p = onesComplementSum(pseudo);
  udp[6] = p >> 8;
  udp[7] = p & 0xff;
  const f = buildFrame({ dst: MAC_B, src: MAC_A, ethertype: ETH_P_IPV4, payload: ip });
  return { frame: f, pseudo, udpStart: 14 + 20 };
}

describe('header size', () => {
  it('[AVP-NET-7] is 12 bytes in 1.x with or without MRG_RXBUF, 20 with HASH_REPORT, 24 with UDP tunnel GSO, 32 with OUT_NET_HEADER or IPSEC', () => {
    expect(netHdrSize(0n)).toBe(12);
    expect(netHdrSize(featureSet(F.VIRTIO_NET_F_MRG_RXBUF))).toBe(12);
    expect(netHdrSize(featureSet(F.VIRTIO_NET_F_HASH_REPORT))).toBe(20);
    expect(netHdrSize(featureSet(F.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO))).toBe(24);
    expect(netHdrSize(featureSet(F.VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO, F.VIRTIO_NET_F_HASH_REPORT))).toBe(24);
    expect(netHdrSize(featureSet(F.VIRTIO_NET_F_OUT_NET_HEADER))).toBe(32);
    expect(netHdrSize(featureSet(F.VIRTIO_NET_F_IPSEC, F.VIRTIO_NET_F_HASH_REPORT))).toBe(32);
  });
});

describe.each(RING_TYPES)('transmit (%s ring)', (ring) => {
  it('sends a packet behind a zero header to the back end, byte for byte, and returns the buffer with length 0', () => {
    const g = guest(ring);
    const f = frame(MAC_B, MAC_A, 100);
    expect(g.drv.send(f)).toBe(0);
    expect(g.tap.take()).toEqual([f]);
    expect(g.dev.stats.txPackets).toBe(1);
    expect(g.dev.stats.txBytes).toBe(f.length);
  });

  it('[AVP-NET-7] uses the 12-byte header without MRG_RXBUF too (the 10-byte legacy form is a short header)', () => {
    const g = guest(ring, {}, { features: withoutBits(ALL, F.VIRTIO_NET_F_MRG_RXBUF) });
    expect(g.drv.hdrSize).toBe(12);
    const f = frame(MAC_B, MAC_A);
    g.drv.send(f);
    expect(g.tap.take()).toEqual([f]);
    // A legacy driver would put 10 header bytes; the device then reads 2 frame bytes as header.
    g.drv.send(f, { raw: new Uint8Array([...new Uint8Array(10), ...f]) });
    expect(g.tap.take()[0]).toEqual(f.subarray(2));
  });

  it('accepts header and frame spread over several descriptors, split anywhere', () => {
    const g = guest(ring);
    const f = frame(MAC_B, MAC_A, 60);
    for (const split of [[12], [5, 7], [3], [12, 6, 1, 1], [40]]) g.drv.send(f, { split });
    expect(g.tap.take()).toEqual([f, f, f, f, f]);
  });

  it('[AVP-NET-8] [AVP-NET-35] [AVP-NET-36] drops a buffer shorter than the header, returns it with length 0, and keeps working', () => {
    const g = guest(ring);
    for (const n of [1, 5, 11]) expect(g.drv.send(new Uint8Array(0), { raw: new Uint8Array(n).fill(0xaa) })).toBe(0);
    expect(g.dev.stats.txDrops['short-header']).toBe(3);
    expect(g.tap.received).toHaveLength(0);
    expect(needsReset(g)).toBe(false);
    const f = frame(MAC_B, MAC_A);
    g.drv.send(f);
    expect(g.tap.take()).toEqual([f]);
  });

  it('[AVP-NET-8] [AVP-NET-35] [AVP-NET-36] drops a packet asking for segmentation, which is not offered', () => {
    const g = guest(ring);
    for (const gsoType of [VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
      VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4]) {
      expect(g.drv.send(frame(MAC_B, MAC_A), { hdr: { gsoType, gsoSize: 1448, flags: VIRTIO_NET_HDR_F_NEEDS_CSUM } })).toBe(0);
    }
    expect(g.dev.stats.txDrops['gso-not-negotiated']).toBe(4);
    expect(g.tap.received).toHaveLength(0);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-NET-8] [AVP-NET-35] drops NEEDS_CSUM when VIRTIO_NET_F_CSUM was not negotiated', () => {
    const g = guest(ring, {}, { features: withoutBits(ALL, F.VIRTIO_NET_F_CSUM) });
    const u = partialUdp(20);
    g.drv.send(u.frame, { hdr: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: u.udpStart, csumOffset: 6 } });
    expect(g.dev.stats.txDrops['csum-not-negotiated']).toBe(1);
    expect(g.tap.received).toHaveLength(0);
  });

  it('[AVP-NET-8] [AVP-NET-35] refuses UDP_TUNNEL_CSUM without a tunnel gso_type', () => {
    const g = guest(ring);
    g.drv.send(frame(MAC_B, MAC_A), { hdr: { flags: VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM } });
    expect(g.dev.stats.txDrops['tunnel-csum-without-tunnel']).toBe(1);
    expect(g.tap.received).toHaveLength(0);
  });

  it('[AVP-NET-8] [AVP-NET-35] [AVP-NET-36] drops a frame shorter than an Ethernet header', () => {
    const g = guest(ring);
    g.drv.send(new Uint8Array(13));
    g.drv.send(new Uint8Array(0));
    expect(g.dev.stats.txDrops.runt).toBe(2);
    expect(g.tap.received).toHaveLength(0);
    expect(needsReset(g)).toBe(false);
  });

  it('ignores flag bits that mean nothing on transmit, and num_buffers', () => {
    const g = guest(ring);
    const f = frame(MAC_B, MAC_A);
    g.drv.send(f, { hdr: { flags: VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_RSC_INFO | 0x80, numBuffers: 7, hdrLen: 999 } });
    expect(g.tap.take()).toEqual([f]);
  });

  it('[AVP-NET-9] completes a partial checksum before the frame leaves the device', () => {
    const g = guest(ring);
    const u = partialUdp(33); // odd length: the last byte is padded
    g.drv.send(u.frame, { hdr: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: u.udpStart, csumOffset: 6 } });
    const [out] = g.tap.take();
    const udp = out.subarray(u.udpStart);
    expect([udp[6], udp[7]]).not.toEqual([u.frame[u.udpStart + 6], u.frame[u.udpStart + 7]]);
    expect(checksumVerifies(udp, onesComplementSum(u.pseudo))).toBe(true);
    // Everything but the checksum field is unchanged.
    expect([...out.subarray(0, u.udpStart + 6)]).toEqual([...u.frame.subarray(0, u.udpStart + 6)]);
  });

  it('[AVP-NET-9] drops a packet whose csum_start or csum_offset point outside the frame', () => {
    const g = guest(ring);
    const f = frame(MAC_B, MAC_A, 46); // 60 bytes
    for (const [csumStart, csumOffset] of [[60, 0], [58, 1], [0, 59], [65535, 65535]]) {
      g.drv.send(f, { hdr: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart, csumOffset } });
    }
    expect(g.dev.stats.txDrops['bad-csum-offsets']).toBe(4);
    expect(g.tap.received).toHaveLength(0);
    g.drv.send(f, { hdr: { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 58, csumOffset: 0 } });
    expect(g.tap.received).toHaveLength(1);
  });

  it('[AVP-NET-6] forwards a frame of exactly mtu plus the Ethernet header (plus a tag) and drops one byte more', () => {
    const g = guest(ring, { mtu: 1000 });
    const max = frame(MAC_B, MAC_A, 1000 - 0); // payload = mtu: 1014 bytes
    expect(max.length).toBe(1014);
    g.drv.send(max);
    const tagged = frame(MAC_B, MAC_A, 1000, { pcp: 3, dei: false, vid: 10 });
    g.drv.send(tagged);
    expect(g.tap.take()).toEqual([max, tagged]);
    g.drv.send(frame(MAC_B, MAC_A, 1001));
    g.drv.send(frame(MAC_B, MAC_A, 1001, { pcp: 3, dei: false, vid: 10 }));
    g.drv.send(frame(MAC_B, MAC_A, 60000)); // refused before it is read
    expect(g.dev.stats.txDrops['over-mtu']).toBe(3);
    expect(g.tap.received).toHaveLength(0);
  });

  it('[AVP-NET-8] writes nothing into device-writable parts of a transmit buffer', () => {
    const g = guest(ring);
    const f = frame(MAC_B, MAC_A);
    const id = g.lb.submit(1, [encodeNetHdr({}), f], [16]);
    const done = g.lb.poll(1).find((c) => c.id === id)!;
    expect(done.len).toBe(0);
    expect(g.tap.take()).toEqual([f]);
  });
});
