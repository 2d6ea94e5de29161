// Driver-side scratch memory for indirect tables (VIRTIO 1.4 §2.7.5.3, §2.8.7), shared by the
// split and packed driver queues: one guest range the caller reserved, handed out in whole
// descriptors and taken back when the device returns the buffer.
import { VirtqError } from './errors.ts';
import type { GuestMemory } from './memory.ts';
import { type GuestRange, RangeAllocator } from './range-allocator.ts';

// #region indirect-alloc
/**
 * An allocator for tables in `area`, each starting on a descriptor boundary and taking whole
 * descriptors of `descSize` bytes; null without an area. Throws VirtqError ADDR_OUT_OF_RANGE
 * when the area is not wholly inside guest memory.
 */
export function indirectTableAllocator(mem: GuestMemory, area: GuestRange | undefined, descSize: number): RangeAllocator | null {
  if (!area) return null;
  if (!Number.isSafeInteger(area.addr) || !Number.isSafeInteger(area.size) || !mem.contains(area.addr, area.size)) {
    throw new VirtqError('ADDR_OUT_OF_RANGE', `indirect area [${area.addr}, +${area.size}) is outside guest memory`);
  }
  return new RangeAllocator(area, descSize);
}
// #endregion indirect-alloc
