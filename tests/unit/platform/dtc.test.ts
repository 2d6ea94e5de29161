// The generated device trees against the real tool: Debian's dtc compiles our source to exactly
// our blob, decompiles our blob, and prints no warning for either. Random valid descriptions
// give blobs that dtc reads without warnings too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cockpitPlatform, generatePlatform, validatePlatform, VIRTIO_DEVICE_TYPES, type PlatformInput, type VirtioDeviceType } from '../../../src/lib/platform/index.ts';
import { compileDts, decompileDtb, text } from './dtc.ts';

describe('[AVP-DISC-10] the cockpit device trees under dtc', () => {
  for (const g of generatePlatform(cockpitPlatform())) {
    it(`[AVP-DISC-10] ${g.guest}: dtc compiles the source, without warnings, to the same blob byte for byte`, () => {
      const r = compileDts(g.dts);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toEqual(g.dtb);
    });

    it(`[AVP-DISC-10] ${g.guest}: dtc decompiles the blob without warnings, to the text it gives for its own blob`, () => {
      const r = decompileDtb(g.dtb);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const dts = text(r.stdout);
      expect(dts).toMatch(/^\/dts-v1\/;/);
      expect(dts).toContain('compatible = "virtio,mmio";');
      // Not recompiled: dtc's decompiled text has bare phandle numbers where our source has
      // &labels, and dtc's iommus check warns about those. Compare it with dtc's own round trip.
      expect(text(decompileDtb(compileDts(g.dts).stdout).stdout)).toBe(dts);
    });
  }

  it('dtc warns about a tree the generator must never produce (the check is live)', () => {
    const [g] = generatePlatform(cockpitPlatform());
    // A second node at the unit address of the first device (dtc would merge two nodes of the
    // same name, so this one is called virtio@): the schema's overlap check prevents this.
    const clash = g.dts.replace(/\n};\n$/, '\n\n\tvirtio@a000000 {\n\t\tcompatible = "virtio,mmio";\n\t\treg = <0x0 0xa000000 0x0 0x200>;\n\t\tinterrupts = <0 99 4>;\n\t};\n};\n');
    expect(compileDts(clash).stderr).toMatch(/Warning \(unique_unit_address\)/);
    // A GIC without #address-cells draws dtc's interrupt_provider warning.
    expect(compileDts(g.dts.replace('\t\t#address-cells = <0>;\n', '')).stderr).toMatch(/Warning \(interrupt_provider\)/);
  });
});

// #region random-platform
/** Random valid descriptions: one guest, RAM at 1 GiB, devices packed from 0x0a000000 in random order. */
const TYPES = Object.keys(VIRTIO_DEVICE_TYPES).filter((t) => t !== 'iommu') as VirtioDeviceType[];
const arbPlatform: fc.Arbitrary<PlatformInput> = fc
  .record({
    cpus: fc.integer({ min: 1, max: 8 }),
    ramMiB: fc.integer({ min: 16, max: 4096 }),
    highRam: fc.boolean(),
    spis: fc.integer({ min: 1, max: 30 }).map((n) => Math.min(n * 32 + 32, 988)), // up to INTID 1019
    withIommu: fc.boolean(),
    bootargs: fc.option(fc.string({ unit: fc.constantFrom('a', 'z', ' ', '=', '"', '\\', '/', '0'), maxLength: 20 }), { nil: undefined }),
    devices: fc.array(
      fc.record({ type: fc.constantFrom(...TYPES), slots: fc.integer({ min: 1, max: 8 }), edge: fc.boolean(), coherent: fc.boolean(), translated: fc.boolean() }),
      { minLength: 0, maxLength: 12 },
    ),
    spiOrder: fc.array(fc.nat(), { minLength: 13, maxLength: 13 }),
    reversed: fc.boolean(),
  })
  .map((r) => {
    let base = 0x0a000000;
    const spiPool = [...new Set(r.spiOrder.map((n) => n % (r.spis - 1)))];
    for (let s = 0; spiPool.length < 13; s++) if (!spiPool.includes(s)) spiPool.push(s);
    const devices: PlatformInput['guests'][number]['devices'] = r.devices.map((d, i) => {
      const dev = {
        id: `dev${i}`,
        type: d.type,
        base,
        size: 0x200 * d.slots,
        interrupt: { spi: spiPool[i], trigger: d.edge ? ('edge' as const) : ('level' as const) },
        dmaCoherent: d.coherent,
        ...(r.withIommu && d.translated ? { iommu: { device: 'viommu', endpoint: i + 1 } } : {}),
      };
      base += 0x200 * d.slots;
      return dev;
    });
    if (r.withIommu) devices.push({ id: 'viommu', type: 'iommu', base, interrupt: { spi: spiPool[12] } });
    if (r.reversed) devices.reverse();
    const memory = [{ base: 0x40000000, size: r.ramMiB * 0x100000 }];
    if (r.highRam) memory.push({ base: 0x200000000, size: 0x40000000 });
    return {
      name: 'random',
      guests: [{ name: 'g', model: 'random guest', cpus: r.cpus, memory, gic: { distributor: 0x08000000, redistributors: 0x080a0000, spis: r.spis }, bootargs: r.bootargs, devices }],
    };
  });
// #endregion random-platform

describe('[AVP-DISC-10] random valid platforms under dtc', () => {
  it('[AVP-DISC-10] produce blobs dtc decompiles without warnings, and sources dtc compiles to the same blobs', () => {
    fc.assert(
      fc.property(arbPlatform, (p) => {
        const v = validatePlatform(p);
        expect(v.ok ? [] : v.issues).toEqual([]);
        const [g] = generatePlatform(p);
        const d = decompileDtb(g.dtb);
        expect(d.stderr).toBe('');
        expect(d.status).toBe(0);
        const c = compileDts(g.dts);
        expect(c.stderr).toBe('');
        expect(c.stdout).toEqual(g.dtb);
      }),
      { numRuns: 20 },
    );
  });
});
