import { describe, expect, it } from 'vitest';
import { indirectTableAllocator } from '../../../src/lib/virtio/indirect-tables.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { PACKED_DESC_SIZE } from '../../../src/lib/virtio/packed/index.ts';

const mem = GuestMemory.create(0x2000);
const tables = (area: { addr: number; size: number }) => indirectTableAllocator(mem, area, PACKED_DESC_SIZE)!;

describe('indirectTableAllocator (driver scratch for §2.7.5.3 and §2.8.7 tables)', () => {
  it('rounds the area to whole 16-byte descriptors', () => {
    const a = tables({ addr: 0x1004, size: 100 });
    expect(a.available()).toBe(80); // [0x1010, 0x1060) of [0x1004, 0x1068)
    expect(a.alloc(16)).toBe(0x1010);
  });

  it('hands out first fit, refuses when nothing fits, and merges freed neighbours', () => {
    const a = tables({ addr: 0, size: 128 });
    const x = a.alloc(32)!;
    const y = a.alloc(32)!;
    const z = a.alloc(64)!;
    expect([x, y, z]).toEqual([0, 32, 64]);
    expect(a.alloc(16)).toBeNull();
    a.release(x, 32);
    a.release(z, 64);
    expect(a.alloc(48)).toBe(64); // the 32-byte hole at 0 is too small
    a.release(64, 48);
    a.release(y, 32); // 0..128 whole again
    expect(a.available()).toBe(128);
    expect(a.alloc(128)).toBe(0);
  });

  it('is null without an area, and refuses an area outside guest memory', () => {
    expect(indirectTableAllocator(mem, undefined, PACKED_DESC_SIZE)).toBeNull();
    expect(() => tables({ addr: 0x1ff0, size: 32 })).toThrow(/ADDR_OUT_OF_RANGE|outside guest memory/);
  });
});
