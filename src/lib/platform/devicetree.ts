// A device tree in memory, and the generator that builds one per guest from a checked platform
// description. dts.ts writes the tree as source text, fdt.ts as a flattened blob; both read the
// same tree, so the two cannot disagree.
import { GICD_SIZE, GICR_SIZE_PER_CPU, mmioNodeName, VIRTIO_DEVICE_TYPES, type Guest, type MmioDevice } from './schema.ts';

// #region tree
/** One 32-bit cell, or a reference to the node with that label (resolved to its phandle). */
export type Cell = number | { ref: string };

export type DtValue =
  | { kind: 'empty' } // a boolean property such as interrupt-controller
  | { kind: 'strings'; values: string[] } // one or more NUL-terminated strings
  | { kind: 'cells'; groups: Cell[][]; radix?: 10 | 16 }; // <a b>, <c d>: big-endian 32-bit cells

export interface DtProperty {
  name: string;
  value: DtValue;
}

export interface DtNode {
  /** node-name@unit-address (DTSpec 2.2.1); "" for the root. */
  name: string;
  /** A source label, when other nodes refer to this one. */
  label?: string;
  /** A comment written above the node in the source. */
  comment?: string;
  properties: DtProperty[];
  children: DtNode[];
}

export interface DeviceTree {
  /** Memory reservation block entries (DTSpec 5.3). */
  reservations: { address: number; size: number }[];
  /** The physical ID of the boot CPU, as the header's boot_cpuid_phys (DTSpec 5.2). */
  bootCpuId: number;
  root: DtNode;
}
// #endregion tree

const empty = (name: string): DtProperty => ({ name, value: { kind: 'empty' } });
const str = (name: string, ...values: string[]): DtProperty => ({ name, value: { kind: 'strings', values } });
const dec = (name: string, ...groups: Cell[][]): DtProperty => ({ name, value: { kind: 'cells', groups, radix: 10 } });
const hexCells = (name: string, ...groups: Cell[][]): DtProperty => ({ name, value: { kind: 'cells', groups, radix: 16 } });

/** A 64-bit address or size as two cells, high word first (#address-cells = #size-cells = 2). */
export function cells64(n: number): [number, number] {
  return [Math.floor(n / 2 ** 32), n % 2 ** 32];
}

// #region interrupt-specifier
/** GICv3 interrupt specifier flags (Linux dt-bindings/interrupt-controller/irq.h). */
export const IRQ_TYPE_EDGE_RISING = 1;
export const IRQ_TYPE_LEVEL_HIGH = 4;
const GIC_SPI = 0;
const GIC_PPI = 1;

/** <type number flags> for an SPI, as #interrupt-cells = 3 of arm,gic-v3 defines it. */
export function spiSpecifier(d: Pick<MmioDevice, 'interrupt'>): number[] {
  return [GIC_SPI, d.interrupt.spi, d.interrupt.trigger === 'level' ? IRQ_TYPE_LEVEL_HIGH : IRQ_TYPE_EDGE_RISING];
}
// #endregion interrupt-specifier

/** The phandles the generator assigns: the GIC first, then each virtio-iommu in address order. */
export const GIC_PHANDLE = 1;

const label = (id: string) => id.replace(/-/g, '_');

// #region mmio-node
/** The node of one virtio-mmio device: the binding of Linux's virtio/mmio.yaml. */
export function mmioNode(d: MmioDevice): DtNode {
  const properties: DtProperty[] = [
    str('compatible', 'virtio,mmio'),
    hexCells('reg', [...cells64(d.base), ...cells64(d.size)]),
    dec('interrupts', spiSpecifier(d)),
  ];
  if (d.dmaCoherent) properties.push(empty('dma-coherent'));
  if (d.iommu) properties.push(dec('iommus', [{ ref: label(d.iommu.device) }, d.iommu.endpoint]));
  if (d.type === 'iommu') properties.push(dec('#iommu-cells', [1]));
  const node: DtNode = {
    name: mmioNodeName(d),
    comment: `${d.id}: ${d.type} (VIRTIO device ID ${VIRTIO_DEVICE_TYPES[d.type]})`,
    properties,
    children: [],
  };
  if (d.type === 'iommu') node.label = label(d.id);
  return node;
}
// #endregion mmio-node

// #region guest-tree
/** The device tree of one guest. Devices appear in address order, whatever their order in the description. */
export function guestTree(g: Guest): DeviceTree {
  const byAddress = <T extends { base: number }>(xs: readonly T[]) => [...xs].sort((a, b) => a.base - b.base);
  const devices = byAddress(g.devices).map(mmioNode);
  // Explicit phandles, so that dtc compiling our source produces exactly our blob.
  let next = GIC_PHANDLE + 1;
  for (const n of devices) if (n.label) n.properties.push(dec('phandle', [next++]));

  const root: DtNode = {
    name: '',
    properties: [
      dec('#address-cells', [2]),
      dec('#size-cells', [2]),
      str('compatible', ...g.compatible),
      str('model', g.model),
      dec('interrupt-parent', [{ ref: 'gic' }]),
    ],
    children: [],
  };
  const chosen: DtProperty[] = [];
  if (g.bootargs !== undefined) chosen.push(str('bootargs', g.bootargs));
  if (g.stdoutPath !== undefined) chosen.push(str('stdout-path', g.stdoutPath));
  root.children.push({ name: 'chosen', properties: chosen, children: [] });

  root.children.push({
    name: 'cpus',
    properties: [dec('#address-cells', [1]), dec('#size-cells', [0])],
    children: Array.from({ length: g.cpus }, (_, i) => ({
      name: `cpu@${i.toString(16)}`,
      properties: [str('device_type', 'cpu'), str('compatible', g.cpuCompatible), hexCells('reg', [i]), str('enable-method', 'psci')],
      children: [],
    })),
  });
  root.children.push({ name: 'psci', properties: [str('compatible', 'arm,psci-1.0'), str('method', 'hvc')], children: [] });
  // The architected timer's PPIs: secure and non-secure physical, virtual, hypervisor.
  root.children.push({
    name: 'timer',
    properties: [str('compatible', 'arm,armv8-timer'), dec('interrupts', ...[13, 14, 11, 10].map((ppi) => [GIC_PPI, ppi, IRQ_TYPE_LEVEL_HIGH]))],
    children: [],
  });
  for (const m of byAddress(g.memory)) {
    root.children.push({
      name: `memory@${m.base.toString(16)}`,
      properties: [str('device_type', 'memory'), hexCells('reg', [...cells64(m.base), ...cells64(m.size)])],
      children: [],
    });
  }
  root.children.push({
    name: `interrupt-controller@${g.gic.distributor.toString(16)}`,
    label: 'gic',
    properties: [
      str('compatible', 'arm,gic-v3'),
      dec('#interrupt-cells', [3]),
      dec('#address-cells', [0]), // no children; dtc asks every interrupt provider to say so
      empty('interrupt-controller'),
      hexCells(
        'reg',
        [...cells64(g.gic.distributor), ...cells64(GICD_SIZE)],
        [...cells64(g.gic.redistributors), ...cells64(GICR_SIZE_PER_CPU * g.cpus)],
      ),
      dec('phandle', [GIC_PHANDLE]),
    ],
    children: [],
  });
  root.children.push(...devices);
  return {
    reservations: g.reserved.map((r) => ({ address: r.base, size: r.size })),
    bootCpuId: 0,
    root,
  };
}
// #endregion guest-tree

/** Every node's path, depth first, in tree order: "/", "/chosen", "/cpus", "/cpus/cpu@0", … */
export function nodePaths(root: DtNode): string[] {
  const out: string[] = [];
  const walk = (n: DtNode, parent: string) => {
    const path = n.name === '' ? '/' : `${parent === '/' ? '' : parent}/${n.name}`;
    out.push(path);
    for (const c of n.children) walk(c, path);
  };
  walk(root, '');
  return out;
}
