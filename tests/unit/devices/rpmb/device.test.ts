// The RPMB device (VIRTIO 1.4 §5.12) request by request, on both ring layouts: key
// programming, the counter, authenticated writes and reads, the result read, and every way a
// request is refused.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { RpmbDevice, VIRTIO_ID_RPMB } from '../../../../src/lib/devices/rpmb/device.ts';
import { loopbackExchange, RpmbClient, textBlocks } from '../../../../src/lib/devices/rpmb/client.ts';
import * as F from '../../../../src/lib/devices/rpmb/frame.ts';
import { counterRequest, programKeyRequest, readRequest, resultReadFrame, writeRequest } from '../../../../src/lib/devices/rpmb/requests.ts';
import { MemoryRpmbStore } from '../../../../src/lib/devices/rpmb/store.ts';
import { hmacSha256 } from '../../../../src/lib/devices/rpmb/hmac.ts';
import { KEY, needsReset, OTHER_KEY, rig, send } from './harness.ts';

const NONCE = new Uint8Array(16).fill(0x42);
const block = (b: number, n = 1) => new Uint8Array(256 * n).fill(b);

describe.each(RING_TYPES)('RPMB device and configuration (%s ring)', (ring) => {
  it('[AVP-RPMB-1] has device ID 28, one request queue and no feature bits', () => {
    const r = rig(ring, {}, false);
    expect(r.dev.deviceId).toBe(VIRTIO_ID_RPMB);
    expect(VIRTIO_ID_RPMB).toBe(28);
    expect(r.dev.queueCount()).toBe(1);
    expect(r.lb.queues.length).toBe(1);
    expect(r.dev.offeredFeatures() & 0xffffffn).toBe(0n);
  });

  it('[AVP-RPMB-2] reports capacity, max_wr_cnt and max_rd_cnt, ignores driver writes, and refuses a capacity outside 1 to 0x80', () => {
    const r = rig(ring, { capacity: 3, maxWrCnt: 2, maxRdCnt: 0 }, false);
    expect([...r.dev.config.read(0, 3)]).toEqual([3, 2, 0]);
    r.dev.writeConfig(0, Uint8Array.of(9, 9, 9));
    expect([...r.dev.config.read(0, 3)]).toEqual([3, 2, 0]);
    for (const capacity of [0, 0x81]) expect(() => new RpmbDevice({ store: new MemoryRpmbStore({ capacity, maxWrCnt: 1, maxRdCnt: 1 }) })).toThrow(RangeError);
    expect(() => new RpmbDevice({ store: new MemoryRpmbStore({ capacity: 0x80, maxWrCnt: 1, maxRdCnt: 1 }) })).not.toThrow();
  });
});

describe.each(RING_TYPES)('RPMB chains (%s ring)', (ring) => {
  it('[AVP-RPMB-3] reads the request across any descriptor split and writes the answer across the writable buffers', () => {
    const r = rig(ring);
    const req = writeRequest(KEY, 0, 5, block(0x5a, 2));
    const bytes = F.concatBytes(req);
    const parts = [bytes.subarray(0, 100), bytes.subarray(100, 700), bytes.subarray(700)];
    const c = r.lb.request(0, parts, [300, 212]);
    expect(c.len).toBe(512);
    const ans = F.decodeFrame(c.data);
    expect([ans.reqResp, ans.result, ans.writeCounter]).toEqual([F.VIRTIO_RPMB_RESP_DATA_WRITE, 0, 1]);
    expect([...r.client.read(5, 2).data!]).toEqual([...block(0x5a, 2)]);
  });

  it('[AVP-RPMB-4] [AVP-RPMB-5] hands back a chain that is not whole frames with used length 0, counts it, and keeps working', () => {
    const r = rig(ring);
    for (const parts of [[new Uint8Array(511)], [new Uint8Array(513)], [new Uint8Array(1024), new Uint8Array(3)]]) {
      expect(r.lb.request(0, parts, [512]).len).toBe(0);
    }
    expect(r.lb.request(0, [], [512]).len).toBe(0);
    expect(r.dev.chains.badLength).toBe(4);
    expect(needsReset(r)).toBe(false);
    expect(r.client.readCounter().counter).toBe(0);
  });

  it('[AVP-RPMB-5] enters DEVICE_NEEDS_RESET for a broken ring, not for what a frame holds', () => {
    const r = rig(ring);
    for (let i = 0; i < 4; i++) send(r, [new Uint8Array(512).fill(0xff)]);
    expect(needsReset(r)).toBe(false);
    r.lb.queues[0].add([{ addr: 0x7fff_0000, len: 512, writable: false }]);
    r.dev.queueNotify(0);
    expect(needsReset(r)).toBe(true);
  });

  it('[AVP-RPMB-27] answers an unknown request type with GENERAL_FAILURE and req_resp 0', () => {
    const r = rig(ring);
    for (const t of [0x0000, 0x0006, 0x0100, 0xffff]) {
      const a = send(r, [F.encodeFrame({ reqResp: t, blockCount: 1 })]);
      expect(a.len).toBe(512);
      expect([a.frames[0].result, a.frames[0].reqResp]).toEqual([F.VIRTIO_RPMB_RES_GENERAL_FAILURE, 0]);
    }
    expect(r.dev.stats.requests.other).toBe(4);
  });
});

describe.each(RING_TYPES)('RPMB key programming (%s ring)', (ring) => {
  it('[AVP-RPMB-25] programs the key and answers with RESP_PROGRAM_KEY when RESULT_READ follows; without it, writes nothing', () => {
    const r = rig(ring, {}, false);
    const a = send(r, programKeyRequest(KEY));
    expect([a.frames[0].reqResp, a.frames[0].result]).toEqual([F.VIRTIO_RPMB_RESP_PROGRAM_KEY, F.VIRTIO_RPMB_RES_OK]);
    expect([...r.store.key()!]).toEqual([...KEY]);
    const r2 = rig(ring, {}, false);
    expect(send(r2, programKeyRequest(KEY, { resultRead: false })).len).toBe(0);
    expect(r2.store.key()).not.toBeNull();
  });

  it('[AVP-RPMB-7] refuses a second key with WRITE_FAILURE, keeps the first, and counts the attempt', () => {
    const r = rig(ring);
    const a = send(r, programKeyRequest(OTHER_KEY));
    expect(a.frames[0].result).toBe(F.VIRTIO_RPMB_RES_WRITE_FAILURE);
    expect([...r.store.key()!]).toEqual([...KEY]);
    expect(r.dev.stats.keyReprogramRefused).toBe(1);
    expect(r.client.write(0, block(1)).result).toBe(0); // the first key still works
  });

  it('[AVP-RPMB-10] answers PROGRAM_KEY, GET_WRITE_COUNTER and RESULT_READ with a block_count other than 1 with GENERAL_FAILURE', () => {
    const r = rig(ring, {}, false);
    const key0 = F.encodeFrame({ reqResp: F.VIRTIO_RPMB_REQ_PROGRAM_KEY, keyMac: KEY, blockCount: 0 });
    expect(send(r, [key0, resultReadFrame()]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    expect(r.store.key()).toBeNull();
    const key1 = F.encodeFrame({ reqResp: F.VIRTIO_RPMB_REQ_PROGRAM_KEY, keyMac: KEY, blockCount: 1 });
    const rr2 = F.encodeFrame({ reqResp: F.VIRTIO_RPMB_REQ_RESULT_READ, blockCount: 2 });
    expect(send(r, [key1, rr2]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    expect(r.store.key()).toBeNull();
    send(r, programKeyRequest(KEY));
    const cnt = F.encodeFrame({ reqResp: F.VIRTIO_RPMB_REQ_GET_WRITE_COUNTER, nonce: NONCE, blockCount: 2 });
    expect(send(r, [cnt]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    expect(send(r, [F.encodeFrame({ reqResp: F.VIRTIO_RPMB_REQ_RESULT_READ, blockCount: 0 })]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
  });

  it('[AVP-RPMB-9] never returns the key in a response or the configuration', () => {
    const r = rig(ring);
    r.client.write(0, block(2));
    const seen = [
      ...send(r, programKeyRequest(KEY)).frames,
      ...send(r, counterRequest(NONCE)).frames,
      ...send(r, readRequest(NONCE, 0, 2), 2).frames,
      ...send(r, [resultReadFrame()]).frames,
    ];
    for (const f of seen) expect([...f.keyMac]).not.toEqual([...KEY]);
    expect(F.toHex(r.dev.config.bytes)).not.toContain(F.toHex(KEY.subarray(0, 3)));
  });
});

describe.each(RING_TYPES)('RPMB write counter (%s ring)', (ring) => {
  it('[AVP-RPMB-11] answers GET_WRITE_COUNTER, DATA_WRITE and DATA_READ with NO_AUTH_KEY before a key is programmed', () => {
    const r = rig(ring, {}, false);
    expect(send(r, counterRequest(NONCE)).frames[0].result).toBe(F.VIRTIO_RPMB_RES_NO_AUTH_KEY);
    expect(send(r, writeRequest(KEY, 0, 0, block(1))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_NO_AUTH_KEY);
    expect(send(r, readRequest(NONCE, 0, 1)).frames[0].result).toBe(F.VIRTIO_RPMB_RES_NO_AUTH_KEY);
    expect(r.store.writes).toBe(0);
  });

  it('[AVP-RPMB-12] returns the counter with the request nonce and a MAC under the key', () => {
    const r = rig(ring);
    r.client.write(0, block(1));
    const req = counterRequest(NONCE);
    const c = r.lb.request(0, req, [512]);
    const f = F.decodeFrame(c.data);
    expect([f.reqResp, f.result, f.writeCounter]).toEqual([F.VIRTIO_RPMB_RESP_GET_COUNTER, 0, 1]);
    expect([...f.nonce]).toEqual([...NONCE]);
    expect([...f.keyMac]).toEqual([...hmacSha256(KEY, c.data.subarray(228, 512))]);
  });

  it('[AVP-RPMB-28] the requester refuses a counter answer whose MAC or nonce does not verify', () => {
    const r = rig(ring);
    const wrongKey = new RpmbClient(loopbackExchange(r.lb), { key: OTHER_KEY });
    expect(wrongKey.readCounter().verified).toBe(false);
    expect(wrongKey.readCounter().counter).toBeNull();
    // A device that answers with an old nonce (a replayed answer) is not believed either.
    const recorded = send(r, counterRequest(NONCE)).frames;
    const replaying = new RpmbClient(() => [F.encodeFrame({ ...recorded[0] })], { key: KEY });
    expect(replaying.readCounter().verified).toBe(false);
  });
});

describe.each(RING_TYPES)('RPMB authenticated write (%s ring)', (ring) => {
  it('[AVP-RPMB-13] [AVP-RPMB-20] applies a write whose MAC and counter match, and answers with the new counter, the address and a MAC', () => {
    const r = rig(ring);
    const c = r.lb.request(0, writeRequest(KEY, 0, 7, block(0x11, 3)), [512]);
    const f = F.decodeFrame(c.data);
    expect([f.reqResp, f.result, f.writeCounter, f.address]).toEqual([F.VIRTIO_RPMB_RESP_DATA_WRITE, 0, 1, 7]);
    expect([...f.keyMac]).toEqual([...hmacSha256(KEY, c.data.subarray(228, 512))]);
    expect(r.store.counter()).toBe(1);
    expect([...r.store.read(7, 3)!]).toEqual([...block(0x11, 3)]);
    expect(r.dev.stats.writesApplied).toBe(1);
    expect(r.dev.stats.blocksWritten).toBe(3);
  });

  it('[AVP-RPMB-15] refuses a replayed write (an old counter) with COUNT_FAILURE, counts it and writes nothing', () => {
    const r = rig(ring);
    expect(r.client.write(0, block(0xaa)).result).toBe(0);
    const recorded = r.client.lastWrite;
    expect(r.client.write(0, block(0xbb)).result).toBe(0);
    const a = send(r, recorded);
    expect(a.frames[0].result).toBe(F.VIRTIO_RPMB_RES_COUNT_FAILURE);
    expect(a.frames[0].writeCounter).toBe(2);
    expect(r.dev.stats.replayed).toBe(1);
    expect(r.store.counter()).toBe(2);
    expect(r.client.read(0, 1).data![0]).toBe(0xbb);
    // A counter from the future is refused the same way.
    expect(send(r, writeRequest(KEY, 9, 0, block(0xcc))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_COUNT_FAILURE);
    expect(r.dev.stats.replayed).toBe(2);
  });

  it('[AVP-RPMB-14] refuses a forged or altered write with AUTH_FAILURE, counts it and writes nothing', () => {
    const r = rig(ring);
    const forged = writeRequest(OTHER_KEY, 0, 0, block(0x66));
    expect(send(r, forged).frames[0].result).toBe(F.VIRTIO_RPMB_RES_AUTH_FAILURE);
    const altered = writeRequest(KEY, 0, 0, block(0x66, 2));
    altered[0][300] ^= 1; // one data bit of the first frame, which the MAC in the last one covers
    expect(send(r, altered).frames[0].result).toBe(F.VIRTIO_RPMB_RES_AUTH_FAILURE);
    const moved = writeRequest(KEY, 0, 0, block(0x66));
    moved[0][F.RPMB_ADDRESS + 1] = 1; // redirected to block 1
    expect(send(r, moved).frames[0].result).toBe(F.VIRTIO_RPMB_RES_AUTH_FAILURE);
    expect(r.dev.stats.forged).toBe(3);
    expect(r.store.counter()).toBe(0);
    expect(r.store.writes).toBe(0);
  });

  it('[AVP-RPMB-16] refuses a block count of 0, above max_wr_cnt, or other than the frames sent, with GENERAL_FAILURE', () => {
    const r = rig(ring, { maxWrCnt: 2 });
    expect(send(r, writeRequest(KEY, 0, 0, block(1, 3))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    const two = writeRequest(KEY, 0, 0, block(1, 2), { resultRead: false });
    expect(send(r, [two[0], resultReadFrame()]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE); // says 2, sends 1
    const zero = F.encodeFrame({ reqResp: F.VIRTIO_RPMB_REQ_DATA_WRITE, blockCount: 0 });
    expect(send(r, [zero, resultReadFrame()]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    expect(r.store.writes).toBe(0);
    expect(r.dev.stats.badRequests).toBe(3);
    // max_wr_cnt 0: no limit but the capacity.
    const u = rig(ring, { maxWrCnt: 0 });
    expect(u.client.write(0, block(1, 8)).result).toBe(0);
  });

  it('[AVP-RPMB-17] refuses a write or read reaching past the capacity with ADDR_FAILURE', () => {
    const r = rig(ring, { capacity: 1 }); // 512 blocks
    expect(send(r, writeRequest(KEY, 0, 511, block(1, 2))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE);
    expect(send(r, writeRequest(KEY, 0, 0xffff, block(1))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE);
    expect(send(r, readRequest(NONCE, 512, 1)).frames[0].result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE);
    expect(r.client.write(511, block(1)).result).toBe(0);
    expect(r.dev.stats.addressFailures).toBe(3);
  });

  it('[AVP-RPMB-18] [AVP-RPMB-19] refuses every write once the counter is at 0xFFFFFFFF and flags every later result as expired', () => {
    const r = rig(ring, { initialCounter: 0xffff_fffe });
    // The last write succeeds; its answer already carries the expired flag (OK | 0x80).
    const last = r.client.write(0, block(1));
    expect([last.result, last.counter, last.verified]).toEqual([F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED, 0xffff_ffff, true]);
    expect(r.store.counter()).toBe(0xffff_ffff);
    const a = send(r, writeRequest(KEY, 0xffff_ffff, 0, block(2)));
    expect(a.frames[0].result).toBe(F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED);
    expect(a.frames[0].writeCounter).toBe(0xffff_ffff); // not wrapped to 0
    expect(r.store.counter()).toBe(0xffff_ffff);
    expect(r.dev.stats.expiredWrites).toBe(1);
    const c = r.client.readCounter();
    expect([c.result, c.counter]).toEqual([F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED, 0xffff_ffff]);
    const rd = r.client.read(0, 1);
    expect(rd.result).toBe(F.VIRTIO_RPMB_RES_OK | F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED);
    expect(rd.data![0]).toBe(1);
    expect(send(r, readRequest(NONCE, 600, 1)).frames[0].result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE | 0x80);
  });

  it('[AVP-RPMB-21] reports the first failing check in the order key, count, expiry, address, MAC, counter', () => {
    const r = rig(ring, { maxWrCnt: 2 });
    // Forged and stale: AUTH_FAILURE, because the MAC is checked before the counter.
    expect(send(r, writeRequest(OTHER_KEY, 5, 0, block(1))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_AUTH_FAILURE);
    // Out of range and forged: ADDR_FAILURE.
    expect(send(r, writeRequest(OTHER_KEY, 5, 600, block(1))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_ADDR_FAILURE);
    // Too many blocks and out of range: GENERAL_FAILURE.
    expect(send(r, writeRequest(KEY, 0, 600, block(1, 3))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    const e = rig(ring, { initialCounter: 0xffff_ffff });
    expect(send(e, writeRequest(OTHER_KEY, 1, 600, block(1))).frames[0].result).toBe(F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED);
  });

  it('[AVP-RPMB-22] answers WRITE_FAILURE when the medium fails, leaving the counter', () => {
    const r = rig(ring);
    r.store.failWrites = true;
    expect(r.client.write(0, block(1)).result).toBe(F.VIRTIO_RPMB_RES_WRITE_FAILURE);
    expect(r.store.counter()).toBe(0);
    r.store.failWrites = false;
    r.store.failReads = true;
    expect(r.client.read(0, 1).result).toBe(F.VIRTIO_RPMB_RES_READ_FAILURE);
  });
});

describe.each(RING_TYPES)('RPMB authenticated read (%s ring)', (ring) => {
  it('[AVP-RPMB-23] answers block_count frames with the data, nonce, address and count, one MAC over all in the last', () => {
    const r = rig(ring);
    r.client.write(10, F.concatBytes([block(1), block(2), block(3)]));
    const c = r.lb.request(0, readRequest(NONCE, 10, 3), [1536]);
    expect(c.len).toBe(1536);
    const frames = [0, 1, 2].map((i) => c.data.subarray(512 * i, 512 * (i + 1)));
    frames.map(F.decodeFrame).forEach((f, i) => {
      expect([f.reqResp, f.result, f.address, f.blockCount, f.data[0]]).toEqual([F.VIRTIO_RPMB_RESP_DATA_READ, 0, 10, 3, i + 1]);
      expect([...f.nonce]).toEqual([...NONCE]);
    });
    expect([...F.decodeFrame(frames[2]).keyMac]).toEqual([...hmacSha256(KEY, F.macInput(frames))]);
    expect(F.decodeFrame(frames[0]).keyMac.every((x) => x === 0)).toBe(true);
  });

  it('[AVP-RPMB-24] refuses a read of 0 blocks, above max_rd_cnt, or with room for fewer frames, in one GENERAL_FAILURE frame', () => {
    const r = rig(ring, { maxRdCnt: 2 });
    for (const [n, room] of [[0, 1], [3, 3], [2, 1]]) {
      const a = send(r, readRequest(NONCE, 0, n), room);
      expect(a.len).toBe(512);
      expect([a.frames[0].result, a.frames[0].reqResp, a.frames[0].address]).toEqual([F.VIRTIO_RPMB_RES_GENERAL_FAILURE, F.VIRTIO_RPMB_RESP_DATA_READ, 0]);
      expect([...a.frames[0].nonce]).toEqual([...NONCE]);
    }
    // No room at all: nothing to write into; the request is counted.
    const before = r.dev.stats.badRequests;
    expect(send(r, readRequest(NONCE, 0, 1), 0).len).toBe(0);
    expect(r.dev.stats.badRequests).toBe(before + 1);
  });

  it('[AVP-RPMB-28] the requester refuses read data whose MAC does not verify', () => {
    const r = rig(ring);
    r.client.write(0, block(9));
    const tampering = new RpmbClient((req, room) => {
      const out = loopbackExchange(r.lb)(req, room);
      out[0][F.RPMB_DATA] ^= 0xff; // a man in the middle changes the data
      return out;
    }, { key: KEY });
    const a = tampering.read(0, 1);
    expect(a.verified).toBe(false);
    expect(a.data).toBeNull();
  });
});

describe.each(RING_TYPES)('RPMB result read and persistence (%s ring)', (ring) => {
  it('[AVP-RPMB-26] answers a RESULT_READ on its own with the answer of the last key or write request', () => {
    const r = rig(ring, {}, false);
    expect(send(r, [resultReadFrame()]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_GENERAL_FAILURE);
    send(r, programKeyRequest(KEY, { resultRead: false }));
    expect(send(r, [resultReadFrame()]).frames[0].reqResp).toBe(F.VIRTIO_RPMB_RESP_PROGRAM_KEY);
    expect(send(r, writeRequest(KEY, 0, 4, block(1), { resultRead: false })).len).toBe(0);
    const a = send(r, [resultReadFrame()]).frames[0];
    expect([a.reqResp, a.result, a.writeCounter, a.address]).toEqual([F.VIRTIO_RPMB_RESP_DATA_WRITE, 0, 1, 4]);
    send(r, writeRequest(KEY, 0, 4, block(2), { resultRead: false })); // replayed counter
    expect(send(r, [resultReadFrame()]).frames[0].result).toBe(F.VIRTIO_RPMB_RES_COUNT_FAILURE);
  });

  it('[AVP-RPMB-8] keeps the key, the counter and the data across a device reset and a new device on the same part', () => {
    const r = rig(ring);
    r.client.write(3, block(0x77));
    r.dev.reset();
    const lb2 = new Loopback(r.dev, { ring });
    const c2 = new RpmbClient(loopbackExchange(lb2), { key: KEY });
    expect(c2.readCounter().counter).toBe(1);
    expect(c2.read(3, 1).data![0]).toBe(0x77);
    expect(c2.programKey().result).toBe(F.VIRTIO_RPMB_RES_WRITE_FAILURE);
    const dev3 = new RpmbDevice({ store: r.store });
    const c3 = new RpmbClient(loopbackExchange(new Loopback(dev3, { ring })), { key: KEY });
    expect(c3.write(3, block(0x78)).counter).toBe(2);
  });
});

describe('RPMB requester', () => {
  it('[AVP-RPMB-43] decides whether a write was applied from the authenticated counter, not from the result alone', () => {
    const r = rig('packed', { initialCounter: 0xffff_fffd });
    const ok = r.client.write(0, block(1));
    expect([ok.result, ok.applied]).toEqual([0, true]);
    const last = r.client.write(0, block(2)); // reaches 0xFFFFFFFF: OK with the expired flag
    expect([last.result, last.applied]).toEqual([F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED, true]);
    const refused = r.client.write(0, block(3)); // refused: the same result value
    expect([refused.result, refused.applied, refused.verified]).toEqual([F.VIRTIO_RPMB_RES_WRITE_COUNTER_EXPIRED, false, true]);
    expect(r.client.read(0, 1).data![0]).toBe(2);
  });

  it('[AVP-RPMB-29] uses a new nonce for every counter read and data read', () => {
    const seen: string[] = [];
    const r = rig('split');
    const spy = new RpmbClient((req, room) => {
      seen.push(F.toHex(F.decodeFrame(req[0]).nonce));
      return loopbackExchange(r.lb)(req, room);
    }, { key: KEY });
    spy.readCounter();
    spy.read(0, 1);
    spy.readCounter();
    expect(new Set(seen).size).toBe(3);
  });

  it('[AVP-RPMB-6] puts a request\'s frames, then room for the answer, in one chain', () => {
    const r = rig('split');
    const chains: { out: number[]; room: number[] }[] = [];
    const request = r.lb.request.bind(r.lb);
    r.lb.request = (q, out, inLens, o) => {
      chains.push({ out: out.map((b) => b.length), room: [...inLens] });
      return request(q, out, inLens, o);
    };
    r.client.write(0, block(1, 2)); // counter read, then the write with its RESULT_READ
    r.client.read(0, 3);
    expect(chains).toEqual([
      { out: [512], room: [512] },
      { out: [512, 512, 512], room: [512] },
      { out: [512], room: [1536] },
    ]);
    expect(r.dev.chains.badLength).toBe(0);
  });

  it('builds text blocks of whole blocks', () => {
    expect(textBlocks('ab', 2).length).toBe(512);
  });
});
