// A car's USB ports under the AVP policy: the front media port goes to the IVI, the diagnostic port to nobody outside a service session, the camera to the ADAS guest; devices come and go, a keyboard that is also a disk is refused, the camera changes its descriptors, and a port that connects too often is quarantined.
import { ModelClock, usb as U } from '../src/lib/index.ts';

// The platform's configuration: guests, controllers with their root ports, and the rule table.
const config: U.UsbPlatformConfig = {
  guests: [
    { id: 'ivi', class: 'general' },
    { id: 'adas', class: 'safety' },
    { id: 'diag', class: 'general' },
  ],
  controllers: [
    { id: 'xhci0', ports: [{ path: '1-1', name: 'front media', exposure: 'external' }, { path: '1-2', name: 'diagnostic', exposure: 'external' }, { path: '1-3', name: 'rear seat', exposure: 'external' }] },
    { id: 'xhci1', ports: [{ path: '2-1', name: 'camera harness', exposure: 'internal' }] },
    { id: 'xhci2', ports: [{ path: '3-1', name: 'surround-view link', exposure: 'internal' }], passthroughTo: 'adas' },
  ],
  rules: [
    { id: 'front', port: '1-1', grant: 'ivi' },
    { id: 'front-no-hid', port: '1-1', class: U.USB_CLASS_HID },
    { id: 'rear-phone', port: '1-3', class: U.USB_CLASS_STILL_IMAGE, grant: 'ivi' },
    { id: 'diag-session', port: '1-2', inSession: true, grant: 'diag' },
    { id: 'camera', port: '2-1', vendor: 0xca0e, product: 0x0001, class: U.USB_CLASS_VIDEO, grant: 'adas' },
  ],
};

// Devices, as descriptor bytes (vendor and product IDs are made up).
const bulk = (n: number) => [{ address: 0x80 | n, attributes: 2, maxPacketSize: 512 }, { address: n + 1, attributes: 2, maxPacketSize: 512 }];
const dev = (vendor: number, product: number, cls: number, ...interfaces: U.InterfaceSpec[]) => ({
  device: U.encodeDevice({ vendor, product, class: cls, subClass: cls === U.USB_CLASS_MISC ? 2 : 0, protocol: cls === U.USB_CLASS_MISC ? 1 : 0 }),
  configs: [U.encodeConfiguration({ interfaces, associations: cls === U.USB_CLASS_MISC ? [{ firstInterface: 0, interfaceCount: 2, class: 0x0e, subClass: 0x03, protocol: 0 }] : [] })],
});
const storage = { number: 0, class: U.USB_CLASS_MASS_STORAGE, subClass: 0x06, protocol: 0x50, endpoints: bulk(1) };
const stick = dev(0x5a11, 0x0001, 0, storage);
const keyboardDisk = dev(0x5a11, 0x0002, 0, { number: 0, class: U.USB_CLASS_HID, subClass: 1, protocol: 1, endpoints: [{ address: 0x83, attributes: 3, maxPacketSize: 8, interval: 10 }] }, { ...storage, number: 1 });
const phone = dev(0x5a22, 0x0001, 0, { number: 0, class: U.USB_CLASS_STILL_IMAGE, subClass: 1, protocol: 1, endpoints: bulk(1) });
const dongle = dev(0x5a33, 0x0001, 0, { number: 0, class: U.USB_CLASS_VENDOR, endpoints: bulk(1) });
const uvc = (vendor: number) =>
  dev(vendor, 0x0001, U.USB_CLASS_MISC,
    { number: 0, class: U.USB_CLASS_VIDEO, subClass: 1, endpoints: [{ address: 0x87, attributes: 3, maxPacketSize: 16, interval: 6 }] },
    { number: 1, class: U.USB_CLASS_VIDEO, subClass: 2 },
    { number: 1, alternate: 1, class: U.USB_CLASS_VIDEO, subClass: 2, endpoints: [{ address: 0x81, attributes: 5, maxPacketSize: 1024, interval: 1 }] });
const camera = uvc(0xca0e);
const cameraAsDisk = dev(0xca0e, 0x0001, 0, storage); // the same IDs after a firmware mode switch
const liar = { device: stick.device, configs: [stick.configs[0].slice()] };
liar.configs[0][2] += 16; // wTotalLength says 16 bytes more than the device returned

const clock = new ModelClock();
console.log('ports:');
for (const c of config.controllers) for (const p of c.ports) console.log(`  ${p.path}  ${p.name.padEnd(18)} ${p.exposure.padEnd(8)}  ${c.id}${c.passthroughTo ? `, passed through to ${c.passthroughTo}: not routed by the table` : ''}`);
console.log('');
const policy = U.validateUsbConfig(config);
if (!policy.ok) throw new Error(policy.errors.map((e) => `${e.code}: ${e.detail}`).join('\n'));
const router = new U.UsbRouter({ policy: policy.policy, clock });

const ms = () => `${(clock.now / 1000).toFixed(0).padStart(5)} ms`;
const id = (v: number, p: number) => `${v.toString(16).padStart(4, '0')}:${p.toString(16).padStart(4, '0')}`;
let seenLog = 0;
let seenEvents = 0;
function step(what: string, act: () => void): void {
  const start = ms();
  act();
  const log = router.log.slice(seenLog).filter((e) => e.kind !== 'left' || e.guest !== undefined);
  const events = router.events.slice(seenEvents);
  seenLog = router.log.length;
  seenEvents = router.events.length;
  console.log(`${start}  ${what}`);
  for (const e of log) console.log(`           log   ${e.kind.padEnd(11)} ${(e.path ?? '').padEnd(4)} ${e.guest ? `[${e.guest}] ` : ''}${e.detail}`);
  for (const e of events) console.log(`           event ${e.kind} ${id(e.vendor, e.product)} at ${e.path} -> ${e.guest}`);
}
const at = (t: number) => clock.advance(t * 1000 - clock.now);

step('plug a flash drive into the front media port', () => router.connect('1-1', stick.device, stick.configs));
at(100);
step('the camera on the internal harness comes up', () => router.connect('2-1', camera.device, camera.configs));
at(200);
step('a diagnostic dongle into the diagnostic port', () => router.connect('1-2', dongle.device, dongle.configs));
at(300);
step('the workshop opens an authenticated service session', () => router.openSession());
at(400);
step('swap the flash drive for a "keyboard" that is also a disk', () => {
  router.disconnect('1-1');
  router.connect('1-1', keyboardDisk.device, keyboardDisk.configs);
});
at(500);
step("swap it for a device with the camera's IDs", () => {
  router.disconnect('1-1');
  router.connect('1-1', uvc(0xca0e).device, uvc(0xca0e).configs);
});
at(600);
step('the service session ends', () => router.closeSession());
at(700);
step('swap it for a stick whose wTotalLength lies', () => {
  router.disconnect('1-1');
  router.connect('1-1', liar.device, liar.configs);
});
at(800);
step('the camera re-enumerates as a mass-storage device', () => router.reenumerate('2-1', cameraAsDisk.device, cameraAsDisk.configs));
at(1000);
{
  // Summarised: the IVI sees the first four come and go, then the port is held off and shut.
  const [l0, e0] = [router.log.length, router.events.length];
  for (let i = 0; i < 10; i++) {
    router.connect('1-3', phone.device, phone.configs);
    at(1000 + i * 100 + 50);
    router.disconnect('1-3');
    at(1000 + (i + 1) * 100);
  }
  const count = <T,>(xs: T[], f: (x: T) => string) => [...new Set(xs.map(f))].map((k) => `${xs.filter((x) => f(x) === k).length} ${k}`).join(', ');
  console.log(' 1000 ms  a phone on the rear port with a broken cable: 10 connections in 1 s');
  console.log(`           log   ${count(router.log.slice(l0).filter((e) => e.kind !== 'left'), (e) => e.kind)}`);
  for (const e of router.log.slice(l0).filter((e) => e.kind === 'quarantined')) console.log(`           log   quarantined ${e.path} ${e.detail}`);
  console.log(`           events ${count(router.events.slice(e0), (e) => `${e.kind} -> ${e.guest}`)}`);
  [seenLog, seenEvents] = [router.log.length, router.events.length];
}
step('the phone plugged in again', () => router.connect('1-3', phone.device, phone.configs));
at(2500);
step('the flash drive back into the front port', () => {
  router.disconnect('1-1');
  router.connect('1-1', stick.device, stick.configs);
});

console.log('\nrouting now:');
for (const d of router.devices()) console.log(`  ${d.path.padEnd(4)} ${d.vendor !== undefined ? id(d.vendor, d.product!) : '?'.padEnd(9)}  ${d.state.padEnd(9)} ${d.holder ?? '-'}`);
console.log(`  1-3  quarantined: ${router.isQuarantined('1-3')}`);
console.log('events per guest:');
for (const g of config.guests) {
  const mine = router.events.filter((e) => e.guest === g.id);
  console.log(`  ${g.id.padEnd(5)} ${mine.filter((e) => e.kind === 'attach').length} attach, ${mine.filter((e) => e.kind === 'detach').length} detach`);
}
