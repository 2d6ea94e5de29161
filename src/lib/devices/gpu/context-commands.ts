// 3D contexts (VIRTIO 1.4 §5.7.6.9), offered only when the platform configures capsets for a
// host renderer. The device keeps the bookkeeping a guest can get wrong (which ctx_id exists,
// which capset it was created for, which resources it may use) and answers those mistakes
// itself; the command streams are opaque and go to the renderer, which the reference model
// does not have, so SUBMIT_3D without one fails with ERR_UNSPEC.
import { hasFeature } from '../../virtio/feature-bits.ts';
import { VIRTIO_GPU_F_CONTEXT_INIT } from './features.ts';
import { type GpuHandler, err, ok } from './state.ts';
import {
  GPU_CTRL_HDR_SIZE as H,
  VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK,
  VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID,
  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
  VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
  VIRTIO_GPU_RESP_ERR_UNSPEC,
  VIRTIO_GPU_RESP_OK_NODATA,
} from './protocol.ts';

const INVALID_CONTEXT = VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;

// #region ctx-create
export const ctxCreate: GpuHandler = (s, r) => {
  const ctx = r.hdr.ctxId;
  const nlen = r.f.u32(H);
  const init = r.f.u32(H + 4);
  if (ctx === 0) return err(INVALID_CONTEXT, 'ctx_id 0 is not a context');
  if (s.contexts.has(ctx)) return err(INVALID_CONTEXT, `context ${ctx} already exists`);
  if (nlen > 64) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `nlen ${nlen} above 64`);
  const capsetId = init & VIRTIO_GPU_CONTEXT_INIT_CAPSET_ID_MASK;
  if (init !== 0 && !hasFeature(s.features, VIRTIO_GPU_F_CONTEXT_INIT)) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 'context_init set without VIRTIO_GPU_F_CONTEXT_INIT');
  if (capsetId !== 0 && !s.capsets.some((c) => c.id === capsetId)) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `capset ${capsetId} not offered`);
  if (s.contexts.size >= s.limits.maxContexts) return err(VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, `already ${s.contexts.size} contexts`);
  s.contexts.set(ctx, { capsetId, resources: new Set() });
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion ctx-create

export const ctxDestroy: GpuHandler = (s, r) => {
  if (!s.contexts.delete(r.hdr.ctxId)) return err(INVALID_CONTEXT, `no context ${r.hdr.ctxId}`);
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};

function ctxResource(attach: boolean): GpuHandler {
  return (s, r) => {
    const c = s.contexts.get(r.hdr.ctxId);
    if (!c) return err(INVALID_CONTEXT, `no context ${r.hdr.ctxId}`);
    const id = r.f.u32(H);
    if (!s.resources.has(id)) return err(VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, `no resource ${id}`);
    if (attach) c.resources.add(id);
    else c.resources.delete(id);
    return ok(VIRTIO_GPU_RESP_OK_NODATA);
  };
}
export const ctxAttachResource = ctxResource(true);
export const ctxDetachResource = ctxResource(false);

// #region submit-3d
export const submit3d: GpuHandler = (s, r) => {
  const c = s.contexts.get(r.hdr.ctxId);
  if (!c) return err(INVALID_CONTEXT, `no context ${r.hdr.ctxId}`);
  const size = r.f.u32(H);
  if (r.readable < H + 8 + size) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, `request too short for ${size} command bytes`);
  if (!s.renderer) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, 'no host renderer');
  const done = s.renderer(r.hdr.ctxId, c.capsetId, r.f.bytes.slice(H + 8, H + 8 + size));
  return done ? ok(VIRTIO_GPU_RESP_OK_NODATA) : err(VIRTIO_GPU_RESP_ERR_UNSPEC, 'the renderer refused the command stream');
};
// #endregion submit-3d
