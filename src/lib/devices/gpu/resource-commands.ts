// The controlq commands that create, fill and destroy 2D resources (VIRTIO 1.4 §5.7.6.8):
// RESOURCE_CREATE_2D, RESOURCE_UNREF, RESOURCE_ATTACH_BACKING, RESOURCE_DETACH_BACKING and
// TRANSFER_TO_HOST_2D. Each check comes before any change, so a refused command leaves the
// device exactly as it was.
import { type GpuHandler, type GpuState, err, ok } from './state.ts';
import {
  GPU_CTRL_HDR_SIZE as H,
  GPU_FORMATS,
  GPU_MEM_ENTRY_SIZE,
  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
  VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID,
  VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY,
  VIRTIO_GPU_RESP_ERR_UNSPEC,
  VIRTIO_GPU_RESP_OK_NODATA,
} from './protocol.ts';
import { checkBacking, type GpuMemEntry, resourceBytes, transfer2d } from './resources.ts';

const INVALID_RESOURCE = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
const INVALID_PARAMETER = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;

// #region create-2d
export const resourceCreate2d: GpuHandler = (s, r) => {
  const [id, format, width, height] = [r.f.u32(H), r.f.u32(H + 4), r.f.u32(H + 8), r.f.u32(H + 12)];
  if (id === 0) return err(INVALID_RESOURCE, 'resource_id 0 is reserved (it means "no resource")');
  if (s.resources.has(id)) return err(INVALID_RESOURCE, `resource ${id} already exists`);
  if (!GPU_FORMATS.has(format)) return err(INVALID_PARAMETER, `unknown format ${format}`);
  if (width === 0 || height === 0) return err(INVALID_PARAMETER, `empty resource ${width}x${height}`);
  if (width > s.limits.maxDimension || height > s.limits.maxDimension) return err(INVALID_PARAMETER, `${width}x${height} above the largest size ${s.limits.maxDimension}`);
  const bytes = resourceBytes(width, height);
  if (s.resources.size >= s.limits.maxResources) return err(VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, `already ${s.resources.size} resources`);
  if (s.hostBytes + bytes > s.limits.hostMemory) return err(VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, `${bytes} bytes do not fit the host budget`);
  s.hostBytes += bytes;
  s.resources.set(id, { id, format, width, height, data: new Uint8Array(bytes), backing: null });
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion create-2d

// #region unref
export const resourceUnref: GpuHandler = (s, r) => {
  const id = r.f.u32(H);
  const res = s.resources.get(id);
  if (!res) return err(INVALID_RESOURCE, `no resource ${id}`);
  // A resource still on screen goes dark rather than leaving a dangling scanout.
  s.scanouts.forEach((sc, i) => {
    if (sc?.resourceId !== id) return;
    s.scanouts[i] = null;
    s.port.present(i, null);
  });
  if (s.cursor?.resourceId === id) {
    s.port.cursor(s.cursor.scanout, null);
    s.cursor = null;
  }
  for (const c of s.contexts.values()) c.resources.delete(id);
  s.hostBytes -= res.data.length;
  s.resources.delete(id);
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion unref

// #region attach-backing
export const attachBacking: GpuHandler = (s, r) => {
  const id = r.f.u32(H);
  const n = r.f.u32(H + 4);
  const res = s.resources.get(id);
  if (!res) return err(INVALID_RESOURCE, `no resource ${id}`);
  if (n === 0 || n > s.limits.maxBackingEntries) return err(INVALID_PARAMETER, `nr_entries ${n} not in 1..${s.limits.maxBackingEntries}`);
  if (r.readable < H + 8 + n * GPU_MEM_ENTRY_SIZE) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, `request too short for ${n} entries`);
  if (res.backing) return err(INVALID_PARAMETER, `resource ${id} already has backing`);
  const entries: GpuMemEntry[] = [];
  for (let i = 0; i < n; i++) {
    const at = H + 8 + i * GPU_MEM_ENTRY_SIZE;
    entries.push({ addr: r.f.u64(at), length: r.f.u32(at + 8) });
  }
  const bad = checkBacking(s.mem, entries);
  if (bad) return err(INVALID_PARAMETER, bad);
  res.backing = entries;
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};

export const detachBacking: GpuHandler = (s, r) => {
  const id = r.f.u32(H);
  const res = s.resources.get(id);
  if (!res) return err(INVALID_RESOURCE, `no resource ${id}`);
  if (!res.backing) return err(INVALID_PARAMETER, `resource ${id} has no backing`);
  res.backing = null;
  return ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion attach-backing

// #region transfer
export const transferToHost2d: GpuHandler = (s, r) => {
  const rect = r.f.rect(H);
  const offset = r.f.u64(H + 16);
  const id = r.f.u32(H + 24);
  const res = s.resources.get(id);
  if (!res) return err(INVALID_RESOURCE, `no resource ${id}`);
  if (!res.backing) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, `resource ${id} has no backing to transfer from`);
  const why = transfer2d(s.mem, res, rect, offset);
  return why ? err(INVALID_PARAMETER, why) : ok(VIRTIO_GPU_RESP_OK_NODATA);
};
// #endregion transfer

/** Host bytes in use by resource images (the OUT_OF_MEMORY budget). */
export function hostBytesInUse(s: GpuState): number {
  return s.hostBytes;
}
