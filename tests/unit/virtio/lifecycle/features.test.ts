// Feature negotiation (§2.2, §6): the 32-bit windows, the reserved ranges, both halves of the choice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { bit, featureSet, VIRTIO_F_NOTIFICATION_DATA, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1 } from '../../../../src/lib/virtio/feature-bits.ts';
import {
  checkOffer,
  deviceAccepts,
  featureWord,
  isDeviceTypeBit,
  isFutureBit,
  NEGOTIABLE_FEATURES,
  selectFeatures,
  transportOffer,
  withFeatureWord,
} from '../../../../src/lib/virtio/lifecycle/features.ts';

const rng = () => new EntropyDevice({ source: new DeterministicEntropySource(1) });

describe('feature windows', () => {
  it('[AVP-TRANS-4] a set survives being cut into 32-bit words and put back together', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (set) => {
        let back = 0n;
        for (let sel = 0; sel < 4; sel++) back = withFeatureWord(back, sel, featureWord(set, sel));
        expect(back).toBe(set);
      }),
    );
  });

  it('[AVP-TRANS-4] words beyond bit 127 read as 0 and cannot be written', () => {
    const set = (1n << 128n) - 1n;
    expect(featureWord(set, 4)).toBe(0);
    expect(featureWord(set, -1)).toBe(0);
    expect(withFeatureWord(0n, 7, 0xffff_ffff)).toBe(0n);
    expect(featureWord(bit(VIRTIO_F_VERSION_1), 1)).toBe(1);
  });
});

describe('reserved ranges', () => {
  it('knows which bits belong to the device type and which are for the future (§2.2)', () => {
    expect([0, 23, 24, 49, 50, 127].map(isDeviceTypeBit)).toEqual([true, true, false, false, true, true]);
    expect([43, 44, 49, 50, 128].map(isFutureBit)).toEqual([false, true, true, false, true]);
  });

  it('[AVP-TRANS-17] the transport never passes on a transport feature it does not implement', () => {
    expect(NEGOTIABLE_FEATURES & bit(VIRTIO_F_RING_RESET)).toBe(0n);
    expect(NEGOTIABLE_FEATURES & bit(VIRTIO_F_NOTIFICATION_DATA)).toBe(0n);
    expect(NEGOTIABLE_FEATURES & bit(VIRTIO_F_RING_PACKED)).not.toBe(0n);
    const dev = rng();
    expect(transportOffer(dev)).toBe(dev.offeredFeatures() & NEGOTIABLE_FEATURES);
  });

  it('checkOffer names a missing VERSION_1 and future bits', () => {
    expect(checkOffer(bit(VIRTIO_F_VERSION_1))).toEqual([]);
    expect(checkOffer(0n)[0]).toMatch(/VERSION_1/);
    expect(checkOffer(featureSet(VIRTIO_F_VERSION_1, 45))[0]).toMatch(/45/);
  });
});

describe('selectFeatures (the driver)', () => {
  it('[AVP-LIFE-5] gives up on a device that does not offer VIRTIO_F_VERSION_1', () => {
    const r = selectFeatures(featureSet(28, 29));
    expect(r.ok).toBe(false);
  });

  it('[AVP-LIFE-20] accepts only offered bits it wants, VIRTIO_F_VERSION_1 always, and follows the ring choice', () => {
    const offered = featureSet(0, 28, VIRTIO_F_VERSION_1, VIRTIO_F_RING_PACKED);
    const all = selectFeatures(offered);
    expect(all.ok && all.accepted).toBe(offered);
    const split = selectFeatures(offered, { ring: 'split' });
    expect(split.ok && split.accepted).toBe(featureSet(0, 28, VIRTIO_F_VERSION_1));
    const few = selectFeatures(offered, { wanted: bit(0) });
    expect(few.ok && few.accepted).toBe(featureSet(0, VIRTIO_F_VERSION_1));
    expect(selectFeatures(bit(VIRTIO_F_VERSION_1), { ring: 'packed' }).ok).toBe(false);
  });
});

describe('deviceAccepts (the device)', () => {
  it('[AVP-LIFE-4] refuses bits it did not offer and accepts its own offer', () => {
    const dev = rng();
    expect(deviceAccepts(dev, transportOffer(dev))).toBeNull();
    expect(deviceAccepts(dev, transportOffer(dev) | bit(5))).toMatch(/not offered: 5/);
    expect(deviceAccepts(dev, transportOffer(dev) | bit(VIRTIO_F_RING_RESET))).toMatch(/not offered: 40/);
  });
});
