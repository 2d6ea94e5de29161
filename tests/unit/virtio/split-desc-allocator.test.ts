import { describe, expect, it } from 'vitest';
import { DescAllocator } from '../../../src/lib/virtio/split/index.ts';

describe('DescAllocator (driver bookkeeping of free descriptors, §2.7.13.1)', () => {
  it('hands out distinct entries until none are free, and takes them back', () => {
    const a = new DescAllocator(4, false);
    const x = a.alloc(3)!;
    expect(new Set(x).size).toBe(3);
    expect(a.free).toBe(1);
    expect(a.alloc(2)).toBeNull();
    const y = a.alloc(1)!;
    expect(x).not.toContain(y[0]);
    a.release(x);
    expect(a.free).toBe(3);
    expect(new Set(a.alloc(3)!)).toEqual(new Set(x));
  });

  it('§2.7.5 with VIRTIO_F_IN_ORDER entries go in ring order, wrapping from the last entry to 0', () => {
    const a = new DescAllocator(4, true);
    expect(a.alloc(3)).toEqual([0, 1, 2]);
    a.release([0, 1, 2]);
    expect(a.alloc(2)).toEqual([3, 0]);
    expect(a.alloc(2)).toEqual([1, 2]);
    expect(a.alloc(1)).toBeNull();
  });
});
