// Feature bits and queue layout of the file system device, VIRTIO 1.4 §5.11.2 and §5.11.3.
// The device has one feature bit of its own; it decides whether queue 1 is the notification
// queue or the first request queue, so every queue index is computed from the features.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';

export const VIRTIO_ID_FS = 26; // §5.11.1

// #region feature-bits
/** The device can send FUSE notify messages; virtqueue 1 is then the notification queue. */
export const VIRTIO_FS_F_NOTIFICATION = 0;
// #endregion feature-bits

// #region queue-layout
/** Virtqueue 0: FORGET, BATCH_FORGET and INTERRUPT only (§5.11.6.2). */
export const FS_HIPRIO_QUEUE = 0;
/** Virtqueue 1 when VIRTIO_FS_F_NOTIFICATION is negotiated (§5.11.6.3). */
export const FS_NOTIFICATION_QUEUE = 1;

/** Index of the first request queue: 2 with the notification queue, 1 without (§5.11.2). */
export function firstRequestQueue(features: Features): number {
  return hasFeature(features, VIRTIO_FS_F_NOTIFICATION) ? 2 : 1;
}

/** Index of request queue `n` (0-based) under these features. */
export function requestQueueIndex(features: Features, n: number): number {
  return firstRequestQueue(features) + n;
}
// #endregion queue-layout
