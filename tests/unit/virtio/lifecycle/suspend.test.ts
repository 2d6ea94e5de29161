// Device suspend (VIRTIO 1.4 §3.4) in the lifecycle shared by both transports: a suspended
// device reaches none of its queues, takes no notification or configuration write, holds its
// interrupts back until it resumes, and a device that cannot suspend asks for a reset instead.
import { describe, expect, it } from 'vitest';
import { DEVICE_MODELS } from '../../../../src/lib/conformance/device-registry.ts';
import { shippedDeviceVectors } from '../../../../src/lib/spec/vector-files.ts';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { bit, hasFeature, VIRTIO_F_RING_PACKED, VIRTIO_F_SUSPEND } from '../../../../src/lib/virtio/feature-bits.ts';
import { DeviceLifecycle } from '../../../../src/lib/virtio/lifecycle/device-lifecycle.ts';
import { FEATURE_WORDS, featureWord } from '../../../../src/lib/virtio/lifecycle/features.ts';
import { checkStatusWrite, SUSPEND } from '../../../../src/lib/virtio/lifecycle/status-rules.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FEATURES_OK } from '../../../../src/lib/virtio/status.ts';

const LIVE = ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK;

class StubbornRng extends EntropyDevice {
  failSuspend = false;
  failResume = false;
  suspend(): void {
    if (this.failSuspend) throw new Error('back end busy');
  }
  resume(): void {
    if (this.failResume) throw new Error('back end gone');
  }
}

/** A live entropy device with queue 0 at 0x1000 and VIRTIO_F_SUSPEND negotiated (or not). */
function live(opts: { suspend?: boolean } = {}) {
  const dev = new StubbornRng({ source: new DeterministicEntropySource(1) });
  const mem = GuestMemory.create(0x10000);
  const lc = new DeviceLifecycle(dev, mem);
  lc.writeStatus(ACKNOWLEDGE | DRIVER);
  let accepted = lc.offered & ~bit(VIRTIO_F_RING_PACKED);
  if (opts.suspend === false) accepted &= ~bit(VIRTIO_F_SUSPEND);
  for (let sel = 0; sel < FEATURE_WORDS; sel++) lc.writeDriverFeatureWord(sel, featureWord(accepted, sel));
  lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
  lc.setQueueSize(0, 8);
  lc.setQueueArea(0, 'desc', 0x1000n);
  lc.setQueueArea(0, 'driver', 0x2000n);
  lc.setQueueArea(0, 'device', 0x3000n);
  lc.setQueueReady(0, true);
  lc.writeStatus(LIVE);
  return { dev, mem, lc };
}

function offerBuffer(mem: GuestMemory) {
  mem.write(0x1000, Uint8Array.of(0, 0x80, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 2, 0, 0, 0));
  mem.writeU16(0x2004, 0);
  mem.writeU16(0x2002, 1);
}

describe('device suspend', () => {
  it('[AVP-LIFE-32] every device model of the registry offers VIRTIO_F_SUSPEND', () => {
    // Options as the shipped device vectors give them: every model has at least one case.
    const cases = shippedDeviceVectors().flatMap((f) => f.vectors.cases);
    for (const m of DEVICE_MODELS) {
      const c = cases.find((x) => x.device.model === m.model);
      expect(c, m.model).toBeDefined();
      expect(hasFeature(m.create(c!.device.options ?? {}).offeredFeatures(), VIRTIO_F_SUSPEND), m.model).toBe(true);
    }
  });

  it('[AVP-LIFE-27] [AVP-LIFE-28] suspends: DRIVER_OK clear, SUSPEND set, queues out of reach; resumes: back as it was', () => {
    const { dev, mem, lc } = live();
    lc.writeStatus(LIVE | SUSPEND);
    expect(lc.status).toBe(ACKNOWLEDGE | DRIVER | FEATURES_OK | SUSPEND);
    // The device model sees no queue while suspended, whatever it tries.
    expect((dev as unknown as { env: { queues: unknown[] } }).env.queues[0]).toBeNull();
    offerBuffer(mem);
    lc.notify(0);
    expect(mem.readU16(0x3002)).toBe(0);
    lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK | SUSPEND | DRIVER_OK);
    expect(lc.status).toBe(LIVE);
    lc.notify(0);
    expect(mem.readU16(0x3002)).toBe(1);
    expect(lc.log.map((e) => e.code)).toEqual(['SUSPENDED_ACCESS']);
  });

  it('[AVP-LIFE-29] records a notification and a configuration write while suspended, and acts on neither', () => {
    const { lc } = live();
    lc.writeStatus(LIVE | SUSPEND);
    lc.notify(0);
    lc.writeConfig(0, Uint8Array.of(1));
    expect(lc.log.map((e) => e.code)).toEqual(['SUSPENDED_ACCESS', 'SUSPENDED_ACCESS']);
    expect(lc.status & DEVICE_NEEDS_RESET).toBe(0);
  });

  it('[AVP-LIFE-30] holds back interrupts raised while suspended and raises them on resume', () => {
    const { dev, lc } = live();
    lc.writeStatus(LIVE | SUSPEND);
    dev.config.update(() => {});
    expect(lc.interruptStatus).toBe(0);
    lc.writeStatus(LIVE | SUSPEND);
    expect(lc.interruptStatus).toBe(2);
  });

  it('[AVP-LIFE-27] [AVP-LIFE-28] a device that cannot suspend or resume sets DEVICE_NEEDS_RESET', () => {
    const a = live();
    a.dev.failSuspend = true;
    a.lc.writeStatus(LIVE | SUSPEND);
    expect(a.lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    expect(a.lc.status & SUSPEND).toBe(0);
    const b = live();
    b.lc.writeStatus(LIVE | SUSPEND);
    b.dev.failResume = true;
    b.lc.writeStatus(LIVE | SUSPEND);
    expect(b.lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    expect(b.lc.lastEvent?.code).toBe('DEVICE_ERROR');
  });

  it('[AVP-LIFE-31] ignores SUSPEND before the device is live, and treats it as an undefined bit without the feature', () => {
    expect(checkStatusWrite(ACKNOWLEDGE | DRIVER | FEATURES_OK, ACKNOWLEDGE | DRIVER | FEATURES_OK | SUSPEND, { suspendNegotiated: true })).toMatchObject({
      next: ACKNOWLEDGE | DRIVER | FEATURES_OK,
      suspendRequested: false,
      problems: [{ code: 'SUSPEND_IGNORED' }],
    });
    const { lc } = live({ suspend: false });
    lc.writeStatus(LIVE | SUSPEND);
    expect(lc.status).toBe(LIVE);
    expect(lc.lastEvent?.code).toBe('STATUS_UNDEFINED_BIT');
  });

  it('[AVP-LIFE-2] a driver may not clear SUSPEND itself; a reset clears everything', () => {
    const { lc } = live();
    lc.writeStatus(LIVE | SUSPEND);
    lc.writeStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
    expect(lc.lastEvent?.code).toBe('STATUS_BIT_CLEARED');
    expect(lc.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    lc.writeStatus(0);
    expect(lc.status).toBe(0);
  });
});
