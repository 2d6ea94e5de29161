// The cluster guest binds to the safety island's services over rpmsg, exchanges messages, and sees the island hang, get detected by its watchdog, and recover: DESTROY announcements, never stale data, then a new run.
import { Loopback, rpmsg } from '../src/lib/index.ts';

const clock = new rpmsg.ModelClock();
const ms = (us: number) => `${us / 1000} ms`;
const image = rpmsg.safetyIslandImage(); // echo at 1024, vehicle-signals at 1025, diag at 1026; boots in 20 ms
const platform = new rpmsg.CorePlatform({
  clock,
  cores: [
    rpmsg.coreConfig({
      id: 'safety-island',
      owner: 'platform', // no guest may load, start or stop it
      memory: { windows: [rpmsg.ISLAND_RAM], peripherals: [] },
      approved: [rpmsg.imageDigest(image)],
      watchdogUs: 50_000,
      heartbeatUs: 10_000,
      loadUs: 5_000,
      recoveryBoundUs: 100_000,
      links: [
        { guest: 'cluster', services: ['rpmsg-client-sample', 'vehicle-signals'] },
        { guest: 'ivi', services: ['vehicle-signals'] },
      ],
    }),
  ],
});
const island = platform.core('safety-island');
let shown = 0;
const showLog = () => {
  for (; shown < platform.log.length; shown++) console.log(`[${ms(platform.log[shown].at)}] platform: ${platform.log[shown].what}`);
};

console.log(`load: ${JSON.stringify(platform.load('platform', 'safety-island', image))}, start: ${JSON.stringify(platform.start('platform', 'safety-island'))}`);
clock.advance(20_000);
showLog();

// The cluster's Linux: virtio_rpmsg_bus over a packed ring, two receive buffers of 512 bytes.
const link = platform.link('cluster', 'safety-island')!;
const cluster = new rpmsg.RpmsgDriver(new Loopback(link, { ring: 'packed', queueSize: 8 }), { rxBuffers: 2 });
cluster.poll();
console.log(`cluster: channels ${cluster.channels.map((c) => `${c.name}@${c.dst}`).join(', ')} (diag is not announced to it)`);

let samples: string[] = [];
const flushSamples = () => {
  if (samples.length) console.log(`[${ms(clock.now)}] cluster: samples ${samples.join(', ')}`);
  samples = [];
};
cluster.register('rpmsg-client-sample', {
  probe: (ch, d) => d.send(ch.ept!, ch.dst, new TextEncoder().encode('ping from the cluster')),
  message: (ch, src, p) => console.log(`[${ms(clock.now)}] cluster: ${ch.name} (from ${src}) answers "${new TextDecoder().decode(p)}"`),
  remove: (ch) => {
    flushSamples();
    console.log(`[${ms(clock.now)}] cluster: channel ${ch.name}@${ch.dst} destroyed, its endpoint gone`);
  },
});
cluster.register('vehicle-signals', {
  probe: (ch, d) => {
    console.log(`[${ms(clock.now)}] cluster: subscribes to ${ch.name}@${ch.dst} from endpoint ${ch.ept}`);
    d.send(ch.ept!, ch.dst, new TextEncoder().encode('subscribe'));
  },
  message: (_ch, _src, p) => {
    const s = rpmsg.decodeSample(p)!;
    samples.push(`#${s.seq} ${(s.speedCentiKmh / 100).toFixed(2)} km/h @${ms(s.sampledAtUs)}`);
  },
  remove: (ch) => {
    flushSamples();
    console.log(`[${ms(clock.now)}] cluster: channel ${ch.name}@${ch.dst} destroyed, its endpoint gone`);
  },
});
cluster.poll();

// The infotainment guest may see vehicle-signals only; diag is not its to reach.
const iviLink = platform.link('ivi', 'safety-island')!;
const ivi = new rpmsg.RpmsgDriver(new Loopback(iviLink, { ring: 'split', queueSize: 8 }));
const me = ivi.createEndpoint(() => {})!;
ivi.send(me, 1026, new TextEncoder().encode('dump state'));
console.log(`ivi: channels ${ivi.channels.map((c) => c.name).join(', ')}; its message to diag@1026: ACCESS_DENIED x${iviLink.errors('ACCESS_DENIED')}, diag received ${(island.service('diag') as rpmsg.EchoService).stats.received}`);

for (let t = 0; t < 3; t++) {
  clock.advance(10_000);
  cluster.poll();
}
flushSamples();

// The cluster is busy for a while and leaves its buffers full; then the island hangs.
clock.advance(45_000);
island.hang();
console.log(`[${ms(clock.now)}] island: hangs, reporting nothing; ${link.pending} samples wait in the link for the cluster's buffers`);
clock.advance(50_000);
showLog();
console.log(`[${ms(clock.now)}] link: ${link.stats.discardedAtCrash} undelivered samples of the crashed run thrown away`);
for (let i = 0; i < 3; i++) cluster.poll();
flushSamples();
clock.advance(20_000);
showLog();
cluster.poll(); // the new run's announcements: both clients bind again
clock.advance(30_000);
for (let i = 0; i < 3; i++) cluster.poll();
flushSamples();

console.log(`crashes: ${island.crashes.map((c) => `${c.kind} at ${ms(c.happenedAt)}, detected ${ms(c.detectedAt)}`).join('; ')}; runs: ${island.runs}; state: ${island.state}`);
console.log(`cluster link: to core ${link.stats.toCore}, to guest ${link.stats.toGuest}, errors ${JSON.stringify(Object.fromEntries(link.stats.errors))}; cluster driver errors ${JSON.stringify(Object.fromEntries(cluster.errors))}`);
