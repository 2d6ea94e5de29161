// The platform description: which guests a vehicle computer runs, and for each its RAM, its
// CPUs, its interrupt controller and the virtio-mmio devices the hypervisor gives it. One
// description is the single source from which every guest's device tree is generated
// (devicetree.ts), so an address or an interrupt is written once and checked once.
//
// The checks come in two layers: the zod schema checks each field on its own, and
// checkGuest() checks what no single field can (overlaps, shared interrupts, references).
// Both report through the same issue list, each issue naming the field's path.
import { z } from 'zod';

// #region device-types
/** VIRTIO device IDs (VIRTIO 1.4 §5) of the device types a description may name. */
export const VIRTIO_DEVICE_TYPES = {
  net: 1, // §5.1
  block: 2, // §5.2
  console: 3, // §5.3
  entropy: 4, // §5.4
  gpu: 16, // §5.7
  input: 18, // §5.8
  vsock: 19, // §5.10
  iommu: 23, // §5.13
  sound: 25, // §5.14
  fs: 26, // §5.11
  can: 36, // §5.20
} as const;
export type VirtioDeviceType = keyof typeof VIRTIO_DEVICE_TYPES;
const DEVICE_TYPE_NAMES = Object.keys(VIRTIO_DEVICE_TYPES) as [VirtioDeviceType, ...VirtioDeviceType[]];
// #endregion device-types

/** Size of the GICv3 distributor (GICD) frame, and of one redistributor (GICR: RD_base + SGI_base). */
export const GICD_SIZE = 0x10000;
export const GICR_SIZE_PER_CPU = 0x20000;
/** GICv3 SPIs are INTIDs 32..1019, numbered 0..987 in a device tree interrupt specifier. */
export const GIC_MAX_SPIS = 988;
/** The smallest virtio-mmio window the AVP accepts (see AVP-DISC-2). */
export const MMIO_MIN_WINDOW = 0x200;

// #region schema
const address = z
  .number({ error: 'a guest-physical address (a non-negative integer)' })
  .int('an integer address')
  .nonnegative('a non-negative address')
  .max(Number.MAX_SAFE_INTEGER, 'an address below 2^53');
const size = z.number({ error: 'a size in bytes' }).int('an integer size').positive('a size above 0');
const printable = z.string().regex(/^[\x20-\x7e]*$/, 'printable ASCII only');
const identifier = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'lower-case letters, digits and "-", starting with a letter');

const region = z.object({ base: address, size }).strict();

const interrupt = z
  .object({
    spi: z.number({ error: 'an SPI number' }).int('an integer SPI number').nonnegative('an SPI number from 0'),
    trigger: z.enum(['level', 'edge']).default('level'),
  })
  .strict();

const mmioDevice = z
  .object({
    id: identifier,
    type: z.enum(DEVICE_TYPE_NAMES, { error: `one of ${DEVICE_TYPE_NAMES.join(', ')}` }),
    transport: z.literal('virtio-mmio').default('virtio-mmio'),
    base: address.refine((a) => a % 4 === 0, 'an address aligned to 4 bytes'),
    size: size
      .min(MMIO_MIN_WINDOW, `at least 0x${MMIO_MIN_WINDOW.toString(16)} bytes (registers and configuration space)`)
      .refine((s) => s % 4 === 0, 'a multiple of 4 bytes')
      .default(MMIO_MIN_WINDOW),
    interrupt,
    dmaCoherent: z.boolean().default(true),
    iommu: z
      .object({
        device: z.string({ error: 'the id of a virtio-iommu device of the same guest' }),
        endpoint: z.number().int('an integer endpoint ID').nonnegative().max(0xffffffff, 'a 32-bit endpoint ID'),
      })
      .strict()
      .optional(),
  })
  .strict();

const guest = z
  .object({
    name: identifier,
    model: printable.min(1, 'a non-empty model string'),
    compatible: z.array(printable.min(1)).min(1, 'at least one compatible string').default(['avp,virt']),
    cpus: z.number().int().min(1, 'at least 1 CPU').max(8, 'at most 8 CPUs').default(1),
    cpuCompatible: printable.min(1).default('arm,armv8'),
    memory: z.array(region).min(1, 'at least one RAM region'),
    reserved: z.array(region).default([]),
    gic: z
      .object({
        distributor: address.refine((a) => a % 0x10000 === 0, 'an address aligned to 64 KiB'),
        redistributors: address.refine((a) => a % 0x10000 === 0, 'an address aligned to 64 KiB'),
        spis: z.number().int().min(32).max(GIC_MAX_SPIS, `at most ${GIC_MAX_SPIS} SPIs`).default(GIC_MAX_SPIS),
      })
      .strict(),
    bootargs: printable.optional(),
    stdoutPath: printable.optional(),
    devices: z.array(mmioDevice),
  })
  .strict();

export const platformSchema = z
  .object({
    name: printable.min(1, 'a non-empty platform name'),
    guests: z.array(guest).min(1, 'at least one guest'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.guests.forEach((g, i) => {
      const first = seen.get(g.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['guests', i, 'name'], message: `guest "${g.name}" is already guests.${first}` });
      else seen.set(g.name, i);
      for (const issue of checkGuest(g)) ctx.addIssue({ code: 'custom', path: ['guests', i, ...issue.path], message: issue.message });
    });
  });
// #endregion schema

/** A platform description as a caller writes it (defaults may be left out). */
export type PlatformInput = z.input<typeof platformSchema>;
/** A checked platform description, every default filled in. */
export type Platform = z.output<typeof platformSchema>;
export type Guest = Platform['guests'][number];
export type MmioDevice = Guest['devices'][number];

export interface PlatformIssue {
  /** The field's path, e.g. "guests.1.devices.3.interrupt.spi". */
  path: string;
  message: string;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** The node name of a virtio-mmio device: virtio_mmio@<address> (a virtio-iommu: iommu@<address>). */
export function mmioNodeName(d: Pick<MmioDevice, 'type' | 'base'>): string {
  return `${d.type === 'iommu' ? 'iommu' : 'virtio_mmio'}@${d.base.toString(16)}`;
}

// #region cross-checks
interface Window {
  path: (string | number)[];
  what: string;
  base: number;
  size: number;
  ram: boolean;
}

/** The checks that span fields of one guest; each issue's path is relative to the guest. */
export function checkGuest(g: Guest): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const windows: Window[] = [
    ...g.memory.map((r, i): Window => ({ path: ['memory', i], what: `RAM memory.${i}`, base: r.base, size: r.size, ram: true })),
    { path: ['gic', 'distributor'], what: 'the GIC distributor', base: g.gic.distributor, size: GICD_SIZE, ram: false },
    { path: ['gic', 'redistributors'], what: 'the GIC redistributors', base: g.gic.redistributors, size: GICR_SIZE_PER_CPU * g.cpus, ram: false },
    ...g.devices.map((d, i): Window => ({ path: ['devices', i, 'base'], what: `the window of devices.${i} (${d.id})`, base: d.base, size: d.size, ram: false })),
  ];
  // Overlaps: every pair once; the issue goes to the later entry, naming the earlier one.
  for (let j = 0; j < windows.length; j++) {
    const b = windows[j];
    for (let i = 0; i < j; i++) {
      const a = windows[i];
      if (a.base < b.base + b.size && b.base < a.base + a.size) {
        const kind = a.ram && b.ram ? 'RAM regions overlap' : a.ram || b.ram ? 'a device window overlaps RAM' : 'MMIO windows overlap';
        issues.push({ path: b.path, message: `${kind}: [${hex(b.base)}, ${hex(b.base + b.size)}) overlaps ${a.what} [${hex(a.base)}, ${hex(a.base + a.size)})` });
      }
    }
  }
  g.reserved.forEach((r, i) => {
    if (!g.memory.some((m) => r.base >= m.base && r.base + r.size <= m.base + m.size)) {
      issues.push({ path: ['reserved', i], message: `reserved range [${hex(r.base)}, ${hex(r.base + r.size)}) is not inside one RAM region` });
    }
  });

  const ids = new Map<string, number>();
  const spis = new Map<number, number>();
  g.devices.forEach((d, i) => {
    const firstId = ids.get(d.id);
    if (firstId !== undefined) issues.push({ path: ['devices', i, 'id'], message: `device id "${d.id}" is already devices.${firstId}` });
    else ids.set(d.id, i);
    const spi = d.interrupt.spi;
    if (spi >= g.gic.spis) {
      issues.push({ path: ['devices', i, 'interrupt', 'spi'], message: `SPI ${spi} is outside the GIC's SPI range 0..${g.gic.spis - 1}` });
    }
    const firstSpi = spis.get(spi);
    if (firstSpi !== undefined) issues.push({ path: ['devices', i, 'interrupt', 'spi'], message: `SPI ${spi} is already the interrupt of devices.${firstSpi} (${g.devices[firstSpi].id})` });
    else spis.set(spi, i);
  });

  const endpoints = new Map<string, number>();
  g.devices.forEach((d, i) => {
    if (!d.iommu) return;
    const target = g.devices.find((t) => t.id === d.iommu!.device);
    const path = ['devices', i, 'iommu', 'device'];
    if (!target) issues.push({ path, message: `unknown IOMMU "${d.iommu.device}": no device of this guest has that id` });
    else if (target.type !== 'iommu') issues.push({ path, message: `"${d.iommu.device}" is a ${target.type} device, not an iommu` });
    else if (target === d) issues.push({ path, message: 'a virtio-iommu cannot translate its own accesses' });
    const key = `${d.iommu.device}/${d.iommu.endpoint}`;
    const first = endpoints.get(key);
    if (first !== undefined) issues.push({ path: ['devices', i, 'iommu', 'endpoint'], message: `endpoint ${d.iommu.endpoint} of "${d.iommu.device}" is already used by devices.${first}` });
    else endpoints.set(key, i);
  });

  if (g.stdoutPath !== undefined) {
    const path = g.stdoutPath.split(':')[0];
    if (!g.devices.some((d) => `/${mmioNodeName(d)}` === path)) issues.push({ path: ['stdoutPath'], message: `"${path}" is not the path of a device node of this guest` });
  }
  return issues;
}
// #endregion cross-checks

export class PlatformError extends Error {
  readonly issues: PlatformIssue[];
  constructor(issues: PlatformIssue[]) {
    super(`bad platform description: ${issues.map((i) => `field "${i.path}": ${i.message}`).join('; ')}`);
    this.name = 'PlatformError';
    this.issues = issues;
  }
}

/** Checks a description without raising: the platform, or every issue with its field path. */
export function validatePlatform(data: unknown): { ok: true; platform: Platform } | { ok: false; issues: PlatformIssue[] } {
  const result = platformSchema.safeParse(data);
  if (result.success) return { ok: true, platform: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => {
      const path = issue.path.map(String);
      // An unknown field is reported on its object; name the field itself.
      if (issue.code === 'unrecognized_keys') path.push(issue.keys.join(', '));
      return { path: path.join('.') || '(root)', message: issue.message };
    }),
  };
}

/** Checks a description; a bad one raises a PlatformError naming every bad field. */
export function parsePlatform(data: unknown): Platform {
  const r = validatePlatform(data);
  if (!r.ok) throw new PlatformError(r.issues);
  return r.platform;
}
