// RESOURCE_CREATE_2D, RESOURCE_UNREF, ATTACH/DETACH_BACKING and TRANSFER_TO_HOST_2D
// (VIRTIO 1.4 §5.7.6.8).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/gpu/protocol.ts';
import { backed, gpuGuest, R, t, XRGB } from './harness.ts';

describe.each(RING_TYPES)('GPU resources (%s ring)', (ring) => {
  it('[AVP-GPU-21] RESOURCE_CREATE_2D refuses resource_id 0 and an ID in use with ERR_INVALID_RESOURCE_ID', () => {
    const g = gpuGuest(ring);
    expect(t(g.drv.create2d(0, 4, 4))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.create2d(5, 4, 4))).toBe('OK_NODATA');
    expect(t(g.drv.create2d(5, 8, 8))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(g.dev.resourceCount).toBe(1);
  });

  it('[AVP-GPU-22] RESOURCE_CREATE_2D refuses an unknown format, an empty size and an oversized one with ERR_INVALID_PARAMETER', () => {
    const g = gpuGuest(ring, { limits: { maxDimension: 4096 } });
    expect(t(g.drv.create2d(1, 4, 4, 0))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.create2d(1, 4, 4, 5))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.create2d(1, 0, 4))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.create2d(1, 4, 0))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.create2d(1, 4097, 1))).toBe('ERR_INVALID_PARAMETER');
    for (const f of P.GPU_FORMATS.keys()) expect(t(g.drv.create2d(100 + f, 2, 2, f))).toBe('OK_NODATA');
    expect(g.dev.resourceCount).toBe(P.GPU_FORMATS.size);
  });

  it('[AVP-GPU-23] a resource beyond the host memory budget gets ERR_OUT_OF_MEMORY; freeing makes room again', () => {
    const g = gpuGuest(ring, { limits: { hostMemory: 64 * 64 * 4 } });
    expect(t(g.drv.create2d(1, 64, 32))).toBe('OK_NODATA');
    expect(t(g.drv.create2d(2, 64, 33))).toBe('ERR_OUT_OF_MEMORY');
    expect(t(g.drv.create2d(2, 64, 32))).toBe('OK_NODATA');
    expect(g.dev.hostBytes).toBe(64 * 64 * 4);
    expect(t(g.drv.unref(1))).toBe('OK_NODATA');
    expect(t(g.drv.create2d(3, 64, 32))).toBe('OK_NODATA');
    const few = gpuGuest(ring, { limits: { maxResources: 1 } });
    expect(t(few.drv.create2d(1, 1, 1))).toBe('OK_NODATA');
    expect(t(few.drv.create2d(2, 1, 1))).toBe('ERR_OUT_OF_MEMORY');
  });

  it('[AVP-GPU-24] each guest has its own budget: one guest exhausting it does not refuse another', () => {
    const a = gpuGuest(ring, { limits: { hostMemory: 4096 } });
    const b = gpuGuest(ring, { limits: { hostMemory: 4096 } });
    expect(t(a.drv.create2d(1, 32, 32))).toBe('OK_NODATA');
    expect(t(a.drv.create2d(2, 1, 1))).toBe('ERR_OUT_OF_MEMORY');
    expect(t(b.drv.create2d(1, 32, 32))).toBe('OK_NODATA');
  });

  it('[AVP-GPU-25] UNREF, ATTACH_BACKING, DETACH_BACKING and TRANSFER_TO_HOST_2D of an unknown resource get ERR_INVALID_RESOURCE_ID', () => {
    const g = gpuGuest(ring);
    const addr = BigInt(g.lb.alloc(64));
    expect(t(g.drv.unref(9))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.attachEntries(9, [{ addr, length: 64 }]))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.detach(9))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.transfer(9, R(0, 0, 1, 1)))).toBe('ERR_INVALID_RESOURCE_ID');
  });

  it('[AVP-GPU-26] [AVP-GPU-16] checks every backing entry against guest memory and attaches nothing if one fails', () => {
    const g = gpuGuest(ring);
    g.drv.create2d(1, 4, 4);
    const good = { addr: BigInt(g.lb.alloc(32)), length: 32 };
    const size = BigInt(g.lb.mem.regions[0].bytes.length);
    for (const bad of [
      { addr: size - 16n, length: 32 }, // runs off the end
      { addr: size, length: 1 }, //        starts past the end
      { addr: 0xffff_ffff_ffff_fff0n, length: 32 }, // wraps around 2^64
      { addr: good.addr, length: 0 }, //   empty
    ]) {
      expect(t(g.drv.attachEntries(1, [good, bad]))).toBe('ERR_INVALID_PARAMETER');
      expect(g.dev.stats.lastError?.reason).toMatch(/entry 1/);
    }
    // Nothing was attached: a transfer still finds no backing, and a valid list attaches.
    expect(t(g.drv.transfer(1, R(0, 0, 1, 1)))).toBe('ERR_UNSPEC');
    expect(t(g.drv.attachEntries(1, [good, { addr: BigInt(g.lb.alloc(32)), length: 32 }]))).toBe('OK_NODATA');
  });

  it('[AVP-GPU-27] [AVP-GPU-14] refuses nr_entries 0 or above the limit, and a list shorter than nr_entries says', () => {
    const g = gpuGuest(ring, { limits: { maxBackingEntries: 4 } });
    g.drv.create2d(1, 4, 4);
    const e = { addr: BigInt(g.lb.alloc(64)), length: 64 };
    expect(t(g.drv.attachEntries(1, []))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.attachEntries(1, [e, e, e, e, e]))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.attachEntries(1, [e], { nrEntries: 3 }))).toBe('ERR_UNSPEC');
    expect(t(g.drv.attachEntries(1, [e, e, e, e]))).toBe('OK_NODATA');
  });

  it('[AVP-GPU-28] refuses a second backing and a detach without backing with ERR_INVALID_PARAMETER', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 4);
    expect(t(g.drv.attachEntries(1, [{ addr: BigInt(g.lb.alloc(64)), length: 64 }]))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.detach(1))).toBe('OK_NODATA');
    expect(t(g.drv.detach(1))).toBe('ERR_INVALID_PARAMETER');
  });

  it('[AVP-GPU-30] TRANSFER_TO_HOST_2D without backing gets ERR_UNSPEC', () => {
    const g = gpuGuest(ring);
    g.drv.create2d(1, 4, 4);
    expect(t(g.drv.transfer(1, R(0, 0, 4, 4)))).toBe('ERR_UNSPEC');
    backed(g, 2, 4, 4);
    g.drv.detach(2);
    expect(t(g.drv.transfer(2, R(0, 0, 4, 4)))).toBe('ERR_UNSPEC');
  });

  it('[AVP-GPU-29] [AVP-GPU-16] TRANSFER_TO_HOST_2D outside the resource or beyond the backing gets ERR_INVALID_PARAMETER and copies nothing', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 4);
    g.drv.draw(1, () => 0xff123456);
    g.drv.setScanout(0, 1, R(0, 0, 4, 4));
    expect(t(g.drv.transfer(1, R(0, 0, 5, 4)))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.transfer(1, R(3, 3, 2, 1)))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.transfer(1, R(0, 0, 0, 0)))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.transfer(1, R(0, 0, 4, 4), 4n))).toBe('ERR_INVALID_PARAMETER'); // the last row would run past the 64 bytes
    expect(t(g.drv.transfer(1, R(0, 0, 1, 1), 1n << 62n))).toBe('ERR_INVALID_PARAMETER');
    g.drv.flush(1, R(0, 0, 4, 4));
    expect(g.dev.display.frames.get(0)!.pixels.every((p) => p === 0xff000000)).toBe(true); // still the zeroed host copy
  });

  it('[AVP-GPU-31] copies row h of the rectangle from backing offset + stride × h, across scattered entries', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 3, 5); // 48 bytes in 5 entries of uneven length
    g.drv.draw(1, (x, y) => 0xff000000 | (y << 8) | x);
    // Rectangle (1,1) 2×2, source offset of pixel (1,1): 1 × 16 + 1 × 4.
    expect(t(g.drv.transfer(1, R(1, 1, 2, 2), 20n))).toBe('OK_NODATA');
    g.drv.setScanout(0, 1, R(0, 0, 4, 3));
    g.drv.flush(1, R(0, 0, 4, 3));
    const px = [...g.dev.display.frames.get(0)!.pixels].map((p) => (p & 0xffff).toString(16));
    expect(px).toEqual(['0', '0', '0', '0', '0', '101', '102', '0', '0', '201', '202', '0']);
  });

  it('[AVP-GPU-31] keeps each format\'s byte order: what the guest wrote is what the display shows', () => {
    const g = gpuGuest(ring);
    for (const [f, info] of P.GPU_FORMATS) {
      const id = 10 + f;
      g.drv.create2d(id, 2, 1, f);
      g.drv.allocBacking(id, 2, 1, f);
      g.drv.draw(id, (x) => (x ? 0xff102030 : 0x80a0b0c0));
      g.drv.transfer(id, R(0, 0, 2, 1));
      g.drv.setScanout(0, id, R(0, 0, 2, 1));
      g.drv.flush(id, R(0, 0, 2, 1));
      const want = [info.a < 0 ? 0xffa0b0c0 : 0x80a0b0c0, 0xff102030];
      expect([...g.dev.display.frames.get(0)!.pixels], info.name).toEqual(want);
    }
  });

  it('[AVP-GPU-36] RESOURCE_UNREF frees the host memory and the ID', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 8, 8);
    expect(g.dev.hostBytes).toBe(256);
    expect(t(g.drv.unref(1))).toBe('OK_NODATA');
    expect(g.dev.hostBytes).toBe(0);
    expect(t(g.drv.unref(1))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.create2d(1, 2, 2))).toBe('OK_NODATA');
  });
});
