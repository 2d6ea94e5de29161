// The multiport start-up (VIRTIO 1.4 §5.3.5, §5.3.6.2): DEVICE_READY, DEVICE_ADD per port,
// PORT_READY, then CONSOLE_PORT / RESIZE / PORT_NAME / PORT_OPEN; and port names.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { ConsoleDevice } from '../../../../src/lib/devices/console/device.ts';
import * as M from '../../../../src/lib/devices/console/control.ts';
import { CONTROL_RECEIVEQ } from '../../../../src/lib/devices/console/queues.ts';
import { checkPortName } from '../../../../src/lib/devices/console/port.ts';
import { rig } from './harness.ts';

const show = (msgs: readonly M.ConsoleControl[]) => msgs.map((m) => `${M.controlEventName(m.event)}:${m.id}:${m.value}`);

describe.each(RING_TYPES)('console multiport handshake (%s ring)', (ring) => {
  it('[AVP-CON-11] [AVP-CON-34] announces nothing before DEVICE_READY 1, then every port once, in ascending order', () => {
    const r = rig(ring, { dev: { maxPorts: 6, ports: { 5: {}, 2: {}, 3: {} } }, start: false, driver: { autoReady: false } });
    for (let i = 0; i < 4; i++) r.lb.submit(CONTROL_RECEIVEQ, [], [300]);
    r.dev.queueNotify(CONTROL_RECEIVEQ);
    expect(r.lb.poll(CONTROL_RECEIVEQ)).toHaveLength(0);
    r.drv.control(0, M.VIRTIO_CONSOLE_DEVICE_READY, 0); // the driver failed: still nothing
    expect(r.drv.received).toHaveLength(0);
    expect(r.dev.deviceReady).toBe(false);
    r.drv.control(0, M.VIRTIO_CONSOLE_DEVICE_READY, 1);
    expect(show(r.drv.received)).toEqual(['DEVICE_ADD:0:0', 'DEVICE_ADD:2:0', 'DEVICE_ADD:3:0', 'DEVICE_ADD:5:0']);
    r.drv.control(0, M.VIRTIO_CONSOLE_DEVICE_READY, 1); // a repeat announces nothing again
    expect(r.drv.received).toHaveLength(4);
    expect(r.dev.portState(5)!.announced).toBe(true);
  });

  it('[AVP-CON-35] never announces a port at or above max_nr_ports', () => {
    expect(() => new ConsoleDevice({ maxPorts: 2, ports: { 2: {} } })).toThrow(RangeError);
    const r = rig(ring, { dev: { maxPorts: 2 } });
    expect(() => r.dev.addPort(2)).toThrow(RangeError);
    expect(() => r.dev.addPort(0)).toThrow(RangeError); // exists: no second DEVICE_ADD
    expect(r.drv.received.filter((m) => m.event === M.VIRTIO_CONSOLE_DEVICE_ADD).map((m) => m.id)).toEqual([0]);
  });

  it('[AVP-CON-12] [AVP-CON-46] after PORT_READY sends CONSOLE_PORT, RESIZE, PORT_NAME and PORT_OPEN, in that order', () => {
    const r = rig(ring, {
      dev: { maxPorts: 3, ports: { 1: { console: true, name: 'org.avp.shell.0', size: { cols: 132, rows: 43 } }, 2: { name: 'org.avp.log.0' } } },
      hosted: [1],
    });
    const byPort = (id: number) => show(r.drv.received.filter((m) => m.id === id));
    expect(byPort(1)).toEqual(['DEVICE_ADD:1:0', 'CONSOLE_PORT:1:1', 'RESIZE:1:0', 'PORT_NAME:1:1', 'PORT_OPEN:1:1']);
    expect(byPort(2)).toEqual(['DEVICE_ADD:2:0', 'PORT_NAME:2:1']); // not a console, no host side
    expect(byPort(0)).toEqual(['DEVICE_ADD:0:0', 'CONSOLE_PORT:0:1']); // port 0 is a console by default
    const p1 = r.drv.ports.get(1)!;
    expect(p1).toMatchObject({ name: 'org.avp.shell.0', console: true, size: { cols: 132, rows: 43 }, hostOpen: true, open: true });
    expect(r.dev.portState(1)).toMatchObject({ ready: true, guestOpen: true, hostOpen: true });
  });

  it('[AVP-CON-37] describes nothing after PORT_READY 0, and the port stays unusable', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: { name: 'x', console: true } } }, hosted: [1], driver: { autoReady: false } });
    r.drv.control(1, M.VIRTIO_CONSOLE_PORT_READY, 0);
    expect(show(r.drv.received.filter((m) => m.id === 1))).toEqual(['DEVICE_ADD:1:0']);
    expect(r.dev.portState(1)).toMatchObject({ ready: false, failed: true });
    r.drv.control(1, M.VIRTIO_CONSOLE_PORT_OPEN, 1);
    expect(r.dev.stats.lastControlError).toBe('port-not-ready');
    expect(r.drv.write(1, 'x')).toBe(true);
    expect(r.hosts.get(1)!.output.writes).toBe(0);
  });

  it('[AVP-CON-36] tells a ready driver when the host side is attached and detached', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: {} } }, hosted: [0] });
    expect(r.drv.ports.get(1)!.hostOpen).toBe(false);
    r.dev.attach(1, { output: null });
    r.drv.processControl();
    expect(r.drv.ports.get(1)!.hostOpen).toBe(true);
    r.dev.attach(1, null);
    r.drv.processControl();
    expect(r.drv.ports.get(1)!.hostOpen).toBe(false);
    expect(show(r.drv.received.filter((m) => m.id === 1)).slice(-2)).toEqual(['PORT_OPEN:1:1', 'PORT_OPEN:1:0']);
  });

  it('[AVP-CON-16] [AVP-CON-51] [AVP-CON-52] the guest driver posts control buffers of 263 bytes before DEVICE_READY and opens console ports', () => {
    expect(M.CONSOLE_CONTROL_BUFFER_MIN).toBe(263);
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: { console: true } } }, hosted: [0, 1], start: false });
    expect(r.dev.deviceReady).toBe(false);
    r.drv.start();
    expect(r.dev.deviceReady).toBe(true);
    // Every CONSOLE_PORT was answered with PORT_OPEN 1: both console ports are open on the guest side.
    expect(r.dev.portState(0)!.guestOpen).toBe(true);
    expect(r.dev.portState(1)!.guestOpen).toBe(true);
    expect(r.hosts.get(1)!.events).toEqual([true]);
    expect(r.dev.stats.drops['control-buffer-too-small']).toBe(0);
  });

  it('[AVP-CON-19] sends a port name of up to 255 UTF-8 bytes whole, without a terminator', () => {
    const long = 'ä'.repeat(127) + 'z'; // 255 bytes
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: { name: long } } } });
    const msg = r.drv.received.find((m) => m.event === M.VIRTIO_CONSOLE_PORT_NAME)!;
    expect(msg.payload!.length).toBe(255);
    expect(msg.payload![254]).toBe(0x7a);
    expect(r.drv.portByName(long)?.id).toBe(1);
  });

  it('[AVP-CON-19] refuses empty, over-long, NUL-carrying and duplicate names', () => {
    expect(() => checkPortName('', [])).toThrow(RangeError);
    expect(() => checkPortName('a'.repeat(256), [])).toThrow(RangeError);
    expect(() => checkPortName('a\0b', [])).toThrow(RangeError);
    expect(() => checkPortName('svc', ['svc'])).toThrow(RangeError);
    expect(() => new ConsoleDevice({ maxPorts: 3, ports: { 1: { name: 'svc' }, 2: { name: 'svc' } } })).toThrow(RangeError);
    const r = rig(ring, { dev: { maxPorts: 3, ports: { 1: { name: 'svc' } } } });
    expect(() => r.dev.addPort(2, { name: 'svc' })).toThrow(RangeError);
    r.dev.removePort(1);
    expect(() => r.dev.addPort(2, { name: 'svc' })).not.toThrow(); // free again once its port is gone
  });
});
