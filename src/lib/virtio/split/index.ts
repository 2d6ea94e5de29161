// The split virtqueue (VIRTIO 1.4 §2.7, the layout used without VIRTIO_F_RING_PACKED): public API.
export * from './layout.ts';
export { IDX_MODULUS, idxAdd, idxDistance, idxSlot } from './ring-index.ts';
export { needEvent, shouldNotify, type SuppressionState } from './event-idx.ts';
export { VisitMarks } from './chain-walk.ts';
export { DescAllocator } from './desc-allocator.ts';
export { SplitDeviceQueue, type SplitDeviceOptions, type SplitUsedEntry } from './device-queue.ts';
export { SplitDriverQueue, type SplitDriverOptions } from './driver-queue.ts';
