// Capability sets and 3D contexts (VIRTIO 1.4 §5.7.6.8, §5.7.6.9): the device serves what the
// platform configured and keeps the context bookkeeping; it has no renderer of its own.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Fields, VIRTIO_GPU_CAPSET_VENUS, VIRTIO_GPU_CAPSET_VIRGL2, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, VIRTIO_GPU_CMD_CTX_CREATE, VIRTIO_GPU_CMD_CTX_DESTROY, VIRTIO_GPU_CMD_SUBMIT_3D } from '../../../../src/lib/devices/gpu/protocol.ts';
import { gpuGuest, t } from './harness.ts';

const CAPSETS = [
  { id: VIRTIO_GPU_CAPSET_VIRGL2, maxVersion: 2, data: Uint8Array.from({ length: 40 }, (_, i) => i) },
  { id: VIRTIO_GPU_CAPSET_VENUS, maxVersion: 0, data: new Uint8Array([9, 8, 7]) },
];
const createCtx = (g: ReturnType<typeof gpuGuest>, ctxId: number, init = 0, nlen = 4) => g.drv.cmd(VIRTIO_GPU_CMD_CTX_CREATE, [nlen, init, ...new Array(16).fill(0)], { ctxId });

describe.each(RING_TYPES)('GPU capsets (%s ring)', (ring) => {
  it('[AVP-GPU-7] [AVP-GPU-39] GET_CAPSET_INFO answers each index below num_capsets and refuses the rest', () => {
    const g = gpuGuest(ring, { capsets: CAPSETS });
    expect(g.drv.numCapsets).toBe(2);
    const r0 = g.drv.capsetInfo(0);
    expect(t(r0)).toBe('OK_CAPSET_INFO');
    const f = new Fields(r0.body);
    expect([f.u32(0), f.u32(4), f.u32(8), f.u32(12)]).toEqual([VIRTIO_GPU_CAPSET_VIRGL2, 2, 40, 0]);
    expect(new Fields(g.drv.capsetInfo(1).body).u32(0)).toBe(VIRTIO_GPU_CAPSET_VENUS);
    expect(t(g.drv.capsetInfo(2))).toBe('ERR_INVALID_PARAMETER');
    expect(t(gpuGuest(ring).drv.capsetInfo(0))).toBe('ERR_INVALID_PARAMETER'); // num_capsets 0: none at all
  });

  it('[AVP-GPU-39] GET_CAPSET returns the capset\'s bytes, and refuses an unknown id or a version above the maximum', () => {
    const g = gpuGuest(ring, { capsets: CAPSETS });
    const r = g.drv.capset(VIRTIO_GPU_CAPSET_VIRGL2, 2);
    expect(t(r)).toBe('OK_CAPSET');
    expect([...r.body]).toEqual([...CAPSETS[0].data]);
    expect(t(g.drv.capset(VIRTIO_GPU_CAPSET_VIRGL2, 3))).toBe('ERR_INVALID_PARAMETER');
    expect(t(g.drv.capset(1, 0))).toBe('ERR_INVALID_PARAMETER');
  });
});

describe.each(RING_TYPES)('GPU 3D contexts (%s ring)', (ring) => {
  it('[AVP-GPU-40] refuses ctx_id 0, a context that exists, and commands for a context that does not', () => {
    const g = gpuGuest(ring, { capsets: CAPSETS });
    expect(t(createCtx(g, 0))).toBe('ERR_INVALID_CONTEXT_ID');
    expect(t(createCtx(g, 1))).toBe('OK_NODATA');
    expect(t(createCtx(g, 1))).toBe('ERR_INVALID_CONTEXT_ID');
    expect(t(g.drv.cmd(VIRTIO_GPU_CMD_SUBMIT_3D, [0, 0], { ctxId: 2 }))).toBe('ERR_INVALID_CONTEXT_ID');
    expect(t(g.drv.cmd(VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, [1, 0], { ctxId: 2 }))).toBe('ERR_INVALID_CONTEXT_ID');
    expect(t(g.drv.cmd(VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, [1, 0], { ctxId: 1 }))).toBe('ERR_INVALID_RESOURCE_ID');
    expect(t(g.drv.cmd(VIRTIO_GPU_CMD_CTX_DESTROY, [], { ctxId: 1 }))).toBe('OK_NODATA');
    expect(t(g.drv.cmd(VIRTIO_GPU_CMD_CTX_DESTROY, [], { ctxId: 1 }))).toBe('ERR_INVALID_CONTEXT_ID');
  });

  it('[AVP-GPU-41] refuses a context for a capset the device did not offer, and an oversized debug name, with ERR_INVALID_PARAMETER', () => {
    const g = gpuGuest(ring, { capsets: CAPSETS });
    expect(t(createCtx(g, 1, 3))).toBe('ERR_INVALID_PARAMETER'); // gfxstream: not offered
    expect(t(createCtx(g, 1, 0, 65))).toBe('ERR_INVALID_PARAMETER');
    expect(t(createCtx(g, 1, VIRTIO_GPU_CAPSET_VENUS))).toBe('OK_NODATA');
  });

  it('[AVP-GPU-4] without a host renderer a command stream is answered ERR_UNSPEC; with one it reaches it', () => {
    const g = gpuGuest(ring, { capsets: CAPSETS });
    createCtx(g, 1, VIRTIO_GPU_CAPSET_VENUS);
    expect(t(g.drv.cmd(VIRTIO_GPU_CMD_SUBMIT_3D, [4, 0, 0xdeadbeef], { ctxId: 1 }))).toBe('ERR_UNSPEC');
    const seen: string[] = [];
    const h = gpuGuest(ring, { capsets: CAPSETS, renderer: (ctx, capset, cmds) => (seen.push(`${ctx}/${capset}/${cmds.length}`), true) });
    createCtx(h, 5, VIRTIO_GPU_CAPSET_VENUS);
    expect(t(h.drv.cmd(VIRTIO_GPU_CMD_SUBMIT_3D, [4, 0, 0xdeadbeef], { ctxId: 5 }))).toBe('OK_NODATA');
    expect(t(h.drv.cmd(VIRTIO_GPU_CMD_SUBMIT_3D, [8, 0, 1], { ctxId: 5 }))).toBe('ERR_UNSPEC'); // claims more bytes than sent
    expect(seen).toEqual(['5/4/4']);
  });
});
