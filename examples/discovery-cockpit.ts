// A cockpit platform description becomes three device trees: the cluster's source in full, the other guests' nodes read back from their blobs, and each blob's size and hash.
import { platform } from '../src/lib/index.ts';

/** FNV-1a, 32 bits: enough to tell two blobs apart in this printout. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const description = platform.cockpitPlatform();
const guests = platform.generatePlatform(description);

for (const g of guests) {
  const { header } = platform.decodeFdt(g.dtb);
  console.log(`${g.guest}: ${g.dtb.length}-byte blob, FDT v${header.version} (last compatible v${header.last_comp_version}), fnv1a ${fnv1a(g.dtb)}`);
}

const [cluster, ...others] = guests;
console.log(`\n--- ${cluster.guest}.dts ---`);
console.log(cluster.dts);

// The other guests, read back from the blob as a guest's loader would see it.
for (const g of others) {
  console.log(`--- ${g.guest}: nodes in the blob ---`);
  const { root, reservations } = platform.decodeFdt(g.dtb);
  for (const r of reservations) console.log(`  /memreserve/ 0x${r.address.toString(16)} 0x${r.size.toString(16)}`);
  const walk = (n: platform.FdtNode, parent: string) => {
    const path = n.name === '' ? '/' : `${parent === '/' ? '' : parent}/${n.name}`;
    const props = Object.fromEntries(n.properties.map((p) => [p.name, p.value]));
    const words = (b: Uint8Array) => Array.from({ length: b.length / 4 }, (_, i) => new DataView(b.buffer, b.byteOffset).getUint32(i * 4));
    let note = '';
    if (props.interrupts && props.compatible && new TextDecoder().decode(props.compatible).startsWith('virtio,mmio')) {
      const [, spi, flags] = words(props.interrupts);
      note = `  SPI ${spi} ${flags === 4 ? 'level' : 'edge'}${props['dma-coherent'] ? ', dma-coherent' : ''}`;
      if (props.iommus) note += `, iommus <phandle ${words(props.iommus)[0]}, endpoint ${words(props.iommus)[1]}>`;
      if (props['#iommu-cells']) note += ', virtio-iommu';
    }
    console.log(`  ${path}${note}`);
    for (const c of n.children) walk(c, path);
  };
  walk(root, '');
}

// A description with a mistake is refused before any tree is generated.
const broken = platform.cockpitPlatform();
broken.guests[1].devices[6].interrupt = { spi: 20 };
broken.guests[2].devices[0].iommu = { device: 'viommu', endpoint: 7 };
const check = platform.validatePlatform(broken);
console.log('\na broken description:');
if (!check.ok) for (const i of check.issues) console.log(`  ${i.path}: ${i.message}`);
