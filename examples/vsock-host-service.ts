// A guest talks to a host service over vsock: connect, send until the host's credit runs out, resume after a credit update, then a RST from a closed port.
import { Loopback, vsock } from '../src/lib/index.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

// The host side: a switch, and a service on host port 5000 with a 64-byte receive buffer.
const sw = new vsock.VsockSwitch();
sw.trace = (p, outcome) => console.log(`  switch: ${vsock.describePacket(p)}  [${outcome}]`);
const host = new vsock.VsockHost(sw, { bufAlloc: 64 });
const service = host.listen(5000);

// The guest: a socket device with CID 3, and its driver.
const dev = new vsock.VsockDevice({ guestCid: 3 });
sw.attach(dev);
const drv = new vsock.VsockDriver(new Loopback(dev, { ring: 'packed' }), { bufAlloc: 1024 });
console.log(`guest: guest_cid ${drv.cid}, NO_IMPLIED_STREAM ${drv.noImpliedStream ? 'negotiated' : 'not negotiated'}, 3 queues (rx, tx, event)`);

console.log('\nguest connects to 2:5000');
const conn = drv.connect(vsock.VMADDR_CID_HOST, 5000);
vsock.settle(drv);
const peer = service.accept()!;
console.log(`guest: ${conn.state}; host accepted ${peer.peer.cid}:${peer.peer.port}; host grants ${conn.credit.peerFree} bytes`);

console.log('\nguest sends 100 bytes');
const message = bytes('0123456789'.repeat(10));
conn.send(message);
vsock.settle(drv);
console.log(`guest: credit left ${conn.credit.peerFree}, ${conn.pendingTx} bytes wait for credit`);

console.log('\nhost service reads what it has');
const first = peer.recv();
console.log(`host: read ${first.length} bytes`);
vsock.settle(drv);
console.log(`guest: ${conn.pendingTx} bytes wait`);
const second = peer.recv();
console.log(`host: read ${second.length} more; message intact: ${text(first) + text(second) === text(message)}`);

console.log('\nhost answers');
peer.send(bytes('thanks, 100 bytes'));
vsock.settle(drv);
console.log(`guest: got "${text(conn.recv())}"`);

console.log('\nguest closes');
conn.close();
vsock.settle(drv);
console.log(`guest: ${conn.state} (${conn.closeReason}); host: ${peer.state} (${peer.closeReason})`);

console.log('\nguest connects to 2:6000, where nothing listens');
const refused = drv.connect(vsock.VMADDR_CID_HOST, 6000);
vsock.settle(drv);
console.log(`guest: ${refused.state} (${refused.closeReason})`);

console.log('\nguest connects to CID 7, which no guest has');
const nowhere = drv.connect(7, 5000);
vsock.settle(drv);
console.log(`guest: ${nowhere.state} (${nowhere.closeReason})`);

const s = sw.stats;
console.log(`\nswitch: ${s.forwarded} forwarded, ${s.rstSent} RST of its own, refused ${JSON.stringify(Object.fromEntries(Object.entries(s.refused).filter(([, n]) => n > 0)))}, ${s.violations} violations, ${sw.flows.size} flows open`);
console.log(`device: ${dev.stats.txPackets} packets from the guest, ${dev.stats.rxPackets} to it`);
