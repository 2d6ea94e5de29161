// The direct arm64 Linux boot: the layout the model chooses satisfies booting.rst, the checker
// names each way a layout breaks it, and the device tree the discovery generator gives every
// guest starts secondary CPUs through PSCI.
import { describe, expect, it } from 'vitest';
import { arm64Entry, checkArm64Load, placeArm64 } from '../../../src/lib/boot/index.ts';
import { cockpitPlatform, decodeFdt, generatePlatform, type FdtNode } from '../../../src/lib/platform/index.ts';

const MiB = 0x100000;
const GiB = 0x40000000;
const ram = [{ base: 0x40000000, size: 0x20000000 }];

describe('[AVP-BOOT-3] the load layout of a direct arm64 boot', () => {
  it('places the Image, the blob and the initrd as booting.rst asks, and enters with x0 = blob', () => {
    const load = placeArm64(ram, 40 * MiB + 123, 9000, 12 * MiB);
    expect(checkArm64Load(load)).toEqual([]);
    expect(load.kernel.base % (2 * MiB)).toBe(0);
    expect(load.dtb.address).toBe(0x40000000 + 42 * MiB);
    expect(arm64Entry(load)).toEqual({ pc: 0x40000000, x0: load.dtb.address, x1: 0, x2: 0, x3: 0 });
  });

  it('names a misaligned base, a misaligned or oversized blob, and overlaps', () => {
    const good = placeArm64(ram, 40 * MiB, 9000, 12 * MiB);
    expect(checkArm64Load({ ...good, kernel: { ...good.kernel, base: good.kernel.base + 0x1000 } })).toContain('kernel.base 0x40001000 is not 2 MiB aligned');
    expect(checkArm64Load({ ...good, dtb: { ...good.dtb, address: good.dtb.address + 4 } })).toEqual([`dtb.address 0x${(good.dtb.address + 4).toString(16)} is not on an 8-byte boundary`]);
    expect(checkArm64Load({ ...good, dtb: { ...good.dtb, size: 2 * MiB + 8 } })).toContain(`dtb.size ${2 * MiB + 8} exceeds 2 MiB`);
    expect(checkArm64Load({ ...good, dtb: { ...good.dtb, address: 0x40000000 + 16 * MiB } })).toEqual(['the device tree blob overlaps the Image']);
    expect(checkArm64Load({ ...good, initrd: { address: good.dtb.address, size: MiB } })).toEqual(['the initrd overlaps the device tree blob']);
  });

  it('names pieces outside RAM and an initrd too far from the Image', () => {
    const good = placeArm64(ram, 40 * MiB, 9000, 12 * MiB);
    expect(checkArm64Load({ ...good, kernel: { ...good.kernel, imageSize: 0x20000000 + 1 } })).toContain('the Image [0x40000000, +0x20000001) is not inside one RAM region');
    const wide = [{ base: 0x40000000, size: 40 * GiB }];
    const far = placeArm64(wide, 40 * MiB, 9000, 12 * MiB);
    expect(checkArm64Load(far)).toEqual([]);
    expect(checkArm64Load({ ...far, initrd: { address: 0x40000000 + 33 * GiB, size: MiB } })).toEqual(['the initrd and the Image do not fit one 1 GiB-aligned window of 32 GiB']);
  });
});

describe('[AVP-BOOT-5] secondary CPUs of a generated guest', () => {
  it('are started through PSCI over HVC in every guest of the cockpit', () => {
    for (const g of generatePlatform(cockpitPlatform())) {
      const { root } = decodeFdt(g.dtb);
      const child = (n: FdtNode, name: string) => n.children.find((c) => c.name === name);
      const prop = (n: FdtNode | undefined, name: string) => {
        const v = n?.properties.find((p) => p.name === name)?.value;
        return v === undefined ? undefined : new TextDecoder().decode(v).replace(/\0$/, '');
      };
      const cpus = child(root, 'cpus')!.children.filter((c) => c.name.startsWith('cpu@'));
      expect(cpus.length).toBeGreaterThan(0);
      for (const c of cpus) expect(prop(c, 'enable-method')).toBe('psci');
      expect(prop(child(root, 'psci'), 'method')).toBe('hvc');
      expect(prop(child(root, 'psci'), 'compatible')).toBe('arm,psci-1.0');
    }
  });
});
