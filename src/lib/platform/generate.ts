// From a platform description to what each guest boots with.
import { guestTree, type DeviceTree } from './devicetree.ts';
import { toDts } from './dts.ts';
import { encodeFdt } from './fdt.ts';
import { parsePlatform, type PlatformInput } from './schema.ts';

export interface GuestDescription {
  guest: string;
  tree: DeviceTree;
  /** Device tree source (DTS v1). */
  dts: string;
  /** The flattened device tree blob the hypervisor places in guest memory. */
  dtb: Uint8Array;
}

// #region generate
/** Checks a platform description and generates every guest's device tree, in guest order. */
export function generatePlatform(description: PlatformInput | unknown): GuestDescription[] {
  const platform = parsePlatform(description);
  return platform.guests.map((g) => {
    const tree = guestTree(g);
    return { guest: g.name, tree, dts: toDts(tree), dtb: encodeFdt(tree) };
  });
}
// #endregion generate
