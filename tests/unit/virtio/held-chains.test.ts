// Chains a device holds past the call that took them, behind an IOMMU (§2.6, §5.13): a request
// waiting for entropy, an interrupt buffer, a transmit request answered once the frame is on
// the bus, a sound message that plays over time. The driver may unmap such a buffer before the
// device completes it. The device's access is then a fault reported to the IOMMU, and the device
// needs reset (§2.1.2) with IOMMU_FAULT; the host event that ran it (a refilled entropy pool, a
// GPIO edge, the CAN bus, the audio clock) goes on, and nothing is written where it was unmapped.
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { Loopback } from '../../../src/lib/virtio/loopback.ts';
import type { VirtioDevice } from '../../../src/lib/virtio/device.ts';
import type { RingType } from '../../../src/lib/virtio/queue-factory.ts';
import { DEVICE_NEEDS_RESET } from '../../../src/lib/virtio/status.ts';
import { EntropyDevice } from '../../../src/lib/devices/entropy/index.ts';
import { GpioController } from '../../../src/lib/devices/gpio/controller.ts';
import { GpioDevice } from '../../../src/lib/devices/gpio/device.ts';
import { GpioDriver } from '../../../src/lib/devices/gpio/driver.ts';
import * as GP from '../../../src/lib/devices/gpio/protocol.ts';
import { CanBus } from '../../../src/lib/devices/can/bus.ts';
import { CanDevice, CAN_TXQ } from '../../../src/lib/devices/can/device.ts';
import { CanDriver } from '../../../src/lib/devices/can/driver.ts';
import { SoundDevice } from '../../../src/lib/devices/sound/device.ts';
import { SoundDriver } from '../../../src/lib/devices/sound/driver.ts';
import { infotainmentTopology } from '../../../src/lib/devices/sound/topology.ts';
import { Gate } from '../../support/entropy-gate.ts';
import { RING_TYPES } from '../../support/rings.ts';
import { identity, TestIommu } from '../../support/test-iommu.ts';
import { MEDIA, stereo } from '../devices/sound/harness.ts';

const MEM = 1 << 20;
const ENDPOINT = 3;

/** `device` on a loopback behind a test IOMMU that maps all of the driver's memory. */
function behindIommu(device: VirtioDevice, ring: RingType) {
  const memory = GuestMemory.create(MEM);
  const iommu = new TestIommu();
  iommu.set(ENDPOINT, identity([0x1000, MEM - 0x1000]));
  const lb = new Loopback(device, { ring, memory, iommu: { translation: iommu, endpoint: ENDPOINT } });
  // The loopback lays out the rings first: everything allocated from here on is a buffer.
  const firstBuffer = lb.alloc(16);
  /** Unmaps every buffer, keeping the rings mapped (a driver that took its buffers back). */
  const unmapBuffers = () => iommu.set(ENDPOINT, identity([0x1000, firstBuffer - 0x1000]));
  return { lb, iommu, unmapBuffers, firstBuffer };
}

function expectFaulted(lb: Loopback, iommu: TestIommu, firstBuffer: number) {
  expect(lb.error?.code).toBe('IOMMU_FAULT');
  expect(lb.status & DEVICE_NEEDS_RESET).not.toBe(0);
  expect(iommu.faults.length).toBeGreaterThan(0);
  expect(iommu.faults[0]).toMatchObject({ endpoint: ENDPOINT, reason: 'unmapped' });
  expect(iommu.faults[0].address).toBeGreaterThanOrEqual(BigInt(firstBuffer));
}

describe.each(RING_TYPES)('a held chain unmapped before the device completes it (%s ring)', (ring) => {
  it('[AVP-IOMMU-72] entropy: the refilled source meets an unmapped request: a fault, not an exception', () => {
    const gate = new Gate();
    const dev = new EntropyDevice({ source: gate });
    const { lb, iommu, unmapBuffers, firstBuffer } = behindIommu(dev, ring);
    lb.submit(0, [], [8]);
    expect(dev.pending).toBe(1);
    unmapBuffers();
    gate.open = true;
    expect(() => dev.sourceReady()).not.toThrow();
    expectFaulted(lb, iommu, firstBuffer);
    expect(iommu.faults[0].write).toBe(true);
    expect(lb.poll(0)).toEqual([]); // never completed as if it had been written
  });

  it('[AVP-IOMMU-72] GPIO: an edge on a line whose interrupt buffer was unmapped', () => {
    const ctl = new GpioController({ lines: [{ name: 'REVERSE_GEAR', readers: ['ivi'] }] });
    const dev = new GpioDevice({ controller: ctl, guest: 'ivi' });
    const { lb, iommu, unmapBuffers, firstBuffer } = behindIommu(dev, ring);
    const drv = new GpioDriver(lb);
    expect(drv.send(GP.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, 0, GP.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING).status).toBe(GP.VIRTIO_GPIO_STATUS_OK);
    drv.unmask(0); // the eventq buffer the device now holds
    unmapBuffers();
    expect(() => ctl.drive(0, 1)).not.toThrow();
    expectFaulted(lb, iommu, firstBuffer);
    expect(iommu.faults[0].write).toBe(true);
  });

  it('[AVP-IOMMU-72] CAN: a late transmit answer into an unmapped request, while the bus goes on', () => {
    const bus = new CanBus({ bitrate: 500_000, dataBitrate: 2_000_000, autoRun: false });
    const dev = new CanDevice();
    bus.attach(dev, { name: 'A' });
    const { lb, iommu, unmapBuffers, firstBuffer } = behindIommu(dev, ring);
    const drv = new CanDriver(lb);
    expect(drv.start()).toBe(0);
    expect(drv.lateTxAck).toBe(true);
    expect(drv.send({ id: 0x80, data: [1] }).status).toBe('pending');
    unmapBuffers();
    expect(() => bus.run()).not.toThrow();
    expectFaulted(lb, iommu, firstBuffer);
    expect(lb.usedNotifications[CAN_TXQ]).toBe(0);
  });

  it('[AVP-IOMMU-72] sound: the audio clock reaches a message whose buffer was unmapped', () => {
    const dev = new SoundDevice({ topology: infotainmentTopology() });
    const { lb, iommu, unmapBuffers, firstBuffer } = behindIommu(dev, ring);
    const drv = new SoundDriver(lb);
    expect(drv.setParams(0, MEDIA)).toBe(0x8000);
    expect(drv.pcm('PREPARE', 0)).toBe(0x8000);
    expect(drv.pcm('START', 0)).toBe(0x8000);
    drv.write(0, stereo(240, 7));
    unmapBuffers();
    expect(() => dev.advance(10_000)).not.toThrow();
    expectFaulted(lb, iommu, firstBuffer);
  });
});
