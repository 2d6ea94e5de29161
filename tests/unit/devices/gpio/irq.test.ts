// GPIO interrupts (VIRTIO 1.4 §5.18.6.6, §5.18.7): SET_IRQ_TYPE, edges latched and levels not,
// one eventq buffer per line that unmasks it, and buffers the device hands back INVALID.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/gpio/protocol.ts';
import { AMP_MUTE, guest, needsReset, REVERSE, TOUCH_IRQ, UNASSIGNED, world } from './harness.ts';

const VALID = P.VIRTIO_GPIO_IRQ_STATUS_VALID;
const INVALID = P.VIRTIO_GPIO_IRQ_STATUS_INVALID;

describe.each(RING_TYPES)('GPIO interrupts (%s ring)', (ring) => {
  it('[AVP-BUS-16] refuses SET_IRQ_TYPE without VIRTIO_GPIO_F_IRQ, on an output, with an undefined type, or to change an enabled type', () => {
    const { ctl, ivi } = world(ring);
    const plain = guest(ctl, 'ivi', ring, { noIrq: true });
    expect(plain.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
    expect(plain.dev.stats.failures.get('irq-not-negotiated')).toBe(1);
    ivi.drv.driveOutput(AMP_MUTE, 1);
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, AMP_MUTE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
    for (const t of [5, 6, 7, 9, 0x10, 0xffffffff]) expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, t).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING).status).toBe(P.VIRTIO_GPIO_STATUS_OK); // the same type again
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_FALLING).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
    // An output on a line whose interrupt is enabled is refused as well.
    expect(ivi.drv.setDirection(TOUCH_IRQ, P.VIRTIO_GPIO_DIRECTION_OUT).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_NONE).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_FALLING).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ivi.dev.stats.failures.get('irq-on-output')).toBe(2);
    expect(ivi.dev.stats.failures.get('bad-value')).toBe(6);
    expect(ivi.dev.stats.failures.get('irq-type-change')).toBe(1);
  });

  it('[AVP-BUS-17] latches an edge seen while masked and delivers it on unmask; does not latch a level', () => {
    const { ctl, ivi } = world(ring);
    ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING); // enabled, still masked
    ctl.drive(REVERSE, 1);
    ctl.drive(REVERSE, 0);
    expect(ivi.drv.events()).toEqual([]);
    ivi.drv.unmask(REVERSE);
    expect(ivi.drv.events()).toEqual([[REVERSE, VALID]]); // the latched rising edge, once
    ivi.drv.unmask(REVERSE);
    expect(ivi.drv.events()).toEqual([]);
    // A level: active while masked, inactive again before unmask: nothing.
    ctl.drive(TOUCH_IRQ, 1);
    ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_LEVEL_LOW);
    ctl.drive(TOUCH_IRQ, 0);
    ctl.drive(TOUCH_IRQ, 1);
    ivi.drv.unmask(TOUCH_IRQ);
    expect(ivi.drv.events()).toEqual([]);
    // Still active at unmask: delivered at once, and again after each unmask while it stays active.
    ctl.drive(TOUCH_IRQ, 0);
    expect(ivi.drv.events()).toEqual([[TOUCH_IRQ, VALID]]);
    ivi.drv.unmask(TOUCH_IRQ);
    expect(ivi.drv.events()).toEqual([[TOUCH_IRQ, VALID]]);
  });

  it('[AVP-BUS-18] sends VALID only for a line both enabled and unmasked, and the returned buffer masks the line', () => {
    const { ctl, ivi } = world(ring);
    ivi.drv.enableIrq(REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_BOTH);
    ctl.drive(REVERSE, 1);
    expect(ivi.drv.events()).toEqual([[REVERSE, VALID]]);
    ctl.drive(REVERSE, 0); // masked now: latched, not delivered
    ctl.drive(REVERSE, 1);
    expect(ivi.drv.events()).toEqual([]);
    ivi.drv.unmask(REVERSE);
    expect(ivi.drv.events()).toEqual([[REVERSE, VALID]]); // two edges while masked: one interrupt
    expect(ivi.dev.stats.interruptsDelivered).toBe(2);
    // A line without an enabled interrupt stays silent.
    ctl.drive(TOUCH_IRQ, 1);
    expect(ivi.drv.events()).toEqual([]);
  });

  it('[AVP-BUS-19] returns the held buffer INVALID when the interrupt is disabled, and drops a latched edge', () => {
    const { ctl, ivi } = world(ring);
    ivi.drv.enableIrq(REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING);
    expect(ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_NONE).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ivi.drv.events()).toEqual([[REVERSE, INVALID]]);
    ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING);
    ctl.drive(REVERSE, 1); // latched (masked)
    ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_NONE);
    ivi.drv.enableIrq(REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING);
    expect(ivi.drv.events()).toEqual([]); // the old edge was discarded
  });

  it('[AVP-BUS-20] hands back at once, INVALID, an eventq buffer for a bad, foreign or disabled line, a duplicate, or a malformed one', () => {
    const { ctl, ivi } = world(ring);
    for (const line of [6, 0xffff, 1, UNASSIGNED, TOUCH_IRQ]) ivi.drv.unmask(line);
    expect(ivi.drv.events().map(([, s]) => s)).toEqual([INVALID, INVALID, INVALID, INVALID, INVALID]);
    ivi.drv.enableIrq(REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_FALLING);
    const dup = ivi.lb.submit(P.GPIO_EVENTQ, [P.encodeIrqRequest(REVERSE)], [1]);
    const back = ivi.lb.poll(P.GPIO_EVENTQ);
    expect(back.map((c) => [c.id, c.data[0]])).toEqual([[dup, INVALID]]);
    ctl.drive(REVERSE, 1);
    ctl.drive(REVERSE, 0);
    expect(ivi.drv.events()).toEqual([[REVERSE, VALID]]); // the first buffer stayed and works
    for (const [out, inl] of [
      [[Uint8Array.of(0)], [1]],
      [[Uint8Array.of(0, 0, 0)], [1]],
      [[P.encodeIrqRequest(REVERSE)], []],
    ] as const) ivi.lb.submit(P.GPIO_EVENTQ, out, inl);
    expect(ivi.lb.poll(P.GPIO_EVENTQ).map((c) => [c.len, c.data[0] ?? -1])).toEqual([[1, INVALID], [1, INVALID], [0, -1]]);
    const f = ivi.dev.stats.failures;
    expect([f.get('bad-line'), f.get('not-owned'), f.get('event-not-enabled'), f.get('event-duplicate'), f.get('bad-event-buffer')]).toEqual([2, 2, 1, 1, 3]);
    expect(needsReset(ivi)).toBe(false);
  });
});
