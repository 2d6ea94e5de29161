// Properties of the virtio-iommu under malformed requests. Whatever a driver puts in a chain
// (well-formed ATTACH, DETACH, MAP, UNMAP and PROBE requests with fields from the edges of
// their ranges, reserved bytes set, unknown flags, random bytes, cut short or padded, split
// anywhere, with any room for the answer), the device never throws and never needs a reset,
// hands back a chain unwritten only when it has no head, no tail or an unknown type, otherwise
// writes the whole writable part with a defined status at its end, and ends up with exactly the
// domains and mappings an independent statement of §5.13.6's rules (as the chapter narrows
// them) says.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { GuestMemory } from '../../src/lib/virtio/memory.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { IommuDevice } from '../../src/lib/devices/iommu/device.ts';
import * as P from '../../src/lib/devices/iommu/protocol.ts';

const RAM = 1 << 20;
const PAGE = 0x1000;
const MSI: P.ResvRegion = { subtype: P.VIRTIO_IOMMU_RESV_MEM_T_MSI, start: 0x10_0000, end: 0x10_ffff };
const ENDPOINTS = [{ id: 1, reserved: [MSI] }, { id: 2 }, { id: 3 }];
const MAX_MAPPINGS = 6;
const PROBE_SIZE = 32;
const { VIRTIO_IOMMU_S_OK: OK, VIRTIO_IOMMU_S_INVAL: INVAL, VIRTIO_IOMMU_S_RANGE: RANGE, VIRTIO_IOMMU_S_NOENT: NOENT, VIRTIO_IOMMU_S_UNSUPP: UNSUPP } = P;

type Kind = 'attach' | 'detach' | 'map' | 'unmap' | 'probe' | 'random';
interface Req {
  kind: Kind;
  domain: number;
  endpoint: number;
  flags: number;
  attachFlags: number;
  reserved: number;
  virtStart: bigint;
  pages: number;
  endSkew: bigint;
  physStart: bigint;
  extra: number;
  cuts: number[];
  room: number[];
  fill: number;
}

const u64 = (n: bigint) => BigInt.asUintN(64, n);
const reqArb: fc.Arbitrary<Req> = fc.record({
  kind: fc.constantFrom<Kind>('attach', 'attach', 'detach', 'map', 'map', 'map', 'unmap', 'unmap', 'probe', 'random'),
  domain: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 255, 256, 0xffff_ffff) }),
  endpoint: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 4, 0xffff_ffff) }),
  flags: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(4, 8, 0x8000_0000) }),
  attachFlags: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(2, 0x8000_0000) }),
  reserved: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff_ffff }) }),
  virtStart: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 15 }).map((p) => BigInt(p * PAGE)) },
    { weight: 1, arbitrary: fc.constantFrom(BigInt(MSI.start), BigInt(MSI.start - PAGE), 0x8n, (1n << 48n) - 0x1000n, 0xffff_ffff_ffff_f000n) },
  ),
  pages: fc.integer({ min: 1, max: 4 }),
  endSkew: fc.oneof({ weight: 8, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(-1n, 1n, -0x2000n, -0x10_0000n) }),
  physStart: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 255 }).map((p) => BigInt(p * PAGE)) },
    { weight: 1, arbitrary: fc.constantFrom(BigInt(RAM - PAGE), BigInt(RAM), 0x10n, 0xffff_ffff_ffff_f000n) },
  ),
  extra: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -40, max: 12 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  room: fc.oneof({ weight: 6, arbitrary: fc.constant([] as number[]) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 48 }), { maxLength: 3 }) }),
  fill: fc.nat(255),
});

// #region shadow
/** The rules of §5.13.6 as the chapter narrows them, stated apart from the device's code. */
class Shadow {
  readonly domainOf = new Map<number, number>();
  readonly domains = new Map<number, { bypass: boolean; eps: Set<number>; maps: { s: bigint; e: bigint }[] }>();
  private count = 0;

  private resv(ep: number) {
    return ENDPOINTS.find((e) => e.id === ep)?.reserved ?? [];
  }
  private hits(maps: { s: bigint; e: bigint }[], s: bigint, e: bigint) {
    return maps.filter((m) => m.s <= e && s <= m.e);
  }

  apply(type: number, v: DataView): number {
    const dom = v.getUint32(4, true);
    const inRange = (d: number) => d >= 1 && d <= 255;
    switch (type) {
      case P.VIRTIO_IOMMU_T_ATTACH: {
        const ep = v.getUint32(8, true);
        const flags = v.getUint32(12, true);
        if (v.getUint32(16, true) !== 0 || flags & ~1) return INVAL;
        if (!ENDPOINTS.some((e) => e.id === ep)) return NOENT;
        if (!inRange(dom)) return RANGE;
        const bypass = flags === 1;
        const d = this.domains.get(dom);
        if (d && d.bypass !== bypass) return INVAL;
        if (d && d.eps.has(ep)) return OK;
        if (d && d.maps.some((m) => this.resv(ep).some((r) => m.s <= BigInt(r.end) && BigInt(r.start) <= m.e))) return UNSUPP;
        this.leave(ep);
        const nd = d ?? { bypass, eps: new Set<number>(), maps: [] };
        nd.eps.add(ep);
        this.domains.set(dom, nd);
        this.domainOf.set(ep, dom);
        return OK;
      }
      case P.VIRTIO_IOMMU_T_DETACH: {
        const ep = v.getUint32(8, true);
        if (!ENDPOINTS.some((e) => e.id === ep)) return NOENT;
        if (!inRange(dom)) return RANGE;
        if (this.domainOf.get(ep) !== dom) return INVAL;
        this.leave(ep);
        return OK;
      }
      case P.VIRTIO_IOMMU_T_MAP: {
        const [s, e, p, flags] = [v.getBigUint64(8, true), v.getBigUint64(16, true), v.getBigUint64(24, true), v.getUint32(32, true)];
        if (flags & ~3) return INVAL;
        if (!inRange(dom)) return RANGE;
        const d = this.domains.get(dom);
        if (!d) return NOENT;
        if (d.bypass || e < s) return INVAL;
        if (e > (1n << 48n) - 1n) return RANGE;
        if (s % 4096n || p % 4096n || (e + 1n) % 4096n) return RANGE;
        if (p + (e - s + 1n) > BigInt(RAM)) return P.VIRTIO_IOMMU_S_FAULT;
        if ([...d.eps].some((ep) => this.resv(ep).some((r) => s <= BigInt(r.end) && BigInt(r.start) <= e))) return INVAL;
        if (this.hits(d.maps, s, e).length > 0) return INVAL;
        if (this.count >= MAX_MAPPINGS) return P.VIRTIO_IOMMU_S_NOMEM;
        d.maps.push({ s, e });
        this.count++;
        return OK;
      }
      case P.VIRTIO_IOMMU_T_UNMAP: {
        const [s, e] = [v.getBigUint64(8, true), v.getBigUint64(16, true)];
        if (v.getUint32(24, true) !== 0) return INVAL;
        if (!inRange(dom)) return RANGE;
        const d = this.domains.get(dom);
        if (!d) return NOENT;
        if (d.bypass || e < s) return INVAL;
        if (e > (1n << 48n) - 1n) return RANGE;
        const hit = this.hits(d.maps, s, e);
        if (hit.some((m) => m.s < s || m.e > e)) return RANGE;
        d.maps = d.maps.filter((m) => !hit.includes(m));
        this.count -= hit.length;
        return OK;
      }
      default:
        return ENDPOINTS.some((e) => e.id === v.getUint32(4, true)) ? OK : NOENT; // PROBE, given room
    }
  }

  private leave(ep: number): void {
    const dom = this.domainOf.get(ep);
    if (dom === undefined) return;
    const d = this.domains.get(dom)!;
    d.eps.delete(ep);
    this.domainOf.delete(ep);
    if (d.eps.size === 0) {
      this.count -= d.maps.length;
      this.domains.delete(dom);
    }
  }
}
// #endregion shadow

function build(r: Req): Uint8Array {
  const virtEnd = u64(r.virtStart + BigInt(r.pages * PAGE) - 1n + r.endSkew);
  switch (r.kind) {
    case 'attach': return P.encodeAttach({ domain: r.domain, endpoint: r.endpoint, flags: r.attachFlags, reserved: r.reserved });
    case 'detach': return P.encodeDetach({ domain: r.domain, endpoint: r.endpoint, reserved: r.reserved });
    case 'map': return P.encodeMap({ domain: r.domain, virtStart: r.virtStart, virtEnd, physStart: r.physStart, flags: r.flags });
    case 'unmap': return P.encodeUnmap({ domain: r.domain, virtStart: r.virtStart, virtEnd, reserved: r.reserved });
    case 'probe': return P.encodeProbe(r.endpoint);
    default: return new Uint8Array(8 + (r.fill % 40)).map((_, i) => (r.fill * 31 + i * 17) & 0xff);
  }
}

describe.each(RING_TYPES)('virtio-iommu requests under malformed input (%s ring)', (ring) => {
  it('[AVP-IOMMU-23] [AVP-IOMMU-24] [AVP-IOMMU-25] [AVP-IOMMU-26] [AVP-IOMMU-29] [AVP-IOMMU-33] [AVP-IOMMU-56] never throws or needs a reset, answers every request it can with a defined status at the end of the writable part, and keeps exactly the address spaces the rules give', () => {
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: 1, maxLength: 24 }), (reqs) => {
        const memory = GuestMemory.create(RAM);
        const dev = new IommuDevice({ memory, endpoints: ENDPOINTS, maxMappings: MAX_MAPPINGS, probeSize: PROBE_SIZE });
        const lb = new Loopback(dev, { ring });
        const shadow = new Shadow();
        // Each endpoint starts in a domain of its own, so that most MAP and UNMAP requests find one.
        for (const ep of [1, 2, 3]) {
          const a = P.encodeAttach({ domain: ep, endpoint: ep });
          expect(lb.request(0, [a], [4]).data[0]).toBe(shadow.apply(P.VIRTIO_IOMMU_T_ATTACH, new DataView(a.buffer)));
        }
        for (const r of reqs) {
          let bytes = build(r);
          if (r.extra > 0) bytes = new Uint8Array([...bytes, ...new Uint8Array(r.extra).fill(r.fill)]);
          if (r.extra < 0) bytes = bytes.subarray(0, Math.max(0, bytes.length + r.extra));
          const room = r.room.length > 0 ? r.room : [bytes[0] === P.VIRTIO_IOMMU_T_PROBE && r.kind === 'probe' ? PROBE_SIZE + 4 : 4];
          const parts = cut(bytes, r.cuts);
          const writable = room.reduce((a, b) => a + b, 0);
          const c = lb.request(0, parts, room);
          const type = bytes[0];
          const size = P.IOMMU_REQ_SIZE[type];
          if (bytes.length < 4 || writable < 4 || size === undefined) {
            expect(c.len).toBe(0);
            continue;
          }
          expect(c.len).toBe(writable);
          const status = c.data[writable - 4];
          expect([...c.data.subarray(writable - 3)]).toEqual([0, 0, 0]);
          let want = INVAL;
          if (bytes.length >= size) {
            want = shadow.apply(type, new DataView(bytes.buffer, bytes.byteOffset, bytes.length));
            // A PROBE of an endpoint that exists still needs room for probe_size bytes of properties.
            if (type === P.VIRTIO_IOMMU_T_PROBE && want === OK && writable < PROBE_SIZE + 4) want = INVAL;
          }
          expect(P.statusName(status)).toBe(P.statusName(want));
          if (type === P.VIRTIO_IOMMU_T_PROBE && status === OK) {
            const ep = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
            expect(P.resvRegionsOf(c.data.subarray(0, PROBE_SIZE))).toEqual(ENDPOINTS.find((e) => e.id === ep)!.reserved ?? []);
          }
          // The address spaces agree after every request.
          for (const e of ENDPOINTS) expect(dev.spaces.domainOf(e.id)).toBe(shadow.domainOf.get(e.id) ?? null);
          expect(dev.spaces.domainIds()).toEqual([...shadow.domains.keys()].sort((a, b) => a - b));
          for (const [id, d] of shadow.domains) {
            expect(dev.spaces.mappingsOf(id).map((m) => [BigInt(m.start), BigInt(m.end)])).toEqual(d.maps.map((m) => [m.s, m.e]).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
          }
        }
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
      }),
      { numRuns: 60 },
    );
  });
});
