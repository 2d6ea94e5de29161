// Bus-off (VIRTIO 1.4 §5.20.5.4): the controller stops on its own, tells the driver, and
// comes back only when the driver starts it again.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { VIRTIO_CAN_S_CTRL_BUSOFF } from '../../../../src/lib/devices/can/config.ts';
import { CAN_CONTROLQ } from '../../../../src/lib/devices/can/device.ts';
import * as F from '../../../../src/lib/devices/can/features.ts';
import { VIRTIO_CAN_RESULT_NOT_OK as NOT_OK, VIRTIO_CAN_RESULT_OK as OK } from '../../../../src/lib/devices/can/message.ts';
import { ALL, fdBus, guestOn, tapOn, withoutBits } from './harness.ts';

describe.each(RING_TYPES)('CAN bus-off (%s ring)', (ring) => {
  it('[AVP-CAN-21] [AVP-CAN-37] [AVP-CAN-4] sets BUSOFF with a configuration change notification, stops, and refuses to transmit', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    const tap = tapOn(bus);
    const notes = a.lb.configNotifications;
    const gen = a.dev.config.generation;
    expect(a.dev.enterBusOff()).toBe(true);
    expect(a.drv.status & VIRTIO_CAN_S_CTRL_BUSOFF).toBe(VIRTIO_CAN_S_CTRL_BUSOFF);
    expect(a.lb.configNotifications).toBe(notes + 1);
    expect(a.dev.config.generation).not.toBe(gen);
    expect(a.dev.controller).toBe('stopped');
    expect(a.drv.send({ id: 0x10, data: [1] }).status).toBe(NOT_OK);
    expect(a.dev.stats.txRejected['bus-off']).toBe(1);
    expect(tap.received).toHaveLength(0);
    tap.send({ id: 0x20, data: [] });
    expect(a.drv.receive()).toHaveLength(0); // a controller off the bus receives nothing either
    expect(a.dev.stats.busOffEvents).toBe(1);
  });

  it('[AVP-CAN-37] [AVP-CAN-6] answers every request still waiting for the bus NOT_OK', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A' });
    const tap = tapOn(bus);
    const ids = [a.drv.send({ id: 0x10, data: [1] }).id, a.drv.send({ id: 0x11, data: [1] }).id];
    a.dev.enterBusOff();
    expect(ids.map((id) => a.drv.txStatus(id))).toEqual([NOT_OK, NOT_OK]);
    bus.run();
    expect(tap.received).toHaveLength(0);
  });

  it('[AVP-CAN-37] [AVP-CAN-6] withdraws frames answered early (no LATE_TX_ACK) as well', () => {
    const bus = fdBus({ autoRun: false });
    const a = guestOn(bus, ring, { name: 'A', features: withoutBits(ALL, F.VIRTIO_CAN_F_LATE_TX_ACK) });
    const tap = tapOn(bus);
    expect(a.drv.send({ id: 0x10, data: [1] }).status).toBe(OK);
    a.dev.enterBusOff();
    bus.run();
    expect(tap.received).toHaveLength(0);
    expect(a.dev.stats.txCancelled).toBe(1);
  });

  it('[AVP-CAN-22] a START clears BUSOFF before it is answered, and the controller sends again', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    const tap = tapOn(bus);
    a.dev.enterBusOff();
    // When the status changes, the START must not have been used yet: a driver that sees the
    // answer then always reads the cleared bit.
    const usedAtChange: number[] = [];
    a.dev.config.setChangeListener(() => usedAtChange.push(a.lb.poll(CAN_CONTROLQ).length));
    expect(a.drv.start()).toBe(OK);
    expect(usedAtChange).toEqual([0]);
    expect(a.drv.status & VIRTIO_CAN_S_CTRL_BUSOFF).toBe(0);
    expect(a.drv.send({ id: 0x10, data: [1] }).status).toBe(OK);
    expect(tap.received).toHaveLength(1);
  });

  it('[AVP-CAN-22] accepts the restart as STOP then START too; a STOP alone leaves BUSOFF set', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    a.dev.enterBusOff();
    expect(a.drv.stop()).toBe(OK);
    expect(a.drv.busOff).toBe(true);
    expect(a.drv.send({ id: 1, data: [] }).status).toBe(NOT_OK);
    expect(a.drv.start()).toBe(OK);
    expect(a.drv.busOff).toBe(false);
    expect(a.drv.send({ id: 1, data: [] }).status).toBe(OK);
  });

  it('[AVP-CAN-22] refuses a START while the platform holds the bus-off condition', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    a.dev.enterBusOff({ hold: true });
    expect(a.drv.start()).toBe(NOT_OK);
    expect(a.drv.busOff).toBe(true);
    expect(a.dev.controller).toBe('stopped');
    a.dev.releaseBusOff();
    expect(a.drv.start()).toBe(OK);
    expect(a.drv.busOff).toBe(false);
  });

  it('[AVP-CAN-23] one controller going bus-off does not disturb the others on the bus', () => {
    const bus = fdBus();
    const a = guestOn(bus, ring, { name: 'A' });
    const b = guestOn(bus, ring, { name: 'B' });
    const c = guestOn(bus, ring, { name: 'C' });
    a.dev.enterBusOff();
    expect(b.drv.busOff).toBe(false);
    expect(b.drv.send({ id: 0x1, data: [1] }).status).toBe(OK);
    expect(c.drv.send({ id: 0x2, data: [2] }).status).toBe(OK);
    expect(b.drv.receive().map((m) => m.frame.id)).toEqual([0x2]);
    expect(c.drv.receive().map((m) => m.frame.id)).toEqual([0x1]);
    expect(b.lb.configNotifications + c.lb.configNotifications).toBe(0);
  });

  it('only a started controller can go bus-off', () => {
    const a = guestOn(fdBus(), ring, { start: false });
    expect(a.dev.enterBusOff()).toBe(false);
    expect(a.drv.busOff).toBe(false);
  });
});
