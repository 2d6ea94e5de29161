// Shared set-up for the SPI tests: one controller with a NOR flash on chip select 0 (the IVI's)
// and an ADC on chip select 1 (the cluster's), chip select 2 nobody's, a device per guest on a
// Loopback, and optionally model time.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import type { BusTimePolicy } from '../../../../src/lib/devices/i2c/arbiter.ts';
import { SpiBus } from '../../../../src/lib/devices/spi/bus.ts';
import { SpiControllerDevice } from '../../../../src/lib/devices/spi/device.ts';
import { SpiDriver } from '../../../../src/lib/devices/spi/driver.ts';
import { Adc, NorFlash } from '../../../../src/lib/devices/spi/peripherals.ts';

export const FLASH_CS = 0;
export const ADC_CS = 1;
export const FREE_CS = 2;
export const IVI_TIME: BusTimePolicy = { budgetUs: 5_000, periodUs: 10_000, maxTransactionUs: 2_000 };
export const CLUSTER_TIME: BusTimePolicy = { budgetUs: 1_000, periodUs: 10_000, maxTransactionUs: 500 };

export interface Side {
  dev: SpiControllerDevice;
  lb: Loopback;
  drv: SpiDriver;
}

export interface Rig {
  clock: ModelClock | null;
  bus: SpiBus;
  flash: NorFlash;
  adc: Adc;
  ivi: Side;
  cluster: Side;
}

export function rig(ring: RingType, opts: { timed?: boolean } = {}): Rig {
  const clock = opts.timed ? new ModelClock() : null;
  const bus = new SpiBus({ clock: clock ?? undefined, owners: { ivi: { chipSelects: [FLASH_CS], busTime: IVI_TIME }, cluster: { chipSelects: [ADC_CS], busTime: CLUSTER_TIME } } });
  const flash = new NorFlash();
  const adc = new Adc();
  bus.attach(FLASH_CS, flash).attach(ADC_CS, adc);
  const side = (guest: string): Side => {
    const dev = new SpiControllerDevice({ bus, guest });
    const lb = new Loopback(dev, { ring });
    return { dev, lb, drv: new SpiDriver(lb) };
  };
  return { clock, bus, flash, adc, ivi: side('ivi'), cluster: side('cluster') };
}

/** A flash READ of `n` bytes at `addr` as a command transfer and a data transfer. */
export const flashRead = (addr: number, n: number) => [{ tx: Uint8Array.of(0x03, addr >> 16, (addr >> 8) & 0xff, addr & 0xff) }, { rx: n }];
/** One ADC conversion of `ch`, full duplex. */
export const adcConvert = (ch: number) => ({ head: { chipSelect: ADC_CS }, tx: Uint8Array.of(0x01, 0x80 | (ch << 4), 0), rx: 3 });
