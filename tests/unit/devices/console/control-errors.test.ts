// Malformed and out-of-order control messages from the driver, and how the device frames its
// own messages (VIRTIO 1.4 §5.3.6.2).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as M from '../../../../src/lib/devices/console/control.ts';
import { parseDriverControl } from '../../../../src/lib/devices/console/control-check.ts';
import { CONTROL_RECEIVEQ, CONTROL_TRANSMITQ } from '../../../../src/lib/devices/console/queues.ts';
import { needsReset, rig } from './harness.ts';

const ctl = (id: number, event: number, value: number) => M.encodeControl({ id, event, value });

describe('console control message parsing', () => {
  it('[AVP-CON-14] [AVP-CON-43] tells short, unknown, device-only and badly valued messages apart', () => {
    expect(parseDriverControl(new Uint8Array(7))).toEqual({ ok: false, reason: 'short' });
    expect(parseDriverControl(ctl(0, 8, 0))).toEqual({ ok: false, reason: 'unknown-event' });
    expect(parseDriverControl(ctl(0, 0xffff, 0))).toEqual({ ok: false, reason: 'unknown-event' });
    for (const e of [1, 2, 4, 5, 7]) expect(parseDriverControl(ctl(0, e, 0))).toEqual({ ok: false, reason: 'device-only-event' });
    for (const e of [0, 3, 6]) {
      expect(parseDriverControl(ctl(0, e, 2))).toEqual({ ok: false, reason: 'bad-value' });
      expect(parseDriverControl(ctl(9, e, 1))).toEqual({ ok: true, msg: { id: 9, event: e, value: 1 } });
    }
  });

  it('[AVP-CON-15] encodes the header little-endian: le32 id, le16 event, le16 value', () => {
    expect([...M.encodeControl({ id: 0x01020304, event: 6, value: 1 })]).toEqual([4, 3, 2, 1, 6, 0, 1, 0]);
    expect(M.decodeControl(new Uint8Array([4, 3, 2, 1, 6, 0, 1, 0]))).toMatchObject({ id: 0x01020304, event: 6, value: 1 });
    expect([...M.encodeResize(2, 80, 24)]).toEqual([2, 0, 0, 0, 5, 0, 0, 0, 80, 0, 24, 0]);
  });
});

describe.each(RING_TYPES)('console control errors (%s ring)', (ring) => {
  const multi = { dev: { maxPorts: 3, ports: { 1: {} } }, hosted: [0, 1] };

  it('[AVP-CON-14] [AVP-CON-43] [AVP-CON-44] ignores and counts bad driver messages, uses each buffer, and carries on', () => {
    const r = rig(ring, multi);
    const send = (b: Uint8Array, inLens: number[] = []) => r.lb.request(CONTROL_TRANSMITQ, [b], inLens);
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(3), 'short'],
      [ctl(1, 9, 0), 'unknown-event'],
      [ctl(1, M.VIRTIO_CONSOLE_DEVICE_ADD, 0), 'device-only-event'],
      [ctl(1, M.VIRTIO_CONSOLE_PORT_OPEN, 7), 'bad-value'],
      [ctl(3, M.VIRTIO_CONSOLE_PORT_READY, 1), 'port-out-of-range'],
      [ctl(0xffffffff, M.VIRTIO_CONSOLE_PORT_OPEN, 1), 'port-out-of-range'],
      [ctl(2, M.VIRTIO_CONSOLE_PORT_READY, 1), 'unknown-port'],
    ];
    for (const [bytes, reason] of cases) {
      const before = r.dev.stats.controlErrors[reason as keyof typeof r.dev.stats.controlErrors];
      expect(send(bytes).len).toBe(0);
      expect(r.dev.stats.lastControlError).toBe(reason);
      expect(r.dev.stats.controlErrors[reason as keyof typeof r.dev.stats.controlErrors]).toBe(before + 1);
    }
    expect(send(ctl(1, M.VIRTIO_CONSOLE_PORT_OPEN, 1), [8]).len).toBe(0); // a writable part: refused too
    expect(r.dev.stats.drops['writable-in-transmitq']).toBe(1);
    expect(needsReset(r)).toBe(false);
    // The protocol still works afterwards.
    r.drv.open(1);
    r.drv.write(1, 'fine');
    expect(r.hosts.get(1)!.output.text).toBe('fine');
  });

  it('[AVP-CON-14] refuses port messages before DEVICE_READY and PORT_OPEN before PORT_READY', () => {
    const r = rig(ring, { ...multi, start: false, driver: { autoReady: false } });
    r.drv.control(1, M.VIRTIO_CONSOLE_PORT_READY, 1);
    expect(r.dev.stats.lastControlError).toBe('not-ready');
    r.drv.start();
    r.drv.control(1, M.VIRTIO_CONSOLE_PORT_OPEN, 1);
    expect(r.dev.stats.lastControlError).toBe('port-not-ready');
    expect(r.dev.portState(1)!.guestOpen).toBe(false);
  });

  it('[AVP-CON-45] acts on the first 8 bytes of a longer message and counts the extra', () => {
    const r = rig(ring, { ...multi, driver: { autoReady: false } });
    const long = new Uint8Array(40).fill(0xee);
    long.set(ctl(1, M.VIRTIO_CONSOLE_PORT_READY, 1));
    r.lb.request(CONTROL_TRANSMITQ, [long.subarray(0, 5), long.subarray(5)], []); // header split over two descriptors
    expect(r.dev.portState(1)!.ready).toBe(true);
    expect(r.dev.stats.controlTrailing).toBe(1);
    expect(r.dev.stats.lastControlError).toBeNull();
  });

  it('[AVP-CON-15] [AVP-CON-47] writes each message into one buffer with its exact length, and keeps it for a buffer big enough', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: { name: 'org.avp.telemetry.0' } } }, start: false });
    r.lb.submit(CONTROL_RECEIVEQ, [], [8]);
    r.lb.request(CONTROL_TRANSMITQ, [ctl(0, M.VIRTIO_CONSOLE_DEVICE_READY, 1)], []); // ADD 0 and ADD 1
    expect(r.dev.pendingControlMessages).toBe(1); // one buffer only: ADD 1 waits
    r.lb.submit(CONTROL_RECEIVEQ, [], [4, 4]); // 8 bytes over two descriptors
    r.lb.request(CONTROL_TRANSMITQ, [ctl(1, M.VIRTIO_CONSOLE_PORT_READY, 1)], []); // queues PORT_NAME, 8 + 19 bytes
    r.lb.submit(CONTROL_RECEIVEQ, [], [16]); // too small for it
    r.lb.submit(CONTROL_RECEIVEQ, [], [64]);
    const done = r.lb.poll(CONTROL_RECEIVEQ);
    expect(done.map((c) => c.len)).toEqual([8, 8, 0, 27]);
    expect(M.decodeControl(done[1].data)).toMatchObject({ id: 1, event: M.VIRTIO_CONSOLE_DEVICE_ADD });
    const name = M.decodeControl(done[3].data.subarray(0, 27))!;
    expect(name).toMatchObject({ id: 1, event: M.VIRTIO_CONSOLE_PORT_NAME });
    expect(new TextDecoder().decode(name.payload)).toBe('org.avp.telemetry.0');
    expect(r.dev.stats.drops['control-buffer-too-small']).toBe(1);
    expect(r.dev.pendingControlMessages).toBe(0);
  });

  it('[AVP-CON-48] [AVP-CON-49] bounds the messages it keeps for a driver that posts no control buffers, and counts the rest', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: {} }, maxPendingControl: 4 }, start: false });
    r.lb.request(CONTROL_TRANSMITQ, [ctl(0, M.VIRTIO_CONSOLE_DEVICE_READY, 1)], []); // ADD 0, ADD 1
    for (let i = 0; i < 10; i++) {
      r.dev.removePort(1);
      r.dev.addPort(1);
    }
    expect(r.dev.pendingControlMessages).toBe(4);
    expect(r.dev.stats.controlOverflow).toBe(18);
    for (let i = 0; i < 6; i++) r.lb.submit(CONTROL_RECEIVEQ, [], [8]);
    const got = r.lb.poll(CONTROL_RECEIVEQ).map((c) => M.decodeControl(c.data)!);
    expect(got.map((m) => [m.event, m.id])).toEqual([
      [M.VIRTIO_CONSOLE_DEVICE_ADD, 0],
      [M.VIRTIO_CONSOLE_DEVICE_ADD, 1],
      [M.VIRTIO_CONSOLE_DEVICE_REMOVE, 1],
      [M.VIRTIO_CONSOLE_DEVICE_ADD, 1],
    ]);
    expect(needsReset(r)).toBe(false);
  });
});
