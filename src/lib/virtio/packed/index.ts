// The packed virtqueue (VIRTIO 1.4 §2.8, VIRTIO_F_RING_PACKED): public API.
export * from './layout.ts';
export { RingPosition, availFlags, usedFlags, isAvailable, isUsed } from './wrap-counter.ts';
export { type EventSuppression, readEventSuppression, writeEventSuppression, shouldNotify } from './event-suppression.ts';
export type { IndirectArea } from './indirect-area.ts';
export { PackedDeviceQueue, type PackedDeviceOptions, type UsedEntry } from './device-queue.ts';
export { PackedDriverQueue, type PackedDriverOptions } from './driver-queue.ts';
