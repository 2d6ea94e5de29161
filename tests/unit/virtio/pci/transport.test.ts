// Virtio over PCI end to end: the PCI driver finds the structures through the capabilities and
// runs the device through the common configuration structure, over both ring layouts.
import { describe, expect, it } from 'vitest';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { encodeBlkHeader, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../../../../src/lib/devices/block/request.ts';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { PciDriver } from '../../../../src/lib/virtio/pci/driver.ts';
import * as L from '../../../../src/lib/virtio/pci/layout.ts';
import { BAR0_COMMON, BAR0_ISR, BAR0_NOTIFY, PciTransport } from '../../../../src/lib/virtio/pci/transport.ts';
import { ACKNOWLEDGE, DRIVER, FEATURES_OK } from '../../../../src/lib/virtio/status.ts';
import { RING_TYPES } from '../../../support/rings.ts';

const MEM = 1 << 20;
const HEAP = { addr: 0x1000, size: MEM - 0x1000 };
const common = (name: string) => BAR0_COMMON + L.commonOffset(name);

function pci(device: ConstructorParameters<typeof PciTransport>[0]) {
  const mem = GuestMemory.create(MEM);
  const t = new PciTransport(device, mem);
  return { mem, t, driver: new PciDriver(t, mem, HEAP) };
}

describe.each(RING_TYPES)('PCI bring-up and use (%s ring)', (ring) => {
  it('[AVP-TRANS-13] [AVP-TRANS-16] initializes a block device through the capabilities and moves a sector', () => {
    const { t, driver } = pci(new BlockDevice(new MemoryBlockBackend({ sectors: 8 })));
    const r = driver.init({ ring });
    expect(r.ok && r.deviceId).toBe(2);
    const data = new Uint8Array(512).fill(0x5a);
    driver.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 1 }), data], [1]);
    expect(t.configRead(L.PCI_CFG_STATUS, 2) & L.PCI_STATUS_INTERRUPT).toBe(L.PCI_STATUS_INTERRUPT);
    const w = driver.handleInterrupt();
    expect(w.isr).toBe(1);
    expect(t.interruptAsserted).toBe(false); // the ISR read cleared it
    expect(w.completions.get(0)?.[0].data[0]).toBe(0);
    driver.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 1 })], [512, 1]);
    const rd = driver.handleInterrupt().completions.get(0)!;
    expect(rd[0].data.subarray(0, 512)).toEqual(data);
    expect(driver.readConfig(0, 8)).toEqual(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0]));
    expect(t.lifecycle.log).toEqual([]);
  });

  it('reads random bytes from an entropy device', () => {
    const { driver } = pci(new EntropyDevice({ source: new DeterministicEntropySource(4) }));
    expect(driver.init({ ring }).ok).toBe(true);
    driver.submit(0, [], [16]);
    const expected = new Uint8Array(16);
    new DeterministicEntropySource(4).fill(expected);
    expect(driver.handleInterrupt().completions.get(0)?.[0].data).toEqual(expected);
  });
});

describe('common configuration rules', () => {
  it('[AVP-TRANS-29] the driver refuses a function with another vendor or a transitional device ID', () => {
    const { t } = pci(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    const other = { ...t, configRead: (o: number, w?: 1 | 2 | 4) => (o === L.PCI_CFG_DEVICE_ID ? 0x1005 : t.configRead(o, w)), barRead: t.barRead.bind(t), barWrite: t.barWrite.bind(t) };
    const r = new PciDriver(other, GuestMemory.create(MEM), HEAP).init();
    expect(!r.ok && r.reason).toMatch(/0x1005 is not a modern virtio ID/);
  });

  it('queue_size reads 0 for a queue the device does not have, and num_queues counts them', () => {
    const { t } = pci(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    expect(t.barRead(0, common('num_queues'), 2)).toBe(1);
    t.barWrite(0, common('queue_select'), 0, 2);
    expect(t.barRead(0, common('queue_size'), 2)).toBe(256);
    t.barWrite(0, common('queue_select'), 5, 2);
    expect(t.barRead(0, common('queue_size'), 2)).toBe(0);
  });

  it('[AVP-TRANS-30] refuses writes of read-only fields, a 0 in queue_enable, and wrong widths', () => {
    const { t } = pci(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    t.barWrite(0, common('num_queues'), 9, 2);
    t.barWrite(0, common('device_status'), ACKNOWLEDGE | DRIVER, 1);
    t.barWrite(0, common('driver_feature_select'), 1, 4);
    t.barWrite(0, common('driver_feature'), 1, 4);
    t.barWrite(0, common('device_status'), ACKNOWLEDGE | DRIVER | FEATURES_OK, 1);
    t.barWrite(0, common('queue_enable'), 0, 2);
    t.barWrite(0, common('device_status'), 1, 4);
    expect(t.lifecycle.log.map((e) => e.code)).toEqual(['REGISTER_READ_ONLY', 'QUEUE_DISABLE_REFUSED', 'REGISTER_WIDTH']);
  });

  it('MSI-X vectors read as NO_VECTOR: the model signals through INTx and ISR status', () => {
    const { t } = pci(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    t.barWrite(0, common('config_msix_vector'), 0, 2);
    expect(t.barRead(0, common('config_msix_vector'), 2)).toBe(L.VIRTIO_MSI_NO_VECTOR);
  });

  it('[AVP-TRANS-28] a notification must carry the index of the queue whose address it hits', () => {
    const { t, driver } = pci(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    driver.init();
    t.barWrite(0, BAR0_NOTIFY, 3, 2);
    expect(t.lifecycle.lastEvent?.code).toBe('NOTIFY_QUEUE_INVALID');
    expect(t.barRead(0, BAR0_ISR, 4)).toBe(0);
    expect(t.lifecycle.lastEvent?.code).toBe('REGISTER_WIDTH');
  });
});
