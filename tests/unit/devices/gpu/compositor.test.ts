// The platform compositor: layer policy, guest ownership of outputs, and the protected
// telltale plane that no guest can cover, imitate or delay.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { Compositor, type CompositorPolicy, policyErrors } from '../../../../src/lib/devices/gpu/compositor.ts';
import { GpuDevice } from '../../../../src/lib/devices/gpu/device.ts';
import { GpuDriver } from '../../../../src/lib/devices/gpu/driver.ts';
import { frameToSvg } from '../../../../src/lib/devices/gpu/picture.ts';
import { DEMO_TELLTALES, RED } from '../../../../src/lib/devices/gpu/telltales.ts';
import { VIRTIO_GPU_EVENT_DISPLAY } from '../../../../src/lib/devices/gpu/config.ts';
import { R, t } from './harness.ts';

const PLANE = R(40, 0, 46, 11);
const policy = (over: Partial<CompositorPolicy> = {}): CompositorPolicy => ({
  panel: { width: 120, height: 40 },
  background: 0xff000000,
  layers: [
    { guest: 'ivi', scanout: 0, rect: R(0, 0, 120, 40), z: 0 },
    { guest: 'cluster', scanout: 0, rect: R(0, 0, 50, 40), z: 5 },
  ],
  telltalePlane: { rect: PLANE, background: 0xff101010, telltales: DEMO_TELLTALES },
  ...over,
});

function setup(ring: 'split' | 'packed', p = policy(), scanouts = 1) {
  const comp = new Compositor(p);
  const guests = Object.fromEntries(
    ['ivi', 'cluster'].map((name) => {
      const dev = new GpuDevice({ scanouts });
      comp.attach(name, dev);
      const drv = new GpuDriver(new Loopback(dev, { ring, memSize: 1 << 21 }));
      return [name, { dev, drv }];
    }),
  );
  return { comp, ...guests } as { comp: Compositor; ivi: { dev: GpuDevice; drv: GpuDriver }; cluster: { dev: GpuDevice; drv: GpuDriver } };
}

const at = (f: { width: number; pixels: Uint32Array }, x: number, y: number) => f.pixels[y * f.width + x];
const region = (f: { width: number; pixels: Uint32Array }, r: { x: number; y: number; width: number; height: number }) => {
  const out: number[] = [];
  for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) out.push(at(f, x, y));
  return out;
};

describe('compositor policy', () => {
  it('[AVP-GPU-47] rejects two layers sharing a z, a layer or the telltale plane outside the panel, and a scanout with two layers', () => {
    expect(policyErrors(policy())).toEqual([]);
    const bad = policy({
      layers: [
        { guest: 'a', scanout: 0, rect: R(0, 0, 10, 10), z: 1 },
        { guest: 'b', scanout: 0, rect: R(0, 0, 10, 10), z: 1 },
        { guest: 'a', scanout: 0, rect: R(100, 0, 30, 10), z: 2 },
      ],
      telltalePlane: { rect: R(100, 35, 46, 11), telltales: DEMO_TELLTALES },
    });
    const errs = policyErrors(bad).join('\n');
    expect(errs).toMatch(/two layers share z 1/);
    expect(errs).toMatch(/layer a:0 is not inside the panel/);
    expect(errs).toMatch(/scanout a:0 has two layers/);
    expect(errs).toMatch(/telltale plane is not inside the panel/);
    expect(() => new Compositor(bad)).toThrow(RangeError);
  });
});

describe.each(RING_TYPES)('compositor (%s ring)', (ring) => {
  it('[AVP-GPU-45] tells each guest the size of its layer, raises the display event, and ignores the guest\'s own placement', () => {
    const s = setup(ring);
    expect(s.cluster.drv.displayInfo().modes[0]).toEqual({ x: 0, y: 0, width: 50, height: 40, enabled: true });
    // A guest already running when the compositor takes it over learns of it through the event.
    const late = new GpuDevice();
    const lateDrv = new GpuDriver(new Loopback(late, { ring }));
    expect(lateDrv.events).toBe(0);
    new Compositor(policy()).attach('ivi', late);
    expect(lateDrv.events & VIRTIO_GPU_EVENT_DISPLAY).toBe(VIRTIO_GPU_EVENT_DISPLAY);
    expect(lateDrv.displayInfo().modes[0]).toMatchObject({ width: 120, height: 40, enabled: true });
    // The guest shows only the top-left 10×10 of a resource, at its own chosen offset: the layer
    // still starts at the policy's corner, and the rest of the layer shows what is below it.
    s.ivi.drv.show(0, 120, 40, () => 0xff0000ff);
    const id = s.cluster.drv.show(0, 50, 40, () => 0xffff0000);
    expect(t(s.cluster.drv.setScanout(0, id, R(40, 30, 10, 10)))).toBe('OK_NODATA');
    s.cluster.drv.flush(id, R(0, 0, 50, 40));
    const f = s.comp.vsync();
    expect(at(f, 0, 0)).toBe(0xffff0000);
    expect(at(f, 9, 9)).toBe(0xffff0000);
    expect(at(f, 10, 9)).toBe(0xff0000ff);
    expect(at(f, 0, 39)).toBe(0xff0000ff);
  });

  it('[AVP-GPU-46] a guest\'s frames appear only in its own layers: a scanout without a layer is disabled and its frames are dropped', () => {
    const s = setup(ring, policy(), 2);
    expect(s.cluster.drv.displayInfo().modes[1].enabled).toBe(false);
    s.cluster.drv.show(1, 120, 40, () => 0xffff00ff);
    const f = s.comp.vsync();
    expect(s.comp.unrouted).toBe(1);
    expect([...f.pixels].includes(0xffff00ff)).toBe(false);
  });

  it('[AVP-GPU-34] a guest that switches its scanout off leaves its layer transparent', () => {
    const s = setup(ring);
    s.ivi.drv.show(0, 120, 40, () => 0xff0000ff);
    s.cluster.drv.show(0, 50, 40, () => 0xffff0000);
    expect(at(s.comp.vsync(), 5, 35)).toBe(0xffff0000);
    s.cluster.drv.setScanout(0, 0, R(0, 0, 0, 0));
    expect(at(s.comp.vsync(), 5, 35)).toBe(0xff0000ff);
  });

  it('[AVP-GPU-48] [AVP-GPU-49] keeps the telltale plane on top of a guest covering the whole panel, opaque over its whole area', () => {
    const s = setup(ring, policy({ layers: [{ guest: 'ivi', scanout: 0, rect: R(0, 0, 120, 40), z: 1000 }] }));
    s.comp.setTelltale('brake', true);
    const plain = s.comp.vsync();
    s.ivi.drv.show(0, 120, 40, () => 0xffe53935); // paints everything in the telltale's own red
    const f = s.comp.vsync();
    expect(region(f, PLANE)).toEqual(region(plain, PLANE));
    expect(at(f, PLANE.x + 4, PLANE.y + 2)).toBe(RED); // a lit pixel of the brake glyph
    expect(at(f, PLANE.x + 0, PLANE.y + 0)).toBe(0xff101010); // the plane's own background, not the guest's red
    expect(at(f, 0, 0)).toBe(0xffe53935);
    expect(f.telltaleCheck).toBe(true);
  });

  it('[AVP-GPU-50] [AVP-GPU-51] a telltale change shows in the next refresh however many frames guests flood in', () => {
    const s = setup(ring);
    const id = s.ivi.drv.show(0, 120, 40, () => 0xff0000ff);
    s.comp.vsync();
    const quiet = s.comp.vsync();
    for (let i = 0; i < 300; i++) s.ivi.drv.flush(id, R(0, 0, 120, 40));
    s.comp.setTelltale('seatbelt', true);
    const flooded = s.comp.vsync();
    expect(flooded.telltales).toEqual(['seatbelt']);
    expect(at(flooded, PLANE.x + 27, PLANE.y + 2)).toBe(RED); // top of the seat-belt glyph
    expect(flooded.work).toBe(quiet.work); // one frame per layer, whatever the guests sent
    const st = s.comp.layerStats('ivi', 0)!;
    expect(st.superseded).toBe(299);
    expect(st.latched).toBe(2);
    s.comp.setTelltale('seatbelt', false);
    expect(s.comp.vsync().telltales).toEqual([]);
  });

  it('[AVP-GPU-52] reads back the telltale area of every refresh', () => {
    const s = setup(ring);
    for (const id of ['brake', 'engine', 'seatbelt', 'high-beam']) {
      s.comp.setTelltale(id, true);
      expect(s.comp.vsync().telltaleCheck).toBe(true);
    }
    expect(() => s.comp.setTelltale('fog', true)).toThrow(/no telltale/);
  });

  it('draws a guest cursor inside its layer, under the telltale plane', () => {
    const s = setup(ring);
    const id = 99;
    s.cluster.drv.create2d(id, 64, 64);
    s.cluster.drv.allocBacking(id, 64, 64);
    s.cluster.drv.draw(id, (x, y) => (x < 4 && y < 4 ? 0xffffffff : 0x00000000));
    s.cluster.drv.transfer(id, R(0, 0, 64, 64));
    s.cluster.drv.updateCursor(0, 10, 10, id);
    const f = s.comp.vsync();
    expect(at(f, 11, 11)).toBe(0xffffffff);
    expect(at(f, 15, 15)).toBe(0xff000000); // transparent cursor pixels leave the background
    expect(frameToSvg(f)).toMatch(/^<svg [^>]*viewBox="0 0 120 40"/);
  });
});
