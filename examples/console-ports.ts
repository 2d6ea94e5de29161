// A guest console: an emergency write before DRIVER_OK, two ports brought up over the control queue, output and host input per port, a hot-removed port.
import { Loopback, vconsole as vcon } from '../src/lib/index.ts';

const print = globalThis.console.log;
const show = (b: Uint8Array | string) => JSON.stringify(typeof b === 'string' ? b : new TextDecoder().decode(b));

// The platform's side: one log per port (for port 0 it is also the emergency log), and an
// input queue on the diagnostic port, whose host side answers the guest.
const consoleLog = new vcon.ConsoleLog(64 * 1024);
const diagLog = new vcon.ConsoleLog(64 * 1024);
const diagInput = new vcon.QueuedInput(256);
const hostEvents: string[] = [];
const dev = new vcon.ConsoleDevice({
  maxPorts: 4,
  ports: {
    0: { host: { output: consoleLog }, size: { cols: 100, rows: 30 } },
    1: { name: 'org.avp.diag.0', console: false, host: { output: diagLog, input: diagInput, opened: (o) => hostEvents.push(`host: guest ${o ? 'opened' : 'closed'} org.avp.diag.0`) } },
  },
});

// 1. Early boot: the guest has no virtio driver yet and stores characters in emerg_wr.
vcon.writeEmergency(dev, 'stage1: dram ok\n');
print(`before DRIVER_OK: ${dev.stats.emergencyChars} characters through emerg_wr -> port 0 log ${show(consoleLog.text)}`);

// 2. The virtio driver initializes: features, queues, DRIVER_OK, then the control handshake.
const lb = new Loopback(dev, { ring: 'split' });
const f = (n: number, label: string) => (lb.features & (1n << BigInt(n)) ? [label] : []);
print(`device ID ${dev.deviceId}, features ${[...f(vcon.VIRTIO_CONSOLE_F_SIZE, 'SIZE'), ...f(vcon.VIRTIO_CONSOLE_F_MULTIPORT, 'MULTIPORT'), ...f(vcon.VIRTIO_CONSOLE_F_EMERG_WRITE, 'EMERG_WRITE')].join(' ')}, max_nr_ports ${dev.config.u32(vcon.CONSOLE_CFG_MAX_NR_PORTS)}, ${lb.queues.length} queues`);
const drv = new vcon.ConsoleDriver(lb);
drv.start();

const traced = new Set<unknown>();
function trace(): void {
  for (const t of drv.trace) {
    if (traced.has(t)) continue;
    traced.add(t);
    const m = t.msg;
    const arrow = t.from === 'driver' ? 'driver -> device' : 'device -> driver';
    let extra = '';
    if (m.event === vcon.VIRTIO_CONSOLE_PORT_NAME) extra = ` name ${show(m.payload ?? new Uint8Array(0))}`;
    const size = m.event === vcon.VIRTIO_CONSOLE_RESIZE ? vcon.decodeResize(m.payload ?? new Uint8Array(0)) : null;
    if (size) extra = ` ${size.cols}x${size.rows}`;
    const q = t.from === 'driver' ? vcon.CONTROL_TRANSMITQ : vcon.CONTROL_RECEIVEQ;
    print(`  q${q} ${arrow}  ${vcon.controlEventName(m.event).padEnd(13)} id ${m.id} value ${m.value}${extra}`);
  }
  for (const e of hostEvents.splice(0)) print(e);
}
print('control queues:');
trace();

// 3. The guest finds its diagnostic service by name, opens it, and writes on both ports.
const diag = drv.portByName('org.avp.diag.0')!;
drv.open(diag.id);
trace();
drv.write(0, 'linux: console on hvc0\n');
drv.write(diag.id, 'diag: hello\n');
print(`guest wrote: port 0 log ${show(consoleLog.text)}`);
print(`guest wrote: port ${diag.id} log ${show(diagLog.text)}`);

// 4. The host answers on the diagnostic port; the bytes land in the guest's receive buffers.
diagInput.push('diag: ok 42\n');
dev.inputReady(diag.id);
print(`guest read on port ${diag.id} (receiveq ${vcon.portReceiveQueue(diag.id)}): ${show(drv.readText(diag.id))}`);

// 5. The host unplugs the diagnostic port. The driver is told; later writes to it are dropped.
dev.removePort(diag.id);
drv.processControl();
trace();
drv.write(diag.id, 'late\n');
print(`after removal: guest ports [${[...drv.ports.keys()].join(', ')}], write to port ${diag.id} dropped (${dev.stats.drops['port-not-open']})`);

// 6. A crash: the guest cannot trust its rings any more and falls back to emerg_wr.
drv.emergencyWrite('panic: oops\n');
print(`port 0 log now ${show(consoleLog.text)}`);
print(`stats: control sent ${dev.stats.controlSent}, accepted ${dev.stats.controlAccepted}, errors ${Object.values(dev.stats.controlErrors).reduce((a, b) => a + b, 0)}, emergency ${dev.stats.emergencyChars}, device error ${lb.error?.code ?? 'none'}`);
