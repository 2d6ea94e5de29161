// Identity, queues, configuration space and feature negotiation of the CAN device.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit, hasFeature, VIRTIO_F_VERSION_1 } from '../../../../src/lib/virtio/feature-bits.ts';
import { CanBus } from '../../../../src/lib/devices/can/bus.ts';
import { CAN_CFG_STATUS, CAN_CONFIG_SIZE, VIRTIO_CAN_S_CTRL_BUSOFF } from '../../../../src/lib/devices/can/config.ts';
import { CanDevice, VIRTIO_ID_CAN } from '../../../../src/lib/devices/can/device.ts';
import * as F from '../../../../src/lib/devices/can/features.ts';
import { ALL, fdBus, guestOn, withoutBits } from './harness.ts';

describe('CAN feature bits and layout', () => {
  it('[AVP-CAN-1] has the VIRTIO 1.4 numbers: device ID 36, bits 0..3, a 2-byte status with BUSOFF in bit 0', () => {
    expect(VIRTIO_ID_CAN).toBe(36);
    expect([F.VIRTIO_CAN_F_CAN_CLASSIC, F.VIRTIO_CAN_F_CAN_FD, F.VIRTIO_CAN_F_RTR_FRAMES, F.VIRTIO_CAN_F_LATE_TX_ACK]).toEqual([0, 1, 2, 3]);
    expect(CAN_CFG_STATUS).toBe(0);
    expect(CAN_CONFIG_SIZE).toBe(2);
    expect(VIRTIO_CAN_S_CTRL_BUSOFF).toBe(1);
    const dev = new CanDevice();
    expect(dev.deviceId).toBe(36);
    expect(dev.config.size).toBe(2);
    expect(dev.queueCount(ALL)).toBe(3);
  });

  it('[AVP-CAN-2] refuses RTR without classic, and a set with neither classic nor FD', () => {
    const dev = new CanDevice();
    fdBus().attach(dev);
    const v1 = bit(VIRTIO_F_VERSION_1);
    expect(dev.checkFeatures(v1 | bit(F.VIRTIO_CAN_F_CAN_CLASSIC))).toBeNull();
    expect(dev.checkFeatures(v1 | bit(F.VIRTIO_CAN_F_CAN_FD))).toBeNull();
    expect(dev.checkFeatures(v1 | bit(F.VIRTIO_CAN_F_CAN_FD) | bit(F.VIRTIO_CAN_F_RTR_FRAMES))).toMatch(/RTR/);
    expect(dev.checkFeatures(v1 | bit(F.VIRTIO_CAN_F_LATE_TX_ACK))).toMatch(/neither/);
    expect(dev.checkFeatures(v1)).toMatch(/neither/);
    expect(() => new Loopback(dev, { features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_CLASSIC, F.VIRTIO_CAN_F_CAN_FD) })).toThrow(/FEATURES_OK refused/);
    expect(() => new Loopback(dev, { features: withoutBits(ALL, F.VIRTIO_CAN_F_CAN_CLASSIC) })).toThrow(/RTR/);
  });

  it('[AVP-CAN-3] offers classic always and CAN FD only on a bus that carries it', () => {
    const onFd = new CanDevice();
    fdBus().attach(onFd);
    const onClassic = new CanDevice();
    new CanBus({ bitrate: 250_000 }).attach(onClassic);
    const alone = new CanDevice();
    const noFd = new CanDevice({ fd: false });
    fdBus().attach(noFd);
    expect(hasFeature(onFd.offeredFeatures(), F.VIRTIO_CAN_F_CAN_FD)).toBe(true);
    expect(hasFeature(onClassic.offeredFeatures(), F.VIRTIO_CAN_F_CAN_FD)).toBe(false);
    expect(hasFeature(alone.offeredFeatures(), F.VIRTIO_CAN_F_CAN_FD)).toBe(false);
    expect(hasFeature(noFd.offeredFeatures(), F.VIRTIO_CAN_F_CAN_FD)).toBe(false);
    for (const d of [onFd, onClassic, alone, noFd]) expect(hasFeature(d.offeredFeatures(), F.VIRTIO_CAN_F_CAN_CLASSIC)).toBe(true);
    const opts = new CanDevice({ rtr: false, lateTxAck: false });
    expect(hasFeature(opts.offeredFeatures(), F.VIRTIO_CAN_F_RTR_FRAMES)).toBe(false);
    expect(hasFeature(opts.offeredFeatures(), F.VIRTIO_CAN_F_LATE_TX_ACK)).toBe(false);
  });

  it('checks its options', () => {
    expect(() => new CanDevice({ maxQueueSize: 0 })).toThrow(RangeError);
    expect(() => new CanDevice({ rxBacklog: -1 })).toThrow(RangeError);
    expect(() => new CanBus({ bitrate: 2_000_000 })).toThrow(RangeError);
    expect(() => new CanBus({ bitrate: 500_000, dataBitrate: 250_000 })).toThrow(RangeError);
  });
});

describe.each(RING_TYPES)('CAN configuration space (%s ring)', (ring) => {
  it('[AVP-CAN-1] sets up Txq, Rxq and Controlq and starts with status 0', () => {
    const g = guestOn(fdBus(), ring, { start: false });
    expect(g.lb.queues).toHaveLength(3);
    expect(g.drv.status).toBe(0);
    expect(g.dev.controller).toBe('stopped');
  });

  it('[AVP-CAN-1] ignores driver writes to status', () => {
    const bus = fdBus();
    const g = guestOn(bus, ring);
    g.dev.writeConfig(CAN_CFG_STATUS, new Uint8Array([0xff, 0xff]));
    expect(g.drv.status).toBe(0);
    g.dev.enterBusOff();
    const gen = g.dev.config.generation;
    g.dev.writeConfig(CAN_CFG_STATUS, new Uint8Array([0, 0]));
    expect(g.drv.status).toBe(VIRTIO_CAN_S_CTRL_BUSOFF);
    expect(g.dev.config.generation).toBe(gen);
    expect(bus.bitrate).toBe(500_000);
    expect(bus.dataBitrate).toBe(2_000_000);
  });

  it('a reset clears the status without a notification and leaves the controller stopped', () => {
    const g = guestOn(fdBus(), ring);
    g.dev.enterBusOff();
    const notes = g.lb.configNotifications;
    g.dev.reset();
    expect(g.dev.config.u16(CAN_CFG_STATUS)).toBe(0);
    expect(g.lb.configNotifications).toBe(notes);
    expect(g.dev.controller).toBe('stopped');
  });
});
