// Reception (VIRTIO 1.4 §5.20.5.3): who gets a frame from the bus, in what form, and what
// happens when a driver has no receive buffer ready.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { CAN_RXQ } from '../../../../src/lib/devices/can/device.ts';
import * as F from '../../../../src/lib/devices/can/features.ts';
import { formatCanFrame } from '../../../../src/lib/devices/can/frame.ts';
import {
  VIRTIO_CAN_FLAGS_EXTENDED,
  VIRTIO_CAN_FLAGS_FD,
  VIRTIO_CAN_FLAGS_RTR,
  VIRTIO_CAN_RX,
} from '../../../../src/lib/devices/can/message.ts';
import { ALL, bytes, fdBus, guestOn, needsReset, tapOn, withoutBits } from './harness.ts';

describe.each(RING_TYPES)('CAN receive: delivery on the bus (%s ring)', (ring) => {
  it('[AVP-CAN-15] delivers a guest\'s frame to every other started guest, not back to the sender', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    const b = guestOn(bus, ring, { name: 'B' });
    const c = guestOn(bus, ring, { name: 'C' });
    a.drv.send({ id: 0x101, data: [1] });
    b.drv.send({ id: 0x102, data: [2] });
    expect(a.drv.receive().map((m) => m.frame.id)).toEqual([0x102]);
    expect(b.drv.receive().map((m) => m.frame.id)).toEqual([0x101]);
    expect(c.drv.receive().map((m) => m.frame.id)).toEqual([0x101, 0x102]);
  });

  it('[AVP-CAN-15] gives every receiver the same bus order', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A', rx: 16 });
    const b = guestOn(bus, ring, { name: 'B', rx: 16 });
    const c = guestOn(bus, ring, { name: 'C', rx: 16 });
    const tap = tapOn(bus);
    const wire: { from: string; text: string }[] = [];
    bus.monitor((r) => wire.push({ from: r.from, text: formatCanFrame(r.frame) }));
    for (let i = 0; i < 4; i++) {
      a.drv.send({ id: 0x200 + i, data: [i] });
      b.drv.send({ id: 0x100 + 2 * i, data: [i] });
    }
    tap.send({ id: 0x0ff, data: [] });
    expect(bus.run()).toBe(9);
    const expected = (name: string) => wire.filter((w) => w.from !== name).map((w) => w.text);
    expect(a.drv.receive().map((m) => formatCanFrame(m.frame))).toEqual(expected('A'));
    expect(b.drv.receive().map((m) => formatCanFrame(m.frame))).toEqual(expected('B'));
    expect(c.drv.receive().map((m) => formatCanFrame(m.frame))).toEqual(expected('C'));
    expect(tap.received.map((r) => formatCanFrame(r.frame))).toEqual(expected('tap'));
    expect(expected('C')).toHaveLength(9);
  });

  it('[AVP-CAN-15] echoes a guest\'s own frames only where the platform configured loopback, after the others', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A', node: { loopback: true } });
    const b = guestOn(bus, ring, { name: 'B' });
    a.drv.send({ id: 0x300, data: [3] });
    b.drv.send({ id: 0x301, data: [4] });
    expect(a.drv.receive().map((m) => m.frame.id)).toEqual([0x300, 0x301]);
    expect(b.drv.receive().map((m) => m.frame.id)).toEqual([0x300]);
  });
});

describe.each(RING_TYPES)('CAN receive: the message (%s ring)', (ring) => {
  it('[AVP-CAN-16] writes msg_type VIRTIO_CAN_RX, the length, the flags and the identifier as on the bus', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring);
    const tap = tapOn(bus);
    tap.send({ id: 0x123, data: [0xde, 0xad] });
    tap.send({ id: 0x1234567, extended: true, fd: true, data: bytes(48) });
    tap.send({ id: 0x7ff, rtr: true, length: 6 });
    tap.send({ id: 0x3, extended: true, rtr: true, length: 0 });
    const got = g.drv.receive();
    expect(got.map((m) => [m.header.msgType, m.header.flags, m.header.canId, m.header.length, m.len])).toEqual([
      [VIRTIO_CAN_RX, 0, 0x123, 2, 18],
      [VIRTIO_CAN_RX, VIRTIO_CAN_FLAGS_EXTENDED | VIRTIO_CAN_FLAGS_FD, 0x1234567, 48, 64],
      [VIRTIO_CAN_RX, VIRTIO_CAN_FLAGS_RTR, 0x7ff, 6, 22],
      [VIRTIO_CAN_RX, VIRTIO_CAN_FLAGS_EXTENDED | VIRTIO_CAN_FLAGS_RTR, 3, 0, 16],
    ]);
    expect([...got[0].frame.data]).toEqual([0xde, 0xad]);
    expect(got[1].frame.data).toEqual(bytes(48));
    for (const m of got) expect([m.header.reservedClassicDlc, m.header.padding, m.header.reservedXlPriority]).toEqual([0, 0, 0]);
  });

  it('[AVP-CAN-17] does not deliver frame types the receiving driver did not accept, and counts them', () => {
    const bus = fdBus();
    const classicOnly = guestOn(bus, ring, { name: 'C', features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_FD, F.VIRTIO_CAN_F_RTR_FRAMES) });
    const fdOnly = guestOn(bus, ring, { name: 'F', features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_CLASSIC, F.VIRTIO_CAN_F_RTR_FRAMES) });
    const tap = tapOn(bus);
    tap.send({ id: 1, data: [1] });
    tap.send({ id: 2, fd: true, data: bytes(16) });
    tap.send({ id: 3, rtr: true, length: 1 });
    expect(classicOnly.drv.receive().map((m) => m.frame.id)).toEqual([1]);
    expect(fdOnly.drv.receive().map((m) => m.frame.id)).toEqual([2]);
    expect(classicOnly.dev.stats.rxDropped['not-negotiated']).toBe(2);
    expect(fdOnly.dev.stats.rxDropped['not-negotiated']).toBe(2);
  });

  it('[AVP-CAN-18] the reference driver offers receive buffers of 80 bytes with CAN FD and 24 without', () => {
    const bus = fdBus();
    const tap = tapOn(bus);
    const g = guestOn(bus, ring, { rx: 0 });
    g.drv.autoRepost = false;
    g.drv.postRx(1);
    tap.send({ id: 0x20, fd: true, data: bytes(64) });
    expect(g.drv.receive().map((m) => m.len)).toEqual([80]);
    const c = guestOn(bus, ring, { rx: 0, features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_FD) });
    c.drv.autoRepost = false;
    c.drv.postRx(1);
    tap.send({ id: 0x21, data: bytes(8) });
    expect(c.drv.receive().map((m) => m.len)).toEqual([24]);
  });

  it('[AVP-CAN-29] hands back buffers too small for the largest frame unused, and loses no frame to them', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0 });
    const tap = tapOn(bus);
    g.drv.autoRepost = false;
    g.drv.postRx(1, 16 + 8); // enough for a classic frame, not for the 64 bytes FD allows
    g.drv.postRx(1, 16 + 64);
    tap.send({ id: 0x10, data: [1] });
    const got = g.drv.receive();
    expect(got.map((m) => m.frame.id)).toEqual([0x10]);
    expect(g.drv.emptyRxBuffers).toBe(1);
    expect(g.dev.rxStats.badBuffers).toBe(1);
    // Without FD, 16 + 8 bytes is enough.
    const c = guestOn(bus, ring, { rx: 0, features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_FD) });
    c.drv.postRx(1, 24);
    tap.send({ id: 0x11, data: bytes(8) });
    expect(c.drv.receive().map((m) => m.len)).toEqual([24]);
    // g holds that 8-byte frame: it has no buffer left. A receive buffer with a device-readable
    // part is handed back unused; the frame goes into the next proper buffer.
    expect(g.dev.rxBacklog).toBe(1);
    g.lb.submit(CAN_RXQ, [new Uint8Array(4)], [80]);
    g.drv.postRx(1, 80);
    expect(g.lb.poll(CAN_RXQ).map((x) => x.len)).toEqual([0, 24]);
    expect(g.dev.rxStats.badBuffers).toBe(2);
    expect(needsReset(g)).toBe(false);
  });
});

describe.each(RING_TYPES)('CAN receive: no buffer ready (%s ring)', (ring) => {
  it('[AVP-CAN-19] holds frames up to its backlog, then by default drops the oldest held frame, counted, so the newest values arrive', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0, dev: { rxBacklog: 3 } });
    const tap = tapOn(bus);
    for (let i = 0; i < 5; i++) tap.send({ id: 0x100 + i, data: [i] });
    expect(g.dev.rxBacklog).toBe(3);
    expect(g.dev.stats.rxDropped.overrun).toBe(2);
    g.drv.postRx(2);
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x102, 0x103]);
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x104]); // into a buffer reposted by the first receive()
    tap.send({ id: 0x200, data: [] });
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x200]);
    expect(g.dev.rxBacklog).toBe(0);
  });

  it('[AVP-CAN-19] [AVP-CAN-32] drops the newest frame instead when the platform configures drop-newest', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0, dev: { rxBacklog: 3, rxOverflow: 'drop-newest' } });
    const tap = tapOn(bus);
    for (let i = 0; i < 5; i++) tap.send({ id: 0x100 + i, data: [i] });
    expect(g.dev.rxBacklog).toBe(3);
    expect(g.dev.stats.rxDropped.overrun).toBe(2);
    g.drv.postRx(2);
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x100, 0x101]);
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x102]);
    tap.send({ id: 0x200, data: [] });
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x200]);
    expect(g.dev.rxBacklog).toBe(0);
  });

  it('[AVP-CAN-19] never lets a new frame overtake a held one, even when a buffer is free', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0, dev: { rxBacklog: 4 } });
    const tap = tapOn(bus);
    tap.send({ id: 1, data: [] });
    tap.send({ id: 2, data: [] });
    // The driver offers one buffer without telling the device (no notification), then a frame arrives.
    g.drv.autoRepost = false;
    const q = g.lb.queues[CAN_RXQ];
    const addr = g.lb.alloc(80);
    q.add([{ addr, len: 80, writable: true }]);
    tap.send({ id: 3, data: [] });
    const used = q.pollUsed();
    expect(used).not.toBeNull();
    expect(g.lb.mem.read(addr + 12, 4)).toEqual(new Uint8Array([1, 0, 0, 0])); // the oldest frame, id 1
    expect(g.dev.rxBacklog).toBe(2);
  });

  it('[AVP-CAN-19] with no backlog, drops a frame that finds no buffer at once', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0, dev: { rxBacklog: 0 } });
    const tap = tapOn(bus);
    tap.send({ id: 1, data: [] });
    g.drv.postRx(1);
    tap.send({ id: 2, data: [] });
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([2]);
    expect(g.dev.stats.rxDropped.overrun).toBe(1);
    expect(g.node.counters.refused).toBe(1);
  });

  it('[AVP-CAN-26] [AVP-CAN-30] counts frames that did not reach the driver, by reason', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0, dev: { rxBacklog: 1 }, features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_FD) });
    const tap = tapOn(bus);
    tap.send({ id: 1, data: [] });
    tap.send({ id: 2, data: [] });
    tap.send({ id: 3, fd: true, data: [] });
    g.drv.stop();
    tap.send({ id: 4, data: [] });
    expect(g.dev.stats.rxDropped).toEqual({ inactive: 0, stopped: 1, 'not-negotiated': 1, overrun: 1, 'queue-error': 0 });
  });

  it('a reset forgets held frames', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { rx: 0 });
    tapOn(bus).send({ id: 1, data: [] });
    expect(g.dev.rxBacklog).toBe(1);
    g.dev.reset();
    expect(g.dev.rxBacklog).toBe(0);
    tapOn(bus, 'tap2').send({ id: 2, data: [] });
    expect(g.dev.stats.rxDropped.inactive).toBe(1);
  });
});
