// Two guests on one virtual CAN FD bus (500 kbit/s, 2 Mbit/s data phase) exchange classic and CAN FD frames; one goes bus-off and its driver restarts it.
import { can, Loopback } from '../src/lib/index.ts';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
const us = (ns: number) => (ns / 1000).toFixed(1).padStart(6);
const result = (s: can.CanTxStatus) => (typeof s === 'number' ? can.canResultName(s) : s);

// The platform, not a guest, sets the bit rates (a typical powertrain / chassis FD bus).
const bus = new can.CanBus({ name: 'chassis', bitrate: 500_000, dataBitrate: 2_000_000 });
bus.monitor((r) => console.log(`  wire ${us(r.start)} .. ${us(r.end)} us  ${r.from} ${can.formatCanFrame(r.frame)}`));
console.log(`bus ${bus.name}: nominal ${bus.bitrate / 1000} kbit/s, data phase ${bus.dataBitrate! / 1e6} Mbit/s`);

function boot(name: string) {
  const dev = new can.CanDevice({ rxBacklog: 4 });
  bus.attach(dev, { name });
  const lb = new Loopback(dev, { ring: 'packed' });
  const drv = new can.CanDriver(lb);
  drv.postRx(4);
  const f = (n: number, label: string) => (lb.features & (1n << BigInt(n)) ? [label] : []);
  const feats = [...f(can.VIRTIO_CAN_F_CAN_CLASSIC, 'CLASSIC'), ...f(can.VIRTIO_CAN_F_CAN_FD, 'FD'), ...f(can.VIRTIO_CAN_F_RTR_FRAMES, 'RTR'), ...f(can.VIRTIO_CAN_F_LATE_TX_ACK, 'LATE_TX_ACK')];
  console.log(`${name}: device ID ${dev.deviceId}, features ${feats.join(' ')}, controller ${dev.controller}, rx buffers of ${16 + drv.maxSdu} bytes`);
  console.log(`${name}: SET_CTRL_MODE_START -> ${can.canResultName(drv.start())}`);
  return { name, dev, lb, drv };
}
type Guest = ReturnType<typeof boot>;

function send(from: Guest, init: can.CanFrameInit): void {
  bus.advance(1_000_000); // 1 ms of silence: one frame per millisecond, like a cyclic schedule
  const frame = can.canFrame(init);
  const req = can.encodeCanTx(frame);
  console.log(`\n${from.name} Txq: ${hex(req.subarray(0, 16))} | ${hex(req.subarray(16))}`.trimEnd());
  const { status } = from.drv.send(frame);
  console.log(`${from.name} Txq result: ${result(status)}`);
}

function receive(g: Guest): void {
  for (const m of g.drv.receive()) {
    const h = m.header;
    console.log(`${g.name} Rxq: ${can.canMsgTypeName(h.msgType)} length ${h.length} flags 0x${h.flags.toString(16).padStart(4, '0')} can_id 0x${h.canId.toString(16)} -> ${can.formatCanFrame(m.frame)} (used ${m.len})`);
  }
}

const a = boot('A');
const b = boot('B');

// A classic base frame, an extended CAN FD frame with bit-rate switching, and a remote request.
send(a, { id: 0x123, data: [0x11, 0x22, 0x33, 0x44] });
receive(b);
send(b, { id: 0x18fe_f100, extended: true, fd: true, data: Array.from({ length: 12 }, (_, i) => i) });
receive(a);
send(a, { id: 0x2a0, rtr: true, length: 2 });
receive(b);

// What the device refuses: a classic frame longer than 8 bytes, built by hand.
const bad = can.encodeCanHeader({ msgType: can.VIRTIO_CAN_TX, length: 9, canId: 0x100 });
console.log(`\nA Txq: classic frame with length 9 -> ${result(a.drv.raw([bad, new Uint8Array(9)]).status)} (${a.dev.stats.lastTxReject})`);

// The platform detects bus-off on A's controller.
console.log('\n-- bus-off on A --');
const notes = a.lb.configNotifications;
a.dev.enterBusOff();
console.log(`A: configuration change notifications +${a.lb.configNotifications - notes}, status 0x${a.drv.status.toString(16).padStart(4, '0')} (BUSOFF ${a.drv.busOff ? 'set' : 'clear'}), controller ${a.dev.controller}`);
send(a, { id: 0x123, data: [0x55] });
console.log(`A: refused as '${a.dev.stats.lastTxReject}'; B keeps talking:`);
send(b, { id: 0x321, data: [0xb0] });
receive(a);
console.log(`A: received nothing while off the bus (dropped as stopped: ${a.dev.stats.rxDropped.stopped})`);

console.log('\n-- A restarts its controller --');
console.log(`A: SET_CTRL_MODE_STOP -> ${can.canResultName(a.drv.stop())}, SET_CTRL_MODE_START -> ${can.canResultName(a.drv.start())}, status 0x${a.drv.status.toString(16).padStart(4, '0')}`);
send(a, { id: 0x123, data: [0x66] });
receive(b);

const load = (100 * bus.stats.busyNs) / bus.time;
console.log(`\nbus: ${bus.stats.frames} frames, ${bus.stats.bits} bits (stuff bits not counted), busy ${us(bus.stats.busyNs).trim()} of ${us(bus.time).trim()} us, load ${load.toFixed(1)}%`);
for (const g of [a, b]) {
  const s = g.dev.stats;
  const rejected = Object.entries(s.txRejected).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`${g.name}: tx accepted ${s.txAccepted}, on wire ${s.txOnWire}, refused {${rejected}}, rx ${g.dev.rxStats.delivered}, bus-off events ${s.busOffEvents}`);
}
