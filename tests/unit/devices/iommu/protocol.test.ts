// The virtio-iommu wire format (VIRTIO 1.4 §5.13): the numbers VIRTIO assigns, the byte layout
// of each request, of a RESV_MEM property and of a fault report, and how a driver parses a
// property list.
import { describe, expect, it } from 'vitest';
import * as C from '../../../../src/lib/devices/iommu/config.ts';
import * as P from '../../../../src/lib/devices/iommu/protocol.ts';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('virtio-iommu numbers', () => {
  it('are VIRTIO 1.4\'s: feature bits, request types, status codes, flags, subtypes, reasons', () => {
    expect([P.VIRTIO_IOMMU_F_INPUT_RANGE, P.VIRTIO_IOMMU_F_DOMAIN_RANGE, P.VIRTIO_IOMMU_F_MAP_UNMAP, P.VIRTIO_IOMMU_F_BYPASS, P.VIRTIO_IOMMU_F_PROBE, P.VIRTIO_IOMMU_F_MMIO, P.VIRTIO_IOMMU_F_BYPASS_CONFIG]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([P.VIRTIO_IOMMU_T_ATTACH, P.VIRTIO_IOMMU_T_DETACH, P.VIRTIO_IOMMU_T_MAP, P.VIRTIO_IOMMU_T_UNMAP, P.VIRTIO_IOMMU_T_PROBE]).toEqual([1, 2, 3, 4, 5]);
    expect(Object.entries(P.STATUS_NAMES).map(([k, v]) => `${k}=${v}`).join(' ')).toBe('0=OK 1=IOERR 2=UNSUPP 3=DEVERR 4=INVAL 5=RANGE 6=NOENT 7=FAULT 8=NOMEM');
    expect([P.VIRTIO_IOMMU_ATTACH_F_BYPASS, P.VIRTIO_IOMMU_MAP_F_READ, P.VIRTIO_IOMMU_MAP_F_WRITE, P.VIRTIO_IOMMU_MAP_F_MMIO]).toEqual([1, 1, 2, 4]);
    expect([P.VIRTIO_IOMMU_PROBE_T_RESV_MEM, P.VIRTIO_IOMMU_RESV_MEM_T_RESERVED, P.VIRTIO_IOMMU_RESV_MEM_T_MSI]).toEqual([1, 0, 1]);
    expect([P.VIRTIO_IOMMU_FAULT_R_UNKNOWN, P.VIRTIO_IOMMU_FAULT_R_DOMAIN, P.VIRTIO_IOMMU_FAULT_R_MAPPING]).toEqual([0, 1, 2]);
    expect([P.VIRTIO_IOMMU_FAULT_F_READ, P.VIRTIO_IOMMU_FAULT_F_WRITE, P.VIRTIO_IOMMU_FAULT_F_ADDRESS]).toEqual([1, 2, 0x100]);
    expect([C.IOMMU_CFG_PAGE_SIZE_MASK, C.IOMMU_CFG_INPUT_START, C.IOMMU_CFG_INPUT_END, C.IOMMU_CFG_DOMAIN_START, C.IOMMU_CFG_DOMAIN_END, C.IOMMU_CFG_PROBE_SIZE, C.IOMMU_CFG_BYPASS, C.IOMMU_CONFIG_SIZE]).toEqual([0, 8, 16, 24, 28, 32, 36, 40]);
  });
});

describe('virtio-iommu requests', () => {
  it('lay out ATTACH, DETACH, MAP, UNMAP and PROBE field by field, little-endian', () => {
    expect(hex(P.encodeAttach({ domain: 0x0102_0304, endpoint: 5, flags: 1, reserved: 0 }))).toBe('01000000' + '04030201' + '05000000' + '01000000' + '00000000');
    expect(hex(P.encodeDetach({ domain: 2, endpoint: 3 }))).toBe('02000000' + '02000000' + '03000000' + '0000000000000000');
    expect(hex(P.encodeMap({ domain: 1, virtStart: 0x1000, virtEnd: 0x1fff, physStart: 0xab_c000, flags: 3 }))).toBe(
      '03000000' + '01000000' + '0010000000000000' + 'ff1f000000000000' + '00c0ab0000000000' + '03000000',
    );
    expect(hex(P.encodeUnmap({ domain: 1, virtStart: 0x1000n, virtEnd: 0xffff_ffff_ffff_ffffn }))).toBe('04000000' + '01000000' + '0010000000000000' + 'ffffffffffffffff' + '00000000');
    const probe = P.encodeProbe(7);
    expect(probe).toHaveLength(72);
    expect(hex(probe.subarray(0, 8))).toBe('05000000' + '07000000');
    for (const [t, n] of [[1, 20], [2, 20], [3, 36], [4, 28], [5, 72]]) expect(P.IOMMU_REQ_SIZE[t]).toBe(n);
  });

  it('name their statuses', () => {
    expect(P.statusName(P.VIRTIO_IOMMU_S_RANGE)).toBe('RANGE');
    expect(P.statusName(null)).toBe('no status (used length 0)');
    expect(P.statusName(42)).toBe('status 42');
  });
});

describe('PROBE properties', () => {
  it('encode a RESV_MEM property as a 4-byte header with length 20, subtype, three reserved bytes, start and end', () => {
    const p = P.encodeResvMem({ subtype: P.VIRTIO_IOMMU_RESV_MEM_T_MSI, start: 0x0809_0000, end: 0x0809_ffff });
    expect(hex(p)).toBe('0100' + '1400' + '01' + '000000' + '0000090800000000' + 'ffff090800000000');
  });

  it('are parsed the way a driver parses them: by length, to a type of 0 or the end, skipping what it must ignore', () => {
    const msi = { subtype: P.VIRTIO_IOMMU_RESV_MEM_T_MSI, start: 0x1000, end: 0x1fff };
    const unknown = new Uint8Array([0x07, 0x00, 0x04, 0x00, 1, 2, 3, 4]); // type 7, 4 bytes of value
    const flagged = P.encodeResvMem({ subtype: 0, start: 0x5000, end: 0x5fff });
    flagged[1] |= 0x10; // a reserved bit of the type field set: the driver ignores the property
    const odd = P.encodeResvMem({ subtype: 9, start: 0x9000, end: 0x9fff }); // an unknown subtype counts as RESERVED
    const list = new Uint8Array([...P.encodeResvMem(msi), ...unknown, ...flagged, ...odd, 0, 0, 0, 0, ...P.encodeResvMem(msi)]);
    expect(P.parseProperties(list).map((p) => [p.type, p.reservedBits, p.value.length])).toEqual([[1, 0, 20], [7, 0, 4], [1, 1, 20], [1, 0, 20]]);
    expect(P.resvRegionsOf(list)).toEqual([msi, { subtype: P.VIRTIO_IOMMU_RESV_MEM_T_RESERVED, start: 0x9000, end: 0x9fff }]);
    expect(P.parseProperties(P.encodeResvMem(msi).subarray(0, 20))).toEqual([]); // runs past the end
  });
});

describe('fault reports', () => {
  it('are 24 bytes: reason, three reserved, flags, endpoint, reserved1, address', () => {
    const f = P.encodeFault({ reason: 2, flags: 0x102, endpoint: 9, address: 0x1_2345_6000n });
    expect(hex(f)).toBe('02' + '000000' + '02010000' + '09000000' + '00000000' + '0060452301000000');
    expect(P.describeFault(P.decodeFault(f)!)).toBe('MAPPING fault from endpoint 9 at 0x123456000 [W]');
  });
});
