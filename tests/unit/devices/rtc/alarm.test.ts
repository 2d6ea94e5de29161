// Alarms (VIRTIO 1.4 §5.23.6.6): the alarm requests, expiry on the monotonic clock, the
// alarmq notification, and what a reset does.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import * as P from '../../../../src/lib/devices/rtc/protocol.ts';
import { RtcDriver } from '../../../../src/lib/devices/rtc/driver.ts';
import { guest } from './harness.ts';

const alarmOf = (d: Uint8Array) => ({ time: new DataView(d.buffer, d.byteOffset).getBigUint64(8, true), enabled: d[16] === 1 });

describe.each(RING_TYPES)('RTC alarms (%s ring)', (ring) => {
  it('[AVP-RTC-17] answers ENODEV to alarm requests without VIRTIO_RTC_F_ALARM or for a clock without an alarm', () => {
    const g = guest(ring, { noAlarmFeature: true });
    expect(g.lb.queues.length).toBe(1);
    expect(g.drv.send(P.VIRTIO_RTC_REQ_CLOCK_CAP, { clockId: 2 }).data[10]).toBe(0);
    for (const t of [P.VIRTIO_RTC_REQ_READ_ALARM, P.VIRTIO_RTC_REQ_SET_ALARM, P.VIRTIO_RTC_REQ_SET_ALARM_ENABLED]) expect(g.drv.send(t, { clockId: 2 }).status).toBe(P.VIRTIO_RTC_S_ENODEV);
    const h = guest(ring);
    expect(h.drv.send(P.VIRTIO_RTC_REQ_CLOCK_CAP, { clockId: 2 }).data[10]).toBe(P.VIRTIO_RTC_FLAG_ALARM_CAP);
    expect(h.drv.send(P.VIRTIO_RTC_REQ_CLOCK_CAP, { clockId: 0 }).data[10]).toBe(0);
    for (const t of [P.VIRTIO_RTC_REQ_READ_ALARM, P.VIRTIO_RTC_REQ_SET_ALARM, P.VIRTIO_RTC_REQ_SET_ALARM_ENABLED]) expect(h.drv.send(t, { clockId: 0 }).status).toBe(P.VIRTIO_RTC_S_ENODEV);
  });

  it('[AVP-RTC-18] expires when the clock reaches the alarm time, or at once for a time passed, with one notification each, and none once disabled', () => {
    const g = guest(ring);
    g.drv.postAlarmBuffers(4);
    expect(g.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, alarmTime: 5_000n, flags: 1 }).status).toBe(P.VIRTIO_RTC_S_OK);
    expect(alarmOf(g.drv.send(P.VIRTIO_RTC_REQ_READ_ALARM, { clockId: 2 }).data)).toEqual({ time: 5_000n, enabled: true });
    g.base.advance(4_999);
    expect(g.drv.alarms()).toEqual([]);
    g.base.advance(1);
    expect(g.drv.alarms()).toEqual([2]);
    g.base.advance(10_000);
    expect(g.drv.alarms()).toEqual([]); // one expiration, one notification
    // Enabling an alarm whose time has passed expires it at once.
    g.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM_ENABLED, { clockId: 2, flags: 0 });
    g.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM_ENABLED, { clockId: 2, flags: 1 });
    expect(g.drv.alarms()).toEqual([2]);
    expect(alarmOf(g.drv.send(P.VIRTIO_RTC_REQ_READ_ALARM, { clockId: 2 }).data).time).toBe(5_000n);
    // Without alarmq buffers the expiration waits; disabling drops it before the response.
    g.drv.postAlarmBuffers(0);
    const h = guest(ring);
    h.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, alarmTime: 10n, flags: 1 });
    h.base.advance(10);
    h.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM_ENABLED, { clockId: 2, flags: 0 });
    h.drv.postAlarmBuffers(1);
    expect(h.drv.alarms()).toEqual([]);
    h.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, alarmTime: 20n, flags: 1 });
    h.base.advance(10);
    expect(h.drv.alarms()).toEqual([2]);
  });

  it('[AVP-RTC-18] hands back an alarmq buffer too small for a notification unused, and keeps the notification', () => {
    const g = guest(ring);
    g.drv.postAlarmBuffers(1, 8);
    g.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, alarmTime: 0n, flags: 1 });
    expect(g.drv.alarms()).toEqual([-1]);
    g.drv.postAlarmBuffers(1);
    expect(g.drv.alarms()).toEqual([2]);
    expect(g.dev.stats.badAlarmBuffers).toBe(1);
  });

  it('[AVP-RTC-19] forgets alarm time and enable across a device reset', () => {
    const g = guest(ring);
    g.drv.send(P.VIRTIO_RTC_REQ_SET_ALARM, { clockId: 2, alarmTime: 1_000_000n, flags: 1 });
    const drv = new RtcDriver(new Loopback(g.dev, { ring }));
    expect(alarmOf(drv.send(P.VIRTIO_RTC_REQ_READ_ALARM, { clockId: 2 }).data)).toEqual({ time: 0n, enabled: false });
    drv.postAlarmBuffers(2);
    g.base.advance(2_000_000);
    expect(drv.alarms()).toEqual([]);
  });
});
