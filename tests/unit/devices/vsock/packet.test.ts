// The packet codec (§5.10.6): header layout, constants, events, RST replies.
import { describe, expect, it } from 'vitest';
import * as P from '../../../../src/lib/devices/vsock/packet.ts';

describe('struct virtio_vsock_hdr', () => {
  it('is 44 bytes with the fields at the offsets VIRTIO gives', () => {
    expect(P.VSOCK_HDR_SIZE).toBe(44);
    expect([P.VSOCK_HDR_SRC_CID, P.VSOCK_HDR_DST_CID, P.VSOCK_HDR_SRC_PORT, P.VSOCK_HDR_DST_PORT, P.VSOCK_HDR_LEN, P.VSOCK_HDR_TYPE, P.VSOCK_HDR_OP, P.VSOCK_HDR_FLAGS, P.VSOCK_HDR_BUF_ALLOC, P.VSOCK_HDR_FWD_CNT])
      .toEqual([0, 8, 16, 20, 24, 28, 30, 32, 36, 40]);
    const b = P.encodeHdr({ srcCid: 0x0102030405060708n, dstCid: 2n, srcPort: 0x11223344, dstPort: 5000, len: 7, type: 1, op: 5, flags: 3, bufAlloc: 0xa0b0c0d0, fwdCnt: 0xffffffff });
    const v = new DataView(b.buffer);
    expect(b.length).toBe(44);
    expect(v.getBigUint64(0, true)).toBe(0x0102030405060708n);
    expect(b[0]).toBe(0x08); // little-endian
    expect(v.getBigUint64(8, true)).toBe(2n);
    expect(v.getUint32(16, true)).toBe(0x11223344);
    expect(v.getUint32(20, true)).toBe(5000);
    expect(v.getUint32(24, true)).toBe(7);
    expect(v.getUint16(28, true)).toBe(1);
    expect(v.getUint16(30, true)).toBe(5);
    expect(v.getUint32(32, true)).toBe(3);
    expect(v.getUint32(36, true)).toBe(0xa0b0c0d0);
    expect(v.getUint32(40, true)).toBe(0xffffffff);
  });

  it('decodes what it encodes, and nothing shorter than a header', () => {
    const h = { srcCid: 3n, dstCid: 0xffffffffffffffffn, srcPort: 1, dstPort: 0xffffffff, len: 0, type: 2, op: 7, flags: 0, bufAlloc: 1, fwdCnt: 2 };
    expect(P.decodeHdr(P.encodeHdr(h))).toEqual(h);
    expect(P.decodeHdr(new Uint8Array(43))).toBeNull();
    const framed = new Uint8Array(50);
    framed.set(P.encodeHdr(h), 3);
    expect(P.decodeHdr(framed.subarray(3))).toEqual(h);
  });

  it('has the op, type, shutdown, seqpacket and event values of VIRTIO 1.4', () => {
    expect([P.VIRTIO_VSOCK_OP_INVALID, P.VIRTIO_VSOCK_OP_REQUEST, P.VIRTIO_VSOCK_OP_RESPONSE, P.VIRTIO_VSOCK_OP_RST, P.VIRTIO_VSOCK_OP_SHUTDOWN, P.VIRTIO_VSOCK_OP_RW, P.VIRTIO_VSOCK_OP_CREDIT_UPDATE, P.VIRTIO_VSOCK_OP_CREDIT_REQUEST]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([P.VIRTIO_VSOCK_TYPE_STREAM, P.VIRTIO_VSOCK_TYPE_SEQPACKET]).toEqual([1, 2]);
    expect([P.VIRTIO_VSOCK_SHUTDOWN_F_RECEIVE, P.VIRTIO_VSOCK_SHUTDOWN_F_SEND]).toEqual([0, 1]);
    expect([P.VSOCK_SHUTDOWN_RECEIVE, P.VSOCK_SHUTDOWN_SEND, P.VSOCK_SHUTDOWN_BOTH]).toEqual([1, 2, 3]);
    expect([P.VIRTIO_VSOCK_SEQ_EOM, P.VIRTIO_VSOCK_SEQ_EOR]).toEqual([1, 2]);
    expect(P.VIRTIO_VSOCK_EVENT_TRANSPORT_RESET).toBe(0);
    expect(P.VSOCK_EVENT_SIZE).toBe(4);
    expect([0, 1, 7, 8, 0xffff].map(P.isKnownOp)).toEqual([false, true, true, false, false]);
    expect(P.opName(6)).toBe('CREDIT_UPDATE');
    expect(P.opName(9)).toBe('op 9');
  });
});

describe('packets', () => {
  it('take exactly len payload bytes and ignore the rest', () => {
    const p = P.makePacket({ srcCid: 3n, dstCid: 2n, srcPort: 9, dstPort: 10, type: 1, op: 5, flags: 0, bufAlloc: 100, fwdCnt: 0 }, new Uint8Array([1, 2, 3]));
    expect(p.hdr.len).toBe(3);
    const bytes = P.encodePacket(p);
    expect(bytes.length).toBe(47);
    const longer = new Uint8Array(60);
    longer.set(bytes);
    expect(P.decodePacket(longer)).toEqual(p);
    expect(P.decodePacket(bytes.subarray(0, 46))).toBeNull(); // len runs past the bytes
  });

  it('answer with a RST that swaps the addresses and keeps the type', () => {
    const p = P.makePacket({ srcCid: 3n, dstCid: 2n, srcPort: 1024, dstPort: 5000, type: 2, op: 1, flags: 0, bufAlloc: 64, fwdCnt: 0 });
    const r = P.rstReplyTo(p);
    expect(r.hdr).toEqual({ srcCid: 2n, dstCid: 3n, srcPort: 5000, dstPort: 1024, len: 0, type: 2, op: 3, flags: 0, bufAlloc: 0, fwdCnt: 0 });
    expect(P.rstBetween({ cid: 4n, port: 1 }, { cid: 5n, port: 2 }, 1).hdr).toMatchObject({ srcCid: 4n, dstCid: 5n, srcPort: 1, dstPort: 2, op: 3, type: 1 });
  });

  it('encode and decode the event of the event queue', () => {
    expect([...P.encodeEvent(P.VIRTIO_VSOCK_EVENT_TRANSPORT_RESET)]).toEqual([0, 0, 0, 0]);
    expect(P.decodeEvent(P.encodeEvent(0x01020304))).toBe(0x01020304);
    expect(P.decodeEvent(new Uint8Array(3))).toBeNull();
  });

  it('describe themselves in one line', () => {
    const p = P.makePacket({ srcCid: 3n, dstCid: 2n, srcPort: 1024, dstPort: 5000, type: 1, op: 4, flags: 3, bufAlloc: 64, fwdCnt: 8 });
    expect(P.describePacket(p)).toBe('3:1024 -> 2:5000 SHUTDOWN len 0 (stream) flags 0x3 buf_alloc 64 fwd_cnt 8');
  });
});
