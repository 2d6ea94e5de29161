// Shared set-up for the RTC device tests: a model timebase, a gPTP domain, the host's
// disciplined TAI clock, an Arm virtual counter at 25 MHz, and a device on a Loopback.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { bit } from '../../../../src/lib/virtio/feature-bits.ts';
import { RtcDevice, type RtcDeviceOptions } from '../../../../src/lib/devices/rtc/device.ts';
import { RtcDriver } from '../../../../src/lib/devices/rtc/driver.ts';
import { VIRTIO_RTC_COUNTER_ARM_VCT, VIRTIO_RTC_F_ALARM } from '../../../../src/lib/devices/rtc/protocol.ts';
import { GptpTime, GuestCounter, HostTaiClock, Timebase } from '../../../../src/lib/devices/rtc/timebase.ts';

/** 2026-04-08 00:00:37 TAI, in ns since the TAI epoch. */
export const TAI_AT_ZERO = 1_775_606_437_000_000_000n;

export interface World {
  base: Timebase;
  gptp: GptpTime;
  host: HostTaiClock;
  vct: GuestCounter;
}

export function world(): World {
  const base = new Timebase();
  const gptp = new GptpTime(base, TAI_AT_ZERO);
  const host = new HostTaiClock(gptp);
  const vct = new GuestCounter(base, { id: VIRTIO_RTC_COUNTER_ARM_VCT, hz: 25_000_000, offset: 123_456_789n });
  return { base, gptp, host, vct };
}

export interface Guest extends World {
  dev: RtcDevice;
  lb: Loopback;
  drv: RtcDriver;
}

/** A device over `w` (default a fresh world, the host synchronized with a 200 ns residual). */
export function guest(ring: RingType, opts: Partial<RtcDeviceOptions> & { noAlarmFeature?: boolean } = {}, w: World = world()): Guest {
  if (w.host.sync === 'unsynchronized' && !('host' in opts)) w.host.discipline(200);
  const { noAlarmFeature, ...rest } = opts;
  const dev = new RtcDevice({ timebase: w.base, host: w.host, counters: [w.vct], ...rest });
  const lb = new Loopback(dev, { ring, features: noAlarmFeature ? ~bit(VIRTIO_RTC_F_ALARM) & ((1n << 64n) - 1n) : undefined });
  return { ...w, dev, lb, drv: new RtcDriver(lb) };
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

export const abs = (x: bigint) => (x < 0n ? -x : x);
