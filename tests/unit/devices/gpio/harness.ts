// Shared set-up for the GPIO tests: a controller with the example vehicle's line table and a
// device per guest on a Loopback of the given ring layout.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { bit } from '../../../../src/lib/virtio/feature-bits.ts';
import { GpioController, type GpioLineSpec } from '../../../../src/lib/devices/gpio/controller.ts';
import { GpioDevice } from '../../../../src/lib/devices/gpio/device.ts';
import { GpioDriver } from '../../../../src/lib/devices/gpio/driver.ts';
import { VIRTIO_GPIO_F_IRQ } from '../../../../src/lib/devices/gpio/protocol.ts';

export const REVERSE = 0; // read by both guests
export const TELLTALE = 1; // the cluster's
export const AMP_MUTE = 2; // the IVI's
export const TOUCH_IRQ = 3; // the IVI's, level-low interrupt of its touch controller
export const IVI_SPARE = 4; // the IVI's, unnamed
export const UNASSIGNED = 5; // nobody's

export const LINES: readonly GpioLineSpec[] = [
  { name: 'REVERSE_GEAR', readers: ['cluster', 'ivi'] },
  { name: 'TELLTALE_LAMP', owner: 'cluster' },
  { name: 'AMP_MUTE', owner: 'ivi' },
  { name: 'TOUCH_IRQ', owner: 'ivi' },
  { owner: 'ivi' },
  { name: 'SPARE' },
];

export interface Guest {
  dev: GpioDevice;
  lb: Loopback;
  drv: GpioDriver;
}

export function guest(ctl: GpioController, name: string, ring: RingType, opts: { noIrq?: boolean } = {}): Guest {
  const dev = new GpioDevice({ controller: ctl, guest: name });
  const lb = new Loopback(dev, { ring, features: opts.noIrq ? ~bit(VIRTIO_GPIO_F_IRQ) & ((1n << 64n) - 1n) : undefined });
  return { dev, lb, drv: new GpioDriver(lb) };
}

export function world(ring: RingType): { ctl: GpioController; cluster: Guest; ivi: Guest } {
  const ctl = new GpioController({ lines: LINES });
  return { ctl, cluster: guest(ctl, 'cluster', ring), ivi: guest(ctl, 'ivi', ring) };
}

export const needsReset = (g: Guest): boolean => (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
