// The driver selects reverse: both guests take the GPIO interrupt, the infotainment mutes its amplifier, and the cluster keeps reading its I2C temperature sensor within its latency bound while the infotainment floods the shared bus.
import { gpio, i2c, Loopback } from '../src/lib/index.ts';

const clock = new i2c.ModelClock();

// The platform's tables: who owns which line, which address, and how much bus time.
const lines = new gpio.GpioController({
  lines: [{ name: 'REVERSE_GEAR', readers: ['cluster', 'ivi'] }, { name: 'TELLTALE_LAMP', owner: 'cluster' }, { name: 'AMP_MUTE', owner: 'ivi' }],
});
const bus = new i2c.I2cBus({
  clock,
  hz: 400_000,
  owners: {
    cluster: { addresses: [0x48], busTime: { budgetUs: 2_000, periodUs: 10_000, maxTransactionUs: 1_000 } },
    ivi: { addresses: [0x50], busTime: { budgetUs: 6_000, periodUs: 10_000, maxTransactionUs: 3_000 } },
  },
});
const sensor = new i2c.TemperatureSensor(23.25);
bus.attach(0x48, sensor).attach(0x50, new i2c.Eeprom());

const clusterGpio = new gpio.GpioDriver(new Loopback(new gpio.GpioDevice({ controller: lines, guest: 'cluster' }), { ring: 'split' }));
const iviGpio = new gpio.GpioDriver(new Loopback(new gpio.GpioDevice({ controller: lines, guest: 'ivi' }), { ring: 'packed' }));
const cluster = new i2c.I2cAdapterDevice({ bus, guest: 'cluster' });
const clusterI2c = new i2c.I2cDriver(new Loopback(cluster, { ring: 'split' }));
const ivi = new i2c.I2cAdapterDevice({ bus, guest: 'ivi' });
const iviI2c = new i2c.I2cDriver(new Loopback(ivi, { ring: 'packed' }));

console.log(`cluster sees lines ${JSON.stringify(clusterGpio.lineNames())}`);
console.log(`ivi sees lines     ${JSON.stringify(iviGpio.lineNames())}`);

// Both guests watch the reverse-gear input; each has its own eventq buffer for it.
for (const g of [clusterGpio, iviGpio]) g.enableIrq(0, gpio.VIRTIO_GPIO_IRQ_TYPE_EDGE_BOTH);
clock.advance(1_000);
lines.drive(0, 1); // the driver selects reverse
console.log(`t=${clock.now} µs reverse selected: cluster events ${JSON.stringify(clusterGpio.events())}, ivi events ${JSON.stringify(iviGpio.events())}`);
iviGpio.driveOutput(2, 1); // mute the media amplifier before the parking chime
iviGpio.unmask(0); // handled: unmask again for the shift out of reverse
console.log(`ivi mutes its amplifier: AMP_MUTE=${lines.level(2)}; ivi writes the cluster's lamp: status ${iviGpio.set(1, 1).status} (ERR is ${gpio.VIRTIO_GPIO_STATUS_ERR})`);

// The cluster polls its sensor every millisecond while the IVI keeps four long EEPROM reads queued.
const readTemp = [{ addr: 0x48, write: Uint8Array.of(0) }, { addr: 0x48, read: 2 }];
const flood = [{ addr: 0x50, read: 127 }];
let queued: number[][] = [];
let last = 0;
for (let ms = 0; ms < 30; ms++) {
  queued = queued.filter((ids) => !iviI2c.collect(ids, flood));
  while (queued.length < 4) queued.push(iviI2c.send(flood));
  const ids = clusterI2c.send(readTemp);
  clock.advance(1_000);
  let t = clusterI2c.collect(ids, readTemp);
  while (!t) {
    clock.advance(100);
    t = clusterI2c.collect(ids, readTemp);
  }
  last = i2c.TemperatureSensor.decode((t.data[1][0] << 8) | t.data[1][1]);
}
const own = bus.micros(1 + 18 + 1 + 27 + 1);
console.log(`30 sensor reads under the flood: last ${last} °C, worst latency ${cluster.stats.maxLatencyUs} µs, bound ${bus.arbiter.latencyBoundUs('cluster', own)} µs`);
console.log(`ivi bus time ${ivi.port.stats.busUs} µs in ${ivi.port.stats.transactions} transactions, held back for its budget ${ivi.port.stats.budgetWaits} times`);

// The IVI tries the cluster's sensor (behind its own queued reads: requests complete in order).
const reads = sensor.reads;
const stolen = iviI2c.send(readTemp);
let answer = iviI2c.collect(stolen, readTemp);
while (!answer) {
  clock.advance(1_000);
  answer = iviI2c.collect(stolen, readTemp);
}
console.log(`ivi reads the cluster's sensor: statuses ${JSON.stringify(answer.statuses)}, reasons ${JSON.stringify([...ivi.stats.failures])}, sensor reads by anyone meanwhile ${sensor.reads - reads}`);

lines.drive(0, 0); // out of reverse
console.log(`t=${clock.now} µs reverse deselected: cluster events ${JSON.stringify(clusterGpio.events())} (masked until it unmasks), ivi events ${JSON.stringify(iviGpio.events())}`);
