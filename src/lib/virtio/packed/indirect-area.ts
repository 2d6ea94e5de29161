// The guest range a driver reserves for its indirect tables (VIRTIO 1.4 §2.8.7); the allocator
// over it is shared with the split ring (../indirect-tables.ts).
import type { GuestRange } from '../range-allocator.ts';

export type IndirectArea = GuestRange;
