// The GPIO requestq (VIRTIO 1.4 §5.18.6): configuration, line names, directions and values, and
// the status of every message the device does not carry out.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/gpio/protocol.ts';
import { GpioController } from '../../../../src/lib/devices/gpio/controller.ts';
import { AMP_MUTE, guest, IVI_SPARE, LINES, needsReset, REVERSE, TELLTALE, TOUCH_IRQ, UNASSIGNED, world } from './harness.ts';

describe.each(RING_TYPES)('GPIO requestq (%s ring)', (ring) => {
  it('[AVP-BUS-9] has device ID 41, a requestq, and an eventq only with VIRTIO_GPIO_F_IRQ', () => {
    const { ctl, ivi } = world(ring);
    expect(ivi.dev.deviceId).toBe(41);
    expect(ivi.lb.queues.length).toBe(2);
    expect(ivi.lb.features & (1n << BigInt(P.VIRTIO_GPIO_F_IRQ))).not.toBe(0n);
    const plain = guest(ctl, 'ivi', ring, { noIrq: true });
    expect(plain.lb.queues.length).toBe(1);
    expect(plain.drv.ngpio).toBe(LINES.length);
  });

  it('[AVP-BUS-10] names only the lines the guest may use, sizes the block exactly, and reports 0 when it names none', () => {
    const { ctl, cluster, ivi } = world(ring);
    expect(ivi.drv.lineNames()).toEqual(['REVERSE_GEAR', '', 'AMP_MUTE', 'TOUCH_IRQ', '', '']);
    expect(cluster.drv.lineNames()).toEqual(['REVERSE_GEAR', 'TELLTALE_LAMP', '', '', '', '']);
    expect(ivi.drv.namesSize).toBe('REVERSE_GEAR'.length + 'AMP_MUTE'.length + 'TOUCH_IRQ'.length + 6);
    expect([...ivi.dev.config.read(0, 8)]).toEqual([6, 0, 0, 0, ivi.drv.namesSize, 0, 0, 0]);
    const nobody = guest(ctl, 'telematics', ring);
    expect(nobody.drv.namesSize).toBe(0);
    const r = nobody.drv.raw([P.encodeRequest(P.VIRTIO_GPIO_MSG_GET_LINE_NAMES, 0)], [8]);
    expect([r.status, r.len]).toEqual([P.VIRTIO_GPIO_STATUS_ERR, 1]);
    expect(nobody.dev.stats.failures.get('no-names')).toBe(1);
  });

  it('[AVP-BUS-11] answers a request of the wrong length, an unknown type, a line past ngpio or an undefined value with ERR and value 0, changing nothing', () => {
    const { ctl, ivi } = world(ring);
    ctl.drive(TOUCH_IRQ, 1);
    const req = P.encodeRequest(P.VIRTIO_GPIO_MSG_SET_VALUE, AMP_MUTE, 1);
    const cases = [
      ivi.drv.raw([req.subarray(0, 6)], [2]),
      ivi.drv.raw([req, Uint8Array.of(0)], [2]),
      ivi.drv.send(0x0000, AMP_MUTE),
      ivi.drv.send(0x0007, AMP_MUTE),
      ivi.drv.send(0xffff, AMP_MUTE),
      ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_VALUE, 6, 1),
      ivi.drv.send(P.VIRTIO_GPIO_MSG_GET_VALUE, 0xffff),
      ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_VALUE, AMP_MUTE, 2),
      ivi.drv.send(P.VIRTIO_GPIO_MSG_SET_DIRECTION, AMP_MUTE, 3),
      ivi.drv.send(P.VIRTIO_GPIO_MSG_GET_VALUE, TOUCH_IRQ, 1),
      ivi.drv.send(P.VIRTIO_GPIO_MSG_GET_DIRECTION, TOUCH_IRQ, 5),
      ivi.drv.raw([P.encodeRequest(P.VIRTIO_GPIO_MSG_GET_LINE_NAMES, 1)], [1 + ivi.drv.namesSize]),
    ];
    for (const c of cases) expect([c.status, c.value]).toEqual([P.VIRTIO_GPIO_STATUS_ERR, 0]);
    expect(ctl.direction(AMP_MUTE)).toBe(P.VIRTIO_GPIO_DIRECTION_NONE);
    expect(ctl.output(AMP_MUTE)).toBe(0);
    expect(ivi.dev.stats.failures.get('bad-length')).toBe(2);
    expect(ivi.dev.stats.failures.get('unknown-type')).toBe(3);
    expect(ivi.dev.stats.failures.get('bad-line')).toBe(2);
    expect(ivi.dev.stats.failures.get('bad-value')).toBe(5);
    expect(needsReset(ivi)).toBe(false);
  });

  it('[AVP-BUS-12] answers ERR in what fits when the response buffer is too small, never a partial OK', () => {
    const { ivi } = world(ring);
    const get = P.encodeRequest(P.VIRTIO_GPIO_MSG_GET_DIRECTION, AMP_MUTE);
    const one = ivi.drv.raw([get], [1]);
    expect([one.len, one.status]).toEqual([1, P.VIRTIO_GPIO_STATUS_ERR]);
    const none = ivi.drv.raw([get], []);
    expect(none.len).toBe(0);
    const names = ivi.drv.raw([P.encodeRequest(P.VIRTIO_GPIO_MSG_GET_LINE_NAMES, 0)], [ivi.drv.namesSize]);
    expect(names.status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
    expect([...names.data.subarray(1)].every((b) => b === 0)).toBe(true);
    // More room than needed: the response alone.
    const big = ivi.drv.raw([get], [16]);
    expect([big.len, big.status, big.value]).toEqual([2, P.VIRTIO_GPIO_STATUS_OK, P.VIRTIO_GPIO_DIRECTION_NONE]);
    expect(ivi.dev.stats.failures.get('short-response')).toBe(3);
  });

  it('[AVP-BUS-13] keeps a value set on a line that is not an output and drives it once the line becomes one', () => {
    const { ctl, cluster } = world(ring);
    expect(cluster.drv.set(TELLTALE, 1).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ctl.level(TELLTALE)).toBe(0); // not an output yet
    expect(cluster.drv.setDirection(TELLTALE, P.VIRTIO_GPIO_DIRECTION_IN).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(cluster.drv.setDirection(TELLTALE, P.VIRTIO_GPIO_DIRECTION_OUT).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ctl.level(TELLTALE)).toBe(1);
    expect(cluster.drv.get(TELLTALE).value).toBe(1);
    expect(cluster.drv.direction(TELLTALE).value).toBe(P.VIRTIO_GPIO_DIRECTION_OUT);
    expect(cluster.drv.set(TELLTALE, 0).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ctl.level(TELLTALE)).toBe(0);
  });

  it('[AVP-BUS-14] the driver sets an output value before the direction, so the pin never shows a stale level', () => {
    const { ctl, cluster } = world(ring);
    const seen: number[] = [];
    ctl.onChange((line, level) => line === TELLTALE && seen.push(level));
    cluster.drv.set(TELLTALE, 0);
    cluster.drv.setDirection(TELLTALE, P.VIRTIO_GPIO_DIRECTION_IN);
    ctl.drive(TELLTALE, 1); // the lamp circuit pulls the line high while it is an input
    seen.length = 0;
    expect(cluster.drv.driveOutput(TELLTALE, 1).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(seen).toEqual([]); // high before, high after: no glitch to the old value 0
    expect(cluster.drv.driveOutput(TELLTALE, 0).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(seen).toEqual([0]);
  });

  it('[AVP-BUS-15] SET_DIRECTION NONE forgets the line: value 0, direction none, interrupt disabled and its buffer returned', () => {
    const { ctl, ivi } = world(ring);
    ivi.drv.driveOutput(AMP_MUTE, 1);
    expect(ctl.level(AMP_MUTE)).toBe(1);
    expect(ivi.drv.setDirection(AMP_MUTE, P.VIRTIO_GPIO_DIRECTION_NONE).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ivi.drv.direction(AMP_MUTE).value).toBe(P.VIRTIO_GPIO_DIRECTION_NONE);
    expect(ctl.output(AMP_MUTE)).toBe(0);
    ivi.drv.setDirection(AMP_MUTE, P.VIRTIO_GPIO_DIRECTION_OUT);
    expect(ctl.level(AMP_MUTE)).toBe(0); // the old value 1 is gone
    ctl.drive(TOUCH_IRQ, 1); // the touch controller's interrupt output idles high
    expect(ivi.drv.enableIrq(TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_TYPE_LEVEL_LOW).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
    expect(ivi.drv.events()).toEqual([]);
    ivi.drv.setDirection(TOUCH_IRQ, P.VIRTIO_GPIO_DIRECTION_NONE);
    expect(ivi.drv.events()).toEqual([[TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_STATUS_INVALID]]);
    ctl.drive(TOUCH_IRQ, 0);
    ivi.drv.unmask(TOUCH_IRQ);
    expect(ivi.drv.events()).toEqual([[TOUCH_IRQ, P.VIRTIO_GPIO_IRQ_STATUS_INVALID]]); // disabled now
  });

  it('[AVP-BUS-2] refuses a line table with a line that has an owner and readers, or a name used twice', () => {
    expect(() => new GpioController({ lines: [{ name: 'A', owner: 'ivi', readers: ['cluster'] }] })).toThrow(/either an owner or readers/);
    expect(() => new GpioController({ lines: [{ name: 'A' }, { name: 'A' }] })).toThrow(/used twice/);
    expect(() => new GpioController({ lines: [{ name: 'Ä' }] })).toThrow(/7-bit ASCII/);
  });

  it('[AVP-BUS-21] refuses every message for a line the guest neither owns nor reads, without reading or changing it', () => {
    const { ctl, cluster, ivi } = world(ring);
    cluster.drv.driveOutput(TELLTALE, 1);
    for (const line of [TELLTALE, UNASSIGNED]) {
      for (const [type, value] of [
        [P.VIRTIO_GPIO_MSG_GET_VALUE, 0],
        [P.VIRTIO_GPIO_MSG_GET_DIRECTION, 0],
        [P.VIRTIO_GPIO_MSG_SET_VALUE, 0],
        [P.VIRTIO_GPIO_MSG_SET_DIRECTION, P.VIRTIO_GPIO_DIRECTION_NONE],
        [P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_BOTH],
      ]) {
        const r = ivi.drv.send(type, line, value);
        expect([r.status, r.value]).toEqual([P.VIRTIO_GPIO_STATUS_ERR, 0]); // never the lamp's level 1
      }
    }
    expect([ctl.direction(TELLTALE), ctl.level(TELLTALE)]).toEqual([P.VIRTIO_GPIO_DIRECTION_OUT, 1]);
    expect(ivi.dev.stats.failures.get('not-owned')).toBe(10);
    expect(cluster.drv.get(TELLTALE).value).toBe(1);
  });

  it('[AVP-BUS-22] lets a reader sense a shared input and take its interrupts, but not drive it or make it an output', () => {
    const { ctl, cluster, ivi } = world(ring);
    ctl.drive(REVERSE, 1);
    for (const g of [cluster, ivi]) {
      expect(g.drv.get(REVERSE).value).toBe(1);
      expect(g.drv.direction(REVERSE).value).toBe(P.VIRTIO_GPIO_DIRECTION_IN);
      expect(g.drv.setDirection(REVERSE, P.VIRTIO_GPIO_DIRECTION_IN).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
      expect(g.drv.set(REVERSE, 0).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
      expect(g.drv.setDirection(REVERSE, P.VIRTIO_GPIO_DIRECTION_OUT).status).toBe(P.VIRTIO_GPIO_STATUS_ERR);
      expect(g.drv.enableIrq(REVERSE, P.VIRTIO_GPIO_IRQ_TYPE_EDGE_BOTH).status).toBe(P.VIRTIO_GPIO_STATUS_OK);
      expect(g.dev.stats.failures.get('read-only')).toBe(2);
    }
    expect(ctl.level(REVERSE)).toBe(1);
    ctl.drive(REVERSE, 0);
    expect(cluster.drv.events()).toEqual([[REVERSE, P.VIRTIO_GPIO_IRQ_STATUS_VALID]]);
    expect(ivi.drv.events()).toEqual([[REVERSE, P.VIRTIO_GPIO_IRQ_STATUS_VALID]]);
  });

  it('[AVP-BUS-23] returns every line the guest owns to direction none and value 0 when the device is reset', () => {
    const { ctl, cluster, ivi } = world(ring);
    ivi.drv.driveOutput(AMP_MUTE, 1);
    ivi.drv.driveOutput(IVI_SPARE, 1);
    cluster.drv.driveOutput(TELLTALE, 1);
    ivi.dev.reset(); // the IVI reboots
    expect([ctl.direction(AMP_MUTE), ctl.level(AMP_MUTE), ctl.direction(IVI_SPARE), ctl.level(IVI_SPARE)]).toEqual([0, 0, 0, 0]);
    expect([ctl.direction(TELLTALE), ctl.level(TELLTALE)]).toEqual([P.VIRTIO_GPIO_DIRECTION_OUT, 1]); // not the IVI's
  });
});
