// The rpmsg wire format as Linux lays it out: the 16-byte header and the 40-byte name-service
// announcement, checked byte by byte against layouts written out here by hand.
import { describe, expect, it } from 'vitest';
import * as P from '../../../../src/lib/devices/rpmsg/protocol.ts';

describe('rpmsg wire format', () => {
  it('[AVP-CORE-4] lays the header out as le32 src, le32 dst, le32 reserved, le16 len, le16 flags', () => {
    const b = P.encodeHeader({ src: 0x0403_0201, dst: 0x0807_0605, reserved: 0x0c0b_0a09, len: 0x0e0d, flags: 0x100f });
    expect([...b]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(P.decodeHeader(b)).toEqual({ src: 0x0403_0201, dst: 0x0807_0605, reserved: 0x0c0b_0a09, len: 0x0e0d, flags: 0x100f });
    expect([P.RPMSG_HDR_SIZE, P.RPMSG_BUF_SIZE, P.RPMSG_MAX_PAYLOAD]).toEqual([16, 512, 496]);
    const m = P.encodeMessage(1, 2, Uint8Array.of(0xaa, 0xbb));
    expect([...m]).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb]);
  });

  it('[AVP-CORE-17] lays an announcement out as a NUL-padded 32-byte name, le32 addr, le32 flags; names of 32 bytes or more are refused', () => {
    const b = P.encodeNs({ name: 'echo', addr: 0x400, flags: P.RPMSG_NS_DESTROY });
    expect(b.length).toBe(40);
    expect([...b.subarray(0, 5)]).toEqual([0x65, 0x63, 0x68, 0x6f, 0]);
    expect([...b.subarray(4, 32)]).toEqual(new Array(28).fill(0));
    expect([...b.subarray(32)]).toEqual([0, 4, 0, 0, 1, 0, 0, 0]);
    expect(P.decodeNs(b)).toEqual({ name: 'echo', addr: 0x400, flags: 1 });
    expect(() => P.encodeNs({ name: 'x'.repeat(32), addr: 1, flags: 0 })).toThrow(RangeError);
    expect(P.encodeNs({ name: 'x'.repeat(31), addr: 1, flags: 0 })[31]).toBe(0);
    expect([P.RPMSG_NS_ADDR, P.RPMSG_NS_CREATE, P.RPMSG_NS_DESTROY, P.RPMSG_NAME_SIZE, P.RPMSG_NS_MSG_SIZE]).toEqual([53, 0, 1, 32, 40]);
  });

  it('[AVP-CORE-25] reads any flags with bit 0 set as DESTROY, as rpmsg_ns_cb does', () => {
    expect([0, 1, 2, 3, 0xffff_ffff].map(P.isDestroy)).toEqual([false, true, false, true, true]);
  });
});
