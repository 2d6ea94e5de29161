// A seeded generator of malformed rings, and the checks a device must pass on each: the engine of
// `npm run fuzz`. A case is a small guest memory filled mostly at random, with a ring laid out in
// it (split or packed, random size, features and position), whose descriptors are random too but
// biased towards the shapes that reach deep checks: chains, indirect tables, addresses near the
// ends of memory and of 2^64, lengths near 2^32. The device pops until the ring is empty or broken
// and pushes what it took. Whatever the bytes, the device must not throw anything but a recorded
// VirtqError, must hand out only buffers inside guest memory, in readable-then-writable order,
// and must write nothing outside its own ring area. Runs in Node and browsers.
import { featureSet, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from '../virtio/feature-bits.ts';
import { MAX_CHAIN_BYTES } from '../virtio/chain-rules.ts';
import { isVirtqError, VIRTQ_ERROR_CODES } from '../virtio/errors.ts';
import { GuestMemory } from '../virtio/memory.ts';
import { createDeviceQueue, ringAreas, type RingType } from '../virtio/queue-factory.ts';
import type { QueueConfig } from '../virtio/queue.ts';

/** Bytes of guest memory per case: small, so that random addresses often land inside it. */
const MEMORY_BYTES = 16 * 1024;

/** A small, fast, seeded generator (mulberry32): the same seed gives the same case everywhere. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() < p * 0x1_0000_0000;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
}

/** What went wrong in a case; null if the device met every check. */
export interface FuzzFinding {
  readonly seed: number;
  readonly ring: RingType;
  readonly problem: string;
}

const KNOWN_CODES = new Set<string>(VIRTQ_ERROR_CODES);

/** A 32-bit length biased to the edges that matter: 0, small, a table's multiple of 16, near 2^32. */
function length(r: Rng): number {
  switch (r.below(10)) {
    case 0:
      return 0;
    case 1:
      return 16 * (1 + r.below(8));
    case 2:
      return 0xffff_ffff - r.below(64);
    case 3:
      return r.u32();
    default:
      return 1 + r.below(512);
  }
}

/** An address (as two 32-bit halves) biased to inside memory, its edges, and the top of 2^64. */
function address(r: Rng): [number, number] {
  switch (r.below(10)) {
    case 0:
      return [0xffff_ffff, 0xffff_ffff - r.below(4096)];
    case 1:
      return [r.u32(), r.u32()];
    case 2:
      return [0, MEMORY_BYTES - r.below(64)];
    default:
      return [0, r.below(MEMORY_BYTES)];
  }
}

/** Fills `mem` with random descriptors at 16-byte slots, mostly plausible, sometimes wild. */
function scribble(r: Rng, view: DataView, slots: number, size: number): void {
  for (let i = 0; i < slots; i++) {
    const at = i * 16;
    if (at + 16 > view.byteLength) return;
    const [hi, lo] = address(r);
    view.setUint32(at, lo, true);
    view.setUint32(at + 4, hi, true);
    view.setUint32(at + 8, length(r), true);
    const a = r.u32() & 0xffff;
    view.setUint16(at + 12, r.chance(0.7) ? a % (size + 2) : a, true); // next (split) or id (packed)
    // Flags: NEXT, WRITE and INDIRECT in random mixes (INDIRECT rarer, so chains get long), and
    // the packed AVAIL/USED bits mostly saying "available in the first lap".
    const flags = (r.chance(0.4) ? 1 : 0) | (r.chance(0.5) ? 2 : 0) | (r.chance(0.15) ? 4 : 0) | (r.chance(0.8) ? 0x80 : r.pick([0, 0x8000, 0x8080]));
    view.setUint16(at + 14, r.chance(0.9) ? flags : r.u32() & 0xffff, true);
  }
}

/**
 * Runs one case; returns what went wrong, or null. `outcome` hears how a passing case ended:
 * the error code the device recorded, or "chains" if it took every chain without an error.
 */
export function fuzzCase(seed: number, ring: RingType, outcome?: (how: string) => void): FuzzFinding | null {
  let lastOutcome = 'empty';
  const r = new Rng(seed);
  const fail = (problem: string): FuzzFinding => ({ seed, ring, problem });
  const bytes = new Uint8Array(MEMORY_BYTES);
  const words = new Uint32Array(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = r.u32();
  const mem = new GuestMemory([{ base: 0, bytes }]);
  const size = ring === 'split' ? 1 << r.below(7) : 1 + r.below(64);
  const areas = ringAreas(ring, size);
  // Mostly a well-placed ring; sometimes misaligned or hanging off the end of memory.
  const descAddr = r.chance(0.97) ? 16 * r.below(64) : r.below(MEMORY_BYTES);
  const driverAddr = r.chance(0.97) ? ((descAddr + areas.desc.bytes + 3) & ~3) + 4 * r.below(16) : r.below(MEMORY_BYTES);
  const deviceAddr = r.chance(0.97) ? ((driverAddr + areas.driver.bytes + 3) & ~3) + 4 * r.below(16) : r.below(MEMORY_BYTES);
  const config: QueueConfig = { size, descAddr, driverAddr, deviceAddr };
  const features = featureSet(
    ...(ring === 'packed' ? [VIRTIO_F_RING_PACKED] : []),
    ...(r.chance(0.7) ? [VIRTIO_F_INDIRECT_DESC] : []),
    ...(r.chance(0.3) ? [VIRTIO_F_EVENT_IDX] : []),
    ...(r.chance(0.2) ? [VIRTIO_F_IN_ORDER] : []),
  );
  const view = new DataView(bytes.buffer);
  // Descriptors where the ring says they are, and indirect tables wherever addresses point.
  if (descAddr + areas.desc.bytes <= MEMORY_BYTES) scribble(r, new DataView(bytes.buffer, descAddr, areas.desc.bytes), size, size);
  const tables = 1 + r.below(4);
  for (let t = 0; t < tables; t++) {
    const at = 16 * r.below(MEMORY_BYTES / 16 - 8);
    scribble(r, new DataView(bytes.buffer, at, Math.min(256, MEMORY_BYTES - at)), 16, size);
  }
  // The driver area: a split ring's avail idx a little ahead (or wildly ahead); packed event flags.
  if (ring === 'split' && driverAddr + 4 + 2 * size <= MEMORY_BYTES) {
    view.setUint16(driverAddr + 2, r.chance(0.85) ? r.below(size + 1) : r.u32() & 0xffff, true);
    for (let i = 0; i < size; i++) view.setUint16(driverAddr + 4 + 2 * i, r.chance(0.85) ? r.below(size) : r.u32() & 0xffff, true);
  }
  const device = createDeviceQueue(mem, config, features);
  // The device may write its own area only: the used ring (avail_event included), or (packed)
  // the descriptor ring and its event suppression structure.
  const own: [number, number][] =
    ring === 'split' ? [[deviceAddr, areas.device.bytes]] : [[descAddr, areas.desc.bytes], [deviceAddr, areas.device.bytes]];
  const before = bytes.slice();
  const taken: { chain: import('../virtio/chain.ts').DescriptorChain; writable: number }[] = [];
  try {
    for (let pops = 0; pops <= size + 1; pops++) {
      const res = device.pop();
      if (res.kind === 'empty') break;
      if (res.kind === 'error') {
        if (!KNOWN_CODES.has(String(res.error.code))) return fail(`unknown error code ${res.error.code}`);
        const again = device.pop();
        if (again.kind !== 'error' || again.error !== res.error) return fail('a broken queue did not keep reporting its error');
        lastOutcome = String(res.error.code);
        break;
      }
      const { chain } = res;
      let total = 0;
      let writable = 0;
      let sawWritable = false;
      for (const b of chain.buffers) {
        if (!mem.contains(b.addr, b.len)) return fail(`buffer [${b.addr}, +${b.len}) outside guest memory`);
        if (!b.writable && sawWritable) return fail('readable buffer after a writable one');
        sawWritable ||= b.writable;
        total += b.len;
        if (b.writable) writable += b.len;
      }
      if (total > MAX_CHAIN_BYTES) return fail(`chain of ${total} bytes`);
      if (chain.id < 0 || chain.id >= size) return fail(`chain id ${chain.id} outside the queue`);
      taken.push({ chain, writable });
      lastOutcome = 'chains';
    }
    // Return what was taken (in order: IN_ORDER may have been negotiated), with random lengths.
    for (const t of taken) device.push(t.chain, Math.min(t.writable, r.below(1024)));
    device.needsNotification();
  } catch (e) {
    return fail(`threw ${isVirtqError(e) ? 'a VirtqError out of the device' : String(e)}`);
  }
  // Nothing outside the device's own areas changed (compared a word at a time, bytes where they differ).
  const was = new Uint32Array(before.buffer);
  for (let w = 0; w < words.length; w++) {
    if (words[w] === was[w]) continue;
    for (let i = 4 * w; i < 4 * w + 4; i++) {
      if (bytes[i] !== before[i] && !own.some(([a, n]) => i >= a && i < a + n)) return fail(`wrote byte ${i}, outside the device's ring areas`);
    }
  }
  outcome?.(lastOutcome);
  return null;
}

/** Runs `count` cases from `firstSeed`; returns the first finding, or null. */
export function fuzzRange(ring: RingType, firstSeed: number, count: number, outcome?: (how: string) => void): FuzzFinding | null {
  for (let i = 0; i < count; i++) {
    const f = fuzzCase((firstSeed + i) >>> 0, ring, outcome);
    if (f) return f;
  }
  return null;
}
