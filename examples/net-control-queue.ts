// Receive filtering through the control queue: a MAC table, NOBCAST and promiscuous mode decide which frames the guest sees.
import { Loopback, net } from '../src/lib/index.ts';

const OWN = '52:54:00:00:00:0a';
const dev = new net.NetDevice({ mac: OWN });
const wire = new net.NetTap(); // the host end of the guest's cable
net.cable(dev, wire);
const lb = new Loopback(dev, { ring: 'packed' });
const drv = new net.NetDriver(lb);
drv.postRx(32);

const destinations = [
  ['own address', OWN],
  ['other unicast', '52:54:00:00:00:99'],
  ['mDNS group', '01:00:5e:00:00:fb'],
  ['broadcast', 'ff:ff:ff:ff:ff:ff'],
] as const;

function offerAll(title: string) {
  console.log(`\n${title}`);
  for (const [label, dst] of destinations) {
    const frame = net.buildFrame({ dst, src: '52:54:00:00:00:01', ethertype: 0x88b5, payload: new Uint8Array(46) });
    const result = dev.receive(frame);
    console.log(`  ${label.padEnd(14)} ${dst}  ${result}`);
  }
  console.log(`  driver got ${drv.receive().length} frame(s)`);
}

function control(label: string, request: Uint8Array) {
  const ack = drv.control(request);
  const answer = ack === net.VIRTIO_NET_OK ? 'VIRTIO_NET_OK' : `VIRTIO_NET_ERR (${dev.stats.lastCtrlError})`;
  console.log(`\ncontrol: ${label} -> ${answer}`);
}

offerAll('after reset: own address and broadcast only');
control('MAC_TABLE_SET unicast [52:54:00:00:00:99] multicast [01:00:5e:00:00:fb]',
  net.ctrlMacTable([net.parseMac('52:54:00:00:00:99')], [net.parseMac('01:00:5e:00:00:fb')]));
offerAll('with the MAC table');
control('RX_NOBCAST on', net.ctrlRxMode(net.VIRTIO_NET_CTRL_RX_NOBCAST, true));
offerAll('without broadcast');
control('RX_PROMISC on', net.ctrlRxMode(net.VIRTIO_NET_CTRL_RX_PROMISC, true));
offerAll('promiscuous: everything');
control('MAC_ADDR_SET 01:00:5e:00:00:01', net.ctrlMacAddr(net.parseMac('01:00:5e:00:00:01')));
control('VQ_PAIRS_SET 2 (the device has one pair)', net.ctrlMqPairs(2));
console.log(`\ncontrol requests: ${dev.stats.ctrlOk} OK, ${dev.stats.ctrlErr} ERR; frames dropped by the filter: ${dev.stats.rxDrops.filtered}`);
