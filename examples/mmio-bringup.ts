// A guest driver brings up a block device over virtio-mmio: every register access, a sector written and read back, then a mistake the device records.
import { block, GuestMemory, mmio } from '../src/lib/index.ts';

const mem = GuestMemory.create(1 << 20);
const disk = new block.BlockDevice(new block.MemoryBlockBackend({ sectors: 64 }));
const window = new mmio.MmioTransport(disk, mem);
const bus = new mmio.TracingBus(window);
const driver = new mmio.MmioDriver(bus, mem, { addr: 0x10000, size: 0xf0000 });

const result = driver.init({ ring: 'split', queueSize: 16 });
console.log(`init: ${result.ok ? `ok, device ID ${result.deviceId}, features 0x${result.features.toString(16)}` : result.reason}`);
console.log('');
for (const a of bus.take()) console.log(mmio.formatAccess(a));

const capacity = new DataView(driver.readConfig(0, 8).buffer).getBigUint64(0, true);
console.log(`\ncapacity from Config+0x0: ${capacity} sectors (${bus.take().length} register accesses, generation checked)`);

console.log('\nwrite sector 5, then read it back:');
const payload = new TextEncoder().encode('written through MMIO'.padEnd(512, '.'));
driver.submit(0, [block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_OUT, sector: 5 }), payload], [1]);
console.log(`  interrupt line: ${window.interruptAsserted ? 'asserted' : 'low'}`);
let irq = driver.handleInterrupt();
console.log(`  InterruptStatus 0x${irq.status.toString(16)}, write status ${irq.completions.get(0)?.[0].data[0]}`);
driver.submit(0, [block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_IN, sector: 5 })], [512, 1]);
irq = driver.handleInterrupt();
const back = irq.completions.get(0)![0].data;
console.log(`  read status ${back[512]}, data "${new TextDecoder().decode(back.subarray(0, 20))}"`);
for (const a of bus.take().filter((x) => x.offset < mmio.MMIO_CONFIG)) console.log(`  ${mmio.formatAccess(a)}`);

console.log('\na buggy driver writes QueueSize after DRIVER_OK, then notifies queue 7:');
window.write(mmio.MMIO_QUEUE_SEL, 0);
window.write(mmio.MMIO_QUEUE_SIZE, 8);
window.write(mmio.MMIO_QUEUE_NOTIFY, 7);
for (const e of window.lifecycle.log) console.log(`  ${e.message}`);
console.log(`  Status now 0x${window.read(mmio.MMIO_STATUS).toString(16)} (DEVICE_NEEDS_RESET is 0x40)`);
