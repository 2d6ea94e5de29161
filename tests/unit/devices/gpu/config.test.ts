// Features, configuration space and events of the GPU device (VIRTIO 1.4 §5.7.3, §5.7.4).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { hasFeature } from '../../../../src/lib/virtio/feature-bits.ts';
import { GpuDevice, VIRTIO_ID_GPU } from '../../../../src/lib/devices/gpu/device.ts';
import * as F from '../../../../src/lib/devices/gpu/features.ts';
import { GPU_CFG_EVENTS_READ, GPU_CFG_NUM_CAPSETS, GPU_CFG_NUM_SCANOUTS, VIRTIO_GPU_EVENT_DISPLAY } from '../../../../src/lib/devices/gpu/config.ts';
import { ALL, gpuGuest, t } from './harness.ts';

const bit = (n: number) => 1n << BigInt(n);
const VENUS = { id: 4, maxVersion: 0, data: new Uint8Array([1, 2, 3, 4]) };

describe('GPU features', () => {
  it('[AVP-GPU-1] is VIRTIO device ID 16', () => {
    expect(new GpuDevice().deviceId).toBe(VIRTIO_ID_GPU);
    expect(VIRTIO_ID_GPU).toBe(16);
  });

  it('[AVP-GPU-2] offers VIRTIO_GPU_F_EDID by default', () => {
    expect(hasFeature(new GpuDevice().offeredFeatures(), F.VIRTIO_GPU_F_EDID)).toBe(true);
  });

  it('[AVP-GPU-3] refuses FEATURES_OK for CONTEXT_INIT without VIRGL and BLOB_ALIGNMENT without RESOURCE_BLOB', () => {
    const d = new GpuDevice({ capsets: [VENUS] });
    const base = d.offeredFeatures();
    expect(d.checkFeatures(base)).toBeNull();
    expect(d.checkFeatures(base & ~bit(F.VIRTIO_GPU_F_VIRGL))).toMatch(/CONTEXT_INIT accepted without VIRTIO_GPU_F_VIRGL/);
    expect(F.gpuDependencyError(bit(F.VIRTIO_GPU_F_BLOB_ALIGNMENT))).toMatch(/BLOB_ALIGNMENT/);
    expect(F.gpuDependencyError(bit(F.VIRTIO_GPU_F_BLOB_ALIGNMENT) | bit(F.VIRTIO_GPU_F_RESOURCE_BLOB))).toBeNull();
  });

  it('[AVP-GPU-4] offers VIRGL and CONTEXT_INIT only with capsets of a host renderer', () => {
    const plain = new GpuDevice().offeredFeatures();
    expect(hasFeature(plain, F.VIRTIO_GPU_F_VIRGL) || hasFeature(plain, F.VIRTIO_GPU_F_CONTEXT_INIT)).toBe(false);
    const withRenderer = new GpuDevice({ capsets: [VENUS] }).offeredFeatures();
    expect(hasFeature(withRenderer, F.VIRTIO_GPU_F_VIRGL) && hasFeature(withRenderer, F.VIRTIO_GPU_F_CONTEXT_INIT)).toBe(true);
    for (const b of [F.VIRTIO_GPU_F_RESOURCE_UUID, F.VIRTIO_GPU_F_RESOURCE_BLOB, F.VIRTIO_GPU_F_BLOB_ALIGNMENT]) expect(hasFeature(withRenderer, b)).toBe(false);
  });

  it('rejects a scanout count outside 1..16 and duplicate capsets', () => {
    expect(() => new GpuDevice({ scanouts: 0 })).toThrow(RangeError);
    expect(() => new GpuDevice({ scanouts: 17 })).toThrow(RangeError);
    expect(() => new GpuDevice({ capsets: [VENUS, VENUS] })).toThrow(/one entry per capset id/);
  });
});

describe.each(RING_TYPES)('GPU configuration space (%s ring)', (ring) => {
  it('[AVP-GPU-6] [AVP-GPU-7] reports num_scanouts and num_capsets as configured', () => {
    const g = gpuGuest(ring, { scanouts: 3, capsets: [VENUS] });
    expect(g.dev.config.u32(GPU_CFG_NUM_SCANOUTS)).toBe(3);
    expect(g.dev.config.u32(GPU_CFG_NUM_CAPSETS)).toBe(1);
    expect(gpuGuest(ring).dev.config.u32(GPU_CFG_NUM_CAPSETS)).toBe(0);
  });

  it('[AVP-GPU-8] a display change sets VIRTIO_GPU_EVENT_DISPLAY and notifies the driver', () => {
    const g = gpuGuest(ring);
    expect(g.drv.events).toBe(0);
    const before = g.lb.configNotifications;
    g.dev.displayChanged();
    expect(g.drv.events & VIRTIO_GPU_EVENT_DISPLAY).toBe(VIRTIO_GPU_EVENT_DISPLAY);
    expect(g.lb.configNotifications).toBe(before + 1);
  });

  it('[AVP-GPU-9] events_clear clears the bits written as 1; writes to events_read change nothing', () => {
    const g = gpuGuest(ring);
    g.dev.displayChanged();
    g.dev.writeConfig(GPU_CFG_EVENTS_READ, new Uint8Array([0, 0, 0, 0]));
    expect(g.drv.events).toBe(VIRTIO_GPU_EVENT_DISPLAY);
    g.drv.clearEvents(0);
    expect(g.drv.events).toBe(VIRTIO_GPU_EVENT_DISPLAY);
    g.drv.clearEvents(VIRTIO_GPU_EVENT_DISPLAY);
    expect(g.drv.events).toBe(0);
  });

  it('[AVP-GPU-2] without EDID negotiated, GET_EDID is answered ERR_UNSPEC', () => {
    const g = gpuGuest(ring, {}, ALL & ~bit(F.VIRTIO_GPU_F_EDID));
    expect(t(g.drv.edid(0).resp)).toBe('ERR_UNSPEC');
  });
});
