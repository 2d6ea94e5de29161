// Feature bits of the GPU device, VIRTIO 1.4 §5.7.3, and the dependencies between them. The
// reference model is a 2D device: it offers EDID, and VIRGL with CONTEXT_INIT only when the
// platform configures capability sets for a host renderer (see capsets.ts); it never offers
// RESOURCE_UUID, RESOURCE_BLOB or BLOB_ALIGNMENT, whose commands it answers ERR_UNSPEC.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';

// #region feature-bits
export const VIRTIO_GPU_F_VIRGL = 0; //          3D commands (contexts, 3D resources, command submission)
export const VIRTIO_GPU_F_EDID = 1; //           VIRTIO_GPU_CMD_GET_EDID
export const VIRTIO_GPU_F_RESOURCE_UUID = 2; //  exporting resources by UUID
export const VIRTIO_GPU_F_RESOURCE_BLOB = 3; //  size-based blob resources
export const VIRTIO_GPU_F_CONTEXT_INIT = 4; //   context types and per-context timelines; needs VIRGL
export const VIRTIO_GPU_F_BLOB_ALIGNMENT = 5; // blob_alignment is valid; needs RESOURCE_BLOB
// #endregion feature-bits

// #region feature-rules
/** Why an accepted set breaks §5.7.3, or null if it is valid. */
export function gpuDependencyError(accepted: Features): string | null {
  if (hasFeature(accepted, VIRTIO_GPU_F_CONTEXT_INIT) && !hasFeature(accepted, VIRTIO_GPU_F_VIRGL)) {
    return 'VIRTIO_GPU_F_CONTEXT_INIT accepted without VIRTIO_GPU_F_VIRGL (§5.7.3)';
  }
  if (hasFeature(accepted, VIRTIO_GPU_F_BLOB_ALIGNMENT) && !hasFeature(accepted, VIRTIO_GPU_F_RESOURCE_BLOB)) {
    return 'VIRTIO_GPU_F_BLOB_ALIGNMENT accepted without VIRTIO_GPU_F_RESOURCE_BLOB (§5.7.3)';
  }
  return null;
}
// #endregion feature-rules
