// The requestq of the RTC device (VIRTIO 1.4 §5.23.6): control requests, reads and
// cross-timestamps, and the status of every request the device cannot execute.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/rtc/protocol.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { RtcDriver } from '../../../../src/lib/devices/rtc/driver.ts';
import { GuestCounter } from '../../../../src/lib/devices/rtc/timebase.ts';
import { guest, needsReset } from './harness.ts';

const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

describe.each(RING_TYPES)('RTC requestq (%s ring)', (ring) => {
  it('[AVP-RTC-1] offers a TAI, a UTC and a monotonic clock by default', () => {
    const g = guest(ring);
    expect(g.drv.numClocks()).toBe(3);
    expect([0, 1, 2].map((id) => g.drv.clockType(id))).toEqual([P.VIRTIO_RTC_CLOCK_TAI, P.VIRTIO_RTC_CLOCK_UTC, P.VIRTIO_RTC_CLOCK_MONOTONIC]);
    const cap = g.drv.send(P.VIRTIO_RTC_REQ_CLOCK_CAP, { clockId: 0 });
    expect(cap.len).toBe(16);
    expect([...cap.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, P.VIRTIO_RTC_CLOCK_TAI, P.VIRTIO_RTC_SMEAR_UNSPECIFIED, 0, 0, 0, 0, 0, 0]);
  });

  it('[AVP-RTC-2] answers CFG, CLOCK_CAP and CROSS_CAP the same way every time, across a reset too', () => {
    const g = guest(ring);
    const ask = () =>
      [
        g.drv.send(P.VIRTIO_RTC_REQ_CFG),
        ...[0, 1, 2].map((clockId) => g.drv.send(P.VIRTIO_RTC_REQ_CLOCK_CAP, { clockId })),
        g.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId: 0, hwCounter: P.VIRTIO_RTC_COUNTER_ARM_VCT }),
        g.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId: 0, hwCounter: P.VIRTIO_RTC_COUNTER_X86_TSC }),
      ].map((r) => [...r.data]);
    const first = ask();
    g.base.advance(5_000_000_000n);
    g.host.discipline(-90);
    expect(ask()).toEqual(first);
    // A new driver resets the device and negotiates again.
    g.lb = new Loopback(g.dev, { ring });
    g.drv = new RtcDriver(g.lb);
    expect(ask()).toEqual(first);
  });

  it('[AVP-RTC-3] answers ENODEV for a clock ID at or past num_clocks', () => {
    const g = guest(ring);
    for (const t of [P.VIRTIO_RTC_REQ_READ, P.VIRTIO_RTC_REQ_CLOCK_CAP, P.VIRTIO_RTC_REQ_READ_CROSS, P.VIRTIO_RTC_REQ_CROSS_CAP]) {
      expect(g.drv.send(t, { clockId: 3 }).status).toBe(P.VIRTIO_RTC_S_ENODEV);
      expect(g.drv.send(t, { clockId: 0xffff }).status).toBe(P.VIRTIO_RTC_S_ENODEV);
    }
    const none = guest(ring, { clocks: [] });
    expect(none.drv.numClocks()).toBe(0);
    expect(none.drv.send(P.VIRTIO_RTC_REQ_READ, { clockId: 0 }).status).toBe(P.VIRTIO_RTC_S_ENODEV);
  });

  it('[AVP-RTC-4] answers EOPNOTSUPP for an unknown msg_type and for a hw_counter it neither knows nor finds described', () => {
    const g = guest(ring);
    const head = new Uint8Array(16);
    for (const t of [0x0000, 0x0003, 0x1006, 0x2000, 0xffff]) {
      new DataView(head.buffer).setUint16(0, t, true);
      expect(g.drv.raw([head], [24]).status).toBe(P.VIRTIO_RTC_S_EOPNOTSUPP);
    }
    for (const hwCounter of [2, 0x7f, 0xf0, 0xfe]) {
      expect(g.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId: 0, hwCounter }).status).toBe(P.VIRTIO_RTC_S_EOPNOTSUPP);
      expect(g.drv.send(P.VIRTIO_RTC_REQ_READ_CROSS, { clockId: 0, hwCounter }).status).toBe(P.VIRTIO_RTC_S_EOPNOTSUPP);
    }
    // An experimental counter the implementation does know is not refused.
    const exp = guest(ring, { counters: [new GuestCounter(g.base, { id: 0xf3, hz: 1_000_000_000 })] });
    expect(exp.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId: 0, hwCounter: 0xf3 }).data[8]).toBe(P.VIRTIO_RTC_FLAG_CROSS_CAP);
  });

  it('[AVP-RTC-5] answers EINVAL for a short request, a short response buffer, a non-zero reserved byte, an undefined flag or hw_counter INVALID', () => {
    const g = guest(ring);
    const read = P.encodeRequest(P.VIRTIO_RTC_REQ_READ, { clockId: 2 });
    expect(g.drv.raw([read.subarray(0, 6)], [16]).status).toBe(P.VIRTIO_RTC_S_EINVAL);
    expect(g.drv.raw([read.subarray(0, 12)], [16]).status).toBe(P.VIRTIO_RTC_S_EINVAL);
    expect(g.drv.raw([read], [15]).status).toBe(P.VIRTIO_RTC_S_EINVAL);
    for (const at of [2, 7, 10, 15]) {
      const bad = read.slice();
      bad[at] = 1;
      expect(g.drv.raw([bad], [16]).status).toBe(P.VIRTIO_RTC_S_EINVAL);
    }
    expect(g.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, flags: 0x02 }).status).toBe(P.VIRTIO_RTC_S_EINVAL);
    expect(g.drv.send(P.VIRTIO_RTC_REQ_READ_CROSS, { clockId: 0, hwCounter: P.VIRTIO_RTC_COUNTER_INVALID }).status).toBe(P.VIRTIO_RTC_S_EINVAL);
    // Extra readable or writable room is ignored; a request split over descriptors is whole.
    const ok = g.drv.raw([read.subarray(0, 3), read.subarray(3), new Uint8Array(9).fill(0xee)], [4, 40]);
    expect([ok.status, ok.len]).toEqual([P.VIRTIO_RTC_S_OK, 16]);
  });

  it('[AVP-RTC-6] writes an error as the 8-byte head alone, or what fits of it, and nothing without room', () => {
    const g = guest(ring);
    const r = g.drv.raw([P.encodeRequest(P.VIRTIO_RTC_REQ_READ, { clockId: 9 })], [24]);
    expect([r.len, ...r.data]).toEqual([8, P.VIRTIO_RTC_S_ENODEV, 0, 0, 0, 0, 0, 0, 0]);
    const tiny = g.drv.raw([P.encodeRequest(P.VIRTIO_RTC_REQ_READ_CROSS, { clockId: 0 })], [3]);
    expect([tiny.len, ...tiny.data]).toEqual([3, P.VIRTIO_RTC_S_EINVAL, 0, 0]);
    expect(g.drv.raw([P.encodeRequest(P.VIRTIO_RTC_REQ_CFG)], []).len).toBe(0);
  });

  it('[AVP-RTC-7] never needs a reset for what a request holds, only for a broken ring', () => {
    const g = guest(ring);
    for (const junk of [new Uint8Array(0), new Uint8Array(1), new Uint8Array(64).fill(0xff), P.encodeRequest(0x1000).fill(7)]) g.drv.raw(junk.length ? [junk] : [], [16]);
    g.drv.raw([P.encodeRequest(P.VIRTIO_RTC_REQ_READ)], []);
    expect(needsReset(g)).toBe(false);
    expect(g.drv.read(2)).toBe(0n);
    g.lb.queues[P.RTC_REQUESTQ].add([{ addr: 0x7fff_0000, len: 16, writable: false }]);
    g.dev.queueNotify(P.RTC_REQUESTQ);
    expect(needsReset(g)).toBe(true);
  });

  it('[AVP-RTC-8] reads the monotonic clock in nanoseconds, never backwards, whatever the host clock does', () => {
    const g = guest(ring);
    const seen: bigint[] = [];
    for (const [d, residual] of [[0, 200], [1_500, -5_000_000], [7, 300], [1_000_000_000, 0]] as const) {
      g.base.advance(d);
      g.host.discipline(residual); // a step of the host clock does not touch the monotonic clock
      seen.push(g.drv.read(2) as bigint);
    }
    expect(seen).toEqual([0n, 1_500n, 1_507n, 1_000_001_507n]);
  });

  it('[AVP-RTC-9] sets CROSS_CAP exactly for the pairs READ_CROSS serves', () => {
    const g = guest(ring);
    for (const clockId of [0, 1, 2]) {
      for (const hwCounter of [P.VIRTIO_RTC_COUNTER_ARM_VCT, P.VIRTIO_RTC_COUNTER_X86_TSC]) {
        const cap = g.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId, hwCounter });
        expect(cap.status).toBe(P.VIRTIO_RTC_S_OK);
        const read = g.drv.send(P.VIRTIO_RTC_REQ_READ_CROSS, { clockId, hwCounter });
        expect(cap.data[8] === P.VIRTIO_RTC_FLAG_CROSS_CAP).toBe(read.status === P.VIRTIO_RTC_S_OK);
      }
    }
  });

  it('[AVP-RTC-10] returns the counter value of the instant of the reading', () => {
    const g = guest(ring);
    g.base.advance(3_000_000_123n);
    const x = g.drv.readCross(2, P.VIRTIO_RTC_COUNTER_ARM_VCT);
    if ('status' in x) throw new Error(`status ${x.status}`);
    expect(x.reading).toBe(3_000_000_123n);
    expect(x.cycles).toBe(g.vct.cycles);
    expect(x.cycles).toBe(123_456_789n + 75_000_003n);
  });

  it('[AVP-RTC-11] cross-timestamps the TAI clock against the Arm virtual counter', () => {
    const g = guest(ring);
    expect(g.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId: 0, hwCounter: P.VIRTIO_RTC_COUNTER_ARM_VCT }).data[8]).toBe(P.VIRTIO_RTC_FLAG_CROSS_CAP);
  });

  it('[AVP-RTC-15] keeps the UTC clock at TAI minus the TAI−UTC offset, on the 1970 epoch', () => {
    const g = guest(ring);
    g.base.advance(42);
    const tai = g.drv.read(0) as bigint;
    expect(g.drv.read(1)).toBe(tai - 37_000_000_000n);
    expect(u16(P.encodeRequest(P.VIRTIO_RTC_REQ_READ, { clockId: 1 }), 8)).toBe(1);
  });
});
