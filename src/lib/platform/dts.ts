// Device tree source, version 1 (DTSpec 6): the text a person reads and dtc compiles.
import type { Cell, DeviceTree, DtNode, DtProperty } from './devicetree.ts';

const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function cellText(c: Cell, radix: 10 | 16): string {
  if (typeof c !== 'number') return `&${c.ref}`; // a phandle reference by label (DTSpec 6.2)
  return radix === 16 ? `0x${c.toString(16)}` : String(c);
}

// #region dts-property
function propertyText(p: DtProperty): string {
  const v = p.value;
  switch (v.kind) {
    case 'empty':
      return `${p.name};`;
    case 'strings':
      return `${p.name} = ${v.values.map((s) => `"${escape(s)}"`).join(', ')};`;
    case 'cells':
      return `${p.name} = ${v.groups.map((g) => `<${g.map((c) => cellText(c, v.radix ?? 16)).join(' ')}>`).join(', ')};`;
  }
}
// #endregion dts-property

function nodeText(n: DtNode, depth: number, out: string[]): void {
  const pad = '\t'.repeat(depth);
  if (n.comment) out.push(`${pad}/* ${n.comment.replace(/\*\//g, '* /')} */`);
  out.push(`${pad}${n.label ? `${n.label}: ` : ''}${n.name === '' ? '/' : n.name} {`);
  for (const p of n.properties) out.push(`${pad}\t${propertyText(p)}`);
  for (const c of n.children) {
    out.push('');
    nodeText(c, depth + 1, out);
  }
  out.push(`${pad}};`);
}

/** The tree as DTS text: the version tag, the reservations, then the root node (DTSpec 6.4). */
export function toDts(tree: DeviceTree): string {
  const out = ['/dts-v1/;', ''];
  for (const r of tree.reservations) out.push(`/memreserve/ 0x${r.address.toString(16)} 0x${r.size.toString(16)};`);
  if (tree.reservations.length > 0) out.push('');
  nodeText(tree.root, 0, out);
  return `${out.join('\n')}\n`;
}
