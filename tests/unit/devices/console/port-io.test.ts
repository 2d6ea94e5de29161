// Data on a port (VIRTIO 1.4 §5.3.6, §5.3.6.1): output to the host, input from it, and buffers
// the driver put on the wrong queue.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { portReceiveQueue, portTransmitQueue } from '../../../../src/lib/devices/console/queues.ts';
import { QueuedInput } from '../../../../src/lib/devices/console/queued-input.ts';
import type { ConsoleInput } from '../../../../src/lib/devices/console/host.ts';
import { needsReset, rig, text } from './harness.ts';

const multi = { dev: { maxPorts: 3, ports: { 1: { name: 'svc' } } }, hosted: [0, 1] };

describe.each(RING_TYPES)('console port I/O (%s ring)', (ring) => {
  it('[AVP-CON-4] returns every transmit buffer at once with used length 0, host listening or not', () => {
    const r = rig(ring, { hosted: [] });
    const q = portTransmitQueue(0);
    const done = [];
    for (let i = 0; i < 100; i++) {
      const id = r.lb.submit(q, [new Uint8Array([0x41 + (i % 26)])], []);
      const back = r.lb.poll(q); // back before the driver does anything else
      expect(back.map((c) => c.id)).toEqual([id]);
      done.push(...back);
    }
    expect(done.every((c) => c.len === 0)).toBe(true);
    expect(r.dev.stats.drops['host-closed']).toBe(100);
    expect(needsReset(r)).toBe(false);
  });

  it('[AVP-CON-4] returns buffers for a port the guest has not opened, discarding and counting the data', () => {
    const r = rig(ring, multi);
    expect(r.drv.write(1, 'early')).toBe(true); // port 1 ready but not opened by the guest
    expect(r.hosts.get(1)!.output.writes).toBe(0);
    expect(r.dev.stats.drops['port-not-open']).toBe(1);
    expect(r.drv.write(2, 'nobody')).toBe(true); // port 2 does not exist
    expect(r.dev.stats.drops['port-not-open']).toBe(2);
    r.drv.open(1);
    expect(r.drv.write(1, 'now')).toBe(true);
    expect(r.hosts.get(1)!.output.text).toBe('now');
  });

  it('[AVP-CON-4] passes output to the host byte for byte, across descriptors, and counts it', () => {
    const r = rig(ring, multi);
    r.drv.open(1);
    r.lb.request(portTransmitQueue(1), [new TextEncoder().encode('ab'), new TextEncoder().encode('cd')], []);
    r.drv.write(0, 'console');
    expect(r.hosts.get(1)!.output.text).toBe('abcd');
    expect(r.hosts.get(0)!.output.text).toBe('console');
    expect(r.dev.portState(1)!.txBytes).toBe(4);
  });

  it('[AVP-CON-5] [AVP-CON-31] [AVP-CON-32] returns a device-writable buffer on a transmitq unused, without passing anything on', () => {
    const r = rig(ring);
    const c = r.lb.request(portTransmitQueue(0), [new TextEncoder().encode('x')], [4]);
    expect(c.len).toBe(0);
    expect(r.hosts.get(0)!.output.writes).toBe(0);
    expect(r.dev.stats.drops['writable-in-transmitq']).toBe(1);
    expect(needsReset(r)).toBe(false);
    expect(r.drv.write(0, 'y')).toBe(true);
    expect(r.hosts.get(0)!.output.text).toBe('y');
  });

  it('[AVP-CON-5] [AVP-CON-31] [AVP-CON-32] returns a device-readable buffer on a receiveq unused and delivers input to the next one', () => {
    const r = rig(ring, { driver: { rxBuffers: 0 } });
    r.lb.submit(portReceiveQueue(0), [new Uint8Array([1, 2])], [8]);
    r.lb.submit(portReceiveQueue(0), [], [8]);
    r.hosts.get(0)!.input.push('hi');
    r.dev.inputReady(0);
    const done = r.lb.poll(portReceiveQueue(0));
    expect(done.map((c) => c.len)).toEqual([0, 2]);
    expect(text(done[1].data)).toBe('hi');
    expect(r.dev.stats.drops['readable-in-receiveq']).toBe(1);
    expect(needsReset(r)).toBe(false);
  });

  it('[AVP-CON-6] delivers host input in order, split over buffers, without loss or duplication', () => {
    const r = rig(ring, { driver: { rxBuffers: 3, rxSize: 5 } });
    const msg = 'the quick brown fox jumps';
    r.hosts.get(0)!.input.push(msg);
    r.dev.inputReady(0);
    let got = r.drv.readText(0); // 15 bytes: three buffers of 5
    expect(got).toBe(msg.slice(0, 15));
    r.dev.queueNotify(portReceiveQueue(0)); // the driver reposted its buffers
    got += r.drv.readText(0);
    expect(got).toBe(msg);
    expect(r.hosts.get(0)!.input.pending).toBe(0);
    expect(r.dev.portState(0)!.rxBytes).toBe(msg.length);
  });

  it('[AVP-CON-6] holds a receive buffer while the host has no input and fills it when input comes', () => {
    const r = rig(ring, { driver: { rxBuffers: 1, rxSize: 16 } });
    r.dev.queueNotify(portReceiveQueue(0));
    expect(r.lb.poll(portReceiveQueue(0))).toHaveLength(0); // no zero-length completions
    r.hosts.get(0)!.input.push('late');
    r.dev.inputReady(0);
    expect(r.drv.readText(0)).toBe('late');
  });

  it('[AVP-CON-6] gives a multiport port no input until the guest opens it', () => {
    const r = rig(ring, multi);
    r.hosts.get(1)!.input.push('wait');
    r.dev.inputReady(1);
    expect(r.drv.readText(1)).toBe('');
    r.drv.open(1);
    expect(r.drv.readText(1)).toBe('wait');
    r.drv.close(1);
    r.hosts.get(1)!.input.push('closed');
    r.dev.inputReady(1);
    expect(r.drv.readText(1)).toBe('');
    expect(r.hosts.get(1)!.events).toEqual([true, false]);
  });

  it('[AVP-CON-6] survives an input source that throws or returns more than asked', () => {
    let calls = 0;
    const wild: ConsoleInput = {
      read: (max) => {
        calls++;
        if (calls === 1) throw new Error('tty gone');
        return new Uint8Array(max + 10).fill(0x7a);
      },
    };
    const r = rig(ring, { hosted: [], dev: { ports: { 0: { host: { input: wild } } } }, driver: { rxBuffers: 1, rxSize: 4 } });
    r.dev.inputReady(0); // throws: treated as no input, buffer held
    r.dev.inputReady(0);
    expect(r.drv.readText(0)).toBe('zzzz');
    expect(needsReset(r)).toBe(false);
  });

  it('[AVP-CON-7] bounds the input the host queues for a guest that does not read', () => {
    const input = new QueuedInput(8);
    expect(input.push('0123456789')).toBe(8);
    expect(input.push('x')).toBe(0);
    expect(input.pending).toBe(8);
    expect(new TextDecoder().decode(input.read(100))).toBe('01234567');
    expect(input.push('ab')).toBe(2);
    expect(() => new QueuedInput(0)).toThrow(RangeError);
  });
});
