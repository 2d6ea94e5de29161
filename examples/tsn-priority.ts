// Priorities through the virtual switch: an access port stamps its PCP, a trunk keeps the guest's tag, gPTP peer-delay frames stay on their link.
import { Loopback, net } from '../src/lib/index.ts';

const sw = new net.VirtualSwitch();
const show = (f: Uint8Array) => {
  const p = net.parseFrame(f)!;
  const tag = p.vlan ? `VID ${p.vlan.vid} PCP ${p.vlan.pcp}${p.vlan.dei ? ' DEI' : ''}` : 'untagged';
  return `${net.formatMac(p.src)} -> ${net.formatMac(p.dst)} type 0x${p.ethertype.toString(16)} ${tag}`;
};

// The uplink towards the physical TSN bridge: a trunk carrying VLAN 10 (control) and 20 (media).
const uplink = new net.NetTap();
sw.plug(uplink, { name: 'uplink', mode: 'trunk', vlans: [10, 20] });

// Guest "adas" on an access port of VLAN 10 whose frames the platform marks with priority 5.
const adas = new net.NetDevice({ mac: '52:54:00:00:00:0a' });
sw.plug(adas, { name: 'adas', vlan: 10, priority: 5 });
const adasDrv = new net.NetDriver(new Loopback(adas, { ring: 'packed' }));

// Guest "media" on a trunk port: it tags its own frames, and the switch keeps the tag.
const media = new net.NetDevice({ mac: '52:54:00:00:00:0b' });
sw.plug(media, { name: 'media', mode: 'trunk', vlans: [20] });
const mediaDrv = new net.NetDriver(new Loopback(media, { ring: 'packed' }));

const payload = new Uint8Array(46);
const peer = '02:00:00:00:00:01';
console.log('adas sends untagged; the access port classifies it:');
adasDrv.send(net.buildFrame({ dst: peer, src: '52:54:00:00:00:0a', ethertype: 0x88b5, payload }));
console.log('adas tries to tag its own frame with PCP 7:');
adasDrv.send(net.buildFrame({ dst: peer, src: '52:54:00:00:00:0a', ethertype: 0x88b5, payload, vlan: { vid: 10, pcp: 7, dei: false } }));
console.log('media sends a class A stream frame (PCP 3) and a best-effort one (PCP 0) on VLAN 20:');
for (const pcp of [3, 0]) {
  mediaDrv.send(net.buildFrame({ dst: '91:e0:f0:00:fe:01', src: '52:54:00:00:00:0b', ethertype: 0x22f0, payload, vlan: { vid: 20, pcp, dei: false } }));
}
console.log('media sends a gPTP Pdelay_Req (01:80:c2:00:00:0e, EtherType 0x88f7):');
mediaDrv.send(net.buildFrame({ dst: '01:80:c2:00:00:0e', src: '52:54:00:00:00:0b', ethertype: net.ETH_P_1588, payload, vlan: { vid: 20, pcp: 0, dei: false } }));

console.log('\nthe uplink saw:');
for (const f of uplink.take()) console.log(`  ${show(f)}`);
console.log('\nswitch drops:', Object.entries(sw.drops).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', '));
