// The MMIO driver and device end to end (§4.2.3, §3.1.1): nothing but register accesses and
// guest memory between them, over both ring layouts.
import { describe, expect, it } from 'vitest';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { encodeBlkHeader, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT } from '../../../../src/lib/devices/block/request.ts';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { bit, VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../../../src/lib/virtio/feature-bits.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { MmioDriver, type RegisterBus } from '../../../../src/lib/virtio/mmio/driver.ts';
import * as R from '../../../../src/lib/virtio/mmio/registers.ts';
import { TracingBus, formatAccess } from '../../../../src/lib/virtio/mmio/trace.ts';
import { MmioTransport } from '../../../../src/lib/virtio/mmio/transport.ts';
import { DEVICE_NEEDS_RESET, FAILED } from '../../../../src/lib/virtio/status.ts';
import { RING_TYPES } from '../../../support/rings.ts';

const MEM = 1 << 20;
const HEAP = { addr: 0x1000, size: MEM - 0x1000 };

function stream(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  new DeterministicEntropySource(seed).fill(out);
  return out;
}

function pair(device: ConstructorParameters<typeof MmioTransport>[0]) {
  const mem = GuestMemory.create(MEM);
  const transport = new MmioTransport(device, mem);
  const bus = new TracingBus(transport);
  return { mem, transport, bus, driver: new MmioDriver(bus, mem, HEAP) };
}

describe.each(RING_TYPES)('MMIO bring-up and use (%s ring)', (ring) => {
  it('[AVP-TRANS-10] initializes an entropy device and reads random bytes after an interrupt', () => {
    const { transport, driver } = pair(new EntropyDevice({ source: new DeterministicEntropySource(9) }));
    const r = driver.init({ ring });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.deviceId).toBe(4);
    expect((r.features & bit(VIRTIO_F_RING_PACKED)) !== 0n).toBe(ring === 'packed');
    const id = driver.submit(0, [], [32]);
    expect(transport.interruptAsserted).toBe(true);
    const irq = driver.handleInterrupt();
    expect(transport.interruptAsserted).toBe(false);
    expect(irq.status).toBe(1);
    const done = irq.completions.get(0)!;
    expect(done.map((c) => c.id)).toEqual([id]);
    expect([...done[0].data]).toEqual([...stream(32, 9)]);
    expect(transport.lifecycle.log).toEqual([]);
  });

  it('writes and reads back a block sector', () => {
    const { driver } = pair(new BlockDevice(new MemoryBlockBackend({ sectors: 8 })));
    expect(driver.init({ ring }).ok).toBe(true);
    const data = new Uint8Array(512).map((_, i) => (i * 7) & 0xff);
    driver.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector: 3 }), data], [1]);
    const w = driver.handleInterrupt().completions.get(0)!;
    expect([...w[0].data]).toEqual([0]); // VIRTIO_BLK_S_OK
    driver.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_IN, sector: 3 })], [512, 1]);
    const rd = driver.handleInterrupt().completions.get(0)!;
    expect(rd[0].data.subarray(0, 512)).toEqual(data);
    expect(rd[0].data[512]).toBe(0);
  });

  it('[AVP-LIFE-1] the driver writes the status steps in the order of §3.1.1', () => {
    const { bus, driver } = pair(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    driver.init({ ring });
    const statusWrites = bus.accesses.filter((a) => a.kind === 'write' && a.offset === R.MMIO_STATUS).map((a) => a.value);
    expect(statusWrites).toEqual([0x0, 0x1, 0x3, 0xb, 0xf]);
    const firstThree = bus.accesses.slice(0, 3).map(formatAccess);
    expect(firstThree[0]).toMatch(/^read +MagicValue +-> 0x74726976$/);
    expect(firstThree[1]).toMatch(/Version/);
    expect(firstThree[2]).toMatch(/DeviceID/);
  });

  it('[AVP-LIFE-10] a broken ring is reported through the configuration change interrupt; a reset recovers', () => {
    const { mem, transport, driver } = pair(new EntropyDevice({ source: new DeterministicEntropySource(1) }));
    driver.init({ ring });
    driver.queues[0].add([{ addr: MEM + 0x1000, len: 16, writable: true }]);
    transport.write(R.MMIO_QUEUE_NOTIFY, 0);
    const irq = driver.handleInterrupt();
    expect(irq.configChanged).toBe(true);
    expect(irq.needsReset).toBe(true);
    expect(transport.read(R.MMIO_STATUS) & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    driver.reset();
    const again = new MmioDriver(transport, mem, HEAP);
    expect(again.init({ ring }).ok).toBe(true);
    again.submit(0, [], [8]);
    expect(again.handleInterrupt().completions.get(0)?.[0].len).toBe(8);
  });

  it('[AVP-LIFE-22] readConfig retries while the generation moves under it', () => {
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    const { transport } = pair(dev);
    let resizes = 0;
    // A bus that changes the capacity between the reads of its low and high words.
    const racing: RegisterBus = {
      read(offset, width) {
        if (offset === R.MMIO_CONFIG + 4 && resizes === 0) {
          resizes++;
          (dev.backend as MemoryBlockBackend).resize(16);
          dev.refreshCapacity();
        }
        return transport.read(offset, width);
      },
      write: (o, v, w) => transport.write(o, v, w),
    };
    const d = new MmioDriver(racing, GuestMemory.create(MEM), HEAP);
    const cap = new DataView(d.readConfig(0, 8).buffer).getBigUint64(0, true);
    expect(cap).toBe(16n); // not the torn value: the low word read before the change was 8
    expect(resizes).toBe(1);
  });
});

describe('MMIO probe', () => {
  /** A window that answers fixed values and counts accesses. */
  function fake(values: Record<number, number>) {
    const touched: number[] = [];
    const bus: RegisterBus = {
      read(offset) {
        touched.push(offset);
        return values[offset] ?? 0;
      },
      write(offset) {
        touched.push(offset);
      },
    };
    return { bus, touched };
  }

  it('[AVP-TRANS-10] ignores a window with the wrong magic value or a legacy version', () => {
    const bad = fake({ [R.MMIO_MAGIC_VALUE]: 0x12345678 });
    const r = new MmioDriver(bad.bus, GuestMemory.create(MEM), HEAP).init();
    expect(r.ok).toBe(false);
    expect(bad.touched).toEqual([R.MMIO_MAGIC_VALUE]);
    const legacy = fake({ [R.MMIO_MAGIC_VALUE]: R.MMIO_MAGIC, [R.MMIO_VERSION]: 1 });
    const r2 = new MmioDriver(legacy.bus, GuestMemory.create(MEM), HEAP).init();
    expect(!r2.ok && r2.reason).toMatch(/Version 1/);
  });

  it('[AVP-TRANS-10] stops at DeviceID 0 without touching another register', () => {
    const empty = fake({ [R.MMIO_MAGIC_VALUE]: R.MMIO_MAGIC, [R.MMIO_VERSION]: 2, [R.MMIO_DEVICE_ID]: 0 });
    const r = new MmioDriver(empty.bus, GuestMemory.create(MEM), HEAP).init();
    expect(!r.ok && r.reason).toMatch(/DeviceID 0/);
    expect(empty.touched).toEqual([R.MMIO_MAGIC_VALUE, R.MMIO_VERSION, R.MMIO_DEVICE_ID]);
  });

  it('[AVP-LIFE-5] sets FAILED on a device that does not offer VIRTIO_F_VERSION_1', () => {
    const dev = new EntropyDevice({ source: new DeterministicEntropySource(1) });
    const legacyOnly = Object.assign(dev, { offeredFeatures: () => 0n });
    const { transport, driver } = pair(legacyOnly);
    const r = driver.init();
    expect(!r.ok && r.reason).toMatch(/VERSION_1/);
    expect(transport.read(R.MMIO_STATUS) & FAILED).toBe(FAILED);
    expect(bit(VIRTIO_F_VERSION_1)).toBe(1n << 32n);
  });
});
