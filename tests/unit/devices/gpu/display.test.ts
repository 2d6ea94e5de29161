// GET_DISPLAY_INFO, GET_EDID, SET_SCANOUT and RESOURCE_FLUSH (VIRTIO 1.4 §5.7.6.8).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { parseEdid } from '../../../../src/lib/devices/gpu/edid.ts';
import { backed, gpuGuest, R, t } from './harness.ts';

describe.each(RING_TYPES)('GPU outputs (%s ring)', (ring) => {
  it('[AVP-GPU-6] GET_DISPLAY_INFO reports each scanout with an output as enabled, with its size, and the others as zeros', () => {
    const g = gpuGuest(ring, { scanouts: 3, modes: [{ width: 800, height: 480 }, null, { width: 320, height: 240 }] });
    const { resp, modes } = g.drv.displayInfo();
    expect(t(resp)).toBe('OK_DISPLAY_INFO');
    expect(resp.len).toBe(408);
    expect(modes).toEqual([
      { x: 0, y: 0, width: 800, height: 480, enabled: true },
      { x: 0, y: 0, width: 0, height: 0, enabled: false },
      { x: 800, y: 0, width: 320, height: 240, enabled: true },
    ]);
  });

  it('[AVP-GPU-10] GET_EDID returns one valid 128-byte block whose preferred mode is the reported size', () => {
    const g = gpuGuest(ring, { modes: [{ width: 1280, height: 720 }] });
    const { resp, edid } = g.drv.edid(0);
    expect(t(resp)).toBe('OK_EDID');
    expect(resp.len).toBe(1056);
    expect(edid.length).toBe(128);
    expect(edid.reduce((s, b) => s + b, 0) % 256).toBe(0);
    expect([...edid.subarray(0, 8)]).toEqual([0, 255, 255, 255, 255, 255, 255, 0]);
    const p = parseEdid(edid);
    expect(p).toMatchObject({ valid: true, width: 1280, height: 720, manufacturer: 'AVP' });
    expect(edid[18]).toBe(1);
    expect(edid[19]).toBe(4);
    // A corrupted byte breaks the checksum: the check above could fail.
    const bad = edid.slice();
    bad[30] ^= 1;
    expect(parseEdid(bad).valid).toBe(false);
  });

  it('[AVP-GPU-11] GET_EDID of a scanout without an output reports size 0', () => {
    const g = gpuGuest(ring, { scanouts: 2, modes: [{ width: 640, height: 480 }, null] });
    const { resp, edid } = g.drv.edid(1);
    expect(t(resp)).toBe('OK_EDID');
    expect(edid.length).toBe(0);
  });

  it('[AVP-GPU-32] a scanout_id at or above num_scanouts gets ERR_INVALID_SCANOUT_ID (GET_EDID, SET_SCANOUT)', () => {
    const g = gpuGuest(ring, { scanouts: 2 });
    backed(g, 1, 8, 8);
    expect(t(g.drv.edid(2).resp)).toBe('ERR_INVALID_SCANOUT_ID');
    expect(t(g.drv.setScanout(2, 1, R(0, 0, 8, 8)))).toBe('ERR_INVALID_SCANOUT_ID');
    expect(t(g.drv.setScanout(0xffffffff, 1, R(0, 0, 8, 8)))).toBe('ERR_INVALID_SCANOUT_ID');
    expect(t(g.drv.setScanout(1, 1, R(0, 0, 8, 8)))).toBe('OK_NODATA');
  });

  it('[AVP-GPU-33] [AVP-GPU-16] SET_SCANOUT with a rectangle not inside the resource gets ERR_INVALID_PARAMETER and changes nothing', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 16, 8);
    g.drv.draw(1, () => 0xff00ff00);
    g.drv.transfer(1, R(0, 0, 16, 8));
    expect(t(g.drv.setScanout(0, 1, R(0, 0, 16, 8)))).toBe('OK_NODATA');
    for (const r of [R(0, 0, 17, 8), R(1, 0, 16, 8), R(0, 0, 0, 8), R(0xffffffff, 0, 2, 2)]) expect(t(g.drv.setScanout(0, 1, r))).toBe('ERR_INVALID_PARAMETER');
    g.drv.flush(1, R(0, 0, 16, 8));
    expect(g.dev.display.frames.get(0)?.width).toBe(16); // the first, valid scanout stays
  });

  it('[AVP-GPU-25] SET_SCANOUT and RESOURCE_FLUSH of a resource that does not exist get ERR_INVALID_RESOURCE_ID', () => {
    const g = gpuGuest(ring);
    expect(t(g.drv.setScanout(0, 7, R(0, 0, 1, 1)))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.flush(7, R(0, 0, 1, 1)))).toBe('ERR_INVALID_RESOURCE_ID');
  });

  it('[AVP-GPU-35] RESOURCE_FLUSH hands over the image as it is at the flush; later drawing shows only after the next flush', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 2);
    g.drv.draw(1, (x) => (x < 2 ? 0xffff0000 : 0xff0000ff));
    g.drv.transfer(1, R(0, 0, 4, 2));
    g.drv.setScanout(0, 1, R(1, 0, 3, 2));
    expect(g.dev.display.frames.has(0)).toBe(false); // SET_SCANOUT alone shows nothing new
    expect(t(g.drv.flush(1, R(0, 0, 4, 2)))).toBe('OK_NODATA');
    const f = g.dev.display.frames.get(0)!;
    expect([...f.pixels]).toEqual([0xffff0000, 0xff0000ff, 0xff0000ff, 0xffff0000, 0xff0000ff, 0xff0000ff]);
    g.drv.draw(1, () => 0xff00ff00);
    g.drv.transfer(1, R(0, 0, 4, 2));
    expect(g.dev.display.frames.get(0)!.pixels[0]).toBe(0xffff0000);
    expect(t(g.drv.flush(1, R(0, 0, 1, 1)))).toBe('OK_NODATA');
    expect(g.dev.display.frames.get(0)!.pixels[0]).toBe(0xff00ff00);
    expect(t(g.drv.flush(1, R(0, 0, 5, 1)))).toBe('ERR_INVALID_PARAMETER');
  });

  it('[AVP-GPU-34] SET_SCANOUT with resource 0 switches the scanout off', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 4);
    g.drv.setScanout(0, 1, R(0, 0, 4, 4));
    g.drv.flush(1, R(0, 0, 4, 4));
    expect(g.dev.display.frames.get(0)).not.toBeNull();
    expect(t(g.drv.setScanout(0, 0, R(0, 0, 0, 0)))).toBe('OK_NODATA');
    expect(g.dev.display.frames.get(0)).toBeNull();
    g.drv.flush(1, R(0, 0, 4, 4));
    expect(g.dev.display.frames.get(0)).toBeNull(); // the resource no longer feeds the scanout
  });

  it('[AVP-GPU-36] RESOURCE_UNREF of a resource on a scanout switches the scanout off', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 4);
    g.drv.setScanout(0, 1, R(0, 0, 4, 4));
    g.drv.flush(1, R(0, 0, 4, 4));
    expect(t(g.drv.unref(1))).toBe('OK_NODATA');
    expect(g.dev.display.frames.get(0)).toBeNull();
    expect(g.dev.resourceCount).toBe(0);
  });

  it('[AVP-GPU-42] a device reset takes every image of the old driver off its outputs', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 4, 4);
    g.drv.setScanout(0, 1, R(0, 0, 4, 4));
    g.drv.flush(1, R(0, 0, 4, 4));
    g.dev.reset();
    expect(g.dev.display.frames.get(0)).toBeNull();
    expect(g.dev.resourceCount).toBe(0);
  });
});
