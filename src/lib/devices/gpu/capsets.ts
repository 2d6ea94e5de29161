// Capability sets (VIRTIO 1.4 §5.7.6.8, GET_CAPSET_INFO and GET_CAPSET): opaque blobs a host
// renderer publishes so that a guest's 3D user-space driver (virgl, Venus, gfxstream, a native
// DRM context) can learn what the host GPU does. The device only stores and serves them: it
// reports exactly as many as the platform configured in num_capsets, and never invents one.
import { type GpuHandler, err, ok } from './state.ts';
import {
  Fields,
  GPU_RESP_CAPSET_INFO_SIZE,
  GPU_CTRL_HDR_SIZE,
  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
  VIRTIO_GPU_RESP_OK_CAPSET,
  VIRTIO_GPU_RESP_OK_CAPSET_INFO,
} from './protocol.ts';

export interface GpuCapset {
  /** VIRTIO_GPU_CAPSET_* (1 virgl, 2 virgl2, 3 gfxstream, 4 venus, 5 cross-domain). */
  readonly id: number;
  readonly maxVersion: number;
  /** The capset's bytes; capset_max_size is their length. */
  readonly data: Uint8Array;
}

// #region capset-commands
export const getCapsetInfo: GpuHandler = (s, r) => {
  const index = r.f.u32(GPU_CTRL_HDR_SIZE);
  const c = s.capsets[index];
  if (!c) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `capset_index ${index} not below num_capsets ${s.capsets.length}`);
  const body = Fields.alloc(GPU_RESP_CAPSET_INFO_SIZE - GPU_CTRL_HDR_SIZE).setU32(0, c.id).setU32(4, c.maxVersion).setU32(8, c.data.length);
  return ok(VIRTIO_GPU_RESP_OK_CAPSET_INFO, body.bytes);
};

export const getCapset: GpuHandler = (s, r) => {
  const id = r.f.u32(GPU_CTRL_HDR_SIZE);
  const version = r.f.u32(GPU_CTRL_HDR_SIZE + 4);
  const c = s.capsets.find((x) => x.id === id);
  if (!c) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `capset_id ${id} not offered`);
  if (version > c.maxVersion) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `capset_version ${version} above ${c.maxVersion}`);
  return ok(VIRTIO_GPU_RESP_OK_CAPSET, c.data);
};
// #endregion capset-commands

/** The response size of GET_CAPSET for `id`: the header and capset_max_size bytes. */
export function capsetResponseSize(capsets: readonly GpuCapset[], id: number): number {
  return GPU_CTRL_HDR_SIZE + (capsets.find((x) => x.id === id)?.data.length ?? 0);
}
