// The virtio-mmio register model (§4.2.2): identification, access rules, selectors, config space.
import { describe, expect, it } from 'vitest';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import * as R from '../../../../src/lib/virtio/mmio/registers.ts';
import { MmioTransport } from '../../../../src/lib/virtio/mmio/transport.ts';
import { ACKNOWLEDGE, DRIVER, FEATURES_OK } from '../../../../src/lib/virtio/status.ts';
import { NetDevice } from '../../../../src/lib/devices/net/device.ts';
import { PCI_CFG_DEVICE_ID, PCI_DEVICE_ID_BASE } from '../../../../src/lib/virtio/pci/layout.ts';
import { PciTransport } from '../../../../src/lib/virtio/pci/transport.ts';

const mem = () => GuestMemory.create(1 << 16);
const rngMmio = () => new MmioTransport(new EntropyDevice({ source: new DeterministicEntropySource(1) }), mem());
const blkMmio = (sectors = 8) => new MmioTransport(new BlockDevice(new MemoryBlockBackend({ sectors })), mem());

describe('identification', () => {
  it('[AVP-TRANS-2] presents the magic value, version 2 and the VIRTIO device ID', () => {
    const t = rngMmio();
    expect(t.read(R.MMIO_MAGIC_VALUE)).toBe(0x74726976);
    expect(t.read(R.MMIO_VERSION)).toBe(2);
    expect(t.read(R.MMIO_DEVICE_ID)).toBe(4);
    expect(blkMmio().read(R.MMIO_DEVICE_ID)).toBe(2);
    expect(t.read(R.MMIO_VENDOR_ID)).toBe(0x1af4);
  });

  it('the register table has the offsets of §4.2.2, in order and without overlaps', () => {
    const offsets = R.MMIO_REGISTERS.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(offsets.every((o) => o % 4 === 0 && o < R.MMIO_CONFIG)).toBe(true);
    expect(R.mmioRegisterAt(0x070)?.name).toBe('Status');
    expect(R.mmioRegisterAt(0x0fc)?.access).toBe('R');
    expect(R.mmioRegisterName(0x018)).toBe('0x018');
    expect(R.mmioRegisterName(0x104)).toBe('Config+0x4');
  });
});

describe('no legacy interface', () => {
  it('[AVP-TRANS-1] every device model is version 2 on MMIO and non-transitional on PCI', () => {
    const models = [
      new EntropyDevice({ source: new DeterministicEntropySource(1) }),
      new BlockDevice(new MemoryBlockBackend({ sectors: 8 })),
      new NetDevice({ mac: '52:54:00:00:00:01' }),
    ];
    for (const dev of models) {
      expect(new MmioTransport(dev, mem()).read(R.MMIO_VERSION)).toBe(2);
      const id = new PciTransport(dev, mem()).configRead(PCI_CFG_DEVICE_ID, 2);
      expect(id).toBe(0x1040 + dev.deviceId);
      expect(id).toBeGreaterThanOrEqual(PCI_DEVICE_ID_BASE);
    }
  });
});

describe('access rules', () => {
  it('[AVP-TRANS-3] [AVP-TRANS-22] a read of a hole reads 0 and is recorded', () => {
    const t = rngMmio();
    expect(t.read(0x018)).toBe(0);
    expect(t.lifecycle.lastEvent?.code).toBe('REGISTER_UNDEFINED');
  });

  it('[AVP-TRANS-3] [AVP-TRANS-22] a write to a read-only register has no effect', () => {
    const t = rngMmio();
    t.write(R.MMIO_DEVICE_ID, 9);
    expect(t.read(R.MMIO_DEVICE_ID)).toBe(4);
    expect(t.lifecycle.log[0].code).toBe('REGISTER_READ_ONLY');
  });

  it('[AVP-TRANS-3] [AVP-TRANS-22] a read of a write-only register reads 0', () => {
    const t = rngMmio();
    t.write(R.MMIO_QUEUE_SEL, 3);
    expect(t.read(R.MMIO_QUEUE_SEL)).toBe(0);
    expect(t.lifecycle.lastEvent?.code).toBe('REGISTER_WRITE_ONLY');
  });

  it('[AVP-TRANS-3] [AVP-TRANS-22] control registers take 32-bit accesses only', () => {
    const t = rngMmio();
    expect(t.read(R.MMIO_MAGIC_VALUE, 2)).toBe(0);
    t.write(R.MMIO_STATUS, ACKNOWLEDGE, 1);
    expect(t.read(R.MMIO_STATUS)).toBe(0);
    expect(t.lifecycle.counts.REGISTER_WIDTH).toBe(2);
  });

  it('[AVP-TRANS-3] register violations do not stop the device', () => {
    const t = rngMmio();
    t.write(0x0f0, 1); // a hole below the config space
    t.read(R.MMIO_MAGIC_VALUE, 1);
    t.write(R.MMIO_STATUS, ACKNOWLEDGE);
    expect(t.read(R.MMIO_STATUS)).toBe(ACKNOWLEDGE);
    expect(t.lifecycle.log.map((e) => e.severity)).toEqual(['ignored', 'ignored']);
  });
});

describe('feature selectors', () => {
  it('[AVP-TRANS-4] DeviceFeatures shows the word DeviceFeaturesSel selects; words past 3 are 0', () => {
    const t = rngMmio();
    const words = [0, 1, 2, 3, 4].map((sel) => {
      t.write(R.MMIO_DEVICE_FEATURES_SEL, sel);
      return t.read(R.MMIO_DEVICE_FEATURES);
    });
    const offered = t.lifecycle.offered;
    expect(words.slice(0, 4)).toEqual([0, 1, 2, 3].map((sel) => Number((offered >> BigInt(32 * sel)) & 0xffff_ffffn)));
    expect(words[4]).toBe(0);
    expect(t.lifecycle.log).toEqual([]);
  });

  it('[AVP-TRANS-23] a DeviceFeatures read before the selector is written is recorded', () => {
    const t = rngMmio();
    t.read(R.MMIO_DEVICE_FEATURES);
    expect(t.lifecycle.lastEvent?.code).toBe('SELECTOR_NOT_WRITTEN');
  });

  it('[AVP-TRANS-4] DriverFeatures writes land in the selected word', () => {
    const t = rngMmio();
    t.write(R.MMIO_STATUS, ACKNOWLEDGE | DRIVER);
    t.write(R.MMIO_DRIVER_FEATURES_SEL, 1);
    t.write(R.MMIO_DRIVER_FEATURES, 1);
    expect(t.lifecycle.driverFeatures).toBe(1n << 32n);
  });
});

describe('configuration space', () => {
  it('[AVP-TRANS-8] reads 8, 16 and 32-bit aligned fields little-endian at 0x100', () => {
    const t = blkMmio(0x1_0203);
    expect(t.read(R.MMIO_CONFIG, 4)).toBe(0x1_0203); // capacity, low word
    expect(t.read(R.MMIO_CONFIG + 4, 4)).toBe(0);
    expect(t.read(R.MMIO_CONFIG, 2)).toBe(0x0203);
    expect(t.read(R.MMIO_CONFIG + 1, 1)).toBe(0x02);
  });

  it('[AVP-TRANS-8] [AVP-TRANS-26] refuses unaligned configuration accesses', () => {
    const t = blkMmio();
    expect(t.read(R.MMIO_CONFIG + 1, 2)).toBe(0);
    expect(t.read(R.MMIO_CONFIG + 2, 4)).toBe(0);
    expect(t.lifecycle.counts.REGISTER_WIDTH).toBe(2);
  });

  it('[AVP-TRANS-27] ConfigGeneration changes when the device changes its configuration', () => {
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    const t = new MmioTransport(dev, mem());
    const g = t.read(R.MMIO_CONFIG_GENERATION);
    (dev.backend as MemoryBlockBackend).resize(9);
    dev.refreshCapacity();
    expect(t.read(R.MMIO_CONFIG_GENERATION)).not.toBe(g);
    expect(t.read(R.MMIO_CONFIG, 4)).toBe(9);
  });

  it('[AVP-TRANS-26] a read past the end of the configuration space reads 0 and is recorded', () => {
    const t = rngMmio();
    expect(t.read(R.MMIO_CONFIG, 4)).toBe(0);
    expect(t.lifecycle.lastEvent?.code).toBe('CONFIG_OUT_OF_RANGE');
  });
});

describe('queues and shared memory', () => {
  it('QueueSizeMax is 0 for a queue the device does not have', () => {
    const t = rngMmio();
    t.write(R.MMIO_QUEUE_SEL, 0);
    expect(t.read(R.MMIO_QUEUE_SIZE_MAX)).toBe(256);
    t.write(R.MMIO_QUEUE_SEL, 1);
    expect(t.read(R.MMIO_QUEUE_SIZE_MAX)).toBe(0);
  });

  it('every shared memory region ID reads as absent (length and base all ones)', () => {
    const t = rngMmio();
    t.write(R.MMIO_SHM_SEL, 0);
    expect([R.MMIO_SHM_LEN_LOW, R.MMIO_SHM_LEN_HIGH, R.MMIO_SHM_BASE_LOW, R.MMIO_SHM_BASE_HIGH].map((o) => t.read(o))).toEqual([
      0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff,
    ]);
  });

  it('[AVP-TRANS-17] [AVP-TRANS-19] QueueReset is not available: VIRTIO_F_RING_RESET is never offered', () => {
    const t = rngMmio();
    t.write(R.MMIO_STATUS, ACKNOWLEDGE | DRIVER);
    t.write(R.MMIO_QUEUE_RESET, 1);
    expect(t.lifecycle.lastEvent?.code).toBe('FEATURE_NOT_NEGOTIATED');
    expect(t.read(R.MMIO_STATUS) & FEATURES_OK).toBe(0);
  });
});
