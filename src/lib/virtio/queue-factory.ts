// One place that turns negotiated features into a ring layout: VIRTIO_F_RING_PACKED chooses
// the packed ring (§2.8), its absence the split ring (§2.7). Transports and the loopback use
// this, so nothing else branches on the ring type.
import type { PackedRingState, SplitRingState } from './ring-state.ts';
import { hasFeature, type Features, VIRTIO_F_RING_PACKED } from './feature-bits.ts';
import type { GuestMemory } from './memory.ts';
import { EVENT_SUPPRESS_ALIGN, EVENT_SUPPRESS_SIZE, DESC_RING_ALIGN, PACKED_DESC_SIZE } from './packed/layout.ts';
import { PackedDeviceQueue } from './packed/device-queue.ts';
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

export interface DeviceQueueOptions {
  /** The most buffers the device accepts in one chain; default and cap: the queue size. */
  readonly maxChainLength?: number;
  /** Where the device starts: a split or a packed ring state, matching the negotiated ring. */
  readonly start?: SplitRingState | PackedRingState;
}

export interface DriverQueueOptions {
  /** Guest memory the driver may use for indirect tables. */
  readonly indirectArea?: GuestRange;
  /** Start quiescent at this split index, or this packed slot and wrap counter. */
  readonly start?: { readonly index: number } | { readonly slot: number; readonly wrap: boolean };
}

// #region create-queues
export function createDeviceQueue(mem: GuestMemory, config: QueueConfig, features: Features, opts: DeviceQueueOptions = {}): DeviceQueue {
  const { start, maxChainLength } = opts;
  if (ringTypeOf(features) === 'packed') {
    if (start && !('nextAvail' in start)) throw new RangeError('a packed queue starts from a packed ring state (nextAvail, availWrap, nextUsed, usedWrap)');
    return new PackedDeviceQueue(mem, config, features, { maxChainLength, start });
  }
  if (start && !('lastAvail' in start)) throw new RangeError('a split queue starts from a split ring state (lastAvail, usedIdx)');
  return new SplitDeviceQueue(mem, config, features, { maxChainLength, start });
}

export function createDriverQueue(mem: GuestMemory, config: QueueConfig, features: Features, opts: DriverQueueOptions = {}): DriverQueue {
  const { start, indirectArea } = opts;
  if (ringTypeOf(features) === 'packed') {
    if (start && !('slot' in start)) throw new RangeError('a packed driver queue starts from a slot and wrap counter');
    return new PackedDriverQueue(mem, config, features, { indirectArea, start });
  }
  if (start && !('index' in start)) throw new RangeError('a split driver queue starts from an index');
  return new SplitDriverQueue(mem, config, features, { indirectArea, startIndex: start?.index });
}
// #endregion create-queues
