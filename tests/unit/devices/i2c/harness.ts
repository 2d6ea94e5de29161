// Shared set-up for the I2C tests: one bus with a temperature sensor the cluster owns, an
// EEPROM the IVI owns and a second sensor nobody owns, a device per guest on a Loopback, and
// optionally model time with the platform's bus-time table.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import type { BusTimePolicy } from '../../../../src/lib/devices/i2c/arbiter.ts';
import { I2cBus } from '../../../../src/lib/devices/i2c/bus.ts';
import { I2cAdapterDevice } from '../../../../src/lib/devices/i2c/device.ts';
import { I2cDriver } from '../../../../src/lib/devices/i2c/driver.ts';
import { Eeprom, TemperatureSensor } from '../../../../src/lib/devices/i2c/targets.ts';

export const SENSOR = 0x48; // the cluster's
export const EEPROM = 0x50; // the IVI's
export const STRAY = 0x49; // on the bus, nobody's
export const TEN_BIT = 0x2a5; // the cluster's, nothing attached

export const CLUSTER_TIME: BusTimePolicy = { budgetUs: 2_000, periodUs: 10_000, maxTransactionUs: 1_000 };
export const IVI_TIME: BusTimePolicy = { budgetUs: 6_000, periodUs: 10_000, maxTransactionUs: 3_000 };

export interface Rig {
  clock: ModelClock | null;
  bus: I2cBus;
  sensor: TemperatureSensor;
  stray: TemperatureSensor;
  eeprom: Eeprom;
  cluster: { dev: I2cAdapterDevice; lb: Loopback; drv: I2cDriver };
  ivi: { dev: I2cAdapterDevice; lb: Loopback; drv: I2cDriver };
}

export function rig(ring: RingType, opts: { timed?: boolean; hz?: number } = {}): Rig {
  const clock = opts.timed ? new ModelClock() : null;
  const bus = new I2cBus({
    clock: clock ?? undefined,
    hz: opts.hz,
    owners: {
      cluster: { addresses: [SENSOR, { bits: 10, addr: TEN_BIT }], busTime: CLUSTER_TIME },
      ivi: { addresses: [EEPROM], busTime: IVI_TIME },
    },
  });
  const sensor = new TemperatureSensor(21.5);
  const stray = new TemperatureSensor(30);
  const eeprom = new Eeprom();
  bus.attach(SENSOR, sensor).attach(STRAY, stray).attach(EEPROM, eeprom);
  const mk = (guest: string) => {
    const dev = new I2cAdapterDevice({ bus, guest });
    const lb = new Loopback(dev, { ring });
    return { dev, lb, drv: new I2cDriver(lb) };
  };
  return { clock, bus, sensor, stray, eeprom, cluster: mk('cluster'), ivi: mk('ivi') };
}

export const needsReset = (lb: Loopback): boolean => (lb.status & DEVICE_NEEDS_RESET) !== 0;
