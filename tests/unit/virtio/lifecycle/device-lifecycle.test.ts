// DeviceLifecycle: the transport-independent rules of §2.1, §2.2, §2.4 and §3.1, driven
// directly (no registers), over real device models.
import { describe, expect, it } from 'vitest';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { type DeviceEnv, VirtioDevice } from '../../../../src/lib/virtio/device.ts';
import type { Features } from '../../../../src/lib/virtio/feature-bits.ts';
import { bit, VIRTIO_F_RING_PACKED } from '../../../../src/lib/virtio/feature-bits.ts';
import { DeviceLifecycle, INT_CONFIG_CHANGE, INT_USED_BUFFER } from '../../../../src/lib/virtio/lifecycle/device-lifecycle.ts';
import { FEATURE_WORDS, featureWord } from '../../../../src/lib/virtio/lifecycle/features.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { createDriverQueue, ringAreas, type RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FEATURES_OK } from '../../../../src/lib/virtio/status.ts';
import { RING_TYPES } from '../../../support/rings.ts';

const MEM = 1 << 16;
const rng = () => new EntropyDevice({ source: new DeterministicEntropySource(3) });

/** A device that keeps its environment so a test can call back after a reset. */
class Recorder extends VirtioDevice {
  readonly deviceId = 4;
  readonly name = 'recorder';
  envs: DeviceEnv[] = [];
  notified: number[] = [];
  throwOnNotify = false;
  constructor() {
    super(8);
  }
  protected deviceFeatures(): Features {
    return 0n;
  }
  queueCount(): number {
    return 2;
  }
  protected onActivate(env: DeviceEnv): void {
    this.envs.push(env);
  }
  queueNotify(i: number): void {
    if (this.throwOnNotify) throw new Error('model bug');
    this.notified.push(i);
  }
}

function lifecycle(dev: VirtioDevice = rng(), onInterrupt?: (a: boolean) => void) {
  return new DeviceLifecycle(dev, GuestMemory.create(MEM), { onInterrupt });
}

function writeFeatures(lc: DeviceLifecycle, set: Features) {
  for (let sel = 0; sel < FEATURE_WORDS; sel++) lc.writeDriverFeatureWord(sel, featureWord(set, sel));
}

/** Steps 1-6 of §3.1.1 with the ring's feature; returns the lifecycle at FEATURES_OK. */
function toFeaturesOk(lc: DeviceLifecycle, ring: RingType): DeviceLifecycle {
  lc.writeStatus(ACKNOWLEDGE | DRIVER);
  const packed = bit(VIRTIO_F_RING_PACKED);
  writeFeatures(lc, ring === 'packed' ? lc.offered : lc.offered & ~packed);
  lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
  return lc;
}

/** Places queue `i` at fixed, valid addresses and enables it. */
function setUpQueue(lc: DeviceLifecycle, i: number, ring: RingType, size = 8, base = 0x1000 + i * 0x1000) {
  const a = ringAreas(ring, size);
  lc.setQueueSize(i, size);
  lc.setQueueArea(i, 'desc', BigInt(base));
  lc.setQueueArea(i, 'driver', BigInt(base + 0x400));
  lc.setQueueArea(i, 'device', BigInt(base + 0x800));
  expect(a.desc.bytes).toBeLessThanOrEqual(0x400);
  lc.setQueueReady(i, true);
}

function live(lc: DeviceLifecycle, ring: RingType) {
  toFeaturesOk(lc, ring);
  for (let i = 0; i < lc.queueCount(); i++) setUpQueue(lc, i, ring);
  lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
  return lc;
}

describe.each(RING_TYPES)('DeviceLifecycle (%s ring)', (ring) => {
  it('[AVP-LIFE-1] reaches DRIVER_OK through the four steps and activates the device', () => {
    const dev = rng();
    const lc = live(lifecycle(dev), ring);
    expect(lc.status).toBe(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(dev.active).toBe(true);
    expect(lc.log).toEqual([]);
  });

  it('[AVP-LIFE-1] [AVP-LIFE-17] [AVP-LIFE-24] an out-of-order step is refused and the device needs a reset', () => {
    const lc = lifecycle();
    lc.writeStatus(ACKNOWLEDGE);
    lc.writeStatus(ACKNOWLEDGE | FEATURES_OK);
    expect(lc.status).toBe(ACKNOWLEDGE | DEVICE_NEEDS_RESET);
    expect(lc.lastEvent?.code).toBe('STATUS_OUT_OF_ORDER');
  });

  it('[AVP-LIFE-2] a write that clears a bit is refused', () => {
    const lc = toFeaturesOk(lifecycle(), ring);
    lc.writeStatus(ACKNOWLEDGE | FEATURES_OK);
    expect(lc.status & (DRIVER | FEATURES_OK)).toBe(DRIVER | FEATURES_OK);
    expect(lc.lastEvent?.code).toBe('STATUS_BIT_CLEARED');
  });

  it('[AVP-LIFE-3] [AVP-TRANS-6] writing 0 resets status, features, queues and interrupts', () => {
    const lines: boolean[] = [];
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    const lc = live(lifecycle(dev, (a) => lines.push(a)), ring);
    (dev.backend as MemoryBlockBackend).resize(16);
    dev.refreshCapacity();
    expect(lc.interruptStatus).toBe(INT_CONFIG_CHANGE);
    lc.writeStatus(0);
    expect(lc.status).toBe(0);
    expect(lc.interruptStatus).toBe(0);
    expect(lines).toEqual([true, false]);
    expect(lc.driverFeatures).toBe(0n);
    expect(lc.negotiated).toBeNull();
    expect(lc.queue(0)?.ready).toBe(false);
    expect(dev.active).toBe(false);
  });

  it('[AVP-LIFE-18] callbacks a device makes after a reset, through its old environment, are dropped', () => {
    const dev = new Recorder();
    const lc = live(lifecycle(dev), ring);
    const old = dev.envs[0];
    lc.writeStatus(0);
    old.notifyUsed(0);
    old.needsReset({ code: 'DESC_LOOP', message: 'late' } as never);
    expect(lc.interruptStatus).toBe(0);
    expect(lc.status).toBe(0);
  });

  it('[AVP-LIFE-4] FEATURES_OK does not stick for a bit the device did not offer', () => {
    const lc = lifecycle();
    lc.writeStatus(ACKNOWLEDGE | DRIVER);
    writeFeatures(lc, lc.offered | bit(3));
    lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
    expect(lc.status & FEATURES_OK).toBe(0);
    expect(lc.lastEvent?.code).toBe('FEATURES_REFUSED');
    expect(lc.negotiated).toBeNull();
    // And DRIVER_OK cannot follow a refused FEATURES_OK.
    lc.writeStatus(ACKNOWLEDGE | DRIVER | DRIVER_OK);
    expect(lc.status & DRIVER_OK).toBe(0);
  });

  it('[AVP-LIFE-4] FEATURES_OK does not stick for a bit accepted in any word a transport can address, above bit 127 included', () => {
    for (const sel of [1, 3, 4, 7, 0xffff_ffff]) {
      const lc = lifecycle();
      lc.writeStatus(ACKNOWLEDGE | DRIVER);
      writeFeatures(lc, lc.offered & ~bit(VIRTIO_F_RING_PACKED));
      // A bit the device did not offer: in word 1 bit 63 (never offered), in word 3 bit 127, beyond that any bit.
      lc.writeDriverFeatureWord(sel, sel === 1 ? 0x8000_0000 | featureWord(lc.offered, 1) : sel === 3 ? 0x8000_0000 : 1);
      lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
      expect(lc.status & FEATURES_OK, `word ${sel}`).toBe(0);
      expect(lc.lastEvent?.code, `word ${sel}`).toBe('FEATURES_REFUSED');
    }
  });

  it('[AVP-LIFE-4] a driver that clears a word beyond bit 127 again gets FEATURES_OK', () => {
    const lc = lifecycle();
    lc.writeStatus(ACKNOWLEDGE | DRIVER);
    writeFeatures(lc, lc.offered & ~bit(VIRTIO_F_RING_PACKED));
    lc.writeDriverFeatureWord(5, 2);
    expect(lc.lastEvent?.code).toBe('FEATURE_WORD_UNDEFINED');
    lc.writeDriverFeatureWord(5, 0);
    lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
    expect(lc.status & FEATURES_OK).toBe(FEATURES_OK);
  });

  it('[AVP-LIFE-19] the device has no negotiated features before it keeps FEATURES_OK', () => {
    const dev = rng();
    const lc = lifecycle(dev);
    lc.writeStatus(ACKNOWLEDGE | DRIVER);
    writeFeatures(lc, lc.offered & ~bit(VIRTIO_F_RING_PACKED));
    expect(lc.negotiated).toBeNull();
    expect(dev.active).toBe(false);
    lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
    expect(lc.status & FEATURES_OK).toBe(FEATURES_OK);
    expect(lc.negotiated).toBe(lc.offered & ~bit(VIRTIO_F_RING_PACKED));
  });

  it('[AVP-LIFE-6] [AVP-LIFE-17] feature writes after FEATURES_OK change nothing and need a reset', () => {
    const lc = toFeaturesOk(lifecycle(), ring);
    const before = lc.driverFeatures;
    lc.writeDriverFeatureWord(0, 0);
    expect(lc.driverFeatures).toBe(before);
    expect(lc.lastEvent?.code).toBe('FEATURES_LOCKED');
    expect(lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
  });

  it('[AVP-LIFE-7] queue set-up before FEATURES_OK, or a change to an enabled queue, is refused', () => {
    const early = lifecycle();
    early.writeStatus(ACKNOWLEDGE | DRIVER);
    early.setQueueSize(0, 8);
    expect(early.lastEvent?.code).toBe('QUEUE_SETUP_STATE');
    const lc = toFeaturesOk(lifecycle(), ring);
    setUpQueue(lc, 0, ring);
    lc.setQueueSize(0, 4);
    expect(lc.queue(0)?.size).toBe(8);
    expect(lc.lastEvent?.code).toBe('QUEUE_ENABLED');
  });

  it('[AVP-LIFE-8] [AVP-LIFE-17] a queue with an area outside guest memory is not enabled', () => {
    const lc = toFeaturesOk(lifecycle(), ring);
    lc.setQueueSize(0, 8);
    lc.setQueueArea(0, 'desc', BigInt(MEM - 16));
    lc.setQueueArea(0, 'driver', 0x2000n);
    lc.setQueueArea(0, 'device', 0x3000n);
    lc.setQueueReady(0, true);
    expect(lc.queue(0)?.ready).toBe(false);
    expect(lc.lastEvent?.code).toBe('QUEUE_LAYOUT_INVALID');
    expect(lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
  });

  it('[AVP-LIFE-8] a queue size above the maximum, or (split) not a power of 2, is refused', () => {
    const lc = toFeaturesOk(lifecycle(), ring);
    lc.setQueueSize(0, 257);
    expect(lc.lastEvent?.message).toMatch(/exceeds the device's maximum 256/);
    const lc2 = toFeaturesOk(lifecycle(), ring);
    lc2.setQueueSize(0, 6);
    if (ring === 'split') expect(lc2.lastEvent?.code).toBe('QUEUE_SIZE_INVALID');
    else expect(lc2.queue(0)?.size).toBe(6);
  });

  it('[AVP-LIFE-8] a 64-bit address is assembled from its halves', () => {
    const lc = toFeaturesOk(lifecycle(), ring);
    lc.setQueueArea(0, 'desc', 0x1234n, 'low');
    lc.setQueueArea(0, 'desc', 0x1n, 'high');
    expect(lc.queue(0)?.desc).toBe(0x1_0000_1234n);
    lc.setQueueReady(0, true);
    expect(lc.lastEvent?.code).toBe('QUEUE_LAYOUT_INVALID');
  });

  it('[AVP-LIFE-9] a notification before DRIVER_OK does not reach the device', () => {
    const dev = new Recorder();
    const lc = toFeaturesOk(lifecycle(dev), ring);
    lc.notify(0);
    expect(dev.notified).toEqual([]);
    expect(lc.lastEvent?.code).toBe('NOTIFY_STATE');
  });

  it('[AVP-TRANS-7] [AVP-TRANS-9] [AVP-TRANS-25] a queue the driver disabled is not handed to the device, and its notifications are refused', () => {
    const dev = new Recorder();
    const lc = toFeaturesOk(lifecycle(dev), ring);
    setUpQueue(lc, 0, ring);
    setUpQueue(lc, 1, ring);
    lc.setQueueReady(1, false);
    lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(dev.envs[0].queues[0]).not.toBeNull();
    expect(dev.envs[0].queues[1]).toBeNull();
    lc.notify(1);
    expect(dev.notified).toEqual([]);
    expect(lc.lastEvent?.code).toBe('NOTIFY_QUEUE_INVALID');
    lc.notify(0);
    expect(dev.notified).toEqual([0]);
  });

  it('[AVP-LIFE-10] a ring error after DRIVER_OK sets DEVICE_NEEDS_RESET with a configuration change interrupt', () => {
    const mem = GuestMemory.create(MEM);
    const lc = new DeviceLifecycle(rng(), mem);
    live(lc, ring);
    const features = lc.negotiated!;
    const config = { size: 8, descAddr: 0x1000, driverAddr: 0x1400, deviceAddr: 0x1800 };
    const drv = createDriverQueue(mem, config, features);
    drv.add([{ addr: MEM * 4, len: 16, writable: true }]);
    lc.notify(0);
    expect(lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    expect(lc.interruptStatus & INT_CONFIG_CHANGE).toBe(INT_CONFIG_CHANGE);
    expect(lc.deviceError?.code).toBe('ADDR_OUT_OF_RANGE');
    expect(lc.counts.DEVICE_ERROR).toBe(1);
  });

  it('[AVP-LIFE-11] [AVP-LIFE-21] a configuration change moves the generation and, once live, interrupts', () => {
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    const lc = lifecycle(dev);
    const g0 = lc.configGeneration;
    (dev.backend as MemoryBlockBackend).resize(16);
    dev.refreshCapacity();
    expect(lc.configGeneration).not.toBe(g0);
    expect(lc.interruptStatus).toBe(0); // not live yet: no notification
    live(lc, ring);
    const g1 = lc.configGeneration;
    (dev.backend as MemoryBlockBackend).resize(32);
    dev.refreshCapacity();
    expect(lc.configGeneration).not.toBe(g1);
    expect(lc.interruptStatus).toBe(INT_CONFIG_CHANGE);
    lc.acknowledge(INT_CONFIG_CHANGE);
    expect(lc.interruptStatus).toBe(0);
  });

  it('[AVP-LIFE-12] a configuration write before FEATURES_OK is refused', () => {
    const dev = new BlockDevice(new MemoryBlockBackend({ sectors: 8 }));
    const lc = lifecycle(dev);
    lc.writeStatus(ACKNOWLEDGE | DRIVER);
    lc.writeConfig(20, new Uint8Array([1]));
    expect(lc.lastEvent?.code).toBe('CONFIG_WRITE_STATE');
  });

  it('[AVP-LIFE-23] a field the device type lets the driver write at any time is written even before negotiation', () => {
    const dev = new Recorder();
    const writes: number[] = [];
    Object.assign(dev, {
      configWritableAnytime: (off: number) => off === 4,
      writeConfig: (off: number) => writes.push(off),
    });
    const lc = lifecycle(dev);
    lc.writeConfig(4, new Uint8Array([0x21]));
    lc.writeConfig(0, new Uint8Array([1]));
    expect(writes).toEqual([4]);
    expect(lc.log.map((e) => e.code)).toEqual(['CONFIG_WRITE_STATE']);
  });

  it('[AVP-LIFE-25] a device model that throws is recorded as DEVICE_ERROR; the transport carries on', () => {
    const dev = new Recorder();
    const lc = live(lifecycle(dev), ring);
    dev.throwOnNotify = true;
    expect(() => lc.notify(0)).not.toThrow();
    expect(lc.lastEvent?.code).toBe('DEVICE_ERROR');
    expect(lc.lastEvent?.message).toMatch(/recorder.queueNotify threw: model bug/);
    expect(lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    lc.writeStatus(0);
    dev.throwOnNotify = false;
    live(lc, ring);
    lc.notify(0);
    expect(dev.notified).toEqual([0]);
  });

  it('[AVP-LIFE-14] [AVP-LIFE-24] [AVP-LIFE-26] [AVP-TRANS-24] counts every violation by code, across resets', () => {
    const lc = lifecycle();
    lc.notify(0);
    lc.writeStatus(0);
    lc.notify(0);
    lc.acknowledge(0x8);
    expect(lc.counts).toEqual({ NOTIFY_STATE: 2, INTERRUPT_ACK_UNDEFINED: 1 });
  });

  it('[AVP-TRANS-5] the used-buffer bit stays until acknowledged, and the line follows it', () => {
    const lines: boolean[] = [];
    const mem = GuestMemory.create(MEM);
    const lc = new DeviceLifecycle(rng(), mem, { onInterrupt: (a) => lines.push(a) });
    live(lc, ring);
    const drv = createDriverQueue(mem, { size: 8, descAddr: 0x1000, driverAddr: 0x1400, deviceAddr: 0x1800 }, lc.negotiated!);
    drv.add([{ addr: 0x8000, len: 16, writable: true }]);
    lc.notify(0);
    expect(lc.interruptStatus).toBe(INT_USED_BUFFER);
    drv.add([{ addr: 0x8100, len: 16, writable: true }]);
    lc.notify(0);
    expect(lc.interruptsRaised).toBe(1); // still asserted: no second edge
    lc.acknowledge(INT_USED_BUFFER);
    expect(lc.interruptStatus).toBe(0);
    expect(lines).toEqual([true, false]);
    expect(drv.pollUsed()?.len).toBe(16);
  });
});
