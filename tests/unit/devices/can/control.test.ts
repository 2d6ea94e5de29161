// The control queue: starting and stopping the controller (VIRTIO 1.4 §5.20.5.1).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { CAN_CONTROLQ } from '../../../../src/lib/devices/can/device.ts';
import {
  encodeCanControl,
  VIRTIO_CAN_RESULT_NOT_OK,
  VIRTIO_CAN_RESULT_OK,
  VIRTIO_CAN_SET_CTRL_MODE_START,
  VIRTIO_CAN_SET_CTRL_MODE_STOP,
  VIRTIO_CAN_TX,
} from '../../../../src/lib/devices/can/message.ts';
import { fdBus, guestOn, needsReset, tapOn } from './harness.ts';

const OK = VIRTIO_CAN_RESULT_OK;
const NOT_OK = VIRTIO_CAN_RESULT_NOT_OK;

describe.each(RING_TYPES)('CAN controller mode (%s ring)', (ring) => {
  it('[AVP-CAN-4] starts STOPPED: transmit requests fail and nothing reaches the bus or the driver', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { start: false });
    const tap = tapOn(bus);
    expect(g.dev.controller).toBe('stopped');
    expect(g.drv.send({ id: 0x100, data: [1] }).status).toBe(NOT_OK);
    expect(g.dev.stats.txRejected.stopped).toBe(1);
    expect(tap.received).toHaveLength(0);
    tap.send({ id: 0x200, data: [2] });
    expect(g.drv.receive()).toHaveLength(0);
    expect(g.dev.stats.rxDropped.stopped).toBe(1);
    // Once started, both directions work.
    expect(g.drv.start()).toBe(OK);
    expect(g.drv.send({ id: 0x100, data: [1] }).status).toBe(OK);
    expect(tap.received).toHaveLength(1);
    tap.send({ id: 0x201, data: [3] });
    expect(g.drv.receive().map((m) => m.frame.id)).toEqual([0x201]);
  });

  it('[AVP-CAN-4] a frame sent while the receiver is stopped is not delivered later after START', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring, { start: false });
    const tap = tapOn(bus);
    tap.send({ id: 0x10, data: [] });
    g.drv.start();
    expect(g.drv.receive()).toHaveLength(0);
  });

  it('[AVP-CAN-33] answers START and STOP with OK, also when the controller is already in that state', () => {
    const g = guestOn(fdBus(), ring, { start: false });
    expect(g.drv.stop()).toBe(OK);
    expect(g.dev.controller).toBe('stopped');
    expect(g.drv.start()).toBe(OK);
    expect(g.dev.controller).toBe('started');
    expect(g.drv.start()).toBe(OK);
    expect(g.drv.stop()).toBe(OK);
    expect(g.dev.controller).toBe('stopped');
    expect(g.dev.stats.ctrlOk).toBe(4);
  });

  it('[AVP-CAN-34] answers an unknown or short control request NOT_OK and leaves the state alone', () => {
    const g = guestOn(fdBus(), ring);
    expect(g.drv.control(VIRTIO_CAN_TX)).toBe(NOT_OK);
    expect(g.drv.control(0x0203)).toBe(NOT_OK);
    expect(g.drv.control(0, { raw: new Uint8Array([0x02]) })).toBe(NOT_OK); // one byte of START
    expect(g.drv.control(0, { raw: new Uint8Array(0) })).toBe(NOT_OK);
    expect(g.dev.controller).toBe('started');
    expect(g.dev.stats.ctrlNotOk).toBe(4);
    expect(needsReset(g)).toBe(false);
    // Extra bytes after msg_type are not part of the request.
    expect(g.drv.control(0, { raw: new Uint8Array([0x02, 0x02, 0xff, 0xff]) })).toBe(OK);
    expect(g.dev.controller).toBe('stopped');
  });

  it('[AVP-CAN-35] does nothing with a control request that has no room for the result', () => {
    const g = guestOn(fdBus(), ring, { start: false });
    const c = g.lb.request(CAN_CONTROLQ, [encodeCanControl(VIRTIO_CAN_SET_CTRL_MODE_START)], []);
    expect(c.len).toBe(0);
    expect(g.dev.controller).toBe('stopped');
    expect(g.dev.stats.ctrlUnanswerable).toBe(1);
    // A longer result buffer gets one byte.
    expect(g.lb.request(CAN_CONTROLQ, [encodeCanControl(VIRTIO_CAN_SET_CTRL_MODE_START)], [4]).len).toBe(1);
  });

  it('[AVP-CAN-5] processes control requests in order', () => {
    const g = guestOn(fdBus(), ring, { start: false });
    // STOP, START, STOP, START queued before the device looks at any of them.
    const order = [VIRTIO_CAN_SET_CTRL_MODE_STOP, VIRTIO_CAN_SET_CTRL_MODE_START, VIRTIO_CAN_SET_CTRL_MODE_STOP, VIRTIO_CAN_SET_CTRL_MODE_START];
    const q = g.lb.queues[CAN_CONTROLQ];
    const mem = g.lb.mem;
    const ids: number[] = [];
    for (const t of order) {
      const rq = g.lb.alloc(2);
      mem.write(rq, encodeCanControl(t));
      const rs = g.lb.alloc(1);
      ids.push(q.add([{ addr: rq, len: 2, writable: false }, { addr: rs, len: 1, writable: true }]));
    }
    g.dev.queueNotify(CAN_CONTROLQ);
    const used: number[] = [];
    for (let u = q.pollUsed(); u; u = q.pollUsed()) used.push(u.id);
    expect(used).toEqual(ids);
    expect(g.dev.controller).toBe('started');
  });
});
