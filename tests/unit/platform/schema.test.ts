// The platform description: field errors name their path, and the checks across fields
// (overlaps, shared interrupts, IOMMU references) reject what no single field can show.
import { describe, expect, it } from 'vitest';
import {
  cockpitPlatform,
  GIC_MAX_SPIS,
  parsePlatform,
  PlatformError,
  validatePlatform,
  type PlatformInput,
} from '../../../src/lib/platform/index.ts';

/** The issues of a description that must fail, as "path: message" lines. */
function issues(d: unknown): string[] {
  const r = validatePlatform(d);
  if (r.ok) throw new Error('expected the description to be rejected');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}

/** A deep copy of the sample, changed by `edit`. */
function sample(edit: (p: PlatformInput) => void): PlatformInput {
  const p = structuredClone(cockpitPlatform());
  edit(p);
  return p;
}

describe('the sample cockpit platform', () => {
  it('is valid, and the defaults are filled in', () => {
    const p = parsePlatform(cockpitPlatform());
    expect(p.guests.map((g) => g.name)).toEqual(['cluster', 'ivi', 'rtos']);
    const d = p.guests[0].devices[0];
    expect(d).toMatchObject({ transport: 'virtio-mmio', size: 0x200, dmaCoherent: true, interrupt: { trigger: 'level' } });
    expect(p.guests[0].gic.spis).toBe(GIC_MAX_SPIS);
    expect(p.guests[2].cpus).toBe(1);
  });
});

describe('field errors name the field', () => {
  it('names a missing field, a wrong type and an unknown field by their paths', () => {
    const got = issues(
      sample((p) => {
        delete (p.guests[1] as Partial<PlatformInput['guests'][number]>).memory;
        (p.guests[0].devices[2] as { base: unknown }).base = '0x0a000400';
        (p.guests[2] as Record<string, unknown>).ram = 16;
      }),
    );
    expect(got).toContainEqual(expect.stringMatching(/^guests\.1\.memory: /));
    expect(got).toContainEqual(expect.stringMatching(/^guests\.0\.devices\.2\.base: a guest-physical address/));
    expect(got).toContainEqual(expect.stringMatching(/^guests\.2\.ram: /));
  });

  it('names an unknown device type and lists the known ones', () => {
    const got = issues(sample((p) => ((p.guests[0].devices[1] as { type: string }).type = 'floppy')));
    expect(got).toEqual([expect.stringMatching(/^guests\.0\.devices\.1\.type: one of net, block, console, .*can$/)]);
  });

  it('parsePlatform raises a PlatformError that names every bad field', () => {
    const bad = sample((p) => {
      p.guests[0].devices[0].size = 0x100;
      p.guests[1].cpus = 0;
    });
    expect(() => parsePlatform(bad)).toThrow(PlatformError);
    try {
      parsePlatform(bad);
    } catch (e) {
      const err = e as PlatformError;
      expect(err.issues.map((i) => i.path).sort()).toEqual(['guests.0.devices.0.size', 'guests.1.cpus']);
      expect(err.message).toMatch(/field "guests\.0\.devices\.0\.size": at least 0x200 bytes/);
    }
  });

  it('[AVP-DISC-2] rejects a window smaller than 0x200 bytes, unaligned, or not a multiple of 4', () => {
    expect(issues(sample((p) => (p.guests[0].devices[3].size = 0x1f0)))).toEqual([expect.stringMatching(/^guests\.0\.devices\.3\.size: at least 0x200 bytes/)]);
    expect(issues(sample((p) => (p.guests[0].devices[6].size = 0x202)))).toEqual([expect.stringMatching(/^guests\.0\.devices\.6\.size: a multiple of 4/)]);
    expect(issues(sample((p) => (p.guests[0].devices[6].base += 2)))).toEqual([expect.stringMatching(/^guests\.0\.devices\.6\.base: an address aligned to 4 bytes/)]);
    expect(validatePlatform(sample((p) => (p.guests[0].devices[6].size = 0x1000))).ok).toBe(true);
  });
});

describe('checks across fields', () => {
  it('[AVP-DISC-3] [AVP-TRANS-11] rejects overlapping MMIO windows, naming both devices', () => {
    // audio moves into the second half of display's window.
    expect(issues(sample((p) => (p.guests[1].devices[4].base = 0x0a000700)))).toEqual([
      'guests.1.devices.4.base: MMIO windows overlap: [0xa000700, 0xa000900) overlaps the window of devices.3 (display) [0xa000600, 0xa000800)',
    ]);
  });

  it('[AVP-DISC-3] rejects a device window that overlaps RAM or the GIC, and RAM regions that overlap', () => {
    expect(issues(sample((p) => (p.guests[2].devices[1].base = 0x40fffe00)))).toEqual([
      'guests.2.devices.1.base: a device window overlaps RAM: [0x40fffe00, 0x41000000) overlaps RAM memory.0 [0x40000000, 0x41000000)',
    ]);
    expect(issues(sample((p) => (p.guests[0].devices[0].base = 0x080a0000 + 0x20000)))).toEqual([
      expect.stringMatching(/^guests\.0\.devices\.0\.base: MMIO windows overlap: .* overlaps the GIC redistributors \[0x80a0000, 0x80e0000\)$/),
    ]);
    expect(issues(sample((p) => (p.guests[1].memory[1].base = 0xbff00000)))).toEqual([
      'guests.1.memory.1: RAM regions overlap: [0xbff00000, 0xfff00000) overlaps RAM memory.0 [0x40000000, 0xc0000000)',
    ]);
  });

  it('[AVP-DISC-4] [AVP-TRANS-11] rejects two devices on one SPI', () => {
    expect(issues(sample((p) => (p.guests[0].devices[4].interrupt = { spi: 17 })))).toEqual([
      'guests.0.devices.4.interrupt.spi: SPI 17 is already the interrupt of devices.1 (console)',
    ]);
  });

  it('[AVP-DISC-4] rejects an SPI the GIC does not implement', () => {
    expect(issues(sample((p) => (p.guests[2].devices[2].interrupt = { spi: 64 })))).toEqual([
      "guests.2.devices.2.interrupt.spi: SPI 64 is outside the GIC's SPI range 0..63",
    ]);
    expect(issues(sample((p) => (p.guests[0].devices[2].interrupt = { spi: 988 })))).toEqual([
      "guests.0.devices.2.interrupt.spi: SPI 988 is outside the GIC's SPI range 0..987",
    ]);
    expect(validatePlatform(sample((p) => (p.guests[0].devices[2].interrupt = { spi: 987 }))).ok).toBe(true);
  });

  it('[AVP-DISC-7] rejects an iommu reference to a missing device, to a device that is not an IOMMU, or to itself', () => {
    expect(issues(sample((p) => (p.guests[1].devices[2].iommu = { device: 'smmu', endpoint: 2 })))).toEqual([
      'guests.1.devices.2.iommu.device: unknown IOMMU "smmu": no device of this guest has that id',
    ]);
    expect(issues(sample((p) => (p.guests[1].devices[2].iommu = { device: 'touch', endpoint: 2 })))).toEqual([
      'guests.1.devices.2.iommu.device: "touch" is a input device, not an iommu',
    ]);
    expect(issues(sample((p) => (p.guests[1].devices[0].iommu = { device: 'viommu', endpoint: 9 })))).toEqual([
      'guests.1.devices.0.iommu.device: a virtio-iommu cannot translate its own accesses',
    ]);
    // A reference to another guest's IOMMU is unknown too.
    expect(issues(sample((p) => (p.guests[0].devices[0].iommu = { device: 'viommu', endpoint: 1 })))).toEqual([
      'guests.0.devices.0.iommu.device: unknown IOMMU "viommu": no device of this guest has that id',
    ]);
  });

  it('[AVP-DISC-8] rejects two endpoints with one ID on one IOMMU', () => {
    expect(issues(sample((p) => (p.guests[1].devices[3].iommu = { device: 'viommu', endpoint: 1 })))).toEqual([
      'guests.1.devices.3.iommu.endpoint: endpoint 1 of "viommu" is already used by devices.1',
    ]);
  });

  it('[AVP-DISC-9] rejects a reserved range outside RAM', () => {
    expect(issues(sample((p) => (p.guests[1].reserved = [{ base: 0xbfff0000, size: 0x20000 }])))).toEqual([
      'guests.1.reserved.0: reserved range [0xbfff0000, 0xc0010000) is not inside one RAM region',
    ]);
  });

  it('rejects duplicate guest names and device ids, and a stdout-path that names no device', () => {
    expect(issues(sample((p) => (p.guests[2].name = 'ivi')))).toEqual(['guests.2.name: guest "ivi" is already guests.1']);
    expect(issues(sample((p) => (p.guests[0].devices[2].id = 'rootfs')))).toEqual(['guests.0.devices.2.id: device id "rootfs" is already devices.0']);
    expect(issues(sample((p) => (p.guests[0].stdoutPath = '/pl011@9000000')))).toEqual([
      'guests.0.stdoutPath: "/pl011@9000000" is not the path of a device node of this guest',
    ]);
    expect(validatePlatform(sample((p) => (p.guests[0].stdoutPath = '/virtio_mmio@a000200:115200'))).ok).toBe(true);
  });
});
