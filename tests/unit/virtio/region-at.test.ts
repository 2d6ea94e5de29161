// GuestMemory.regionAt: the region a structure lies in, found without a search when it is the
// first region (what the indirect-table walks use), with the same refusals either way.
import { describe, expect, it } from 'vitest';
import { isVirtqError } from '../../../src/lib/virtio/errors.ts';
import { GuestMemory, READ, WRITE } from '../../../src/lib/virtio/memory.ts';

const mem = new GuestMemory([
  { base: 0x1000, bytes: new Uint8Array(0x1000), writable: false },
  { base: 0x8000, bytes: new Uint8Array(0x1000) },
]);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isVirtqError(e) ? e.code : String(e);
  }
  return 'no error';
}

describe('GuestMemory.regionAt', () => {
  it('finds the first region and a later one, with their views and starts', () => {
    expect(mem.regionAt(0x1000, 0x1000, READ)).toBe(0);
    expect(mem.regionAt(0x8010, 16, WRITE)).toBe(1);
    expect(mem.start(1)).toBe(0x8000);
    expect(mem.view(1).byteLength).toBe(0x1000);
  });
  it('refuses a write to the read-only first region, a straddle past its end and ranges outside memory', () => {
    expect(codeOf(() => mem.regionAt(0x1000, 16, WRITE))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => mem.regionAt(0x1ff8, 16, READ))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => mem.regionAt(0x0, 16, READ))).toBe('ADDR_OUT_OF_RANGE');
  });
  it('refuses a fractional address or length and a negative length inside the first region', () => {
    expect(codeOf(() => mem.regionAt(4096.5, 16, READ))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => mem.regionAt(0x1000, 1.5, READ))).toBe('ADDR_OUT_OF_RANGE');
    expect(codeOf(() => mem.regionAt(0x1010, -16, READ))).toBe('ADDR_OUT_OF_RANGE');
    expect(() => mem.readU8(4096.5)).toThrow(/bad address 4096\.5/);
    expect(() => mem.readU8(Number.NaN)).toThrow(/bad address NaN/);
  });
});
