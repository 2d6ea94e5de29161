// The virtual CAN bus: arbitration between controllers, the platform's identifier filters,
// bit rates and frame timing, and the host tap.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { CanBus, matchesFilters } from '../../../../src/lib/devices/can/bus.ts';
import { arbitrationKey, canFrame, formatCanFrame, frameBits } from '../../../../src/lib/devices/can/frame.ts';
import { VIRTIO_CAN_RESULT_NOT_OK, VIRTIO_CAN_RESULT_OK } from '../../../../src/lib/devices/can/message.ts';
import { CanTap } from '../../../../src/lib/devices/can/tap.ts';
import { fdBus, guestOn, tapOn } from './harness.ts';

describe('CAN arbitration and timing', () => {
  it('[AVP-CAN-14] orders keys as bitwise arbitration does', () => {
    const k = (init: Parameters<typeof canFrame>[0]) => arbitrationKey(canFrame(init));
    expect(k({ id: 0x100 })).toBeLessThan(k({ id: 0x101 }));
    expect(k({ id: 0x100 })).toBeLessThan(k({ id: 0x100, rtr: true }));
    expect(k({ id: 0x100, rtr: true })).toBeLessThan(k({ id: 0x100 << 18, extended: true }));
    expect(k({ id: 0x100 << 18, extended: true })).toBeLessThan(k({ id: (0x100 << 18) | 1, extended: true }));
    expect(k({ id: 0x100 << 18, extended: true })).toBeLessThan(k({ id: 0x100 << 18, extended: true, rtr: true }));
    expect(k({ id: 0x0ff << 18 | 0x3ffff, extended: true, rtr: true })).toBeLessThan(k({ id: 0x100 }));
    expect(k({ id: 0x100, fd: true })).toBe(k({ id: 0x100 }));
  });

  it('counts the bits of a frame on the wire, stuff bits aside', () => {
    expect(frameBits(canFrame({ id: 1, data: new Uint8Array(8) }), false)).toEqual({ nominal: 111, data: 0 });
    expect(frameBits(canFrame({ id: 1, extended: true, data: [] }), false)).toEqual({ nominal: 67, data: 0 });
    expect(frameBits(canFrame({ id: 1, rtr: true, length: 8 }), false)).toEqual({ nominal: 47, data: 0 });
    expect(frameBits(canFrame({ id: 1, fd: true, data: new Uint8Array(64) }), true)).toEqual({ nominal: 30, data: 1 + 4 + 512 + 4 + 21 });
    expect(frameBits(canFrame({ id: 1, fd: true, data: new Uint8Array(16) }), false)).toEqual({ nominal: 17 + 26 + 128 + 13, data: 0 });
  });

  it('times frames with the platform\'s bit rates', () => {
    const classic = new CanBus({ bitrate: 125_000 });
    expect(classic.frameDuration(canFrame({ id: 1, data: new Uint8Array(8) }))).toBe(111 * 8000);
    const fd = new CanBus({ bitrate: 500_000, dataBitrate: 5_000_000 });
    expect(fd.frameDuration(canFrame({ id: 1, fd: true, data: new Uint8Array(64) }))).toBe(30 * 2000 + 542 * 200);
    const noBrs = new CanBus({ bitrate: 500_000, dataBitrate: 500_000 });
    expect(noBrs.frameDuration(canFrame({ id: 1, fd: true, data: new Uint8Array(64) }))).toBe(572 * 2000);
  });

  it('matches identifier filters by mask and format', () => {
    const f = canFrame({ id: 0x123 });
    expect(matchesFilters(f, null)).toBe(true);
    expect(matchesFilters(f, [])).toBe(false);
    expect(matchesFilters(f, [{ id: 0x100, mask: 0x700 }])).toBe(true);
    expect(matchesFilters(f, [{ id: 0x200, mask: 0x700 }])).toBe(false);
    expect(matchesFilters(f, [{ id: 0x100, mask: 0x700, extended: true }])).toBe(false);
    expect(matchesFilters(canFrame({ id: 0x123, extended: true }), [{ id: 0x123, mask: 0x1fffffff, extended: true }])).toBe(true);
  });

  it('formats frames the way candump does', () => {
    expect(formatCanFrame(canFrame({ id: 0x12, data: [0xde, 0xad] }))).toBe('012#DEAD');
    expect(formatCanFrame(canFrame({ id: 0x12, extended: true, data: [] }))).toBe('00000012#');
    expect(formatCanFrame(canFrame({ id: 0x7ff, fd: true, data: [1] }))).toBe('7FF##001');
    expect(formatCanFrame(canFrame({ id: 0x7ff, rtr: true, length: 3 }))).toBe('7FF#R3');
  });

  it('refuses, on the host side, frames no bus could carry', () => {
    expect(() => canFrame({ id: 0x800 })).toThrow(RangeError);
    expect(() => canFrame({ id: 1, data: new Uint8Array(9) })).toThrow(RangeError);
    expect(() => canFrame({ id: 1, fd: true, data: new Uint8Array(13) })).toThrow(RangeError);
    expect(() => canFrame({ id: 1, fd: true, rtr: true })).toThrow(RangeError);
    const classic = new CanBus();
    const tap = new CanTap();
    classic.attach(tap);
    expect(tap.send({ id: 1, fd: true, data: [] })).toBe('fd-not-supported');
    expect(new CanTap().send({ id: 1 })).toBe('detached');
  });

  it('keeps a clock of frame times and idle time, and reports load', () => {
    const bus = new CanBus({ bitrate: 250_000 });
    const a = new CanTap();
    const b = new CanTap();
    bus.attach(a, { name: 'a' });
    bus.attach(b, { name: 'b' });
    const recs: number[][] = [];
    const stop = bus.monitor((r) => recs.push([r.start, r.end]));
    a.send({ id: 1, data: [] });
    bus.advance(1000);
    a.send({ id: 2, data: [] });
    stop();
    a.send({ id: 3, data: [] });
    expect(recs).toEqual([[0, 47 * 4000], [47 * 4000 + 1000, 2 * 47 * 4000 + 1000]]);
    expect(bus.stats).toEqual({ frames: 3, bits: 141, busyNs: 3 * 47 * 4000 });
    expect(bus.time).toBe(3 * 47 * 4000 + 1000);
    expect(b.take().map((f) => f.id)).toEqual([1, 2, 3]);
  });

  it('detaching a node cancels its frames and stops deliveries to it', () => {
    const bus = new CanBus({ autoRun: false });
    const a = new CanTap();
    const b = new CanTap();
    const na = bus.attach(a);
    bus.attach(b);
    a.send({ id: 1 });
    bus.detach(na);
    expect(bus.run()).toBe(0);
    expect(na.counters.cancelled).toBe(1);
    b.send({ id: 2 });
    bus.run();
    expect(a.received).toHaveLength(0);
    expect(a.send({ id: 3 })).toBe('detached');
  });
});

describe.each(RING_TYPES)('CAN bus with guests (%s ring)', (ring) => {
  it('[AVP-CAN-14] sends competing frames of several controllers lowest identifier first', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A' });
    const b = guestOn(bus, ring, { name: 'B' });
    const tap = tapOn(bus);
    a.drv.send({ id: 0x300, data: [] });
    a.drv.send({ id: 0x050, data: [] }); // behind 0x300 in A's own queue
    b.drv.send({ id: 0x200, data: [] });
    b.drv.send({ id: 0x100, extended: true, data: [] }); // extended 0x100 has base identifier 0
    tap.send({ id: 0x250, data: [] });
    bus.run();
    expect(b.drv.receive().map((m) => formatCanFrame(m.frame))).toEqual(['250#', '300#', '050#']);
    expect(a.drv.receive().map((m) => formatCanFrame(m.frame))).toEqual(['200#', '00000100#', '250#']);
  });

  it('[AVP-CAN-24] refuses identifiers the platform did not give a guest, and sends nothing', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A', node: { txFilter: [{ id: 0x100, mask: 0x7f0, extended: false }] } });
    const tap = tapOn(bus);
    expect(a.drv.send({ id: 0x105, data: [1] }).status).toBe(VIRTIO_CAN_RESULT_OK);
    expect(a.drv.send({ id: 0x115, data: [1] }).status).toBe(VIRTIO_CAN_RESULT_NOT_OK);
    expect(a.drv.send({ id: 0x105, extended: true, data: [1] }).status).toBe(VIRTIO_CAN_RESULT_NOT_OK);
    expect(a.dev.stats.txRejected['not-owned']).toBe(2);
    expect(a.node.counters.notOwned).toBe(2);
    expect(tap.take().map((f) => f.id)).toEqual([0x105]);
  });

  it('[AVP-CAN-25] delivers to a guest only the identifiers its platform filter accepts', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A', node: { rxFilter: [{ id: 0x400, mask: 0x700, extended: false }, { id: 0x18feee00, mask: 0x1fffff00, extended: true }] } });
    const b = guestOn(bus, ring, { name: 'B' });
    const tap = tapOn(bus);
    for (const [id, extended] of [[0x401, false], [0x123, false], [0x18feee31, true], [0x18fe0031, true], [0x401, true]] as const) tap.send({ id, extended, data: [] });
    expect(a.drv.receive().map((m) => m.frame.id)).toEqual([0x401, 0x18feee31]);
    expect(b.drv.receive()).toHaveLength(5);
    expect(a.node.counters.filtered).toBe(3);
    expect(a.dev.stats.rxDropped).toEqual({ inactive: 0, stopped: 0, 'not-negotiated': 0, overrun: 0, 'queue-error': 0 });
  });

  it('a frame sent from inside a delivery waits for the frame in progress to finish', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { name: 'G' });
    // A responder that answers each frame with id + 1, from inside receive().
    const responder = new CanTap();
    const orig = responder.receive.bind(responder);
    responder.receive = (f, from) => {
      responder.send({ id: f.id + 1, data: [] });
      return orig(f, from);
    };
    bus.attach(responder, { name: 'R' });
    const wire: [number, number, number][] = [];
    bus.monitor((r) => wire.push([r.frame.id, r.start, r.end]));
    g.drv.send({ id: 0x100, data: [] });
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x101]);
    expect(wire.map((w) => w[0])).toEqual([0x100, 0x101]);
    expect(wire[1][1]).toBe(wire[0][2]);
  });
});
