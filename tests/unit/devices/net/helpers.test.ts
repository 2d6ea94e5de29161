// The small pieces the network device is built from: addresses, tags, the header codec and
// the Internet checksum.
import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  formatMac,
  isBroadcast,
  isLinkLocalReserved,
  isMulticast,
  l2HeaderLength,
  parseFrame,
  parseMac,
  untag,
  withTag,
} from '../../../../src/lib/devices/net/ethernet.ts';
import { completeChecksum, onesComplementSum } from '../../../../src/lib/devices/net/checksum.ts';
import { decodeNetHdr, encodeNetHdr, HDR_NUM_BUFFERS } from '../../../../src/lib/devices/net/net-hdr.ts';
import { parseControl, ctrlMacTable, VIRTIO_NET_CTRL_MAC } from '../../../../src/lib/devices/net/control.ts';
import { featureSet } from '../../../../src/lib/virtio/feature-bits.ts';
import { VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ } from '../../../../src/lib/devices/net/features.ts';

describe('Ethernet helpers', () => {
  it('parse and format addresses, and classify them', () => {
    expect(formatMac(parseMac('52-54-00-AB-cd-01'))).toBe('52:54:00:ab:cd:01');
    expect(() => parseMac('52:54:00:ab:cd')).toThrow();
    expect(() => parseMac('52:54:00:ab:cd:0g')).toThrow();
    expect(isMulticast(parseMac('01:00:5e:00:00:01'))).toBe(true);
    expect(isMulticast(parseMac('02:00:00:00:00:01'))).toBe(false);
    expect(isBroadcast(parseMac('ff:ff:ff:ff:ff:ff'))).toBe(true);
    expect(isLinkLocalReserved(parseMac('01:80:c2:00:00:0e'))).toBe(true);
    expect(isLinkLocalReserved(parseMac('01:80:c2:00:00:10'))).toBe(false);
  });

  it('build, parse, strip and add an 802.1Q tag', () => {
    const plain = buildFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', ethertype: 0x0800, payload: new Uint8Array([1, 2, 3]) });
    expect(plain.length).toBe(17);
    expect(l2HeaderLength(plain)).toBe(14);
    const tagged = withTag(plain, { pcp: 5, dei: true, vid: 0xabc });
    expect([...tagged.subarray(12, 16)]).toEqual([0x81, 0x00, 0xba, 0xbc]);
    expect(l2HeaderLength(tagged)).toBe(18);
    expect(parseFrame(tagged)).toMatchObject({ vlan: { pcp: 5, dei: true, vid: 0xabc }, ethertype: 0x0800 });
    expect(untag(tagged)).toEqual(plain);
    expect(untag(plain)).toBe(plain);
    expect(parseFrame(new Uint8Array(13))).toBeNull();
    expect(parseFrame(tagged.subarray(0, 17))).toBeNull();
    expect(() => withTag(plain, { pcp: 8, dei: false, vid: 1 })).toThrow(RangeError);
  });
});

describe('Internet checksum', () => {
  it('sums the RFC 1071 example to 0xddf2', () => {
    expect(onesComplementSum(new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0xddf2);
  });

  it('writes 0xffff rather than 0 and refuses a field outside the data', () => {
    const d = new Uint8Array([0xff, 0xff, 0, 0]);
    expect(completeChecksum(d, 0, 2)).toBe(true);
    expect([d[2], d[3]]).toEqual([0xff, 0xff]);
    expect(completeChecksum(new Uint8Array(4), 0, 3)).toBe(false);
    expect(completeChecksum(new Uint8Array(4), 4, 0)).toBe(false);
  });
});

describe('virtio_net_hdr codec', () => {
  it('round-trips the basic fields little-endian, num_buffers at offset 10', () => {
    const h = { flags: 1, gsoType: 4, hdrLen: 0x1234, gsoSize: 1448, csumStart: 34, csumOffset: 16, numBuffers: 3 };
    const b = encodeNetHdr(h, 20);
    expect(b.length).toBe(20);
    expect([b[HDR_NUM_BUFFERS], b[HDR_NUM_BUFFERS + 1]]).toEqual([3, 0]);
    expect([b[2], b[3]]).toEqual([0x34, 0x12]);
    expect(decodeNetHdr(b)).toEqual(h);
    expect(() => decodeNetHdr(new Uint8Array(11))).toThrow(RangeError);
  });
});

describe('control request parser', () => {
  it('reads both MAC tables with little-endian counts and refuses a count that overruns the data', () => {
    const f = featureSet(VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_RX);
    const req = ctrlMacTable([parseMac('02:00:00:00:00:01')], [parseMac('01:00:5e:00:00:01'), parseMac('33:33:00:00:00:01')]);
    expect([...req.subarray(2, 6)]).toEqual([1, 0, 0, 0]);
    const p = parseControl(req, f, 1);
    expect(p.ok && p.command.kind === 'mac-table' && [p.command.unicast.length, p.command.multicast.length]).toEqual([1, 2]);
    const huge = new Uint8Array([VIRTIO_NET_CTRL_MAC, 0, 0xff, 0xff, 0xff, 0x7f]);
    expect(parseControl(huge, f, 1)).toMatchObject({ ok: false });
  });
});
