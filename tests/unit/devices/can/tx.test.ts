// Transmission (VIRTIO 1.4 §5.20.5.2): what the device accepts from a driver, what it refuses
// with VIRTIO_CAN_RESULT_NOT_OK, and when it answers.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import type { CanEndpoint, CanNode, CanRxResult } from '../../../../src/lib/devices/can/bus.ts';
import { CAN_TXQ } from '../../../../src/lib/devices/can/device.ts';
import * as F from '../../../../src/lib/devices/can/features.ts';
import { CAN_FD_LENGTHS, type CanFrame } from '../../../../src/lib/devices/can/frame.ts';
import {
  encodeCanHeader,
  VIRTIO_CAN_FLAGS_EXTENDED as EXT,
  VIRTIO_CAN_FLAGS_FD as FD,
  VIRTIO_CAN_FLAGS_RTR as RTR,
  VIRTIO_CAN_RESULT_NOT_OK,
  VIRTIO_CAN_RESULT_OK,
  VIRTIO_CAN_RX,
  VIRTIO_CAN_SET_CTRL_MODE_START,
  VIRTIO_CAN_TX,
} from '../../../../src/lib/devices/can/message.ts';
import { ALL, bytes, fdBus, guestOn, needsReset, tapOn, withoutBits } from './harness.ts';

const OK = VIRTIO_CAN_RESULT_OK;
const NOT_OK = VIRTIO_CAN_RESULT_NOT_OK;

/** A transmit request with any header values, and `sdu` bytes after it. */
function txBytes(h: { msgType?: number; length?: number; flags?: number; canId?: number; reservedClassicDlc?: number; padding?: number; reservedXlPriority?: number }, sdu: Uint8Array | number = h.length ?? 0): Uint8Array {
  const body = typeof sdu === 'number' ? bytes(sdu) : sdu;
  const out = new Uint8Array(16 + body.length);
  out.set(encodeCanHeader({ msgType: VIRTIO_CAN_TX, ...h }), 0);
  out.set(body, 16);
  return out;
}

function setup(ring: RingType, features = ALL, autoRun = true) {
  const bus = fdBus({ autoRun });
  const a = guestOn(bus, ring, { name: 'A', features });
  const tap = tapOn(bus);
  return { bus, a, tap };
}

describe.each(RING_TYPES)('CAN transmit: well-formed frames (%s ring)', (ring) => {
  it('sends classic, extended, CAN FD and remote frames to the bus with result OK', () => {
    const { a, tap } = setup(ring);
    expect(a.drv.send({ id: 0x123, data: [1, 2, 3, 4, 5, 6, 7, 8] }).status).toBe(OK);
    expect(a.drv.send({ id: 0x1abcdef, extended: true, data: [] }).status).toBe(OK);
    expect(a.drv.send({ id: 0x7ff, fd: true, data: bytes(64) }).status).toBe(OK);
    expect(a.drv.send({ id: 0x42, rtr: true, length: 4 }).status).toBe(OK);
    const got = tap.take();
    expect(got.map((f) => [f.id, f.extended, f.fd, f.rtr, f.length])).toEqual([
      [0x123, false, false, false, 8],
      [0x1abcdef, true, false, false, 0],
      [0x7ff, false, true, false, 64],
      [0x42, false, false, true, 4],
    ]);
    expect(got[2].data).toEqual(bytes(64));
    expect(a.dev.stats.txAccepted).toBe(4);
    expect(a.dev.stats.txOnWire).toBe(4);
  });

  it('[AVP-CAN-9] accepts every CAN FD length a DLC can encode, and the extreme identifiers', () => {
    const { a, tap } = setup(ring);
    for (const n of CAN_FD_LENGTHS) expect(a.drv.raw([txBytes({ flags: FD, length: n, canId: 0x10 })]).status).toBe(OK);
    expect(a.drv.raw([txBytes({ canId: 0x7ff })]).status).toBe(OK);
    expect(a.drv.raw([txBytes({ canId: 0x1fffffff, flags: EXT })]).status).toBe(OK);
    expect(tap.received).toHaveLength(CAN_FD_LENGTHS.length + 2);
  });

  it('reads a header split across descriptors', () => {
    const { a, tap } = setup(ring);
    const b = txBytes({ canId: 0x321, length: 3 }, new Uint8Array([9, 8, 7]));
    expect(a.drv.raw([b.subarray(0, 5), b.subarray(5, 13), b.subarray(13)]).status).toBe(OK);
    expect(tap.take().map((f) => [...f.data])).toEqual([[9, 8, 7]]);
  });
});

describe.each(RING_TYPES)('CAN transmit: malformed requests (%s ring)', (ring) => {
  it('[AVP-CAN-7] refuses a wrong msg_type or a short buffer, and sends nothing', () => {
    const { a, tap } = setup(ring);
    for (const t of [VIRTIO_CAN_RX, 0, VIRTIO_CAN_SET_CTRL_MODE_START, 0xffff]) expect(a.drv.raw([txBytes({ msgType: t, canId: 1 })]).status).toBe(NOT_OK);
    expect(a.dev.stats.txRejected['bad-msg-type']).toBe(4);
    expect(a.drv.raw([txBytes({ canId: 1 }).subarray(0, 15)]).status).toBe(NOT_OK); // header cut short
    expect(a.drv.raw([], [1]).status).toBe(NOT_OK); // no readable byte at all
    expect(a.drv.raw([txBytes({ canId: 1, length: 8 }, 4)]).status).toBe(NOT_OK); // sdu shorter than length
    expect(a.dev.stats.txRejected['short-buffer']).toBe(3);
    expect(tap.received).toHaveLength(0);
    expect(needsReset(a)).toBe(false);
  });

  it('[AVP-CAN-36] returns a request without room for the result with used length 0 and does not send it', () => {
    const { a, tap } = setup(ring);
    expect(a.drv.raw([txBytes({ canId: 5, length: 1 })], []).status).toBe('unanswered');
    expect(a.dev.stats.txUnanswerable).toBe(1);
    expect(tap.received).toHaveLength(0);
    expect(a.drv.raw([txBytes({ canId: 5, length: 1 })], [3]).status).toBe(OK); // one byte written into a bigger buffer
  });

  it('[AVP-CAN-8] refuses frame types that were not negotiated', () => {
    const noFd = setup(ring, withoutBits(ALL, F.VIRTIO_CAN_F_CAN_FD));
    expect(noFd.a.drv.raw([txBytes({ flags: FD, canId: 1, length: 12 })]).status).toBe(NOT_OK);
    expect(noFd.a.dev.stats.lastTxReject).toBe('fd-not-negotiated');
    const noRtr = setup(ring, withoutBits(ALL, F.VIRTIO_CAN_F_RTR_FRAMES));
    expect(noRtr.a.drv.raw([txBytes({ flags: RTR, canId: 1, length: 2 }, 0)]).status).toBe(NOT_OK);
    expect(noRtr.a.dev.stats.lastTxReject).toBe('rtr-not-negotiated');
    const fdOnly = setup(ring, withoutBits(ALL, F.VIRTIO_CAN_F_CAN_CLASSIC, F.VIRTIO_CAN_F_RTR_FRAMES));
    expect(fdOnly.a.drv.raw([txBytes({ canId: 1, length: 2 })]).status).toBe(NOT_OK);
    expect(fdOnly.a.dev.stats.lastTxReject).toBe('classic-not-negotiated');
    expect(fdOnly.a.drv.raw([txBytes({ flags: FD, canId: 1, length: 2 })]).status).toBe(OK);
    for (const s of [noFd, noRtr, fdOnly]) expect(s.tap.received.length).toBe(s === fdOnly ? 1 : 0);
  });

  it('[AVP-CAN-8] refuses a remote request marked CAN FD, and any undefined flag bit', () => {
    const { a, tap } = setup(ring);
    expect(a.drv.raw([txBytes({ flags: RTR | FD, canId: 1, length: 0 })]).status).toBe(NOT_OK);
    expect(a.dev.stats.lastTxReject).toBe('rtr-with-fd');
    for (const bad of [0x1, 0x1000, 0x10000, 0x80000000, 0x0fff]) {
      expect(a.drv.raw([txBytes({ flags: bad, canId: 1 })]).status).toBe(NOT_OK);
      expect(a.drv.raw([txBytes({ flags: bad | EXT | FD, canId: 1 })]).status).toBe(NOT_OK);
    }
    expect(a.dev.stats.txRejected['undefined-flags']).toBe(10);
    expect(tap.received).toHaveLength(0);
  });

  it('[AVP-CAN-9] refuses lengths a frame cannot have, and identifiers out of range', () => {
    const { a, tap } = setup(ring);
    expect(a.drv.raw([txBytes({ length: 9, canId: 1 })]).status).toBe(NOT_OK);
    for (const n of [9, 10, 11, 13, 17, 33, 63, 65, 0xffff]) expect(a.drv.raw([txBytes({ flags: FD, length: n, canId: 1 }, Math.min(n, 80))]).status).toBe(NOT_OK);
    expect(a.drv.raw([txBytes({ flags: RTR, length: 9, canId: 1 }, 0)]).status).toBe(NOT_OK);
    expect(a.dev.stats.txRejected['bad-length']).toBe(11);
    for (const [id, flags] of [[0x800, 0], [0xffff, FD], [0x20000000, EXT], [0xe0000000, EXT], [0x80000123, 0]]) {
      expect(a.drv.raw([txBytes({ canId: id, flags })]).status).toBe(NOT_OK);
    }
    expect(a.dev.stats.txRejected['bad-id']).toBe(5);
    expect(tap.received).toHaveLength(0);
  });

  it('[AVP-CAN-10] ignores the reserved fields and sdu bytes past length; receivers never see them', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    const b = guestOn(bus, ring, { name: 'B' });
    const req = txBytes({ canId: 0x55, length: 2, reservedClassicDlc: 0x0f, padding: 0xaa, reservedXlPriority: 0xbeef }, new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(a.drv.raw([req]).status).toBe(OK);
    const [m] = b.drv.receive();
    expect(m.header).toMatchObject({ msgType: VIRTIO_CAN_RX, length: 2, reservedClassicDlc: 0, padding: 0, reservedXlPriority: 0, flags: 0, canId: 0x55 });
    expect([...m.frame.data]).toEqual([1, 2]);
    expect(m.len).toBe(18);
  });

  it('[AVP-CAN-26] [AVP-CAN-30] counts every refusal by reason for the platform', () => {
    const { a } = setup(ring);
    a.drv.raw([txBytes({ msgType: 7 })]);
    a.drv.raw([txBytes({ canId: 0x800 })]);
    a.drv.raw([txBytes({ canId: 0x800 })]);
    const r = a.dev.stats.txRejected;
    expect(r['bad-msg-type']).toBe(1);
    expect(r['bad-id']).toBe(2);
    expect(Object.values(r).reduce((x, y) => x + y, 0)).toBe(3);
    expect(a.dev.stats.lastTxReject).toBe('bad-id');
  });
});

/** A bus node that records, for each frame, whether the sender's request was still unanswered. */
class Witness implements CanEndpoint {
  seen: { frame: CanFrame; senderStatus: unknown }[] = [];
  probe: () => unknown = () => null;
  connect(_n: CanNode | null): void {}
  receive(frame: CanFrame): CanRxResult {
    this.seen.push({ frame, senderStatus: this.probe() });
    return 'delivered';
  }
}

describe.each(RING_TYPES)('CAN transmit: when requests are answered (%s ring)', (ring) => {
  it('[AVP-CAN-11] with LATE_TX_ACK, answers only after the frame is on the wire and every receiver has it', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A' });
    const b = guestOn(bus, ring, { name: 'B' });
    const w = new Witness();
    bus.attach(w, { name: 'witness' });
    expect(a.drv.lateTxAck).toBe(true);
    const { id, status } = a.drv.send({ id: 0x80, data: [1] });
    expect(status).toBe('pending');
    expect(b.drv.receive()).toHaveLength(0);
    w.probe = () => a.drv.txStatus(id);
    expect(bus.run()).toBe(1);
    expect(w.seen[0].senderStatus).toBe('pending'); // not answered while receivers were still being served
    expect(a.drv.txStatus(id)).toBe(OK);
    expect(b.drv.receive().map((m) => m.frame.id)).toEqual([0x80]);
    expect(a.lb.usedNotifications[CAN_TXQ]).toBeGreaterThan(0);
  });

  it('[AVP-CAN-12] without LATE_TX_ACK, may answer OK as soon as the frame is queued for the bus', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A', features: withoutBits(ALL, F.VIRTIO_CAN_F_LATE_TX_ACK) });
    const tap = tapOn(bus);
    expect(a.drv.send({ id: 0x80, data: [1] }).status).toBe(OK);
    expect(bus.pending).toBe(1);
    expect(tap.received).toHaveLength(0);
    bus.run();
    expect(tap.received).toHaveLength(1);
    expect(a.dev.stats.txOnWire).toBe(1);
  });

  it('[AVP-CAN-13] puts one driver\'s frames on the bus in queue order, whatever their identifiers', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A' });
    const tap = tapOn(bus);
    const ids = [0x300, 0x100, 0x200, 0x100, 0x050];
    const reqs = ids.map((id, i) => a.drv.send({ id, data: [i] }).id);
    bus.run();
    expect(tap.take().map((f) => [f.id, f.data[0]])).toEqual(ids.map((id, i) => [id, i]));
    expect(a.drv.txCompleted()).toEqual(reqs);
  });

  it('[AVP-CAN-6] STOP answers every request still waiting NOT_OK and withdraws its frame', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A' });
    const tap = tapOn(bus);
    const r1 = a.drv.send({ id: 0x10, data: [1] }).id;
    const r2 = a.drv.send({ id: 0x11, data: [2] }).id;
    expect(a.drv.stop()).toBe(OK);
    expect(a.drv.txStatus(r1)).toBe(NOT_OK);
    expect(a.drv.txStatus(r2)).toBe(NOT_OK);
    expect(bus.run()).toBe(0);
    expect(tap.received).toHaveLength(0);
    expect(a.dev.stats.txCancelled).toBe(2);
  });

  it('[AVP-CAN-6] STOP also withdraws frames already answered OK (no LATE_TX_ACK)', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A', features: withoutBits(ALL, F.VIRTIO_CAN_F_LATE_TX_ACK) });
    const tap = tapOn(bus);
    expect(a.drv.send({ id: 0x10, data: [1] }).status).toBe(OK);
    a.drv.stop();
    bus.run();
    expect(tap.received).toHaveLength(0);
  });

  it('forgets queued frames on reset and never writes into their buffers afterwards', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A' });
    const tap = tapOn(bus);
    a.drv.send({ id: 0x10, data: [1] });
    a.dev.reset();
    expect(bus.pending).toBe(0);
    bus.run();
    expect(tap.received).toHaveLength(0);
    expect(a.dev.stats.txCancelled).toBe(0); // the callbacks of the old activation are ignored
  });
});
