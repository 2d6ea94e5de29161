// The PCI header and the virtio capability list (§4.1.2, §4.1.4): built by the device model,
// walked by the driver, which must survive any bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockDevice } from '../../../../src/lib/devices/block/device.ts';
import { MemoryBlockBackend } from '../../../../src/lib/devices/block/backend.ts';
import { EntropyDevice } from '../../../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../../../src/lib/devices/entropy/source.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { buildConfigHeader, checkRequiredCaps, scanCapabilities } from '../../../../src/lib/virtio/pci/capabilities.ts';
import * as L from '../../../../src/lib/virtio/pci/layout.ts';
import { PciTransport } from '../../../../src/lib/virtio/pci/transport.ts';

const blk = () => new PciTransport(new BlockDevice(new MemoryBlockBackend({ sectors: 8 })), GuestMemory.create(1 << 16));

describe('PCI identification', () => {
  it('[AVP-TRANS-12] vendor 0x1AF4, device 0x1040 + ID, revision 1 or higher, subsystem ID 0x40 or higher', () => {
    const t = blk();
    expect(t.configRead(L.PCI_CFG_VENDOR_ID, 2)).toBe(0x1af4);
    expect(t.configRead(L.PCI_CFG_DEVICE_ID, 2)).toBe(0x1042);
    expect(t.configRead(L.PCI_CFG_REVISION_ID, 1)).toBeGreaterThanOrEqual(1);
    expect(t.configRead(L.PCI_CFG_SUBSYSTEM_ID, 2)).toBeGreaterThanOrEqual(0x40);
    const rng = new PciTransport(new EntropyDevice({ source: new DeterministicEntropySource(1) }), GuestMemory.create(1 << 16));
    expect(rng.configRead(L.PCI_CFG_DEVICE_ID, 2)).toBe(L.pciDeviceId(4));
    expect(L.pciDeviceId(4)).toBe(0x1044);
  });

  it('the common configuration fields have the offsets of §4.1.4.3 and fill 64 bytes', () => {
    let end = 0;
    for (const f of L.COMMON_CFG_FIELDS) {
      expect(f.offset).toBe(end);
      expect(f.offset % f.width).toBe(0);
      end = f.offset + f.width;
    }
    expect(end).toBe(L.COMMON_CFG_SIZE);
    expect(L.commonOffset('queue_desc')).toBe(32);
    expect(() => L.commonOffset('queue_pfn')).toThrow(/no common configuration field named queue_pfn/);
  });
});

describe('capability list', () => {
  it('[AVP-TRANS-13] the device presents common, notification, ISR, device and PCI access capabilities', () => {
    const scan = scanCapabilities(blk().header);
    expect(scan.faults).toEqual([]);
    expect(scan.caps.map((c) => c.cfgType)).toEqual([1, 2, 3, 4, 5]);
    expect(checkRequiredCaps(scan, true)).toEqual([]);
    const notify = scan.chosen.get(L.VIRTIO_PCI_CAP_NOTIFY_CFG)!;
    expect(notify.notifyOffMultiplier).toBe(4);
    expect(notify.length).toBeGreaterThanOrEqual(2);
  });

  it('[AVP-TRANS-13] a device without configuration fields has no device capability and needs none', () => {
    const t = new PciTransport(new EntropyDevice({ source: new DeterministicEntropySource(1) }), GuestMemory.create(1 << 16));
    const scan = scanCapabilities(t.header);
    expect(scan.chosen.has(L.VIRTIO_PCI_CAP_DEVICE_CFG)).toBe(false);
    expect(checkRequiredCaps(scan, false)).toEqual([]);
    expect(checkRequiredCaps(scan, true)).toEqual(['no device-specific configuration capability']);
  });

  it('[AVP-TRANS-14] [AVP-TRANS-32] the driver ignores reserved cfg_type and bar values and uses the first of each type', () => {
    const header = buildConfigHeader({
      virtioDeviceId: 2,
      caps: [
        { cfgType: 7, bar: 0, id: 0, offset: 0, length: 16 },
        { cfgType: L.VIRTIO_PCI_CAP_COMMON_CFG, bar: 6, id: 0, offset: 0x100, length: 64 },
        { cfgType: L.VIRTIO_PCI_CAP_COMMON_CFG, bar: 0, id: 0, offset: 0x200, length: 64 },
        { cfgType: L.VIRTIO_PCI_CAP_COMMON_CFG, bar: 0, id: 1, offset: 0x300, length: 64 },
      ],
    });
    const scan = scanCapabilities(header);
    expect(scan.ignored.map((i) => i.reason)).toEqual(['reserved cfg_type 7', 'reserved bar 6']);
    expect(scan.chosen.get(L.VIRTIO_PCI_CAP_COMMON_CFG)?.offset).toBe(0x200);
  });

  it('[AVP-TRANS-31] a capability longer than specified is accepted', () => {
    const header = buildConfigHeader({ virtioDeviceId: 2, caps: [{ cfgType: 1, bar: 0, id: 0, offset: 0, length: 64 }] });
    header[0x42] = 24; // cap_len with extra padding
    expect(scanCapabilities(header).caps).toHaveLength(1);
  });

  it('[AVP-TRANS-33] stops at a looping list and a pointer into the header, and reports them and a short capability', () => {
    const base = () => buildConfigHeader({ virtioDeviceId: 2, caps: [{ cfgType: 1, bar: 0, id: 0, offset: 0, length: 64 }] });
    const loop = base();
    loop[0x41] = 0x40;
    const looped = scanCapabilities(loop);
    expect(looped.faults).toHaveLength(1);
    expect(looped.faults[0]).toMatch(/loops back to 0x40/);
    expect(looped.caps).toHaveLength(1); // the capability is read once, then the walk ends
    const low = base();
    low[0x34] = 0x20;
    const outside = scanCapabilities(low);
    expect(outside.faults).toHaveLength(1);
    expect(outside.faults[0]).toMatch(/outside 0x40/);
    expect(outside.caps).toHaveLength(0); // nothing is read from the standard header
    const short = base();
    short[0x42] = 8;
    expect(scanCapabilities(short).faults[0]).toMatch(/cap_len 8/);
  });

  it('checkRequiredCaps names misaligned structures and a bad multiplier', () => {
    const header = buildConfigHeader({
      virtioDeviceId: 2,
      caps: [
        { cfgType: 1, bar: 0, id: 0, offset: 2, length: 64 },
        { cfgType: 2, bar: 0, id: 0, offset: 1, length: 8, notifyOffMultiplier: 3 },
        { cfgType: 3, bar: 0, id: 0, offset: 0x1000, length: 1 },
        { cfgType: 5, bar: 0, id: 0, offset: 0, length: 0 },
      ],
    });
    expect(checkRequiredCaps(scanCapabilities(header), false)).toEqual([
      'common configuration offset is not 4-byte aligned',
      'notification offset is not 2-byte aligned',
      'notify_off_multiplier 3 is not 0 or a power of 2',
    ]);
  });

  it('walking any 256 bytes never throws and never visits a capability twice', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 256, maxLength: 256 }), (bytes) => {
        bytes[L.PCI_CFG_STATUS] |= L.PCI_STATUS_CAP_LIST;
        const scan = scanCapabilities(bytes);
        const starts = scan.caps.map((c) => c.at);
        expect(new Set(starts).size).toBe(starts.length);
        expect(scan.faults.filter((f) => /pointer|loops/.test(f)).length).toBeLessThanOrEqual(1);
        for (const c of scan.caps) expect(c.at).toBeGreaterThanOrEqual(0x40);
      }),
      { numRuns: 300 },
    );
  });
});
