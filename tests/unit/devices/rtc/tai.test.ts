// The TAI clock a guest reads against the gPTP time the host is disciplined to: the offset
// bound, loss of synchronization, and two guests sharing one time base.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/rtc/protocol.ts';
import { extrapolate } from '../../../../src/lib/devices/rtc/driver.ts';
import { abs, guest, world } from './harness.ts';

describe.each(RING_TYPES)('RTC TAI clock against gPTP (%s ring)', (ring) => {
  it('[AVP-RTC-12] [AVP-TSN-16] a TAI read and a cross-timestamp extrapolated by the counter stay within the host offset plus one counter period of gPTP time', () => {
    const g = guest(ring);
    for (const residual of [0, 200, -350, 999, -1000]) {
      g.host.discipline(residual);
      g.base.advance(1_000_037n);
      const r = g.drv.read(0) as bigint;
      expect(r - g.gptp.ns).toBe(BigInt(residual));
      const x = g.drv.readCross(0, P.VIRTIO_RTC_COUNTER_ARM_VCT);
      if ('status' in x) throw new Error(`status ${x.status}`);
      // The guest reads its counter later, without asking the device, and extrapolates.
      g.base.advance(123_457n);
      const guess = extrapolate(x, g.vct.cycles, g.vct.hz);
      expect(abs(guess - g.gptp.ns)).toBeLessThanOrEqual(abs(BigInt(residual)) + g.vct.periodNs);
      expect(abs(guess - g.gptp.ns)).toBeLessThanOrEqual(g.dev.boundNs + g.vct.periodNs);
    }
  });

  it('[AVP-RTC-13] [AVP-TSN-16] answers EIO for TAI and UTC reads until the host is synchronized and once its error passes the bound; monotonic goes on', () => {
    const w = world();
    const g = guest(ring, { host: w.host }, w); // the host has never synchronized
    expect(g.drv.read(0)).toEqual({ status: P.VIRTIO_RTC_S_EIO });
    expect(g.drv.read(1)).toEqual({ status: P.VIRTIO_RTC_S_EIO });
    expect(g.drv.readCross(0, P.VIRTIO_RTC_COUNTER_ARM_VCT)).toEqual({ status: P.VIRTIO_RTC_S_EIO });
    expect(typeof g.drv.read(2)).toBe('bigint');
    g.host.discipline(1_001); // locked, but outside the 1 µs bound
    expect(g.drv.read(0)).toEqual({ status: P.VIRTIO_RTC_S_EIO });
    g.host.discipline(100);
    expect(typeof g.drv.read(0)).toBe('bigint');
    g.host.loseSync(50); // 50 ppb: 900 ns more takes 18 s
    g.base.advance(18_000_000_000n);
    expect(typeof g.drv.read(0)).toBe('bigint');
    g.base.advance(20_000_000n); // one more nanosecond of error
    expect(g.drv.read(0)).toEqual({ status: P.VIRTIO_RTC_S_EIO });
    expect(g.drv.read(1)).toEqual({ status: P.VIRTIO_RTC_S_EIO });
    // Capabilities do not change with synchronization.
    expect(g.drv.send(P.VIRTIO_RTC_REQ_CROSS_CAP, { clockId: 0, hwCounter: P.VIRTIO_RTC_COUNTER_ARM_VCT }).data[8]).toBe(P.VIRTIO_RTC_FLAG_CROSS_CAP);
    g.host.discipline(-20);
    expect((g.drv.read(0) as bigint) - g.gptp.ns).toBe(-20n);
  });

  it('[AVP-RTC-14] [AVP-TSN-16] keeps answering in holdover within the bound, counting forward, with the error the drift gives', () => {
    const g = guest(ring);
    g.host.discipline(100);
    g.host.loseSync(-40);
    let last = g.drv.read(0) as bigint;
    for (let i = 0; i < 10; i++) {
      g.base.advance(2_000_000_000n); // 20 s in all: 800 ns of drift
      const r = g.drv.read(0) as bigint;
      expect(r).toBeGreaterThan(last);
      expect(abs(r - g.gptp.ns)).toBeLessThanOrEqual(g.dev.boundNs);
      last = r;
    }
    expect(last - g.gptp.ns).toBe(100n - 800n);
  });

  it('[AVP-RTC-16] two guests read the same TAI at the same instant, and nothing one sends changes the other\'s clock', () => {
    const w = world();
    const a = guest(ring, {}, w);
    const b = guest(ring, { timebase: w.base, host: w.host, counters: [w.vct] }, w);
    w.base.advance(777);
    const before = a.drv.read(0);
    a.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, alarmTime: 1n, flags: 1 });
    a.drv.raw([new Uint8Array(64).fill(0xff)], [64]);
    for (let t = 0; t < 0x1010; t += 0x101) a.drv.raw([P.encodeRequest(t, { clockId: 0 })], [24]);
    expect(b.drv.read(0)).toBe(before);
    expect(a.drv.read(0)).toBe(before);
  });
});
