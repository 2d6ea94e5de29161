// Reserved (device-independent) feature bits, VIRTIO 1.4 §6 "Reserved Feature Bits".
// A feature set is a bigint, so it holds every bit VIRTIO 1.4 defines (0 to 127, §2.2) and
// more; the lifecycle negotiates bits 0 to 127 (lifecycle/features.ts).

// #region reserved-bits
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;
export const VIRTIO_F_ACCESS_PLATFORM = 33;
export const VIRTIO_F_RING_PACKED = 34;
export const VIRTIO_F_IN_ORDER = 35;
export const VIRTIO_F_ORDER_PLATFORM = 36;
export const VIRTIO_F_SR_IOV = 37;
export const VIRTIO_F_NOTIFICATION_DATA = 38;
export const VIRTIO_F_NOTIF_CONFIG_DATA = 39;
export const VIRTIO_F_RING_RESET = 40;
export const VIRTIO_F_ADMIN_VQ = 41;
export const VIRTIO_F_SUSPEND = 43;
// #endregion reserved-bits

/** A feature set: bit n set means feature n is offered / accepted. */
export type Features = bigint;

export function bit(n: number): Features {
  return 1n << BigInt(n);
}

export function hasFeature(set: Features, n: number): boolean {
  return (set & bit(n)) !== 0n;
}

export function featureSet(...bits: number[]): Features {
  return bits.reduce((acc, n) => acc | bit(n), 0n);
}
