// A guest finds a virtio-pci network device: the IDs in its PCI header, the capability list that locates each structure in BAR 0, then initialization through the common configuration.
import { GuestMemory, net, pci } from '../src/lib/index.ts';

const mem = GuestMemory.create(1 << 20);
const fn = new pci.PciTransport(new net.NetDevice({ mac: '52:54:00:12:34:56' }), mem, { bar0: 0xfe00_0000 });

const hex = (v: number, digits: number) => `0x${v.toString(16).padStart(digits, '0')}`;
console.log(`vendor ${hex(fn.configRead(pci.PCI_CFG_VENDOR_ID, 2), 4)}, device ${hex(fn.configRead(pci.PCI_CFG_DEVICE_ID, 2), 4)} (0x1040 + ID 1), revision ${fn.configRead(pci.PCI_CFG_REVISION_ID, 1)}, subsystem ${hex(fn.configRead(pci.PCI_CFG_SUBSYSTEM_ID, 2), 4)}`);
console.log(`BAR0 at ${hex(fn.configRead(pci.PCI_CFG_BAR0, 4), 8)}, capability list from ${hex(fn.configRead(pci.PCI_CFG_CAP_PTR, 1), 2)}\n`);

const TYPES: Record<number, string> = { 1: 'COMMON_CFG', 2: 'NOTIFY_CFG', 3: 'ISR_CFG', 4: 'DEVICE_CFG', 5: 'PCI_CFG', 8: 'SHARED_MEMORY_CFG', 9: 'VENDOR_CFG' };
const scan = pci.scanCapabilities(fn.header);
console.log('at    cfg_type     bar  offset  length  extra');
for (const c of scan.caps) {
  const extra = c.notifyOffMultiplier !== undefined ? `notify_off_multiplier ${c.notifyOffMultiplier}` : '';
  console.log(`${hex(c.at, 2)}  ${TYPES[c.cfgType].padEnd(11)}  ${c.bar}    ${hex(c.offset, 4)}  ${String(c.length).padStart(6)}  ${extra}`.trimEnd());
}
const problems = pci.checkRequiredCaps(scan, true);
console.log(`required structures: ${problems.length === 0 ? 'all present' : problems.join('; ')}\n`);

const driver = new pci.PciDriver(fn, mem, { addr: 0x1000, size: 0xff000 });
const r = driver.init({ ring: 'packed' });
console.log(`init: ${r.ok ? `ok, VIRTIO device ID ${r.deviceId}, ${r.queues} queues` : r.reason}`);
const mac = [...driver.readConfig(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
console.log(`MAC from the device configuration structure: ${mac}`);
const common = (name: string) => pci.BAR0_COMMON + pci.commonOffset(name);
for (let q = 0; q < 2; q++) {
  fn.barWrite(0, common('queue_select'), q, 2);
  const off = fn.barRead(0, common('queue_notify_off'), 2);
  console.log(`queue ${q}: size ${fn.barRead(0, common('queue_size'), 2)}, enabled ${fn.barRead(0, common('queue_enable'), 2)}, notify address BAR0+${hex(pci.BAR0_NOTIFY + off * pci.NOTIFY_OFF_MULTIPLIER, 4)}`);
}
console.log(`device_status ${hex(fn.barRead(0, common('device_status'), 1), 2)}, ISR status ${fn.barRead(0, pci.BAR0_ISR, 1)}, recorded violations ${fn.lifecycle.log.length}`);
