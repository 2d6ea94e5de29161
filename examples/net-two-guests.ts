// Two guests on a virtual switch: A sends B a frame, B reads it with its virtio_net_hdr, and B answers.
import { Loopback, net } from '../src/lib/index.ts';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const sw = new net.VirtualSwitch();

function boot(name: string, mac: string) {
  const dev = new net.NetDevice({ mac, mtu: 1500, speed: 100 });
  sw.plug(dev, { name, vlan: 10, lockedSource: mac });
  const lb = new Loopback(dev, { ring: 'packed' });
  const drv = new net.NetDriver(lb);
  drv.postRx(4);
  console.log(`${name}: mac ${net.formatMac(drv.mac)}, mtu ${drv.mtu}, ${drv.speed} Mbit/s, link ${drv.status & net.VIRTIO_NET_S_LINK_UP ? 'up' : 'down'}, ` +
    `header ${drv.hdrSize} bytes, ${lb.queues.length} queues (controlq ${drv.ctrlQueue})`);
  return { name, dev, drv };
}

const a = boot('A', '52:54:00:00:00:0a');
const b = boot('B', '52:54:00:00:00:0b');

function send(from: typeof a, to: typeof a, text: string) {
  const frame = net.buildFrame({ dst: to.drv.mac, src: from.drv.mac, ethertype: 0x88b5, payload: new TextEncoder().encode(text) });
  const hdr = net.encodeNetHdr({}, from.drv.hdrSize);
  console.log(`\n${from.name} transmits on transmitq1:`);
  console.log(`  virtio_net_hdr ${hex(hdr)}`);
  console.log(`  frame          ${hex(frame.subarray(0, 14))} | "${text}"`);
  const used = from.drv.send(frame);
  console.log(`  used length ${used} (the device writes nothing into a transmit buffer)`);
  for (const p of to.drv.receive()) {
    console.log(`${to.name} receives on receiveq1:`);
    console.log(`  virtio_net_hdr ${hex(net.encodeNetHdr(p.hdr, to.drv.hdrSize))} (num_buffers ${p.hdr.numBuffers})`);
    const f = net.parseFrame(p.frame)!;
    console.log(`  frame          ${net.formatMac(f.dst)} <- ${net.formatMac(f.src)} type 0x${f.ethertype.toString(16)} "${new TextDecoder().decode(f.payload)}"`);
  }
}

send(a, b, 'hello from A');
send(b, a, 'hello back from B');

console.log('\nswitch: A learned on', sw.lookup(10, a.drv.mac)?.name, '/ B learned on', sw.lookup(10, b.drv.mac)?.name);
for (const g of [a, b]) {
  const s = g.dev.stats;
  console.log(`${g.name}: tx ${s.txPackets} packets ${s.txBytes} bytes, rx ${s.rxPackets} packets ${s.rxBytes} bytes`);
}
