// Reading a GPU request out of a descriptor chain and writing its response. The request may be
// cut into any number of device-readable buffers (§2.7.4), so the device reads a prefix of the
// whole byte stream, never more than the command's layout needs, and writes the response
// across the device-writable buffers.
import { ChainWriter } from '../../virtio/chain-io.ts';
import { type DescriptorChain, readableBuffers, totalLength } from '../../virtio/chain.ts';
import { encodeHdr, GPU_CTRL_HDR_SIZE, type GpuCtrlHdr, VIRTIO_GPU_FLAG_FENCE, VIRTIO_GPU_FLAG_INFO_RING_IDX } from './protocol.ts';

/** The first `max` device-readable bytes of a chain (fewer if it has fewer): the core's reader. */
export { readChainPrefix as readPrefix } from '../../virtio/chain-io.ts';

export function readableLength(chain: DescriptorChain): number {
  return totalLength(readableBuffers(chain));
}

// #region response-header
/**
 * The response header for a request: a fenced request's response carries the fence flag, the
 * same fence_id and ctx_id, and (with VIRTIO_GPU_FLAG_INFO_RING_IDX) the same ring_idx; a
 * request whose header could not be read gets a bare header with only the type.
 */
export function responseHeader(type: number, req: GpuCtrlHdr | null): Uint8Array {
  if (!req || (req.flags & VIRTIO_GPU_FLAG_FENCE) === 0) return encodeHdr({ type, ctxId: req?.ctxId ?? 0 });
  const ring = req.flags & VIRTIO_GPU_FLAG_INFO_RING_IDX;
  return encodeHdr({ type, flags: VIRTIO_GPU_FLAG_FENCE | ring, fenceId: req.fenceId, ctxId: req.ctxId, ringIdx: ring ? req.ringIdx : 0 });
}
// #endregion response-header

export function writeResponse(w: ChainWriter, type: number, req: GpuCtrlHdr | null, body?: Uint8Array): number {
  w.write(responseHeader(type, req));
  if (body) w.write(body);
  return w.written;
}

export { ChainWriter, GPU_CTRL_HDR_SIZE };
