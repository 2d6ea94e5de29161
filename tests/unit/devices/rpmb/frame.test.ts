// The frame layout, its big-endian fields, and the MAC the device computes.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as F from '../../../../src/lib/devices/rpmb/frame.ts';
import { hmacSha256, macEqual } from '../../../../src/lib/devices/rpmb/hmac.ts';
import { writeRequest } from '../../../../src/lib/devices/rpmb/requests.ts';
import { KEY } from './harness.ts';

describe('RPMB frame', () => {
  it('[AVP-RPMB-3] is 512 bytes with the fields at their offsets, multi-byte fields big-endian', () => {
    const b = F.encodeFrame({ writeCounter: 0x01020304, address: 0x0506, blockCount: 0x0708, result: 0x090a, reqResp: 0x0b0c, nonce: new Uint8Array(16).fill(0xee) });
    expect(b.length).toBe(512);
    expect([...b.subarray(500, 512)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(b[484]).toBe(0xee);
    expect(b[499]).toBe(0xee);
    expect(F.RPMB_KEY_MAC + 32).toBe(F.RPMB_DATA);
    expect(F.RPMB_DATA + 256).toBe(F.RPMB_NONCE);
    const d = F.decodeFrame(b);
    expect([d.writeCounter, d.address, d.blockCount, d.result, d.reqResp]).toEqual([0x01020304, 0x0506, 0x0708, 0x090a, 0x0b0c]);
  });

  it('[AVP-RPMB-13] computes HMAC-SHA256 as node:crypto does, over bytes 228 to 511 of each frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.uint8Array({ maxLength: 700 }), (k, m) => {
        const ours = hmacSha256(k, m);
        const theirs = new Uint8Array(createHmac('sha256', Buffer.from(k)).update(Buffer.from(m)).digest());
        expect(macEqual(ours, theirs)).toBe(true);
      }),
      { numRuns: 60 },
    );
    const frames = writeRequest(KEY, 7, 2, new Uint8Array(512).fill(3), { resultRead: false });
    const message = Buffer.concat(frames.map((f) => Buffer.from(f.subarray(228, 512))));
    expect(message.length).toBe(2 * 284);
    const mac = createHmac('sha256', Buffer.from(KEY)).update(message).digest();
    expect(Buffer.from(frames[1].subarray(196, 228)).equals(mac)).toBe(true);
    expect(frames[0].subarray(196, 228).every((x) => x === 0)).toBe(true); // the MAC is in the last frame only
  });

  it('names results, with the expired flag', () => {
    expect(F.resultName(F.VIRTIO_RPMB_RES_AUTH_FAILURE)).toBe('AUTH_FAILURE');
    expect(F.resultName(F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED)).toBe('WRITE_COUNTER_EXPIRED');
    expect(F.resultName(0x0084)).toBe('ADDR_FAILURE+EXPIRED');
  });
});
