// Feature negotiation (VIRTIO 1.4 §2.2, §6): which bits a transport passes on, how a driver
// picks its subset, how the device answers, and the 32-bit windows through which both sides
// see the set on MMIO (§4.2.2) and PCI (§4.1.4.3).
import type { VirtioDevice } from '../device.ts';
import {
  bit,
  type Features,
  featureSet,
  hasFeature,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_SUSPEND,
  VIRTIO_F_VERSION_1,
} from '../feature-bits.ts';
import type { RingType } from '../queue-factory.ts';

// #region feature-windows
/**
 * This model negotiates 128 feature bits: every bit §2.2 assigns (0 to 127). The transports
 * show them as four 32-bit words; a selector of 4 or more shows zeros.
 */
export const FEATURE_BITS = 128;
export const FEATURE_WORDS = FEATURE_BITS / 32;
const ALL_BITS: Features = (1n << BigInt(FEATURE_BITS)) - 1n;

/** Bits 32·sel to 32·sel+31 of a set, as an unsigned 32-bit number. */
export function featureWord(set: Features, sel: number): number {
  if (!Number.isInteger(sel) || sel < 0 || sel >= FEATURE_WORDS) return 0;
  return Number((set >> BigInt(32 * sel)) & 0xffff_ffffn);
}

/** The set with bits 32·sel to 32·sel+31 replaced by `value`; unchanged for sel outside 0..3. */
export function withFeatureWord(set: Features, sel: number, value: number): Features {
  if (!Number.isInteger(sel) || sel < 0 || sel >= FEATURE_WORDS) return set;
  const shift = BigInt(32 * sel);
  return (set & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift);
}
// #endregion feature-windows

// #region feature-ranges
/**
 * §2.2: bits 0–23, 41, 42 and 50–127 belong to the device type. Bits 41 and 42 are left out
 * here: the network device defines them only for its legacy interface (GUEST_RSC4/6), and §6
 * also names 41 VIRTIO_F_ADMIN_VQ; this project models neither, so neither is passed on.
 */
export function isDeviceTypeBit(n: number): boolean {
  return (n >= 0 && n <= 23) || (n >= 50 && n < FEATURE_BITS);
}

/** §2.2: bits 44–49 and from 128 up are reserved for future extensions: never offered or accepted. */
export function isFutureBit(n: number): boolean {
  return (n >= 44 && n <= 49) || n >= FEATURE_BITS;
}

/**
 * The reserved feature bits (§6) the MMIO and PCI transports here implement. Left out:
 * SR_IOV (37), NOTIFICATION_DATA (38), NOTIF_CONFIG_DATA (39), RING_RESET (40), ADMIN_VQ (41),
 * and the legacy bits 24, 27 and 30.
 */
export const TRANSPORT_FEATURES: Features = featureSet(
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_SUSPEND,
);

let deviceTypeMask: Features = 0n;
for (let n = 0; n < FEATURE_BITS; n++) if (isDeviceTypeBit(n)) deviceTypeMask |= bit(n);
/** Every bit a device may have offered that a transport here can carry. */
export const NEGOTIABLE_FEATURES: Features = deviceTypeMask | TRANSPORT_FEATURES;

/** What the transport shows the driver: the device's offer, less what the transport cannot do. */
export function transportOffer(device: VirtioDevice): Features {
  return device.offeredFeatures() & NEGOTIABLE_FEATURES;
}
// #endregion feature-ranges

/** Problems with a device's offer (§2.2.2, §6): an empty list when it is well-formed. */
export function checkOffer(offered: Features): string[] {
  const problems: string[] = [];
  if (!hasFeature(offered, VIRTIO_F_VERSION_1)) problems.push('VIRTIO_F_VERSION_1 not offered (§6)');
  const future = [...bitsOf(offered)].filter(isFutureBit);
  if (future.length > 0) problems.push(`bits reserved for future extensions offered: ${future.join(', ')} (§2.2)`);
  return problems;
}

/** The numbers of the bits set in `set`, ascending. */
export function* bitsOf(set: Features): Generator<number> {
  for (let n = 0; set >> BigInt(n) !== 0n; n++) if (hasFeature(set, n)) yield n;
}

// #region driver-select
export interface FeatureChoice {
  /** Bits the driver understands and would like; default: every bit. */
  readonly wanted?: Features;
  /** 'packed' insists on the packed ring, 'split' refuses it; default: packed if offered (§6). */
  readonly ring?: RingType;
}

export type FeatureSelection = { readonly ok: true; readonly accepted: Features } | { readonly ok: false; readonly reason: string };

/**
 * The driver's half of §2.2.1 and §6: accept only offered bits the driver knows, never a
 * reserved or future one, always VIRTIO_F_VERSION_1; give up on a device without it, since the
 * AVP has no legacy drivers.
 */
export function selectFeatures(offered: Features, choice: FeatureChoice = {}): FeatureSelection {
  if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { ok: false, reason: 'device does not offer VIRTIO_F_VERSION_1 (legacy only)' };
  let accepted = offered & (choice.wanted ?? ALL_BITS) & NEGOTIABLE_FEATURES;
  accepted |= bit(VIRTIO_F_VERSION_1);
  const packed = bit(VIRTIO_F_RING_PACKED);
  if (choice.ring === 'split') accepted &= ~packed;
  if (choice.ring === 'packed') {
    if (!hasFeature(offered, VIRTIO_F_RING_PACKED)) return { ok: false, reason: 'device does not offer VIRTIO_F_RING_PACKED' };
    accepted |= packed;
  }
  return { ok: true, accepted };
}
// #endregion driver-select

// #region device-accept
/**
 * The device's half (§2.2.2): null keeps FEATURES_OK, a string says why the device clears it.
 * A bit the transport did not show counts as not offered, whatever the device model offers.
 */
export function deviceAccepts(device: VirtioDevice, accepted: Features): string | null {
  const extra = accepted & ~transportOffer(device);
  if (extra !== 0n) return `accepted feature bits that were not offered: ${[...bitsOf(extra)].join(', ')}`;
  return device.checkFeatures(accepted);
}
// #endregion device-accept
