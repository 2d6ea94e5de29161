// Feature negotiation step by step: what a block device offers, what two drivers choose, a feature set the device refuses, and writes the lifecycle turns away.
import { ACKNOWLEDGE, block, DRIVER, DRIVER_OK, FAILED, FEATURES_OK, GuestMemory, lifecycle, mmio } from '../src/lib/index.ts';

const NAMES: Record<number, string> = {
  [block.VIRTIO_BLK_F_SEG_MAX]: 'SEG_MAX', [block.VIRTIO_BLK_F_BLK_SIZE]: 'BLK_SIZE', [block.VIRTIO_BLK_F_FLUSH]: 'FLUSH',
  [block.VIRTIO_BLK_F_TOPOLOGY]: 'TOPOLOGY', [block.VIRTIO_BLK_F_CONFIG_WCE]: 'CONFIG_WCE', [block.VIRTIO_BLK_F_MQ]: 'MQ',
  [block.VIRTIO_BLK_F_DISCARD]: 'DISCARD', [block.VIRTIO_BLK_F_WRITE_ZEROES]: 'WRITE_ZEROES', [block.VIRTIO_BLK_F_RO]: 'RO',
  28: 'INDIRECT_DESC', 29: 'EVENT_IDX', 32: 'VERSION_1', 33: 'ACCESS_PLATFORM', 34: 'RING_PACKED', 35: 'IN_ORDER', 36: 'ORDER_PLATFORM', 43: 'SUSPEND',
};
const names = (set: bigint) => [...lifecycle.bitsOf(set)].map((n) => NAMES[n] ?? `bit${n}`).join(' ');

const disk = () => new block.BlockDevice(new block.MemoryBlockBackend({ sectors: 64 }));
const offer = lifecycle.transportOffer(disk());
console.log(`the device offers:   ${names(offer)}`);
for (let sel = 0; sel < 2; sel++) console.log(`  DeviceFeatures[${sel}] = 0x${lifecycle.featureWord(offer, sel).toString(16).padStart(8, '0')}`);

// Two drivers: one wants everything and the packed ring, a small RTOS driver wants little.
for (const [who, choice] of [
  ['full driver', { ring: 'packed' }],
  ['RTOS driver', { ring: 'split', wanted: (1n << 9n) | (1n << 28n) }],
] as const) {
  const pick = lifecycle.selectFeatures(offer, choice);
  console.log(`${who.padEnd(12)} accepts: ${pick.ok ? names(pick.accepted) : pick.reason}`);
}

console.log('\na driver that claims a bit the device did not offer (bit 17, ZONED):');
const lc = new lifecycle.DeviceLifecycle(disk(), GuestMemory.create(1 << 16));
lc.writeStatus(ACKNOWLEDGE | DRIVER);
const claimed = offer | (1n << 17n);
for (let sel = 0; sel < lifecycle.FEATURE_WORDS; sel++) lc.writeDriverFeatureWord(sel, lifecycle.featureWord(claimed, sel));
lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
console.log(`  status after FEATURES_OK: ${lifecycle.statusNames(lc.status)} (FEATURES_OK did not stick)`);
console.log(`  recorded: ${lc.lastEvent?.message}`);

// The driver gives up (§3.1.1): FAILED. Nothing but a reset brings the device back.
lc.writeStatus(lc.status | FAILED);
lc.writeStatus(lc.status | FEATURES_OK);
console.log(`  the driver sets FAILED and tries again: ${lc.lastEvent?.message}`);
lc.writeStatus(0);
console.log(`  after a reset: status ${lifecycle.statusNames(lc.status)}, driver features 0x${lc.driverFeatures.toString(16)}`);

console.log('\nthe RTOS driver over MMIO, reading and writing the features as 32-bit words:');
const mem = GuestMemory.create(1 << 20);
const window = new mmio.MmioTransport(disk(), mem);
const bus = new mmio.TracingBus(window);
const d = new mmio.MmioDriver(bus, mem, { addr: 0x1000, size: 0xff000 });
const r = d.init({ ring: 'split', wanted: (1n << 9n) | (1n << 28n) });
const featureRegs = [mmio.MMIO_DEVICE_FEATURES_SEL, mmio.MMIO_DEVICE_FEATURES, mmio.MMIO_DRIVER_FEATURES_SEL, mmio.MMIO_DRIVER_FEATURES];
for (const a of bus.take().filter((x) => featureRegs.includes(x.offset)).slice(0, 12)) console.log(`  ${mmio.formatAccess(a)}`);
console.log(`  init: ${r.ok ? 'ok' : r.reason}; negotiated ${names(d.features)}`);

console.log('\nwrites the lifecycle refuses (each recorded with a code; none stops the host):');
const lc2 = new lifecycle.DeviceLifecycle(disk(), GuestMemory.create(1 << 16));
lc2.writeStatus(ACKNOWLEDGE | FEATURES_OK); // skips DRIVER
lc2.writeStatus(0);
lc2.writeStatus(ACKNOWLEDGE | DRIVER);
lc2.writeStatus(ACKNOWLEDGE | DRIVER | DRIVER_OK); // DRIVER_OK before FEATURES_OK
lc2.writeStatus(0);
lc2.writeStatus(ACKNOWLEDGE | DRIVER);
lc2.writeDriverFeatureWord(1, 1);
lc2.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
lc2.writeDriverFeatureWord(0, 0xffff_ffff); // after FEATURES_OK
for (const e of lc2.log) console.log(`  [${e.severity}] ${e.message}`);
console.log(`  status: ${lifecycle.statusNames(lc2.status)}`);
