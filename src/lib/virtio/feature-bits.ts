// Reserved (device-independent) feature bits, VIRTIO 1.4 §6 "Reserved Feature Bits".
// Features are a 64-bit set here; bits above 63 are not used by anything this project models.

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
