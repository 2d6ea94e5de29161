// The cursorq (VIRTIO 1.4 §5.7.6.10): UPDATE_CURSOR loads a 64×64 resource as the pointer
// image and places it; MOVE_CURSOR only places it. Both carry struct virtio_gpu_update_cursor;
// MOVE_CURSOR ignores everything but the position.
import { type GpuHandler, err, ok } from './state.ts';
import {
  GPU_CTRL_HDR_SIZE as H,
  VIRTIO_GPU_CURSOR_SIZE,
  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
  VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
  VIRTIO_GPU_RESP_OK_NODATA,
} from './protocol.ts';
import { readPixels } from './resources.ts';

// #region cursor
export const updateCursor: GpuHandler = (s, r) => {
  const [scanout, x, y] = [r.f.u32(H), r.f.u32(H + 4), r.f.u32(H + 8)];
  const [resId, hotX, hotY] = [r.f.u32(H + 16), r.f.u32(H + 20), r.f.u32(H + 24)];
  if (scanout >= s.numScanouts) return err(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, `scanout ${scanout} not below num_scanouts ${s.numScanouts}`);
  if (resId === 0) {
    if (s.cursor) s.port.cursor(s.cursor.scanout, null);
    s.cursor = null; // resource 0 hides the pointer
    return ok(VIRTIO_GPU_RESP_OK_NODATA);
  }
  const res = s.resources.get(resId);
  if (!res) return err(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, `no resource ${resId}`);
  const N = VIRTIO_GPU_CURSOR_SIZE;
  if (res.width !== N || res.height !== N) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `cursor resource is ${res.width}x${res.height}, not ${N}x${N}`);
  if (hotX >= N || hotY >= N) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `hot spot ${hotX},${hotY} outside the image`);
  if (s.cursor && s.cursor.scanout !== scanout) s.port.cursor(s.cursor.scanout, null);
  // The image is copied now: later transfers into the resource need another UPDATE_CURSOR.
  const image = { width: N, height: N, pixels: readPixels(res, { x: 0, y: 0, width: N, height: N }) };
  s.cursor = { scanout, resourceId: resId, x, y, hotX, hotY, image };
  s.port.cursor(scanout, { image, x, y, hotX, hotY });
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};

export const moveCursor: GpuHandler = (s, r) => {
  const [scanout, x, y] = [r.f.u32(H), r.f.u32(H + 4), r.f.u32(H + 8)];
  if (scanout >= s.numScanouts) return err(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, `scanout ${scanout} not below num_scanouts ${s.numScanouts}`);
  const c = s.cursor;
  if (!c) return ok(VIRTIO_GPU_RESP_OK_NODATA); // nothing to move: a pointer without an image stays hidden
  if (c.scanout !== scanout) s.port.cursor(c.scanout, null);
  s.cursor = { ...c, scanout, x, y };
  s.port.cursor(scanout, { image: c.image, x, y, hotX: c.hotX, hotY: c.hotY });
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion cursor
