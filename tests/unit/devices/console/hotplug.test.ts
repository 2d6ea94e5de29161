// Hot-plug and unplug of ports (VIRTIO 1.4 §5.3.6.2) and what a device reset does to them.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ConsoleDriver } from '../../../../src/lib/devices/console/driver.ts';
import * as M from '../../../../src/lib/devices/console/control.ts';
import { CONTROL_RECEIVEQ, portReceiveQueue } from '../../../../src/lib/devices/console/queues.ts';
import { ALL, needsReset, rig, testHost } from './harness.ts';

const events = (r: ReturnType<typeof rig>, id: number) =>
  r.drv.received.filter((m) => m.id === id).map((m) => M.controlEventName(m.event));

describe.each(RING_TYPES)('console hot-plug (%s ring)', (ring) => {
  it('[AVP-CON-34] announces a port added while the driver runs, and carries its data', () => {
    const r = rig(ring, { dev: { maxPorts: 4 } });
    const h = testHost();
    r.dev.addPort(3, { name: 'org.avp.diag.0', host: h });
    r.drv.processControl();
    expect(events(r, 3)).toEqual(['DEVICE_ADD', 'PORT_NAME', 'PORT_OPEN']);
    r.drv.open(3);
    r.drv.write(3, 'status?');
    expect(h.output.text).toBe('status?');
    h.input.push('green');
    r.dev.inputReady(3);
    expect(r.drv.readText(3)).toBe('green');
  });

  it('[AVP-CON-13] [AVP-CON-38] [AVP-CON-39] [AVP-CON-40] [AVP-CON-41] on removal sends DEVICE_REMOVE, returns a held receive buffer and drops later traffic', () => {
    const r = rig(ring, { dev: { maxPorts: 3, ports: { 1: { name: 'svc' } } }, hosted: [0, 1], driver: { rxBuffers: 1 } });
    r.drv.open(1);
    r.dev.queueNotify(portReceiveQueue(1)); // the device takes the buffer and holds it (no input yet)
    expect(r.lb.poll(portReceiveQueue(1))).toHaveLength(0);
    r.dev.removePort(1);
    const back = r.lb.poll(portReceiveQueue(1));
    expect(back.map((c) => c.len)).toEqual([0]);
    expect(r.dev.stats.drops['port-removed']).toBe(1);
    r.drv.processControl();
    expect(events(r, 1).at(-1)).toBe('DEVICE_REMOVE');
    expect(r.drv.ports.has(1)).toBe(false);
    expect(r.hosts.get(1)!.events).toEqual([true, false]); // the host learns the guest side is gone
    const discarded = r.dev.stats.drops['port-not-open'];
    expect(r.drv.write(1, 'late')).toBe(true);
    expect(r.hosts.get(1)!.output.writes).toBe(0);
    expect(r.dev.stats.drops['port-not-open']).toBe(discarded + 1); // the discarded output is counted
    r.drv.control(1, M.VIRTIO_CONSOLE_PORT_OPEN, 1);
    expect(r.dev.stats.lastControlError).toBe('unknown-port');
    expect(needsReset(r)).toBe(false);
  });

  it('[AVP-CON-42] [AVP-CON-34] may add a removed port id again; the driver sees a fresh DEVICE_ADD', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: {} } } });
    r.dev.removePort(1);
    r.dev.addPort(1, { name: 'again' });
    r.drv.processControl();
    expect(events(r, 1)).toEqual(['DEVICE_ADD', 'DEVICE_REMOVE', 'DEVICE_ADD', 'PORT_NAME']);
    expect(r.drv.ports.get(1)!.name).toBe('again');
  });

  it('[AVP-CON-13] sends no DEVICE_REMOVE for a port the driver was never told of', () => {
    const r = rig(ring, { dev: { maxPorts: 3, ports: { 2: {} } }, start: false });
    r.dev.removePort(2);
    r.drv.start();
    expect(r.drv.received.length).toBeGreaterThan(0);
    expect(events(r, 2)).toEqual([]);
    expect(() => r.dev.removePort(2)).toThrow(RangeError);
    const single = rig(ring, { dev: { maxPorts: 1, multiport: false } });
    expect(() => single.dev.removePort(0)).toThrow(RangeError);
  });

  it('[AVP-CON-21] after a reset keeps the ports, tells their hosts the guest closed, and announces them again', () => {
    const r = rig(ring, { dev: { maxPorts: 3, ports: { 2: { name: 'svc' } } }, hosted: [0, 2] });
    r.drv.open(2);
    for (let i = 0; i < 3; i++) r.dev.resize(0, { cols: 80 + i, rows: 24 });
    const lb2 = new Loopback(r.dev, { ring, features: ALL }); // reset and a new driver
    expect(r.hosts.get(0)!.events).toEqual([true, false]);
    expect(r.hosts.get(2)!.events).toEqual([true, false]);
    expect(r.dev.portState(2)).toMatchObject({ announced: false, ready: false, guestOpen: false });
    expect(r.dev.pendingControlMessages).toBe(0);
    const drv2 = new ConsoleDriver(lb2);
    lb2.submit(CONTROL_RECEIVEQ, [], [300]);
    expect(lb2.poll(CONTROL_RECEIVEQ)).toHaveLength(0); // nothing before DEVICE_READY
    drv2.start();
    expect(drv2.ports.get(2)?.name).toBe('svc');
    expect(drv2.ports.get(0)?.size).toEqual({ cols: 82, rows: 24 });
  });
});
