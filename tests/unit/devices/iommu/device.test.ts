// The virtio-iommu device (VIRTIO 1.4 §5.13) request by request, on both ring layouts: the
// configuration and features, the bypass rules, ATTACH, DETACH, MAP, UNMAP and PROBE with every
// way each is refused, and the address space an endpoint sees after each.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { bit, VIRTIO_F_SUSPEND } from '../../../../src/lib/virtio/feature-bits.ts';
import { IommuDevice, VIRTIO_ID_IOMMU } from '../../../../src/lib/devices/iommu/device.ts';
import { IommuDriver } from '../../../../src/lib/devices/iommu/driver.ts';
import * as C from '../../../../src/lib/devices/iommu/config.ts';
import * as P from '../../../../src/lib/devices/iommu/protocol.ts';
import { declining, dmaRead, dmaWrite, GUEST_RAM, MSI, needsReset, PAGE, PLATFORM_WINDOW, raw, rig } from './harness.ts';

const RW = P.VIRTIO_IOMMU_MAP_F_READ | P.VIRTIO_IOMMU_MAP_F_WRITE;
const { VIRTIO_IOMMU_S_OK: OK, VIRTIO_IOMMU_S_INVAL: INVAL, VIRTIO_IOMMU_S_RANGE: RANGE, VIRTIO_IOMMU_S_NOENT: NOENT, VIRTIO_IOMMU_S_UNSUPP: UNSUPP } = P;
const text = (s: string) => new TextEncoder().encode(s);

describe.each(RING_TYPES)('virtio-iommu device and configuration (%s ring)', (ring) => {
  it('[AVP-IOMMU-1] has device ID 23, a request queue (0) and an event queue (1)', () => {
    const r = rig(ring);
    expect(VIRTIO_ID_IOMMU).toBe(23);
    expect(r.dev.deviceId).toBe(23);
    expect(r.dev.queueCount()).toBe(2);
    expect(r.lb.queues).toHaveLength(2);
    r.drv.postEventBuffers(1);
    expect(r.drv.attach(1, 1)).toBe(OK); // answered on queue 0
    expect(dmaRead(r, 1, 0x8000, 4)).toBe('IOMMU_FAULT');
    expect(r.drv.faults()).toHaveLength(1); // reported on queue 1
  });

  it('[AVP-IOMMU-2] [AVP-IOMMU-3] [AVP-IOMMU-4] [AVP-IOMMU-5] [AVP-IOMMU-6] offers MAP_UNMAP, INPUT_RANGE, DOMAIN_RANGE, PROBE and BYPASS_CONFIG, never BYPASS or MMIO; SUSPEND like every model', () => {
    const r = rig(ring);
    const f = r.dev.offeredFeatures();
    for (const b of [P.VIRTIO_IOMMU_F_MAP_UNMAP, P.VIRTIO_IOMMU_F_INPUT_RANGE, P.VIRTIO_IOMMU_F_DOMAIN_RANGE, P.VIRTIO_IOMMU_F_PROBE, P.VIRTIO_IOMMU_F_BYPASS_CONFIG]) expect(f & bit(b)).not.toBe(0n);
    for (const b of [P.VIRTIO_IOMMU_F_BYPASS, P.VIRTIO_IOMMU_F_MMIO]) expect(f & bit(b)).toBe(0n);
    expect(f & bit(VIRTIO_F_SUSPEND)).not.toBe(0n);
    expect(f & 0xffffffn).toBe(0x57n); // bits 0, 1, 2, 4, 6
  });

  it('[AVP-IOMMU-7] [AVP-IOMMU-8] [AVP-IOMMU-9] reports a 4 KiB granule, IOVAs [0, 2^48 - 1], domains from 1, and refuses wider or coarser settings', () => {
    const r = rig(ring);
    const c = r.dev.config;
    expect(c.u64(C.IOMMU_CFG_PAGE_SIZE_MASK)).toBe(0x4020_1000n);
    expect([c.u64(C.IOMMU_CFG_INPUT_START), c.u64(C.IOMMU_CFG_INPUT_END)]).toEqual([0n, (1n << 48n) - 1n]);
    expect([c.u32(C.IOMMU_CFG_DOMAIN_START), c.u32(C.IOMMU_CFG_DOMAIN_END)]).toEqual([1, 255]);
    expect(c.u32(C.IOMMU_CFG_PROBE_SIZE)).toBe(128);
    expect(c.u8(C.IOMMU_CFG_BYPASS)).toBe(0);
    expect(r.drv.granule).toBe(PAGE);
    const memory = GuestMemory.create(PAGE);
    const make = (o: object) => () => new IommuDevice({ memory, endpoints: [{ id: 1 }], ...o });
    expect(make({ pageSizeMask: 1n << 13n })).toThrow(/granule above 4 KiB/);
    expect(make({ pageSizeMask: 0n })).toThrow(RangeError);
    expect(make({ inputRange: { start: 0, end: 2 ** 48 } })).toThrow(/up to 2\^48 - 1/);
    expect(make({ inputRange: { start: PAGE, end: 2 ** 32 - 1 } })).toThrow(/from 0/);
    expect(make({ inputRange: { start: 0, end: 2 ** 32 - 1 }, pageSizeMask: 1n })).not.toThrow();
  });

  it('[AVP-IOMMU-10] [AVP-IOMMU-13] starts with bypass 0: an endpoint not attached reaches no memory at all', () => {
    const r = rig(ring);
    expect(r.drv.bypass).toBe(0);
    expect(r.dev.mappings(1)).toEqual([]);
    expect(dmaRead(r, 1, 0, 4)).toBe('IOMMU_FAULT');
    expect(dmaWrite(r, 3, GUEST_RAM - 4, Uint8Array.of(1))).toBe('IOMMU_FAULT');
    expect(r.dev.mappings(99)).toEqual([]); // an endpoint the device does not manage: nothing either
  });

  it('[AVP-IOMMU-11] keeps bypass across a device reset and restores the boot value at a system reset', () => {
    const r = rig(ring);
    r.drv.setBypass(1);
    expect(r.dev.mappings(1)).toBe('bypass');
    const again = new Loopback(r.dev, { ring }); // the driver resets the device and starts over
    expect(again.device.config.u8(C.IOMMU_CFG_BYPASS)).toBe(1);
    expect(r.dev.mappings(1)).toBe('bypass');
    r.dev.systemReset();
    expect(r.dev.config.u8(C.IOMMU_CFG_BYPASS)).toBe(0);
    expect(r.dev.mappings(1)).toEqual([]);
  });

  it('[AVP-IOMMU-12] ignores a bypass value other than 0 or 1, a bypass write without BYPASS_CONFIG, and writes to any other field', () => {
    const r = rig(ring);
    r.dev.writeConfig(C.IOMMU_CFG_BYPASS, Uint8Array.of(2));
    r.dev.writeConfig(C.IOMMU_CFG_BYPASS, Uint8Array.of(0xff));
    expect(r.drv.bypass).toBe(0);
    r.dev.writeConfig(C.IOMMU_CFG_PAGE_SIZE_MASK, new Uint8Array(8).fill(0xff));
    r.dev.writeConfig(C.IOMMU_CFG_INPUT_END, new Uint8Array(8));
    expect(r.dev.config.u64(C.IOMMU_CFG_PAGE_SIZE_MASK)).toBe(0x4020_1000n);
    expect(r.dev.config.u64(C.IOMMU_CFG_INPUT_END)).toBe((1n << 48n) - 1n);
    expect(r.dev.requests.configWritesIgnored).toBe(4);
    // Without VIRTIO_IOMMU_F_BYPASS_CONFIG accepted, bypass stays what it is.
    const d = rig(ring, {}, { features: declining(P.VIRTIO_IOMMU_F_BYPASS_CONFIG) });
    d.dev.writeConfig(C.IOMMU_CFG_BYPASS, Uint8Array.of(1));
    expect(d.dev.config.u8(C.IOMMU_CFG_BYPASS)).toBe(0);
    expect(d.dev.mappings(1)).toEqual([]);
  });
});

describe.each(RING_TYPES)('virtio-iommu bypass rules (%s ring)', (ring) => {
  it('[AVP-IOMMU-14] bypasses an unattached endpoint exactly while bypass is 1, and an attached one exactly in a bypass domain', () => {
    const r = rig(ring);
    r.memory.write(0x4000, text('mem'));
    r.drv.setBypass(1);
    expect(new TextDecoder().decode(dmaRead(r, 1, 0x4000, 3) as Uint8Array)).toBe('mem');
    expect(r.drv.attach(1, 1)).toBe(OK); // attached to a translating domain: bypass no longer applies
    expect(dmaRead(r, 1, 0x4000, 3)).toBe('IOMMU_FAULT');
    expect(r.drv.attach(2, 3, { bypass: true })).toBe(OK);
    expect(r.dev.mappings(3)).toBe('bypass');
    r.drv.setBypass(0);
    expect(r.dev.mappings(3)).toBe('bypass'); // a bypass domain does not depend on the field
    expect(r.dev.mappings(2)).toEqual([]);
  });

  it('[AVP-IOMMU-14] with a boot bypass of 1 the field applies even when the driver declines BYPASS_CONFIG', () => {
    const r = rig(ring, { bootBypass: true }, { features: declining(P.VIRTIO_IOMMU_F_BYPASS_CONFIG) });
    expect(r.dev.mappings(2)).toBe('bypass');
    expect(r.drv.attach(1, 2)).toBe(OK);
    expect(r.dev.mappings(2)).toEqual([]);
  });

  it('[AVP-IOMMU-14] with the superseded VIRTIO_IOMMU_F_BYPASS, unattached endpoints bypass only once it is negotiated', () => {
    const memory = GuestMemory.create(GUEST_RAM);
    const dev = new IommuDevice({ memory, endpoints: [{ id: 1 }], bypassFeature: 'legacy' });
    expect(dev.offeredFeatures() & bit(P.VIRTIO_IOMMU_F_BYPASS)).not.toBe(0n);
    expect(dev.offeredFeatures() & bit(P.VIRTIO_IOMMU_F_BYPASS_CONFIG)).toBe(0n);
    expect(dev.mappings(1)).toEqual([]);
    new Loopback(dev, { ring });
    expect(dev.mappings(1)).toBe('bypass');
    new Loopback(dev, { ring, features: declining(P.VIRTIO_IOMMU_F_BYPASS) });
    expect(dev.mappings(1)).toEqual([]);
  });
});

describe.each(RING_TYPES)('virtio-iommu translation (%s ring)', (ring) => {
  it('[AVP-IOMMU-15] lets an attached endpoint reach exactly its domain\'s mappings, each at the guest-physical address it names', () => {
    const r = rig(ring);
    r.memory.write(0x2_0000, text('buffer at 0x20000'));
    expect(r.drv.attach(1, 1)).toBe(OK);
    expect(r.drv.map(1, 0x1000_0000, PAGE, 0x2_0000)).toBe(OK);
    expect(new TextDecoder().decode(dmaRead(r, 1, 0x1000_0000, 17) as Uint8Array)).toBe('buffer at 0x20000');
    expect(dmaRead(r, 1, 0x2_0000, 4)).toBe('IOMMU_FAULT'); // the guest-physical address is not an IOVA here
    expect(dmaRead(r, 1, 0x1000_0000 + PAGE - 2, 4)).toBe('IOMMU_FAULT'); // runs off the mapping
    expect(dmaRead(r, 2, 0x1000_0000, 4)).toBe('IOMMU_FAULT'); // another endpoint, not in the domain
  });

  it('[AVP-IOMMU-15] joins mappings that continue each other, so a buffer may span two MAP requests', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    r.drv.map(1, 0x10_1000, PAGE, 0x4000);
    r.drv.map(1, 0x10_2000, PAGE, 0x9000); // continues in IOVA only
    expect(r.dev.mappings(1)).toEqual([
      { iova: 0x10_0000, size: 2 * PAGE, gpa: 0x3000, read: true, write: true },
      { iova: 0x10_2000, size: PAGE, gpa: 0x9000, read: true, write: true },
    ]);
    expect(dmaRead(r, 1, 0x10_0ffc, 8)).toBeInstanceOf(Uint8Array);
    expect(r.dev.spaces.mappingsOf(1)).toHaveLength(3); // still three mappings to unmap one by one
  });

  it('[AVP-IOMMU-16] [AVP-IOMMU-17] refuses a write through a mapping without WRITE and a read through one without READ', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000, P.VIRTIO_IOMMU_MAP_F_READ);
    r.drv.map(1, 0x20_0000, PAGE, 0x5000, P.VIRTIO_IOMMU_MAP_F_WRITE);
    r.drv.map(1, 0x30_0000, PAGE, 0x6000, 0);
    expect(dmaRead(r, 1, 0x10_0000, 4)).toBeInstanceOf(Uint8Array);
    expect(dmaWrite(r, 1, 0x10_0000, Uint8Array.of(1))).toBe('IOMMU_FAULT');
    expect(r.memory.read(0x3000, 1)[0]).toBe(0);
    expect(dmaWrite(r, 1, 0x20_0000, Uint8Array.of(7))).toBe('ok');
    expect(r.memory.read(0x5000, 1)[0]).toBe(7);
    expect(dmaRead(r, 1, 0x20_0000, 1)).toBe('IOMMU_FAULT');
    expect(dmaRead(r, 1, 0x30_0000, 1)).toBe('IOMMU_FAULT');
    expect(dmaWrite(r, 1, 0x30_0000, Uint8Array.of(1))).toBe('IOMMU_FAULT');
  });

  it('[AVP-IOMMU-18] cuts an endpoint off its domain\'s mappings at DETACH', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.attach(1, 2);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    expect(r.drv.detach(1, 1)).toBe(OK);
    expect(dmaRead(r, 1, 0x10_0000, 4)).toBe('IOMMU_FAULT');
    expect(dmaRead(r, 2, 0x10_0000, 4)).toBeInstanceOf(Uint8Array); // the domain lives on with endpoint 2
  });

  it('[AVP-IOMMU-20] refuses with FAULT a MAP whose guest-physical range is not all guest memory', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    expect(r.drv.map(1, 0x10_0000, PAGE, GUEST_RAM)).toBe(P.VIRTIO_IOMMU_S_FAULT);
    expect(r.drv.map(1, 0x10_0000, 2 * PAGE, GUEST_RAM - PAGE)).toBe(P.VIRTIO_IOMMU_S_FAULT);
    expect(r.dev.requests.status.FAULT).toBe(2);
    const big = P.encodeMap({ domain: 1, virtStart: 0x10_0000, virtEnd: 0x10_0fff, physStart: 0xffff_ffff_ffff_f000n, flags: RW });
    expect(r.drv.send(big).status).toBe(P.VIRTIO_IOMMU_S_FAULT);
    expect(r.dev.spaces.totalMappings).toBe(0);
    expect(r.drv.map(1, 0x10_0000, PAGE, GUEST_RAM - PAGE)).toBe(OK);
    // Guest memory in two regions with a hole: a range across the hole is not guest memory.
    const memory = new GuestMemory([{ base: 0, bytes: new Uint8Array(0x4000) }, { base: 0x8000, bytes: new Uint8Array(0x4000) }]);
    const two = rig(ring, { memory });
    two.drv.attach(1, 1);
    expect(two.drv.map(1, 0, 0xc000, 0)).toBe(P.VIRTIO_IOMMU_S_FAULT);
    expect(two.drv.map(1, 0x8000, 0x4000, 0x8000)).toBe(OK);
  });

  it('[AVP-IOMMU-21] manages only the endpoints the platform gave it: another guest\'s endpoint is NOENT', () => {
    const cluster = rig(ring);
    const ivi = rig(ring, { endpoints: [{ id: 7 }] });
    expect(cluster.drv.attach(1, 7)).toBe(NOENT);
    expect(cluster.drv.send(P.encodeProbe(7), 132).status).toBe(NOENT);
    expect(ivi.drv.attach(1, 1)).toBe(NOENT);
    expect(ivi.drv.attach(1, 7)).toBe(OK);
    ivi.memory.write(0x2000, text('ivi'));
    ivi.drv.map(1, 0x2000, PAGE, 0x2000);
    expect(dmaRead(ivi, 7, 0x2000, 3)).toBeInstanceOf(Uint8Array);
    expect(cluster.dev.mappings(7)).toEqual([]); // the cluster's IOMMU gives endpoint 7 nothing
  });
});

describe.each(RING_TYPES)('virtio-iommu requests in general (%s ring)', (ring) => {
  it('[AVP-IOMMU-23] hands back a request of an unknown type with used length 0, writing nothing', () => {
    const r = rig(ring);
    for (const t of [0, 6, 0x7f, 0xff]) {
      const req = new Uint8Array(36);
      req[0] = t;
      const a = raw(r.lb, [req], [4]);
      expect(a.len).toBe(0);
      expect([...a.written]).toEqual([0xee, 0xee, 0xee, 0xee]);
    }
    expect(r.dev.requests.unknownType).toBe(4);
    expect(needsReset(r.lb)).toBe(false);
  });

  it('[AVP-IOMMU-24] [AVP-IOMMU-25] hands back, unwritten and counted, a chain without a whole head or without room for the tail, and keeps working', () => {
    const r = rig(ring);
    expect(raw(r.lb, [Uint8Array.of(1, 0, 0)], [4]).len).toBe(0);
    expect(raw(r.lb, [], [4]).len).toBe(0);
    const noTail = raw(r.lb, [P.encodeAttach({ domain: 1, endpoint: 1 })], [3]);
    expect(noTail.len).toBe(0);
    expect([...noTail.written]).toEqual([0xee, 0xee, 0xee]);
    expect(raw(r.lb, [P.encodeAttach({ domain: 1, endpoint: 1 })], []).len).toBe(0);
    expect([r.dev.requests.noHead, r.dev.requests.noTail]).toEqual([2, 2]);
    expect(r.dev.spaces.domainOf(1)).toBeNull(); // the ATTACH without a tail was not carried out
    expect(needsReset(r.lb)).toBe(false);
    expect(r.drv.attach(1, 1)).toBe(OK);
  });

  it('[AVP-IOMMU-25] needs a reset for a broken ring, never for what a request holds', () => {
    const r = rig(ring);
    for (let i = 0; i < 8; i++) raw(r.lb, [new Uint8Array(40).fill(i * 37)], [4]);
    expect(needsReset(r.lb)).toBe(false);
    r.lb.queues[0].add([{ addr: 0x7fff_0000, len: 20, writable: false }, { addr: 0x100, len: 4, writable: true }]);
    r.dev.queueNotify(0);
    expect(needsReset(r.lb)).toBe(true);
    expect(r.lb.error?.code).toBe('ADDR_OUT_OF_RANGE');
  });

  it('[AVP-IOMMU-26] [AVP-IOMMU-27] puts the status in the last four bytes of the writable part, zeros before it and in the reserved bytes', () => {
    const r = rig(ring);
    const exact = raw(r.lb, [P.encodeAttach({ domain: 1, endpoint: 1 })], [4]);
    expect([exact.len, ...exact.written]).toEqual([4, OK, 0, 0, 0]);
    const wide = raw(r.lb, [P.encodeAttach({ domain: 2, endpoint: 9 })], [6, 6]);
    expect(wide.len).toBe(12);
    expect([...wide.written]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, NOENT, 0, 0, 0]);
    // The readable part split anywhere reads the same.
    const req = P.encodeMap({ domain: 1, virtStart: 0x10_0000, virtEnd: 0x10_0fff, physStart: 0x3000, flags: RW });
    const split = raw(r.lb, [req.subarray(0, 3), req.subarray(3, 17), req.subarray(17)], [2, 2]);
    expect([split.len, ...split.written]).toEqual([4, OK, 0, 0, 0]);
  });

  it('[AVP-IOMMU-28] ignores the reserved bytes of the head', () => {
    const r = rig(ring);
    const req = P.encodeAttach({ domain: 1, endpoint: 1 });
    req.set([0xaa, 0xbb, 0xcc], 1);
    expect(r.drv.send(req).status).toBe(OK);
    expect(r.dev.spaces.domainOf(1)).toBe(1);
  });

  it('[AVP-IOMMU-29] answers INVAL for a request shorter than its type\'s fields, and does nothing', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    const whole = [
      P.encodeAttach({ domain: 2, endpoint: 2 }),
      P.encodeDetach({ domain: 1, endpoint: 1 }),
      P.encodeMap({ domain: 1, virtStart: 0, virtEnd: 0xfff, physStart: 0x3000, flags: RW }),
      P.encodeUnmap({ domain: 1, virtStart: 0, virtEnd: 0xfff }),
      P.encodeProbe(1),
    ];
    for (const req of whole) expect(r.drv.send(req.subarray(0, req.length - 1), req[0] === P.VIRTIO_IOMMU_T_PROBE ? 132 : 4).status).toBe(INVAL);
    expect(r.dev.spaces.domainOf(1)).toBe(1);
    expect(r.dev.spaces.domainOf(2)).toBeNull();
    expect(r.dev.spaces.totalMappings).toBe(0);
    // Bytes past the fields are ignored.
    expect(r.drv.send(new Uint8Array([...P.encodeAttach({ domain: 2, endpoint: 2 }), 1, 2, 3])).status).toBe(OK);
  });

  it('[AVP-IOMMU-30] answers UNSUPP for MAP and UNMAP without MAP_UNMAP, and for PROBE without PROBE negotiated', () => {
    const r = rig(ring, {}, { features: declining(P.VIRTIO_IOMMU_F_MAP_UNMAP, P.VIRTIO_IOMMU_F_PROBE) });
    expect(r.drv.attach(1, 1)).toBe(OK);
    expect(r.drv.map(1, 0, PAGE, 0x3000)).toBe(UNSUPP);
    expect(r.drv.unmap(1, 0, PAGE)).toBe(UNSUPP);
    expect(r.drv.send(P.encodeProbe(1), 132).status).toBe(UNSUPP);
    expect(r.dev.spaces.totalMappings).toBe(0);
    // Not offered at all: a PROBE goes back unwritten (§5.13.6.7.2).
    const n = rig(ring, { probe: false });
    expect(n.dev.config.u32(C.IOMMU_CFG_PROBE_SIZE)).toBe(0);
    expect(raw(n.lb, [P.encodeProbe(1)], [132]).len).toBe(0);
    expect(n.dev.requests.probeNotOffered).toBe(1);
  });

  it('[AVP-IOMMU-31] answers RANGE for a domain outside domain_range, in every request that names one', () => {
    const r = rig(ring);
    for (const d of [0, 256, 0xffff_ffff]) {
      expect(r.drv.attach(d, 1)).toBe(RANGE);
      expect(r.drv.detach(d, 1)).toBe(RANGE);
      expect(r.drv.map(d, 0, PAGE, 0x3000)).toBe(RANGE);
      expect(r.drv.unmap(d, 0, PAGE)).toBe(RANGE);
    }
    expect(r.dev.spaces.domainIds()).toEqual([]);
    expect(r.drv.attach(255, 1)).toBe(OK);
  });

  it('[AVP-IOMMU-32] answers RANGE for a MAP or UNMAP that leaves input_range', () => {
    const r = rig(ring, { inputRange: { start: 0, end: 0xffff_ffff } });
    r.drv.attach(1, 1);
    expect(r.drv.map(1, 0xffff_f000, 2 * PAGE, 0x3000)).toBe(RANGE);
    expect(r.drv.map(1, 0xffff_f000, PAGE, 0x3000)).toBe(OK);
    expect(r.drv.unmap(1, 0xffff_f000, 2 * PAGE)).toBe(RANGE);
    expect(r.dev.spaces.totalMappings).toBe(1);
    const top = P.encodeMap({ domain: 1, virtStart: 0xffff_ffff_ffff_f000n, virtEnd: 0xffff_ffff_ffff_ffffn, physStart: 0x3000, flags: RW });
    expect(r.drv.send(top).status).toBe(RANGE);
  });

  it('[AVP-IOMMU-33] reports the first check a request fails, in the order the chapter lists', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    const map = (o: Partial<P.MapRequest>) => r.drv.send(P.encodeMap({ domain: 1, virtStart: 0x20_0000, virtEnd: 0x20_0fff, physStart: 0x4000, flags: RW, ...o })).status;
    expect(map({ flags: 8, domain: 7 })).toBe(INVAL); //                         flags before domain
    expect(map({ domain: 0, virtStart: 1 })).toBe(RANGE); //                     domain range before the rest
    expect(map({ domain: 7, virtStart: 1 })).toBe(NOENT); //                     domain before alignment
    expect(map({ virtStart: 0x20_1000, virtEnd: 0x20_0fff })).toBe(INVAL); //    order of start and end before range
    expect(map({ virtStart: 1, physStart: GUEST_RAM })).toBe(RANGE); //          alignment before the physical range
    expect(map({ virtStart: 0x10_0000, virtEnd: 0x10_0fff, physStart: GUEST_RAM })).toBe(P.VIRTIO_IOMMU_S_FAULT); // physical range before overlap
    expect(map({ virtStart: MSI.start, virtEnd: MSI.start + 0xfff })).toBe(INVAL);
    const attach = (o: Partial<P.AttachRequest>) => r.drv.send(P.encodeAttach({ domain: 2, endpoint: 2, ...o })).status;
    expect(attach({ reserved: 1, flags: 2, endpoint: 9 })).toBe(INVAL); //        reserved first
    expect(attach({ flags: 2, endpoint: 9 })).toBe(INVAL); //                     flags before endpoint
    expect(attach({ endpoint: 9, domain: 0 })).toBe(NOENT); //                    endpoint before domain range
    expect(attach({ domain: 1, flags: P.VIRTIO_IOMMU_ATTACH_F_BYPASS })).toBe(INVAL); // bypass mismatch
  });
});

describe.each(RING_TYPES)('ATTACH (%s ring)', (ring) => {
  it('[AVP-IOMMU-34] refuses an ATTACH with reserved bytes set, with INVAL', () => {
    const r = rig(ring);
    for (const reserved of [1, 0x100, 0x8000_0000]) expect(r.drv.send(P.encodeAttach({ domain: 1, endpoint: 1, reserved })).status).toBe(INVAL);
    expect(r.dev.spaces.domainOf(1)).toBeNull();
  });

  it('[AVP-IOMMU-35] refuses unknown flags with INVAL, ATTACH_F_BYPASS included when BYPASS_CONFIG was not negotiated', () => {
    const r = rig(ring);
    for (const flags of [2, 0x8000_0000, 3]) expect(r.drv.send(P.encodeAttach({ domain: 1, endpoint: 1, flags })).status).toBe(INVAL);
    expect(r.drv.attach(1, 1, { bypass: true })).toBe(OK);
    const d = rig(ring, {}, { features: declining(P.VIRTIO_IOMMU_F_BYPASS_CONFIG) });
    expect(d.drv.attach(1, 1, { bypass: true })).toBe(INVAL);
    expect(d.dev.spaces.domainOf(1)).toBeNull();
  });

  it('[AVP-IOMMU-36] refuses an endpoint it does not manage with NOENT', () => {
    const r = rig(ring);
    for (const ep of [0, 4, 0xffff_ffff]) expect(r.drv.attach(1, ep)).toBe(NOENT);
    expect(r.dev.spaces.domainIds()).toEqual([]);
  });

  it('[AVP-IOMMU-37] refuses an ATTACH whose bypass flag does not match the domain, and leaves the endpoint where it was', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.attach(2, 2, { bypass: true });
    r.drv.attach(3, 3);
    r.drv.map(3, 0x10_0000, PAGE, 0x3000);
    expect(r.drv.attach(1, 3, { bypass: true })).toBe(INVAL);
    expect(r.drv.attach(2, 3)).toBe(INVAL);
    expect(r.dev.spaces.domainOf(3)).toBe(3);
    expect(dmaRead(r, 3, 0x10_0000, 4)).toBeInstanceOf(Uint8Array);
  });

  it('[AVP-IOMMU-38] moves an endpoint attached elsewhere, as a DETACH then an ATTACH (its old lone domain ceases to exist)', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    r.drv.attach(2, 2);
    r.drv.map(2, 0x20_0000, PAGE, 0x4000);
    expect(r.drv.attach(2, 1)).toBe(OK);
    expect(r.dev.spaces.domainOf(1)).toBe(2);
    expect(r.dev.spaces.domainIds()).toEqual([2]);
    expect(dmaRead(r, 1, 0x10_0000, 4)).toBe('IOMMU_FAULT');
    expect(dmaRead(r, 1, 0x20_0000, 4)).toBeInstanceOf(Uint8Array);
    expect(r.drv.attach(2, 1)).toBe(OK); // already there: nothing changes
    expect(r.dev.spaces.domainOf(1)).toBe(2);
  });

  it('[AVP-IOMMU-39] attaches several endpoints to one domain, all seeing its mappings', () => {
    const r = rig(ring);
    for (const ep of [1, 2, 3]) expect(r.drv.attach(5, ep)).toBe(OK);
    r.drv.map(5, 0x10_0000, PAGE, 0x3000);
    for (const ep of [1, 2, 3]) expect(dmaRead(r, ep, 0x10_0000, 4)).toBeInstanceOf(Uint8Array);
  });

  it('[AVP-IOMMU-40] refuses with UNSUPP an endpoint whose reserved regions the domain has mapped', () => {
    const r = rig(ring);
    r.drv.attach(1, 3);
    expect(r.drv.map(1, MSI.start, PAGE, 0x3000)).toBe(OK); // endpoint 3 has no MSI region
    expect(r.drv.attach(1, 1)).toBe(UNSUPP);
    expect(r.dev.spaces.domainOf(1)).toBeNull();
    expect(r.drv.attach(2, 1)).toBe(OK);
  });
});

describe.each(RING_TYPES)('DETACH (%s ring)', (ring) => {
  it('[AVP-IOMMU-41] ignores the reserved bytes of a DETACH', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    expect(r.drv.send(P.encodeDetach({ domain: 1, endpoint: 1, reserved: 0xdead_beef })).status).toBe(OK);
    expect(r.dev.spaces.domainOf(1)).toBeNull();
  });

  it('[AVP-IOMMU-42] refuses an endpoint it does not manage with NOENT', () => {
    const r = rig(ring);
    expect(r.drv.detach(1, 42)).toBe(NOENT);
  });

  it('[AVP-IOMMU-43] refuses with INVAL a DETACH from a domain the endpoint is not attached to', () => {
    const r = rig(ring);
    expect(r.drv.detach(1, 1)).toBe(INVAL); // attached nowhere
    r.drv.attach(1, 1);
    r.drv.attach(2, 2);
    expect(r.drv.detach(2, 1)).toBe(INVAL);
    expect(r.drv.detach(9, 1)).toBe(INVAL); // no such domain
    expect(r.dev.spaces.domainOf(1)).toBe(1);
  });

  it('[AVP-IOMMU-44] ends a domain with its last endpoint: the ID starts afresh, with no mappings', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    expect(r.drv.detach(1, 1)).toBe(OK);
    expect(r.dev.spaces.domainIds()).toEqual([]);
    expect(r.drv.map(1, 0x10_0000, PAGE, 0x3000)).toBe(NOENT);
    r.drv.attach(1, 2, { bypass: true }); // the ID may even come back as a bypass domain
    expect(r.dev.mappings(2)).toBe('bypass');
    expect(r.dev.spaces.totalMappings).toBe(0);
  });
});

describe.each(RING_TYPES)('MAP (%s ring)', (ring) => {
  it('[AVP-IOMMU-45] refuses unknown flags with INVAL, MMIO included since VIRTIO_IOMMU_F_MMIO is not negotiated', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    for (const flags of [P.VIRTIO_IOMMU_MAP_F_MMIO, RW | P.VIRTIO_IOMMU_MAP_F_MMIO, 8, 0x8000_0000]) expect(r.drv.map(1, 0x10_0000, PAGE, 0x3000, flags)).toBe(INVAL);
    expect(r.dev.spaces.totalMappings).toBe(0);
  });

  it('[AVP-IOMMU-46] [AVP-IOMMU-47] refuses a domain that does not exist with NOENT and a bypass domain with INVAL', () => {
    const r = rig(ring);
    expect(r.drv.map(1, 0x10_0000, PAGE, 0x3000)).toBe(NOENT);
    r.drv.attach(2, 1, { bypass: true });
    expect(r.drv.map(2, 0x10_0000, PAGE, 0x3000)).toBe(INVAL);
    expect(r.dev.spaces.totalMappings).toBe(0);
  });

  it('[AVP-IOMMU-48] refuses with INVAL a MAP whose virt_end is below virt_start', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    expect(r.drv.send(P.encodeMap({ domain: 1, virtStart: 0x2000, virtEnd: 0xfff, physStart: 0x3000, flags: RW })).status).toBe(INVAL);
  });

  it('[AVP-IOMMU-49] refuses with RANGE a MAP whose virt_start, phys_start or virt_end + 1 is not on the granule', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    const map = (vs: number, ve: number, ps: number) => r.drv.send(P.encodeMap({ domain: 1, virtStart: vs, virtEnd: ve, physStart: ps, flags: RW })).status;
    expect(map(0x10_0800, 0x10_17ff, 0x3000)).toBe(RANGE);
    expect(map(0x10_0000, 0x10_0fff, 0x3800)).toBe(RANGE);
    expect(map(0x10_0000, 0x10_0ffe, 0x3000)).toBe(RANGE);
    expect(map(0x10_0000, 0x10_0000, 0x3000)).toBe(RANGE);
    expect(map(0x10_0000, 0x10_0fff, 0x3000)).toBe(OK);
    // A byte granule (bit 0) makes any alignment fine.
    const b = rig(ring, { pageSizeMask: 1n });
    b.drv.attach(1, 1);
    expect(b.drv.send(P.encodeMap({ domain: 1, virtStart: 3, virtEnd: 9, physStart: 0x3001, flags: RW })).status).toBe(OK);
  });

  it('[AVP-IOMMU-50] refuses with INVAL a MAP that overlaps a mapping of the domain', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, 2 * PAGE, 0x3000);
    expect(r.drv.map(1, 0x10_1000, PAGE, 0x8000)).toBe(INVAL);
    expect(r.drv.map(1, 0xf_f000, 2 * PAGE, 0x8000)).toBe(INVAL);
    expect(r.drv.map(1, 0xf_0000, 0x2_0000, 0x8000)).toBe(INVAL);
    expect(r.drv.map(1, 0x10_2000, PAGE, 0x8000)).toBe(OK);
    r.drv.attach(2, 2);
    expect(r.drv.map(2, 0x10_0000, PAGE, 0x3000)).toBe(OK); // another domain is another address space
  });

  it('[AVP-IOMMU-51] refuses with INVAL a MAP over a reserved region of an endpoint in the domain', () => {
    const r = rig(ring);
    r.drv.attach(1, 2);
    expect(r.drv.map(1, MSI.start, PAGE, 0x3000)).toBe(INVAL);
    expect(r.drv.map(1, MSI.start - PAGE, 2 * PAGE, 0x3000)).toBe(INVAL);
    expect(r.drv.map(1, PLATFORM_WINDOW.end - 0xfff, PAGE, 0x3000)).toBe(INVAL);
    expect(r.drv.map(1, MSI.end + 1, PAGE, 0x3000)).toBe(OK);
    expect(r.dev.spaces.totalMappings).toBe(1);
  });

  it('[AVP-IOMMU-52] refuses with NOMEM a MAP beyond the mappings the device keeps', () => {
    const r = rig(ring, { maxMappings: 3 });
    r.drv.attach(1, 1);
    r.drv.attach(2, 2);
    expect(r.drv.map(1, 0x10_0000, PAGE, 0x3000)).toBe(OK);
    expect(r.drv.map(1, 0x10_1000, PAGE, 0x3000)).toBe(OK);
    expect(r.drv.map(2, 0x10_0000, PAGE, 0x3000)).toBe(OK);
    expect(r.drv.map(2, 0x10_1000, PAGE, 0x3000)).toBe(P.VIRTIO_IOMMU_S_NOMEM);
    r.drv.unmap(1, 0x10_0000, PAGE);
    expect(r.drv.map(2, 0x10_1000, PAGE, 0x3000)).toBe(OK);
  });
});

describe.each(RING_TYPES)('UNMAP (%s ring)', (ring) => {
  it('[AVP-IOMMU-53] refuses an UNMAP with reserved bytes set, with INVAL, removing nothing', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    expect(r.drv.send(P.encodeUnmap({ domain: 1, virtStart: 0x10_0000, virtEnd: 0x10_0fff, reserved: 1 })).status).toBe(INVAL);
    expect(r.dev.spaces.totalMappings).toBe(1);
  });

  it('[AVP-IOMMU-54] [AVP-IOMMU-55] refuses a domain that does not exist with NOENT and a bypass domain with INVAL', () => {
    const r = rig(ring);
    expect(r.drv.unmap(1, 0, PAGE)).toBe(NOENT);
    r.drv.attach(2, 1, { bypass: true });
    expect(r.drv.unmap(2, 0, PAGE)).toBe(INVAL);
    r.drv.attach(3, 2);
    expect(r.drv.send(P.encodeUnmap({ domain: 3, virtStart: 0x2000, virtEnd: 0x1fff })).status).toBe(INVAL);
  });

  // The seven cases of §5.13.6.6, on a byte granule so that the addresses are VIRTIO's own.
  const cases: { name: string; maps: [number, number][]; unmap: [number, number]; status: number; left: [number, number][] }[] = [
    { name: '(1) nothing mapped', maps: [], unmap: [0, 4], status: OK, left: [] },
    { name: '(2) exactly one mapping', maps: [[0, 9]], unmap: [0, 9], status: OK, left: [] },
    { name: '(3) two mappings, whole', maps: [[0, 4], [5, 9]], unmap: [0, 9], status: OK, left: [] },
    { name: '(4) half of a mapping', maps: [[0, 9]], unmap: [0, 4], status: RANGE, left: [[0, 9]] },
    { name: '(5) one of two mappings', maps: [[0, 4], [5, 9]], unmap: [0, 4], status: OK, left: [[5, 9]] },
    { name: '(6) a mapping and unmapped space after it', maps: [[0, 4]], unmap: [0, 9], status: OK, left: [] },
    { name: '(7) two mappings and the gap between', maps: [[0, 4], [10, 14]], unmap: [0, 14], status: OK, left: [] },
    { name: 'a split at the far end removes nothing either', maps: [[0, 4], [5, 9]], unmap: [0, 7], status: RANGE, left: [[0, 4], [5, 9]] },
  ];
  it.each(cases)('[AVP-IOMMU-56] [AVP-IOMMU-57] $name', (c) => {
    const r = rig(ring, { pageSizeMask: 1n });
    r.drv.attach(1, 1);
    for (const [s, e] of c.maps) expect(r.drv.send(P.encodeMap({ domain: 1, virtStart: s, virtEnd: e, physStart: 0x3000 + s, flags: RW })).status).toBe(OK);
    expect(r.drv.send(P.encodeUnmap({ domain: 1, virtStart: c.unmap[0], virtEnd: c.unmap[1] })).status).toBe(c.status);
    expect(r.dev.spaces.mappingsOf(1).map((m) => [m.start, m.end])).toEqual(c.left);
  });

  it('[AVP-IOMMU-57] removes every mapping in the range, whichever endpoints use it, and the endpoints lose them at once', () => {
    const r = rig(ring);
    r.drv.attach(1, 1);
    r.drv.attach(1, 3);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000);
    r.drv.map(1, 0x10_4000, PAGE, 0x4000);
    r.drv.map(1, 0x20_0000, PAGE, 0x5000);
    expect(r.drv.unmap(1, 0x10_0000, 0x10_0000)).toBe(OK);
    expect(r.dev.spaces.mappingsOf(1).map((m) => m.start)).toEqual([0x20_0000]);
    for (const ep of [1, 3]) {
      expect(dmaRead(r, ep, 0x10_4000, 4)).toBe('IOMMU_FAULT');
      expect(dmaRead(r, ep, 0x20_0000, 4)).toBeInstanceOf(Uint8Array);
    }
  });
});

describe.each(RING_TYPES)('PROBE (%s ring)', (ring) => {
  it('[AVP-IOMMU-58] refuses an endpoint it does not manage with NOENT, writing no property', () => {
    const r = rig(ring);
    const a = raw(r.lb, [P.encodeProbe(77)], [132]);
    expect(a.len).toBe(132);
    expect(a.written[128]).toBe(NOENT);
    expect(a.written.subarray(0, 128).every((b) => b === 0)).toBe(true);
  });

  it('[AVP-IOMMU-59] refuses with INVAL a PROBE without room for probe_size bytes of properties, writing no property', () => {
    const r = rig(ring);
    const a = raw(r.lb, [P.encodeProbe(2)], [64]);
    expect(a.len).toBe(64);
    expect(a.written[60]).toBe(INVAL);
    expect(a.written.subarray(0, 60).every((b) => b === 0)).toBe(true);
  });

  it('[AVP-IOMMU-60] [AVP-IOMMU-62] lays RESV_MEM properties end to end (length 20, reserved zero), zeros after, none overlapping', () => {
    const r = rig(ring);
    const a = raw(r.lb, [P.encodeProbe(2)], [132]);
    expect(a.written[128]).toBe(OK);
    const list = a.written.subarray(0, 128);
    const props = P.parseProperties(list);
    expect(props.map((p) => [p.type, p.reservedBits, p.value.length])).toEqual([[1, 0, 20], [1, 0, 20]]);
    expect(list.subarray(48).every((b) => b === 0)).toBe(true);
    expect([...list.subarray(5, 8), ...list.subarray(29, 32)]).toEqual([0, 0, 0, 0, 0, 0]);
    const regions = P.resvRegionsOf(list);
    expect(regions).toEqual([MSI, PLATFORM_WINDOW]);
    expect(regions[0].end < regions[1].start).toBe(true);
    // The model refuses a platform that would give one endpoint overlapping regions.
    const memory = GuestMemory.create(PAGE);
    expect(() => new IommuDevice({ memory, endpoints: [{ id: 1, reserved: [MSI, { ...PLATFORM_WINDOW, start: MSI.end }] }] })).toThrow(/overlap/);
  });

  it('[AVP-IOMMU-61] reports each endpoint\'s MSI doorbell as one RESV_MEM property of subtype MSI', () => {
    const r = rig(ring);
    for (const ep of [1, 2]) {
      const p = r.drv.probe(ep);
      expect(p.status).toBe(OK);
      expect(p.regions.filter((x) => x.subtype === P.VIRTIO_IOMMU_RESV_MEM_T_MSI)).toEqual([MSI]);
    }
    expect(r.drv.probe(3)).toEqual({ status: OK, regions: [] });
    const memory = GuestMemory.create(PAGE);
    expect(() => new IommuDevice({ memory, endpoints: [{ id: 1, reserved: [MSI, { ...MSI, start: 0x1_0000_0000, end: 0x1_0000_0fff }] }] })).toThrow(/more than one MSI/);
  });

  it('[AVP-IOMMU-63] has a probe_size that holds every endpoint\'s properties, and refuses a platform whose would not fit', () => {
    const r = rig(ring, { probeSize: 48 });
    expect(r.drv.probe(2).regions).toHaveLength(2);
    const memory = GuestMemory.create(PAGE);
    expect(() => new IommuDevice({ memory, endpoints: [{ id: 2, reserved: [MSI, PLATFORM_WINDOW] }], probeSize: 47 })).toThrow(/do not fit probe_size/);
  });
});

describe('a driver reading the configuration', () => {
  it('takes VIRTIO\'s defaults for the ranges of features it did not negotiate', () => {
    const r = rig('split', {}, { features: declining(P.VIRTIO_IOMMU_F_INPUT_RANGE, P.VIRTIO_IOMMU_F_DOMAIN_RANGE, P.VIRTIO_IOMMU_F_PROBE) });
    const d = new IommuDriver(r.lb);
    expect(d.inputRange).toEqual({ start: 0, end: Number.MAX_SAFE_INTEGER });
    expect(d.domainRange).toEqual({ start: 0, end: 0xffff_ffff });
    expect(d.probeSize).toBe(0);
    // The device applies its ranges all the same: it offered them.
    expect(d.attach(0, 1)).toBe(RANGE);
  });
});
