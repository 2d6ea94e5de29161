// Feature bits of the CAN device, VIRTIO 1.4 §5.20.3, and the rules between them
// (§5.20.3.1). Extended 29-bit identifiers need no bit: every device supports them.
// Early drafts of the device (and some implementations built on them) had bits 2 and 3 the
// other way round; the numbers below are the ones VIRTIO 1.4 publishes.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';

// #region feature-bits
export const VIRTIO_CAN_F_CAN_CLASSIC = 0; // classic CAN frames, up to 8 data bytes
export const VIRTIO_CAN_F_CAN_FD = 1; //      CAN FD frames, up to 64 data bytes
export const VIRTIO_CAN_F_RTR_FRAMES = 2; //  remote transmission requests (classic frames only)
export const VIRTIO_CAN_F_LATE_TX_ACK = 3; // a transmit request is used only once it is on the bus
// #endregion feature-bits

// #region feature-rules
/** Why a set of accepted features breaks §5.20.3.1, or null if it is a valid set. */
export function canDependencyError(accepted: Features): string | null {
  const classic = hasFeature(accepted, VIRTIO_CAN_F_CAN_CLASSIC);
  const fd = hasFeature(accepted, VIRTIO_CAN_F_CAN_FD);
  if (!classic && !fd) return 'neither VIRTIO_CAN_F_CAN_CLASSIC nor VIRTIO_CAN_F_CAN_FD accepted (§5.20.3.1)';
  if (hasFeature(accepted, VIRTIO_CAN_F_RTR_FRAMES) && !classic) {
    return 'VIRTIO_CAN_F_RTR_FRAMES accepted without VIRTIO_CAN_F_CAN_CLASSIC (§5.20.3.1)';
  }
  return null;
}
// #endregion feature-rules

/** The largest sdu a received message can carry with these features (§5.20.5.3). */
export function maxSduLength(features: Features): number {
  return hasFeature(features, VIRTIO_CAN_F_CAN_FD) ? 64 : 8;
}
