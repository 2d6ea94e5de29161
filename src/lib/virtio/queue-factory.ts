// One place that turns negotiated features into a ring layout: VIRTIO_F_RING_PACKED chooses
// the packed ring (§2.8), its absence the split ring (§2.7). Transports and the loopback use
// this, so nothing else branches on the ring type.
import { hasFeature, type Features, VIRTIO_F_RING_PACKED } from './feature-bits.ts';
import type { GuestMemory } from './memory.ts';
import { EVENT_SUPPRESS_ALIGN, EVENT_SUPPRESS_SIZE, DESC_RING_ALIGN, PACKED_DESC_SIZE } from './packed/layout.ts';
import { PackedDeviceQueue, type PackedDeviceOptions } from './packed/device-queue.ts';
import { PackedDriverQueue } from './packed/driver-queue.ts';
import { SplitDeviceQueue, SplitDriverQueue } from './split/index.ts';
import type { DeviceQueue, DriverQueue, QueueConfig } from './queue.ts';
import type { GuestRange } from './range-allocator.ts';

export type RingType = 'split' | 'packed';

export function ringTypeOf(features: Features): RingType {
  return hasFeature(features, VIRTIO_F_RING_PACKED) ? 'packed' : 'split';
}

// #region ring-areas
export interface AreaSize {
  readonly bytes: number;
  readonly align: number;
}

/** Size and alignment of the three areas of a queue of `size` entries (§2.7, §2.8.10.1). */
export function ringAreas(ring: RingType, size: number): { desc: AreaSize; driver: AreaSize; device: AreaSize } {
  if (ring === 'packed') {
    return {
      desc: { bytes: PACKED_DESC_SIZE * size, align: DESC_RING_ALIGN },
      driver: { bytes: EVENT_SUPPRESS_SIZE, align: EVENT_SUPPRESS_ALIGN },
      device: { bytes: EVENT_SUPPRESS_SIZE, align: EVENT_SUPPRESS_ALIGN },
    };
  }
  // Split: descriptor table 16·size aligned 16; available ring 6 + 2·size aligned 2;
  // used ring 6 + 8·size aligned 4 (the trailing 2 bytes are used_event / avail_event).
  return {
    desc: { bytes: 16 * size, align: 16 },
    driver: { bytes: 6 + 2 * size, align: 2 },
    device: { bytes: 6 + 8 * size, align: 4 },
  };
}
// #endregion ring-areas

export interface DeviceQueueOptions extends PackedDeviceOptions {}

export interface DriverQueueOptions {
  /** Guest memory the driver may use for indirect tables. */
  readonly indirectArea?: GuestRange;
}

// #region create-queues
export function createDeviceQueue(mem: GuestMemory, config: QueueConfig, features: Features, opts: DeviceQueueOptions = {}): DeviceQueue {
  if (ringTypeOf(features) === 'packed') return new PackedDeviceQueue(mem, config, features, opts);
  return new SplitDeviceQueue(mem, config, features, opts);
}

export function createDriverQueue(mem: GuestMemory, config: QueueConfig, features: Features, opts: DriverQueueOptions = {}): DriverQueue {
  if (ringTypeOf(features) === 'packed') return new PackedDriverQueue(mem, config, features, opts);
  return new SplitDriverQueue(mem, config, features, opts);
}
// #endregion create-queues
