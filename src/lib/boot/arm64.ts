// The load layout and entry registers of a direct arm64 Linux boot, after the kernel's
// Documentation/arch/arm64/booting.rst: the Image at text_offset from a 2 MiB-aligned base in
// RAM with image_size bytes free from its start, the device tree blob on an 8-byte boundary and
// at most 2 MiB long, an initrd inside one 1 GiB-aligned window of at most 32 GiB that also
// covers the Image, and x0 holding the blob's physical address with x1 to x3 zero.
// A model of the layout a hypervisor chooses, not of a CPU: MMU, caches and PSTATE are the
// chapter's prose.

const MiB = 0x100000;
const GiB = 0x40000000;

export interface Range {
  readonly base: number;
  readonly size: number;
}

export interface Arm64Load {
  /** The guest's RAM regions. */
  readonly ram: readonly Range[];
  /** The 2 MiB-aligned base, and the Image header's text_offset and image_size. */
  readonly kernel: { readonly base: number; readonly textOffset: number; readonly imageSize: number };
  readonly dtb: { readonly address: number; readonly size: number };
  readonly initrd?: { readonly address: number; readonly size: number };
}

// #region arm64-entry
/** What the primary CPU holds when the hypervisor enters the Image. */
export interface Arm64Entry {
  /** The first byte of the Image: base + text_offset. */
  readonly pc: number;
  /** Physical address of the device tree blob. */
  readonly x0: number;
  /** Reserved, zero. */
  readonly x1: 0;
  readonly x2: 0;
  readonly x3: 0;
}

export function arm64Entry(load: Arm64Load): Arm64Entry {
  return { pc: load.kernel.base + load.kernel.textOffset, x0: load.dtb.address, x1: 0, x2: 0, x3: 0 };
}

/** Every way the layout breaks booting.rst or overlaps itself; empty when it is sound. */
export function checkArm64Load(load: Arm64Load): string[] {
  const issues: string[] = [];
  const inRam = (r: Range) => load.ram.some((m) => r.base >= m.base && r.base + r.size <= m.base + m.size);
  const hex = (n: number) => `0x${n.toString(16)}`;
  const image: Range = { base: load.kernel.base + load.kernel.textOffset, size: load.kernel.imageSize };
  const dtb: Range = { base: load.dtb.address, size: load.dtb.size };

  if (load.kernel.base % (2 * MiB) !== 0) issues.push(`kernel.base ${hex(load.kernel.base)} is not 2 MiB aligned`);
  if (!inRam(image)) issues.push(`the Image [${hex(image.base)}, +${hex(image.size)}) is not inside one RAM region`);
  if (dtb.base % 8 !== 0) issues.push(`dtb.address ${hex(dtb.base)} is not on an 8-byte boundary`);
  if (dtb.size > 2 * MiB) issues.push(`dtb.size ${dtb.size} exceeds 2 MiB`);
  if (!inRam(dtb)) issues.push('the device tree blob is not inside one RAM region');

  const parts: [string, Range][] = [['the Image', image], ['the device tree blob', dtb]];
  if (load.initrd) {
    const rd: Range = { base: load.initrd.address, size: load.initrd.size };
    if (!inRam(rd)) issues.push('the initrd is not inside one RAM region');
    const lo = Math.floor(Math.min(rd.base, image.base) / GiB) * GiB;
    const hi = Math.max(rd.base + rd.size, image.base + image.size);
    if (hi - lo > 32 * GiB) issues.push('the initrd and the Image do not fit one 1 GiB-aligned window of 32 GiB');
    parts.push(['the initrd', rd]);
  }
  for (let j = 0; j < parts.length; j++) {
    for (let i = 0; i < j; i++) {
      const [an, a] = parts[i];
      const [bn, b] = parts[j];
      if (a.base < b.base + b.size && b.base < a.base + a.size) issues.push(`${bn} overlaps ${an}`);
    }
  }
  return issues;
}
// #endregion arm64-entry

// #region arm64-place
/**
 * A layout for a guest: the Image at the first 2 MiB-aligned base of the first RAM region
 * (text_offset 0), the blob in the next 2 MiB block of its own, the initrd after it on a page.
 */
export function placeArm64(ram: readonly Range[], imageSize: number, dtbSize: number, initrdSize?: number): Arm64Load {
  const first = ram[0];
  const align = (v: number, a: number) => Math.ceil(v / a) * a;
  const base = align(first.base, 2 * MiB);
  const dtbAddress = align(base + imageSize, 2 * MiB);
  const initrd = initrdSize === undefined ? undefined : { address: align(dtbAddress + dtbSize, 0x1000), size: initrdSize };
  return { ram, kernel: { base, textOffset: 0, imageSize }, dtb: { address: dtbAddress, size: dtbSize }, ...(initrd ? { initrd } : {}) };
}
// #endregion arm64-place
