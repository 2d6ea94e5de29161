// The generated device trees: what each guest's tree says about its devices, and the blob's
// header and blocks, read back with decodeFdt.
import { describe, expect, it } from 'vitest';
import {
  cockpitPlatform,
  decodeFdt,
  encodeFdt,
  FDT_END,
  FDT_LAST_COMP_VERSION,
  FDT_MAGIC,
  FDT_NOP,
  FDT_VERSION,
  generatePlatform,
  guestTree,
  nodePaths,
  parsePlatform,
  type FdtNode,
  type PlatformInput,
} from '../../../src/lib/platform/index.ts';

const guests = generatePlatform(cockpitPlatform());
const byName = (name: string) => guests.find((g) => g.guest === name)!;

const be32 = (b: Uint8Array) => Array.from({ length: b.length / 4 }, (_, i) => new DataView(b.buffer, b.byteOffset).getUint32(i * 4));
const strs = (b: Uint8Array) => new TextDecoder().decode(b).split('\0').slice(0, -1);
const prop = (n: FdtNode, name: string) => n.properties.find((p) => p.name === name)?.value;
const child = (n: FdtNode, name: string) => n.children.find((c) => c.name === name)!;
const virtioNodes = (root: FdtNode) => root.children.filter((c) => c.properties.some((p) => p.name === 'compatible' && strs(p.value)[0] === 'virtio,mmio'));

describe('virtio-mmio nodes', () => {
  it('[AVP-DISC-1] [AVP-TRANS-20] give each device one node with compatible "virtio,mmio", its window in reg and one interrupt', () => {
    for (const g of parsePlatform(cockpitPlatform()).guests) {
      const { root } = decodeFdt(byName(g.name).dtb);
      const nodes = virtioNodes(root);
      expect(nodes).toHaveLength(g.devices.length);
      for (const d of g.devices) {
        const n = nodes.find((x) => x.name.endsWith(`@${d.base.toString(16)}`))!;
        expect(strs(prop(n, 'compatible')!)).toEqual(['virtio,mmio']);
        expect(be32(prop(n, 'reg')!)).toEqual([0, d.base, 0, d.size]); // #address-cells = #size-cells = 2
        expect(be32(prop(n, 'interrupts')!)).toEqual([0, d.interrupt.spi, 4]); // one SPI, level high
      }
    }
  });

  it('[AVP-DISC-1] name a window above 4 GiB with both cells of its address', () => {
    const p = cockpitPlatform();
    p.guests[2].devices[0].base = 0x1_2000_0000;
    const { root } = decodeFdt(generatePlatform(p)[2].dtb);
    const n = child(root, 'virtio_mmio@120000000');
    expect(be32(prop(n, 'reg')!)).toEqual([1, 0x2000_0000, 0, 0x200]);
  });

  it('[AVP-DISC-5] describe the interrupt as level-triggered, active high, unless the description says edge', () => {
    const p = cockpitPlatform();
    p.guests[2].devices[1].interrupt = { spi: 17, trigger: 'edge' };
    const { root } = decodeFdt(generatePlatform(p)[2].dtb);
    expect(virtioNodes(root).map((n) => be32(prop(n, 'interrupts')!)[2])).toEqual([4, 1, 4]);
  });

  it('[AVP-DISC-6] carry dma-coherent exactly when the device is coherent', () => {
    const p = cockpitPlatform();
    p.guests[0].devices[3].dmaCoherent = false;
    const { root } = decodeFdt(generatePlatform(p)[0].dtb);
    const coherent = virtioNodes(root).map((n) => prop(n, 'dma-coherent'));
    expect(coherent.map((v) => v?.length)).toEqual([0, 0, 0, undefined, 0, 0, 0]);
  });

  it('[AVP-DISC-7] give a translated device iommus = <&viommu endpoint>, and the virtio-iommu #iommu-cells = <1>', () => {
    const { root } = decodeFdt(byName('ivi').dtb);
    const iommu = child(root, 'iommu@a000000');
    expect(strs(prop(iommu, 'compatible')!)).toEqual(['virtio,mmio']);
    expect(be32(prop(iommu, '#iommu-cells')!)).toEqual([1]);
    const phandle = be32(prop(iommu, 'phandle')!)[0];
    const refs = virtioNodes(root).map((n) => (prop(n, 'iommus') ? be32(prop(n, 'iommus')!) : null));
    expect(refs).toEqual([null, [phandle, 1], [phandle, 2], [phandle, 3], [phandle, 4], null, null, null, null]);
    expect(byName('ivi').dts).toContain('iommus = <&viommu 1>;');
    expect(byName('ivi').dts).toMatch(/viommu: iommu@a000000 \{/);
  });
});

describe('the rest of the tree', () => {
  it('[AVP-DISC-9] describes RAM in memory nodes, the GIC as interrupt parent, and reservations in the reservation block', () => {
    const { root, reservations } = decodeFdt(byName('ivi').dtb);
    expect(be32(prop(root, '#address-cells')!)).toEqual([2]);
    expect(be32(prop(root, '#size-cells')!)).toEqual([2]);
    expect(be32(prop(child(root, 'memory@40000000'), 'reg')!)).toEqual([0, 0x40000000, 0, 0x80000000]);
    expect(be32(prop(child(root, 'memory@100000000'), 'reg')!)).toEqual([1, 0, 0, 0x40000000]);
    expect(strs(prop(child(root, 'memory@100000000'), 'device_type')!)).toEqual(['memory']);
    const gic = child(root, 'interrupt-controller@8000000');
    expect(strs(prop(gic, 'compatible')!)).toEqual(['arm,gic-v3']);
    expect(be32(prop(gic, '#interrupt-cells')!)).toEqual([3]);
    expect(prop(gic, 'interrupt-controller')!.length).toBe(0);
    // GICD 64 KiB, then one 128 KiB redistributor per CPU (4 CPUs).
    expect(be32(prop(gic, 'reg')!)).toEqual([0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x80000]);
    expect(be32(prop(root, 'interrupt-parent')!)).toEqual(be32(prop(gic, 'phandle')!));
    expect(reservations).toEqual([{ address: 0x7f000000, size: 0x1000000 }]);
    expect(strs(prop(child(root, 'chosen'), 'bootargs')!)).toEqual(['console=hvc0 root=/dev/vda ro']);
    expect(child(root, 'cpus').children.map((c) => c.name)).toEqual(['cpu@0', 'cpu@1', 'cpu@2', 'cpu@3']);
  });

  it('[AVP-DISC-10] writes an FDT version 17 header, last compatible version 16, with consistent offsets', () => {
    const dtb = byName('cluster').dtb;
    const { header } = decodeFdt(dtb);
    expect(header).toMatchObject({ magic: FDT_MAGIC, version: FDT_VERSION, last_comp_version: FDT_LAST_COMP_VERSION, boot_cpuid_phys: 0, totalsize: dtb.length, off_mem_rsvmap: 40 });
    expect([FDT_MAGIC, FDT_VERSION, FDT_LAST_COMP_VERSION]).toEqual([0xd00dfeed, 17, 16]);
    // No reservations: the block is one zero entry, and the structure block follows it.
    expect(header.off_dt_struct).toBe(40 + 16);
    expect(header.off_dt_strings).toBe(header.off_dt_struct + header.size_dt_struct);
    expect(header.totalsize).toBe(header.off_dt_strings + header.size_dt_strings);
    expect(header.off_dt_struct % 8).toBe(0);
    expect(header.size_dt_struct % 4).toBe(0);
    // The structure block ends with FDT_END.
    expect(new DataView(dtb.buffer).getUint32(header.off_dt_struct + header.size_dt_struct - 4)).toBe(FDT_END);
  });

  it('[AVP-DISC-10] stores each property name once in the strings block', () => {
    const dtb = byName('ivi').dtb;
    const { header } = decodeFdt(dtb);
    const names = strs(dtb.subarray(header.off_dt_strings, header.off_dt_strings + header.size_dt_strings));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('compatible');
  });

  it('reads back a blob with FDT_NOP tokens in it, and rejects a corrupt one', () => {
    const dtb = byName('rtos').dtb;
    const { header } = decodeFdt(dtb);
    // Overwrite the root's first FDT_PROP (#address-cells, 4 bytes of value) with five NOPs.
    const patched = dtb.slice();
    const view = new DataView(patched.buffer);
    const at = header.off_dt_struct + 8; // after FDT_BEGIN_NODE and the root's empty, padded name
    for (let i = 0; i < 4; i++) view.setUint32(at + 4 * i, FDT_NOP);
    const back = decodeFdt(patched);
    expect(back.root.properties.map((p) => p.name)).not.toContain('#address-cells');
    expect(back.root.properties.map((p) => p.name)).toContain('#size-cells');
    const bad = dtb.slice();
    new DataView(bad.buffer).setUint32(0, 0xfeedd00d);
    expect(() => decodeFdt(bad)).toThrow(/magic/);
    expect(() => decodeFdt(dtb.subarray(0, dtb.length - 4))).toThrow(/totalsize/);
  });

  it('[AVP-DISC-11] is the same byte for byte for the same description, whatever the order of its device list', () => {
    const again = generatePlatform(cockpitPlatform());
    expect(again.map((g) => g.dtb)).toEqual(guests.map((g) => g.dtb));
    const shuffled: PlatformInput = cockpitPlatform();
    for (const g of shuffled.guests) g.devices.reverse();
    expect(generatePlatform(shuffled).map((g) => g.dtb)).toEqual(guests.map((g) => g.dtb));
    const paths = nodePaths(guestTree(parsePlatform(shuffled).guests[0]).root).filter((p) => p.startsWith('/virtio_mmio@'));
    expect(paths).toEqual(['/virtio_mmio@a000000', '/virtio_mmio@a000200', '/virtio_mmio@a000400', '/virtio_mmio@a000600', '/virtio_mmio@a000800', '/virtio_mmio@a000a00', '/virtio_mmio@a000c00']);
  });

  it('resolves a label only through a node that has a phandle', () => {
    const tree = guestTree(parsePlatform(cockpitPlatform()).guests[0]);
    tree.root.children.find((c) => c.label === 'gic')!.properties.pop(); // drop the GIC's phandle
    expect(() => encodeFdt(tree)).toThrow(/no node has the label "gic"/);
  });
});
