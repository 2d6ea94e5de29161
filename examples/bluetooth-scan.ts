// The infotainment system and the cluster share one Bluetooth controller through virtio-bt: each brings its virtual controller up, scans and lists the advertisers it may see; the infotainment system connects to the phone; then the physical controller resets and both start again.
import { bluetooth as bt, Loopback } from '../src/lib/index.ts';

// One physical controller, shared: media devices for the infotainment system, tyres for the cluster.
const platform = new bt.BtPlatform({
  advertisers: bt.vehicleRadioScene(),
  controllers: [
    {
      id: 'bt0',
      guests: [
        { name: 'ivi', address: bt.IVI_ADDRESS, sees: bt.VEHICLE_SCAN_POLICY.ivi },
        { name: 'cluster', address: bt.CLUSTER_ADDRESS, sees: bt.VEHICLE_SCAN_POLICY.cluster },
      ],
    },
  ],
});
const ms = () => `[${platform.clock.now / 1000} ms]`;
console.log('on the air:', platform.radio.all.map((a) => `${a.name} (${a.address}, every ${a.intervalUs / 1000} ms)`).join(', '));

function boot(name: 'ivi' | 'cluster', ring: 'split' | 'packed') {
  const dev = platform.device(name);
  const host = new bt.BtHost(new Loopback(dev, { ring }));
  const info = host.init();
  const commands = [...info.supportedCommands].reduce((n, b) => n + b.toString(2).split('1').length - 1, 0);
  console.log(`${name} (${ring} ring, config ${dev.configLayout}): BD_ADDR ${info.address}, HCI version 0x${info.hciVersion.toString(16).padStart(2, '0')} (Core 5.4), ${info.leOnly ? 'LE only' : 'dual mode'}, LE ACL ${info.leAclLength} bytes x ${info.leAclPackets}, ${commands} commands listed`);
  return { name, dev, host };
}
const ivi = boot('ivi', 'split');
const cluster = boot('cluster', 'packed');

function describe(r: bt.AdvertisingReport): string {
  const tyre = bt.decodeTyre(r.data);
  const what = tyre ? `tyre ${tyre.kPa} kPa, ${tyre.celsius} °C` : (bt.adLocalName(r.data) ?? 'no name');
  const type = ['ADV_IND', 'ADV_DIRECT_IND', 'ADV_SCAN_IND', 'ADV_NONCONN_IND', 'SCAN_RSP'][r.eventType];
  return `${r.address} ${type.padEnd(15)} ${String(r.rssi).padStart(4)} dBm  ${what}`;
}
function showReports(g: { name: string; host: bt.BtHost }): void {
  const events = g.host.take();
  const reports = events.flatMap((e) => (e.kind === 'advertising-report' ? [e.report] : []));
  console.log(`${ms()} ${g.name}: ${reports.length} reports`);
  for (const r of reports) console.log(`    ${describe(r)}`);
}

console.log('\n-- scanning for one second --');
ivi.host.startScan({ active: true, filterDuplicates: true }); // scan responses too, each once
cluster.host.startScan({ active: false, filterDuplicates: true });
platform.clock.advance(1_000_000);
showReports(ivi);
showReports(cluster);

console.log('\n-- what a controller refuses --');
const vendor = ivi.host.command(0xfc08);
console.log(`ivi: vendor command 0xfc08 -> Command ${vendor.via === 'status' ? 'Status' : 'Complete'}, status 0x${vendor.status.toString(16).padStart(2, '0')} (Unknown HCI Command)`);
ivi.host.lb.submit(bt.BT_TX_QUEUE, [Uint8Array.of(0x01, 0x03, 0x0c, 0x05)], []); // length 5, no parameters
ivi.host.lb.submit(bt.BT_TX_QUEUE, [Uint8Array.of(0x04, 0x0e, 0x00)], []); // an event, from the host
ivi.host.poll();
console.log(`ivi: refused tx buffers: ${[...ivi.dev.stats.errors].map(([e, n]) => `${e} x${n}`).join(', ')}`);

console.log('\n-- the infotainment system connects to the phone --');
ivi.host.stopScan();
ivi.host.connect('5A:1C:3E:90:21:7B', bt.ADDR_RANDOM);
platform.clock.advance(100_000);
const link = ivi.host.take().find((e) => e.kind === 'le-connection-complete');
const handle = link?.kind === 'le-connection-complete' ? link.connection.handle : -1;
console.log(`${ms()} ivi: LE Connection Complete, handle ${handle}, interval ${link?.kind === 'le-connection-complete' ? link.connection.interval * 1.25 : 0} ms`);
ivi.host.encrypt(handle, bt.PHONE_LTK_FOR_IVI);
const enc = ivi.host.take().find((e) => e.kind === 'encryption-change');
console.log(`ivi: encryption with the key bonded to ${bt.IVI_ADDRESS}: ${enc?.kind === 'encryption-change' && enc.enabled ? 'on' : 'refused'}`);
const theirs = cluster.host.disconnect(handle);
console.log(`cluster: Disconnect of handle ${handle} -> status 0x${theirs.status.toString(16).padStart(2, '0')} (Unknown Connection Identifier); links: ${[...platform.controller('bt0').linkOwners()].map(([h, g]) => `${h}:${g}`).join(', ')}`);

console.log('\n-- the physical controller resets --');
platform.controller('bt0').reset(0x01);
for (const g of [ivi, cluster]) {
  const events = g.host.take().map((e) => (e.kind === 'hardware-error' ? `Hardware Error (code 0x${e.code.toString(16).padStart(2, '0')})` : e.kind));
  console.log(`${ms()} ${g.name}: ${events.join(', ')}; links ${g.dev.controller.connections.size}, scanning ${g.dev.controller.scanEnabled ? 'on' : 'off'}`);
  g.host.recover(); // what Linux's hci_error_reset does: close, open, run the start-up again
}
ivi.host.startScan({ active: false, filterDuplicates: true });
platform.clock.advance(600_000);
showReports(ivi);
showReports(cluster);
