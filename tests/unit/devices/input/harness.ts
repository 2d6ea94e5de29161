// Shared set-up for the input device tests: a device of a given kind on a Loopback of a given
// ring layout, with the guest-side driver and (by default) a stock of eventq buffers.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { InputDevice, type InputDeviceOptions } from '../../../../src/lib/devices/input/device.ts';
import { InputDriver } from '../../../../src/lib/devices/input/driver.ts';
import { type InputEvent, formatEvent } from '../../../../src/lib/devices/input/event.ts';

export interface Guest {
  dev: InputDevice;
  lb: Loopback;
  drv: InputDriver;
}

/** A device with `opts`, a driver on `ring`, and `buffers` eventq buffers posted (default 32). */
export function guest(ring: RingType, opts: InputDeviceOptions, buffers = 32): Guest {
  const dev = new InputDevice(opts);
  const lb = new Loopback(dev, { ring });
  const drv = new InputDriver(lb);
  drv.post(buffers);
  return { dev, lb, drv };
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

export const fmt = (frames: InputEvent[][]) => frames.map((f) => f.map(formatEvent).join(', '));
