// Driver-side scratch memory for indirect tables (VIRTIO 1.4 §2.8.7). The driver may put a
// table anywhere in memory; this hands out pieces of one guest range the caller reserved, in
// 16-byte units (one packed descriptor), and takes them back when the device returns the buffer.
import { type GuestRange, RangeAllocator } from '../range-allocator.ts';
import { PACKED_DESC_SIZE } from './layout.ts';

export type IndirectArea = GuestRange;

// #region indirect-alloc
export class IndirectAllocator extends RangeAllocator {
  constructor(area: IndirectArea) {
    // Tables start on a descriptor boundary and take whole descriptors.
    super(area, PACKED_DESC_SIZE);
  }
}
// #endregion indirect-alloc
