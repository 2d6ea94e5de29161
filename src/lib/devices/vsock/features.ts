// Device ID and feature bits of the socket device (VIRTIO 1.4 §5.10.1, §5.10.3), and which
// socket types a negotiated set allows (§5.10.3.1, §5.10.3.2).
import { type Features, featureSet, hasFeature } from '../../virtio/feature-bits.ts';

export const VIRTIO_ID_VSOCK = 19;

// #region feature-bits
export const VIRTIO_VSOCK_F_STREAM = 0; //            stream sockets
export const VIRTIO_VSOCK_F_SEQPACKET = 1; //         seqpacket sockets
export const VIRTIO_VSOCK_F_NO_IMPLIED_STREAM = 2; // stream only if F_STREAM itself is negotiated
// #endregion feature-bits

/** What the model offers: both socket types, and NO_IMPLIED_STREAM, as §5.10.3.2 recommends. */
export const VSOCK_DEVICE_FEATURES: Features = featureSet(VIRTIO_VSOCK_F_STREAM, VIRTIO_VSOCK_F_SEQPACKET, VIRTIO_VSOCK_F_NO_IMPLIED_STREAM);

// #region socket-types-allowed
/**
 * Stream sockets are allowed with F_STREAM; with none of the type bits (a driver that predates
 * them, §5.10.3.2); and with F_SEQPACKET but not F_NO_IMPLIED_STREAM, where VIRTIO lets the
 * device assume stream too, which this model does. NO_IMPLIED_STREAM without F_STREAM never
 * allows them.
 */
export function streamAllowed(f: Features): boolean {
  if (hasFeature(f, VIRTIO_VSOCK_F_STREAM)) return true;
  return !hasFeature(f, VIRTIO_VSOCK_F_NO_IMPLIED_STREAM);
}

export function seqpacketAllowed(f: Features): boolean {
  return hasFeature(f, VIRTIO_VSOCK_F_SEQPACKET);
}

/** A set that leaves no socket type at all is refused at FEATURES_OK (an AVP rule). */
export function vsockDependencyError(f: Features): string | null {
  if (!streamAllowed(f) && !seqpacketAllowed(f)) {
    return 'VIRTIO_VSOCK_F_NO_IMPLIED_STREAM without VIRTIO_VSOCK_F_STREAM or VIRTIO_VSOCK_F_SEQPACKET leaves no socket type';
  }
  return null;
}
// #endregion socket-types-allowed
