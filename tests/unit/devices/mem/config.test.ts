// The memory device's configuration and features (VIRTIO 1.4 §5.15.3, §5.15.4, §5.15.5) on both
// ring layouts: geometry, fields that never change, node_id and ACPI_PXM, unplugged memory
// made unreachable, the usable region, notifications, device and system reset, suspend.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit, hasFeature } from '../../../../src/lib/virtio/feature-bits.ts';
import { MemDevice } from '../../../../src/lib/devices/mem/device.ts';
import { MemDriver } from '../../../../src/lib/devices/mem/driver.ts';
import { geometryError } from '../../../../src/lib/devices/mem/blocks.ts';
import * as P from '../../../../src/lib/devices/mem/protocol.ts';
import { ALL, at, BASE, BS, MiB, raw, rig } from './harness.ts';

const fixed = (d: MemDevice) => [P.MEM_CFG_BLOCK_SIZE, P.MEM_CFG_NODE_ID, P.MEM_CFG_ADDR, P.MEM_CFG_REGION_SIZE].map((o) => [...d.config.read(o, 8)]);

describe('memory device geometry', () => {
  it('[AVP-MEM-39] sets block_size to a power of two and addr, region_size and the sizes to whole blocks, refusing any other geometry', () => {
    const d = new MemDevice({ addr: BASE, regionSize: 64 * MiB, blockSize: BS, requestedSize: 6 * MiB });
    const c = d.config;
    const bs = c.u64(P.MEM_CFG_BLOCK_SIZE);
    expect(bs & (bs - 1n)).toBe(0n);
    for (const off of [P.MEM_CFG_ADDR, P.MEM_CFG_REGION_SIZE, P.MEM_CFG_USABLE_REGION_SIZE, P.MEM_CFG_PLUGGED_SIZE, P.MEM_CFG_REQUESTED_SIZE]) expect(c.u64(off) % bs).toBe(0n);
    expect(P.MEM_CONFIG_SIZE).toBe(56);
    expect(geometryError({ addr: 0, regionSize: 0, blockSize: 4096 })).toBeNull(); // region_size may be 0
    for (const g of [
      { addr: 0, regionSize: 8 * MiB, blockSize: 3 * MiB },
      { addr: MiB, regionSize: 8 * MiB, blockSize: BS },
      { addr: 0, regionSize: 9 * MiB, blockSize: BS },
    ]) {
      expect(geometryError(g)).not.toBeNull();
      expect(() => new MemDevice(g)).toThrow(RangeError);
    }
    expect(() => d.setRequestedSize(3 * MiB)).toThrow(RangeError);
    expect(() => d.setRequestedSize(66 * MiB)).toThrow(RangeError);
  });

  it('[AVP-MEM-40] refuses a block size below 4 KiB', () => {
    expect(geometryError({ addr: 0, regionSize: 8192, blockSize: 2048 })).toMatch(/at least 4096/);
    expect(geometryError({ addr: 0, regionSize: 8192, blockSize: 4096 })).toBeNull();
  });

  it('[AVP-MEM-42] offers ACPI_PXM, with node_id, exactly when the platform names a proximity domain', () => {
    const withNode = new MemDevice({ addr: 0, regionSize: 8 * MiB, blockSize: BS, nodeId: 3 });
    expect(hasFeature(withNode.offeredFeatures(), P.VIRTIO_MEM_F_ACPI_PXM)).toBe(true);
    expect(withNode.config.u16(P.MEM_CFG_NODE_ID)).toBe(3);
    const without = new MemDevice({ addr: 0, regionSize: 8 * MiB, blockSize: BS });
    expect(hasFeature(without.offeredFeatures(), P.VIRTIO_MEM_F_ACPI_PXM)).toBe(false);
    expect(without.config.u16(P.MEM_CFG_NODE_ID)).toBe(0);
    expect([...without.config.read(P.MEM_CFG_PADDING, 6)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => new MemDevice({ addr: 0, regionSize: 8 * MiB, blockSize: BS, nodeId: 0x10000 })).toThrow(RangeError);
  });
});

describe.each(RING_TYPES)('memory device configuration (%s ring)', (ring) => {
  it('[AVP-MEM-41] never changes block_size, node_id, addr or region_size, whatever requests and resets happen', () => {
    const r = rig(ring, { nodeId: 1 });
    const before = fixed(r.dev);
    r.drv.plug(0, 4);
    r.dev.setRequestedSize(40 * MiB);
    r.drv.sync();
    r.drv.unplugAll();
    r.dev.reset();
    r.dev.systemReset();
    r.dev.writeConfig(0, new Uint8Array(56).fill(0xff));
    expect(fixed(r.dev)).toEqual(before);
  });

  it('[AVP-MEM-43] offers UNPLUGGED_INACCESSIBLE and refuses FEATURES_OK to a driver that does not accept it', () => {
    const r = rig(ring);
    expect(hasFeature(r.lb.features, P.VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)).toBe(true);
    const dev = new MemDevice({ addr: BASE, regionSize: 8 * MiB, blockSize: BS });
    expect(() => new Loopback(dev, { ring, features: ALL & ~bit(P.VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE) })).toThrow(/UNPLUGGED_INACCESSIBLE/);
    // A platform that does not offer it (the model allows it, the AVP does not) has nothing to insist on.
    const legacy = new MemDevice({ addr: BASE, regionSize: 8 * MiB, blockSize: BS, unpluggedInaccessible: false });
    expect(() => new Loopback(legacy, { ring })).not.toThrow();
  });

  it('[AVP-MEM-56] keeps the usable region at or above requested_size, growing it with requests and shrinking it only on UNPLUG_ALL and system reset', () => {
    const r = rig(ring); // requested 16 MiB, usable 32 MiB
    expect(r.dev.usableRegionSize).toBe(32 * MiB);
    r.dev.setRequestedSize(40 * MiB);
    expect(r.dev.usableRegionSize).toBe(56 * MiB);
    r.dev.setRequestedSize(60 * MiB);
    expect(r.dev.usableRegionSize).toBe(64 * MiB); // capped at region_size, still >= requested
    r.dev.setRequestedSize(4 * MiB);
    expect(r.dev.usableRegionSize).toBe(64 * MiB); // no shrinking on a smaller request
    r.drv.plug(20);
    r.drv.unplugAll();
    expect(r.dev.usableRegionSize).toBe(20 * MiB); // UNPLUG_ALL: fits requested + extent again
    r.dev.setRequestedSize(32 * MiB);
    expect(r.dev.usableRegionSize).toBe(48 * MiB);
    r.dev.setRequestedSize(2 * MiB);
    r.dev.systemReset();
    expect(r.dev.usableRegionSize).toBe(18 * MiB);
    expect(r.dev.usableRegionSize).toBeGreaterThanOrEqual(r.dev.requestedSize);
  });

  it('[AVP-MEM-57] notifies the driver of every change of requested_size or of the usable region, but not of UNPLUG_ALL', () => {
    const r = rig(ring);
    const n = r.lb.configNotifications;
    r.dev.setRequestedSize(24 * MiB);
    r.dev.setRequestedSize(8 * MiB);
    expect(r.lb.configNotifications).toBe(n + 2);
    r.drv.unplugAll(); // the usable region shrinks: no notification
    expect(r.lb.configNotifications).toBe(n + 2);
  });

  it('[AVP-MEM-58] changes plugged_size without a configuration change notification', () => {
    const r = rig(ring);
    const n = r.lb.configNotifications;
    r.drv.plug(0, 3);
    r.drv.unplug(1);
    expect(r.dev.pluggedSize).toBe(2 * BS);
    expect(r.lb.configNotifications).toBe(n);
  });

  it('[AVP-MEM-59] leaves every block as it was across a device reset', () => {
    const r = rig(ring);
    r.drv.plug(1, 3);
    r.dev.reset();
    expect(r.dev.pluggedSize).toBe(3 * BS);
    expect([0, 1, 2, 3, 4].map((b) => r.dev.blocks.isPlugged(b))).toEqual([false, true, true, true, false]);
    // A new driver finds them plugged and starts with UNPLUG_ALL (§5.15.5).
    const lb = new Loopback(r.dev, { ring });
    expect(r.dev.pluggedSize).toBe(3 * BS);
    expect(new MemDriver(lb).config().pluggedSize).toBe(0);
  });

  it('[AVP-MEM-60] unplugs every block and gives it back to the host on a system reset', () => {
    let back = 0;
    const r = rig(ring, { host: { plug: () => true, unplug: (b) => void (back += b) } });
    r.drv.plug(0, 5);
    r.dev.systemReset();
    expect(r.dev.pluggedSize).toBe(0);
    expect(r.dev.blocks.plugged).toBe(0);
    expect(back).toBe(5 * BS);
  });

  it('[AVP-MEM-61] maps plugged blocks read-write and leaves unplugged ones unmapped', () => {
    const r = rig(ring);
    r.drv.plug(2);
    expect(r.dev.accessOf(2)).toBe('read-write');
    expect(r.dev.accessOf(3)).toBe('none'); // inside the usable region, yet unreachable
    expect(r.dev.accessOf(30)).toBe('none');
    r.drv.unplug(2);
    expect(r.dev.accessOf(2)).toBe('none');
    // Only a device without UNPLUGGED_INACCESSIBLE must let the guest read unplugged usable memory.
    const legacy = rig(ring, { unpluggedInaccessible: false });
    expect(legacy.dev.accessOf(3)).toBe('read-only');
    expect(legacy.dev.accessOf(30)).toBe('none');
  });

  it('[AVP-MEM-20] holds a change of requested_size back while suspended and makes it, with one notification, at resume', () => {
    const r = rig(ring);
    r.dev.suspend();
    const n = r.lb.configNotifications;
    r.dev.setRequestedSize(24 * MiB);
    expect(r.dev.requestedSize).toBe(16 * MiB);
    expect(r.lb.configNotifications).toBe(n);
    r.lb.submit(0, [P.encodeMemRequest(P.VIRTIO_MEM_REQ_PLUG, at(0), 1)], [10]);
    expect(r.dev.pluggedSize).toBe(0); // not taken while suspended
    r.dev.resume();
    expect(r.dev.requestedSize).toBe(24 * MiB);
    expect(r.lb.configNotifications).toBe(n + 1);
    expect(r.dev.pluggedSize).toBe(BS);
    expect(raw(r, [P.encodeMemRequest(P.VIRTIO_MEM_REQ_STATE, at(0), 1)]).state).toBe(P.VIRTIO_MEM_STATE_PLUGGED);
  });
});
