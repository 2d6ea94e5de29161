// The controlq commands about outputs (VIRTIO 1.4 §5.7.6.8): GET_DISPLAY_INFO and GET_EDID ask
// the display side what each scanout is, SET_SCANOUT shows part of a resource on one, and
// RESOURCE_FLUSH hands the display side a new image of every scanout showing the resource.
import { type GpuHandler, err, ok } from './state.ts';
import { buildEdid, EDID_BLOCK_SIZE } from './edid.ts';
import {
  Fields,
  GPU_CTRL_HDR_SIZE as H,
  GPU_DISPLAY_ONE_SIZE,
  GPU_RESP_DISPLAY_INFO_SIZE,
  GPU_RESP_EDID_SIZE,
  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
  VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID,
  VIRTIO_GPU_RESP_OK_DISPLAY_INFO,
  VIRTIO_GPU_RESP_OK_EDID,
  VIRTIO_GPU_RESP_OK_NODATA,
} from './protocol.ts';
import { readPixels, rectInside } from './resources.ts';

// #region display-info
export const getDisplayInfo: GpuHandler = (s) => {
  const body = Fields.alloc(GPU_RESP_DISPLAY_INFO_SIZE - H);
  for (let i = 0; i < s.numScanouts; i++) {
    const m = s.port.mode(i);
    if (!m) continue; // no output for this guest here: all zeros, not enabled
    body.setRect(i * GPU_DISPLAY_ONE_SIZE, m).setU32(i * GPU_DISPLAY_ONE_SIZE + 16, m.enabled ? 1 : 0);
  }
  return ok(VIRTIO_GPU_RESP_OK_DISPLAY_INFO, body.bytes);
};
// #endregion display-info

// #region get-edid
export const getEdid: GpuHandler = (s, r) => {
  const id = r.f.u32(H);
  if (id >= s.numScanouts) return err(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, `scanout ${id} not below num_scanouts ${s.numScanouts}`);
  const body = Fields.alloc(GPU_RESP_EDID_SIZE - H);
  const m = s.port.mode(id);
  if (m?.enabled) {
    body.setU32(0, EDID_BLOCK_SIZE);
    body.bytes.set(buildEdid({ width: m.width, height: m.height, serial: id, name: `AVP OUT ${id}` }), 8);
  } // a scanout without an output reports an EDID of size 0: nothing is connected
  return ok(VIRTIO_GPU_RESP_OK_EDID, body.bytes);
};
// #endregion get-edid

// #region set-scanout
export const setScanout: GpuHandler = (s, r) => {
  const rect = r.f.rect(H);
  const id = r.f.u32(H + 16);
  const resId = r.f.u32(H + 20);
  if (id >= s.numScanouts) return err(VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, `scanout ${id} not below num_scanouts ${s.numScanouts}`);
  if (resId === 0) {
    // resource_id 0 switches the scanout off.
    s.scanouts[id] = null;
    s.port.present(id, null);
    return ok(VIRTIO_GPU_RESP_OK_NODATA);
  }
  const res = s.resources.get(resId);
  if (!res) return err(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, `no resource ${resId}`);
  if (!rectInside(rect, res.width, res.height)) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 'scanout rectangle not inside the resource');
  s.scanouts[id] = { resourceId: resId, rect };
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion set-scanout

// #region flush
export const resourceFlush: GpuHandler = (s, r) => {
  const rect = r.f.rect(H);
  const resId = r.f.u32(H + 16);
  const res = s.resources.get(resId);
  if (!res) return err(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, `no resource ${resId}`);
  if (!rectInside(rect, res.width, res.height)) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 'flush rectangle not inside the resource');
  // Every scanout showing this resource gets a copy of its area: the guest may draw into the
  // resource again at once, and the display side never reads guest-controlled memory later.
  s.scanouts.forEach((sc, i) => {
    if (sc?.resourceId !== resId) return;
    s.port.present(i, { width: sc.rect.width, height: sc.rect.height, pixels: readPixels(res, sc.rect) });
  });
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion flush
