// Shared set-up for the console device tests: a device whose ports have host sides (a log and
// a queued input each), a Loopback on a given ring layout, and the guest-side driver.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import type { Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { ConsoleDevice, type ConsoleDeviceOptions } from '../../../../src/lib/devices/console/device.ts';
import { ConsoleDriver, type ConsoleDriverOptions } from '../../../../src/lib/devices/console/driver.ts';
import { ConsoleLog } from '../../../../src/lib/devices/console/console-log.ts';
import { QueuedInput } from '../../../../src/lib/devices/console/queued-input.ts';
import type { ConsolePortHost } from '../../../../src/lib/devices/console/host.ts';
import type { ConsolePortOptions } from '../../../../src/lib/devices/console/port.ts';

export const ALL: Features = (1n << 64n) - 1n;

export function without(all: Features, ...bits: number[]): Features {
  return bits.reduce((f, b) => f & ~(1n << BigInt(b)), all);
}

/** A host side that keeps the guest's output and queues input, and records open/close. */
export interface TestHost extends ConsolePortHost {
  readonly output: ConsoleLog;
  readonly input: QueuedInput;
  readonly events: boolean[];
}

export function testHost(): TestHost {
  const events: boolean[] = [];
  return { output: new ConsoleLog(), input: new QueuedInput(), events, opened: (open) => events.push(open) };
}

export interface Rig {
  dev: ConsoleDevice;
  lb: Loopback;
  drv: ConsoleDriver;
  hosts: Map<number, TestHost>;
}

export interface RigOptions {
  readonly dev?: ConsoleDeviceOptions;
  /** Ports with a test host side; the other options of each port go in dev.ports. */
  readonly hosted?: readonly number[];
  readonly features?: Features;
  readonly driver?: ConsoleDriverOptions;
  /** Run the multiport start-up (DEVICE_READY); default true. */
  readonly start?: boolean;
  readonly queueSize?: number;
}

/** A device with `hosted` ports given test hosts, a driver that negotiated, started by default. */
export function rig(ring: RingType, o: RigOptions = {}): Rig {
  const hosts = new Map<number, TestHost>();
  const ports: Record<number, ConsolePortOptions> = { ...(o.dev?.ports ?? {}) };
  for (const id of o.hosted ?? [0]) {
    const h = testHost();
    hosts.set(id, h);
    ports[id] = { ...(ports[id] ?? {}), host: h };
  }
  const dev = new ConsoleDevice({ ...o.dev, ports });
  const lb = new Loopback(dev, { ring, features: o.features ?? ALL, queueSize: o.queueSize });
  const drv = new ConsoleDriver(lb, o.driver);
  if (o.start ?? true) drv.start();
  return { dev, lb, drv, hosts };
}

export function needsReset(r: Rig): boolean {
  return (r.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

export const text = (b: Uint8Array) => new TextDecoder().decode(b);
