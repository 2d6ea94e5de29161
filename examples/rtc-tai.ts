// A guest reads the vehicle network's time from the RTC device: a TAI clock the host disciplines from gPTP, a cross-timestamp against the Arm virtual counter, and what it reads when the host loses synchronization.
import { Loopback, rtc } from '../src/lib/index.ts';

const base = new rtc.Timebase();
const gptp = new rtc.GptpTime(base, 1_775_606_437_000_000_000n);
const host = new rtc.HostTaiClock(gptp);
const vct = new rtc.GuestCounter(base, { id: rtc.VIRTIO_RTC_COUNTER_ARM_VCT, hz: 25_000_000 });
const dev = new rtc.RtcDevice({ timebase: base, host, counters: [vct], boundNs: 1_000n });
const drv = new rtc.RtcDriver(new Loopback(dev, { ring: 'packed' }));

const names = ['UTC', 'TAI', 'MONOTONIC'];
const n = drv.numClocks();
console.log(`${n} clocks: ${Array.from({ length: n }, (_, id) => `${id}=${names[drv.clockType(id)]}`).join(', ')}`);
const show = (r: bigint | { status: number }) => (typeof r === 'bigint' ? `${r} ns` : `status ${r.status}`);

console.log(`before the host synchronizes: TAI ${show(drv.read(0))} (EIO is ${rtc.VIRTIO_RTC_S_EIO}), monotonic ${show(drv.read(2))}`);
host.discipline(180); // the servo locked with a 180 ns residual
base.advance(2_000_000_000n);
const tai = drv.read(0) as bigint;
console.log(`synchronized: TAI ${tai} ns, gPTP ${gptp.ns} ns, offset ${tai - gptp.ns} ns`);

const x = drv.readCross(0, rtc.VIRTIO_RTC_COUNTER_ARM_VCT);
if ('status' in x) throw new Error(`READ_CROSS: status ${x.status}`);
console.log(`cross-timestamp: TAI ${x.reading} ns at counter ${x.cycles}`);
base.advance(10_000_000n); // 10 ms later the guest reads its counter, with no request
const est = rtc.extrapolate(x, vct.cycles, vct.hz);
console.log(`10 ms later from the counter alone: ${est} ns, off gPTP by ${est - gptp.ns} ns`);

host.loseSync(40); // holdover, drifting 40 ppb
for (const s of [5, 15, 25]) {
  base.advance(s === 5 ? 5_000_000_000n : 10_000_000_000n);
  const r = drv.read(0);
  console.log(`holdover +${s} s: ${typeof r === 'bigint' ? `offset ${r - gptp.ns} ns` : `status ${r.status} (error ${host.errorBoundNs} ns > bound ${dev.boundNs} ns)`}`);
}
