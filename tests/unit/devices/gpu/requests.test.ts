// The request header and malformed requests (VIRTIO 1.4 §5.7.6.5, §5.7.6.7): short headers,
// unknown commands, commands on the wrong queue, short bodies, small response buffers, fences
// and ring indices.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { GPU_CONTROLQ, GPU_CURSORQ } from '../../../../src/lib/devices/gpu/device.ts';
import * as P from '../../../../src/lib/devices/gpu/protocol.ts';
import { backed, gpuGuest, needsReset, R, t } from './harness.ts';

const hdr = (type: number, h: Partial<P.GpuCtrlHdr> = {}) => P.encodeHdr({ type, ...h });

describe.each(RING_TYPES)('GPU request header (%s ring)', (ring) => {
  it('[AVP-GPU-12] [AVP-GPU-17] answers a request shorter than the header ERR_UNSPEC and keeps serving the queue', () => {
    const g = gpuGuest(ring);
    for (const n of [0, 1, 23]) {
      const r = g.drv.raw(GPU_CONTROLQ, n ? [hdr(P.VIRTIO_GPU_CMD_GET_DISPLAY_INFO).subarray(0, n)] : [], 24);
      expect(t(r)).toBe('ERR_UNSPEC');
      expect(r.hdr!.flags).toBe(0);
      expect(r.len).toBe(24);
    }
    expect(t(g.drv.displayInfo().resp)).toBe('OK_DISPLAY_INFO');
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-GPU-13] does not execute a controlq request without room for a response header', () => {
    const g = gpuGuest(ring);
    expect(g.drv.create2d(1, 4, 4, undefined, { respLen: 23 }).len).toBe(0);
    expect(g.drv.raw(GPU_CONTROLQ, [P.gpuRequest(P.VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, [1, 2, 4, 4])], 0).len).toBe(0);
    expect(g.dev.resourceCount).toBe(0);
    expect(g.dev.stats.unanswerable).toBe(2);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-GPU-14] answers unknown commands, commands on the wrong queue, unnegotiated commands and short bodies ERR_UNSPEC', () => {
    const g = gpuGuest(ring);
    expect(t(g.drv.cmd(0x0000))).toBe('ERR_UNSPEC');
    expect(t(g.drv.cmd(0x1100))).toBe('ERR_UNSPEC'); // a response type is not a command
    expect(t(g.drv.cmd(P.VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, [1, 1, 0, 0, 0n, 4096n]))).toBe('ERR_UNSPEC');
    expect(t(g.drv.cmd(P.VIRTIO_GPU_CMD_CTX_CREATE, [0, 0, ...new Array(16).fill(0)], { ctxId: 1 }))).toBe('ERR_UNSPEC'); // no VIRGL
    expect(t(g.drv.cmd(P.VIRTIO_GPU_CMD_MOVE_CURSOR, [0, 0, 0, 0, 0, 0, 0, 0]))).toBe('ERR_UNSPEC'); // cursor command on controlq
    expect(t(g.drv.cmd(P.VIRTIO_GPU_CMD_GET_DISPLAY_INFO, [], { queue: GPU_CURSORQ, respLen: 408 }))).toBe('ERR_UNSPEC');
    expect(t(g.drv.cmd(P.VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, [1, 2, 4]))).toBe('ERR_UNSPEC'); // height missing
    expect(g.dev.resourceCount).toBe(0);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-GPU-15] refuses a command whose response would not fit, before running it', () => {
    const g = gpuGuest(ring);
    const r = g.drv.displayInfo({ respLen: 100 });
    expect(t(r.resp)).toBe('ERR_UNSPEC');
    expect(r.resp.len).toBe(24);
    expect(t(g.drv.edid(0, { respLen: 1055 }).resp)).toBe('ERR_UNSPEC');
    expect(t(g.drv.edid(0, { respLen: 1056 }).resp)).toBe('OK_EDID');
  });

  it('[AVP-GPU-18] a fenced response carries the fence flag, fence_id and ctx_id, for errors too', () => {
    const g = gpuGuest(ring);
    const ok = g.drv.create2d(1, 4, 4, undefined, { fence: 0x1122334455667788n, ctxId: 3 });
    expect(ok.hdr).toMatchObject({ type: P.VIRTIO_GPU_RESP_OK_NODATA, flags: P.VIRTIO_GPU_FLAG_FENCE, fenceId: 0x1122334455667788n, ctxId: 3 });
    const bad = g.drv.create2d(1, 4, 4, undefined, { fence: 42n });
    expect(bad.hdr).toMatchObject({ type: P.VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, flags: P.VIRTIO_GPU_FLAG_FENCE, fenceId: 42n });
    const plain = g.drv.unref(1);
    expect(plain.hdr).toMatchObject({ flags: 0, fenceId: 0n });
    expect(g.dev.stats.fencesCompleted).toBe(2);
  });

  it('[AVP-GPU-19] a fenced command has taken effect when its response is used', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 2, 2);
    g.drv.draw(1, () => 0xff0000ff);
    expect(t(g.drv.transfer(1, R(0, 0, 2, 2), 0n, { fence: 1n }))).toBe('OK_NODATA');
    expect(t(g.drv.setScanout(0, 1, R(0, 0, 2, 2), { fence: 2n }))).toBe('OK_NODATA');
    const before = g.dev.display.presented;
    const r = g.drv.flush(1, R(0, 0, 2, 2), { fence: 3n });
    expect(r.hdr?.fenceId).toBe(3n);
    expect(g.dev.display.presented).toBe(before + 1);
    expect(g.dev.display.frames.get(0)!.pixels[3]).toBe(0xff0000ff);
  });

  it('[AVP-GPU-20] refuses VIRTIO_GPU_FLAG_INFO_RING_IDX without CONTEXT_INIT, and ring_idx above 63, with ERR_INVALID_PARAMETER', () => {
    const g = gpuGuest(ring);
    const flags = P.VIRTIO_GPU_FLAG_INFO_RING_IDX;
    expect(t(g.drv.raw(GPU_CONTROLQ, [hdr(P.VIRTIO_GPU_CMD_GET_DISPLAY_INFO, { flags })], 408))).toBe('ERR_INVALID_PARAMETER');
    const g3 = gpuGuest(ring, { capsets: [{ id: 4, maxVersion: 0, data: new Uint8Array(8) }] });
    expect(t(g3.drv.raw(GPU_CONTROLQ, [hdr(P.VIRTIO_GPU_CMD_GET_DISPLAY_INFO, { flags, ringIdx: 64 })], 408))).toBe('ERR_INVALID_PARAMETER');
    const r = g3.drv.raw(GPU_CONTROLQ, [hdr(P.VIRTIO_GPU_CMD_GET_DISPLAY_INFO, { flags: flags | P.VIRTIO_GPU_FLAG_FENCE, ringIdx: 63, fenceId: 9n })], 408);
    expect(r.hdr).toMatchObject({ type: P.VIRTIO_GPU_RESP_OK_DISPLAY_INFO, flags: flags | P.VIRTIO_GPU_FLAG_FENCE, ringIdx: 63, fenceId: 9n });
  });

  it('[AVP-GPU-12] reads a header cut across several buffers', () => {
    const g = gpuGuest(ring);
    const req = P.gpuRequest(P.VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, [1, 2, 4, 4]);
    expect(t(g.drv.raw(GPU_CONTROLQ, [req.subarray(0, 5), req.subarray(5, 30), req.subarray(30)], 24))).toBe('OK_NODATA');
    expect(g.dev.resourceCount).toBe(1);
  });
});

describe.each(RING_TYPES)('GPU cursor queue (%s ring)', (ring) => {
  it('[AVP-GPU-38] executes a cursor command without a response buffer (used length 0) and answers one with room', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 64, 64);
    g.drv.draw(1, () => 0xffffffff);
    g.drv.transfer(1, R(0, 0, 64, 64));
    const r = g.drv.updateCursor(0, 10, 20, 1, 3, 4, { respLen: 0 });
    expect(r.len).toBe(0);
    expect(g.dev.display.cursors.get(0)).toMatchObject({ x: 10, y: 20, hotX: 3, hotY: 4 });
    expect(g.dev.stats.cursorWithoutResponse).toBe(1);
    expect(t(g.drv.moveCursor(0, 30, 40))).toBe('OK_NODATA');
    expect(g.dev.display.cursors.get(0)).toMatchObject({ x: 30, y: 40, hotX: 3, hotY: 4 });
  });

  it('[AVP-GPU-37] refuses a cursor image that is not 64×64 or a hot spot outside it with ERR_INVALID_PARAMETER', () => {
    const g = gpuGuest(ring);
    backed(g, 1, 32, 32);
    backed(g, 2, 64, 64);
    expect(t(g.drv.updateCursor(0, 0, 0, 1))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.updateCursor(0, 0, 0, 2, 64, 0))).toBe('ERR_INVALID_PARAMETER');
    expect(g.dev.display.cursors.get(0)).toBeUndefined();
    expect(t(g.drv.updateCursor(0, 0, 0, 2, 63, 63))).toBe('OK_NODATA');
  });

  it('[AVP-GPU-32] [AVP-GPU-25] refuses a cursor on a scanout that does not exist, or from an unknown resource', () => {
    const g = gpuGuest(ring, { scanouts: 2 });
    backed(g, 2, 64, 64);
    expect(t(g.drv.updateCursor(2, 0, 0, 2))).toBe('ERR_INVALID_SCANOUT_ID');
    expect(t(g.drv.moveCursor(5, 0, 0))).toBe('ERR_INVALID_SCANOUT_ID');
    expect(t(g.drv.updateCursor(0, 0, 0, 9))).toBe('ERR_INVALID_RESOURCE_ID');
  });

  it('[AVP-GPU-36] hides the cursor when its resource is unreferenced, and resource 0 hides it too', () => {
    const g = gpuGuest(ring);
    backed(g, 2, 64, 64);
    g.drv.updateCursor(0, 1, 1, 2);
    expect(g.dev.display.cursors.get(0)).not.toBeNull();
    g.drv.updateCursor(0, 0, 0, 0);
    expect(g.dev.display.cursors.get(0)).toBeNull();
    g.drv.updateCursor(0, 1, 1, 2);
    g.drv.unref(2);
    expect(g.dev.display.cursors.get(0)).toBeNull();
  });
});
