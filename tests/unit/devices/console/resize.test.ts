// Console size (VIRTIO 1.4 §5.3.4, §5.3.6, §5.3.6.2): cols/rows in the configuration space for
// port 0, RESIZE control messages per console port with MULTIPORT.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as F from '../../../../src/lib/devices/console/features.ts';
import * as M from '../../../../src/lib/devices/console/control.ts';
import { ALL, rig, without } from './harness.ts';
import { deviceModel } from '../../../../src/lib/conformance/device-registry.ts';

const resizes = (r: ReturnType<typeof rig>) =>
  r.drv.received.filter((m) => m.event === M.VIRTIO_CONSOLE_RESIZE).map((m) => ({ id: m.id, raw: [...m.payload!] }));

describe.each(RING_TYPES)('console resize (%s ring)', (ring) => {
  it('[AVP-CON-17] keeps port 0\'s size in cols/rows and raises a configuration change', () => {
    const r = rig(ring, { dev: { ports: { 0: { size: { cols: 80, rows: 24 } } } } });
    expect(r.drv.size).toEqual({ cols: 80, rows: 24 });
    const gen = r.dev.config.generation;
    const notes = r.lb.configNotifications;
    r.dev.resize(0, { cols: 120, rows: 40 });
    expect(r.drv.size).toEqual({ cols: 120, rows: 40 });
    expect(r.dev.config.generation).not.toBe(gen);
    expect(r.lb.configNotifications).toBe(notes + 1);
    expect(() => r.dev.resize(0, { cols: 70000, rows: 1 })).toThrow(RangeError);
  });

  it('[AVP-CON-50] with MULTIPORT sends RESIZE, cols then rows, for every ready console port, port 0 included', () => {
    const r = rig(ring, { dev: { maxPorts: 3, ports: { 0: { size: { cols: 80, rows: 24 } }, 1: { console: true }, 2: {} } } });
    expect(resizes(r)).toEqual([{ id: 0, raw: [80, 0, 24, 0] }]); // at PORT_READY, after CONSOLE_PORT
    r.dev.resize(0, { cols: 100, rows: 30 });
    r.dev.resize(1, { cols: 0x0102, rows: 50 });
    r.dev.resize(2, { cols: 90, rows: 20 }); // not a console port: no message
    r.drv.processControl();
    expect(resizes(r).slice(1)).toEqual([
      { id: 0, raw: [100, 0, 30, 0] },
      { id: 1, raw: [2, 1, 50, 0] },
    ]);
    expect(r.drv.size).toEqual({ cols: 100, rows: 30 }); // and in the configuration space as well
    expect(r.drv.ports.get(1)!.size).toEqual({ cols: 258, rows: 50 });
  });

  it('[AVP-CON-50] keeps a size set before the port is ready and sends it at PORT_READY', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: { console: true } } }, start: false });
    r.dev.resize(1, { cols: 64, rows: 16 });
    r.drv.start();
    expect(resizes(r)).toEqual([{ id: 1, raw: [64, 0, 16, 0] }]);
  });

  it('[AVP-CON-17] [AVP-CON-50] does not offer SIZE without a size for port 0, and sends no RESIZE without MULTIPORT', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 1: { console: true } } }, features: without(ALL, F.VIRTIO_CONSOLE_F_MULTIPORT) });
    expect(r.dev.offersSize).toBe(false);
    r.dev.resize(0, { cols: 10, rows: 10 });
    expect(r.dev.config.u16(0)).toBe(0);
    expect(r.dev.pendingControlMessages).toBe(0);
  });

  it('[AVP-CON-18] sends the RESIZE payload cols then rows, with no way to swap them', () => {
    const r = rig(ring, { dev: { maxPorts: 2, ports: { 0: { size: { cols: 80, rows: 24 } } } } });
    expect(resizes(r)).toEqual([{ id: 0, raw: [80, 0, 24, 0] }]);
    expect(r.drv.size).toEqual({ cols: 80, rows: 24 });
    // A swapped order is not an option of the device: asking for it is refused, not ignored.
    expect(() => deviceModel('virtio-console')!.options.parse({ resizeRowsFirst: true })).toThrow(/resizeRowsFirst/);
  });
});
