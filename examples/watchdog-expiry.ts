// Two guests arm the AVP watchdog service; the cluster hangs, gets its first-stage signal, is reset by the host, and the supervisor sees when it last refreshed.
import { watchdog as W } from '../src/lib/index.ts';

const clock = new W.WdtClock();
const svc = new W.WatchdogService({ clock, control: { reset: (g) => console.log(`  platform: reset guest ${g}`) } });
const cluster = svc.connect('cluster', (m) => console.log(`  cluster inbox: signal, ${new DataView(m.buffer).getUint32(4, true)} ms left (never read: the guest is hung)`));
const ivi = svc.connect('ivi', () => {});

cluster.handle(W.encodeWdt(W.WDT_ARM, 1000, 200));
ivi.handle(W.encodeWdt(W.WDT_ARM, 2000, 0));
for (let ms = 50; ms <= 1600; ms += 50) {
  clock.advance(50_000);
  if (ms <= 500) cluster.handle(W.encodeWdt(W.WDT_REFRESH)); // the cluster stops refreshing after 500 ms
  ivi.handle(W.encodeWdt(W.WDT_REFRESH));
}
console.log('supervisor log:');
for (const e of svc.events) console.log(`  ${(e.at / 1000).toFixed(0).padStart(5)} ms  ${e.guest.padEnd(8)} ${e.kind}${e.lastRefresh !== undefined ? ` (last refresh at ${e.lastRefresh / 1000} ms)` : ''}${e.detail ? ` ${e.detail}` : ''}`);
