// Guest memory is bounds-checked: reads inside a region work, anything outside is a named error.
import { GuestMemory, isVirtqError } from '../src/lib/index.ts';

// Two regions with a hole between them, as a guest's physical map often has.
const mem = new GuestMemory([
  { base: 0x1000, bytes: new Uint8Array(0x100) },
  { base: 0x4000, bytes: new Uint8Array(0x100) },
]);

mem.writeU32(0x1010, 0xcafef00d);
console.log(`u32 at 0x1010 = 0x${mem.readU32(0x1010).toString(16)}`);
console.log(`bytes at 0x1010 = ${[...mem.read(0x1010, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')} (little-endian)`);

for (const [addr, len] of [[0x10fe, 4], [0x2000, 1], [0xffff_ffff_ffff_fff0n, 0x20]] as const) {
  try {
    mem.read(addr, len);
    console.log(`read ${len} at 0x${addr.toString(16)}: ok`);
  } catch (e) {
    if (!isVirtqError(e)) throw e;
    console.log(`read ${len} at 0x${addr.toString(16)}: ${e.code}`);
  }
}
