// The infotainment guest owns an audio DSP: the platform refuses a tampered image, a signed image whose resource table maps a peripheral the DSP was not given or asks for a vendor resource, and requests from a guest that does not own the DSP; the DSP then crashes too often and stays failed until its owner starts it again.
import { Loopback, rpmsg } from '../src/lib/index.ts';

const clock = new rpmsg.ModelClock();
const DSP_RAM = { base: 0x2000_0000, size: 0x40_0000 };
const MAILBOX = { base: 0xff30_0000, size: 0x1000 };
const CAN_CONTROLLER = 0xfe10_0000; // the cluster's, not the DSP's

const table = (extra: rpmsg.ResourceEntry[]) =>
  rpmsg.buildResourceTable([{ type: 'carveout', da: DSP_RAM.base, pa: 0, len: 0x20_0000, flags: 0, name: 'dsp-ram' }, ...extra, rpmsg.rpmsgVdev({ vring0: DSP_RAM.base + 0x20_0000, vring1: DSP_RAM.base + 0x20_8000 })]);
const firmware = (name: string, rsc: Uint8Array): rpmsg.FirmwareImage => ({ name, code: new TextEncoder().encode(`${name} code`), resourceTable: rsc, services: [() => new rpmsg.EchoService('audio-dsp')], bootUs: 5_000 });

const good = firmware('dsp-audio-2.3', table([{ type: 'devmem', da: 0x4000_0000, pa: MAILBOX.base, len: MAILBOX.size, flags: 0, name: 'mailbox' }]));
const greedy = firmware('dsp-audio-2.4-beta', table([{ type: 'devmem', da: 0x4000_0000, pa: CAN_CONTROLLER, len: 0x1000, flags: 0, name: 'can0' }]));
const withVendor = firmware('dsp-audio-2.4-vendor', rpmsg.buildResourceTable([{ type: 'trace', da: DSP_RAM.base + 0x1000, len: 0x400, name: 'trace0' }, rpmsg.rpmsgVdev({ vring0: DSP_RAM.base + 0x20_0000, vring1: DSP_RAM.base + 0x20_8000 })]));
new DataView(withVendor.resourceTable.buffer).setUint32(24, 130, true); // entry 0 becomes vendor type 130
const tampered = { ...good, code: Uint8Array.from(good.code, (b, i) => (i === 0 ? b ^ 1 : b)) };

const platform = new rpmsg.CorePlatform({
  clock,
  cores: [
    rpmsg.coreConfig({
      id: 'dsp',
      owner: 'ivi',
      memory: { windows: [DSP_RAM], peripherals: [MAILBOX] },
      // signed by the DSP vendor: approval says who built an image, not what it may touch
      approved: [good, greedy, withVendor].map(rpmsg.imageDigest),
      loadUs: 2_000,
      recoveryBoundUs: 20_000,
      maxRecoveries: 2,
      recoveryWindowUs: 1_000_000,
      links: [{ guest: 'ivi', services: ['audio-dsp'] }],
    }),
  ],
});
const dsp = platform.core('dsp');
const show = (what: string, r: rpmsg.LifecycleResult) => console.log(`${what}: ${r.ok ? 'ok' : `${r.error} (${r.detail})`}`);

show('ivi loads a tampered image', platform.load('ivi', 'dsp', tampered));
show('ivi loads a signed image mapping the CAN controller', platform.load('ivi', 'dsp', greedy));
show('ivi loads a signed image with a vendor resource', platform.load('ivi', 'dsp', withVendor));
show('cluster loads the good image', platform.load('cluster', 'dsp', good));
show('ivi loads the good image', platform.load('ivi', 'dsp', good));
show('ivi starts the DSP', platform.start('ivi', 'dsp'));
clock.advance(5_000);

const ivi = new rpmsg.RpmsgDriver(new Loopback(platform.link('ivi', 'dsp')!, { ring: 'split', queueSize: 8 }));
ivi.register('audio-dsp', {
  probe: (ch) => console.log(`[${clock.now / 1000} ms] ivi: channel ${ch.name}@${ch.dst} bound to endpoint ${ch.ept}`),
  message: (ch, _src, p) => console.log(`[${clock.now / 1000} ms] ivi: ${ch.name} answers "${new TextDecoder().decode(p)}"`),
  remove: (ch) => console.log(`[${clock.now / 1000} ms] ivi: channel ${ch.name}@${ch.dst} destroyed`),
});
const ch = ivi.channel('audio-dsp')!;
ivi.send(ch.ept!, ch.dst, new TextEncoder().encode('mix: 2 ch, 48 kHz'));
ivi.poll();
show('cluster stops the DSP', platform.stop('cluster', 'dsp'));

for (const kind of ['mmu-fault', 'fatal-error', 'mmu-fault'] as const) {
  clock.advance(10_000);
  dsp.fault(kind);
  clock.advance(10_000);
  ivi.poll();
  ivi.poll();
  console.log(`[${clock.now / 1000} ms] dsp: ${kind}; now ${dsp.state}${dsp.failure ? ` (${dsp.failure})` : `, run ${dsp.runs}`}`);
}
show('ivi starts the DSP again', platform.start('ivi', 'dsp'));
clock.advance(5_000);
ivi.poll();
console.log(`dsp: ${dsp.state}, run ${dsp.runs}, crashes ${dsp.crashes.length}; ivi driver errors ${JSON.stringify(Object.fromEntries(ivi.errors))}`);
