// The 2^32-byte bound on a chain (VIRTIO 1.4 §2.7.5.2) and the 32-bit used length (§2.7.8,
// §2.8.13), on both rings. Buffers may overlap, so a few MiB of guest memory and a queue of
// 4096 descriptors reach 4 GiB of chain without allocating it.
import { describe, expect, it } from 'vitest';
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../src/lib/virtio/split/index.ts';
import { SplitDeviceQueue } from '../../../src/lib/virtio/split/device-queue.ts';
import { PackedDeviceQueue } from '../../../src/lib/virtio/packed/device-queue.ts';
import type { DeviceQueue } from '../../../src/lib/virtio/queue.ts';
import type { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { MAX_CHAIN_BYTES } from '../../../src/lib/virtio/chain-rules.ts';
import { offer, putDesc as putSplit, splitLayout } from '../../support/split-harness.ts';
import { avail, packedLayout, putDesc as putPacked } from '../../support/packed-harness.ts';

const SIZE = 4096;
const MIB = 1 << 20;

/** A queue holding one chain of SIZE writable buffers, each `len` bytes, all at one address. */
function chainOf(ring: 'split' | 'packed', len: (i: number) => number): DeviceQueue & { mem: GuestMemory } {
  if (ring === 'split') {
    const l = splitLayout(SIZE, { dataSize: MIB + 16 });
    for (let i = 0; i < SIZE; i++) {
      putSplit(l, i, { addr: l.dataAddr, len: len(i), flags: VIRTQ_DESC_F_WRITE | (i < SIZE - 1 ? VIRTQ_DESC_F_NEXT : 0), next: i + 1 });
    }
    offer(l, 0);
    return Object.assign(new SplitDeviceQueue(l.mem, l.config, 0n), { mem: l.mem });
  }
  const l = packedLayout(SIZE, { dataSize: MIB + 16 });
  for (let i = 0; i < SIZE; i++) {
    putPacked(l, i, { addr: l.dataAddr, len: len(i), id: 0, flags: avail() | VIRTQ_DESC_F_WRITE | (i < SIZE - 1 ? VIRTQ_DESC_F_NEXT : 0) });
  }
  return Object.assign(new PackedDeviceQueue(l.mem, l.config, 0n), { mem: l.mem });
}

describe.each(['split', 'packed'] as const)('chain size bounds (%s ring)', (ring) => {
  it('[AVP-VQ-28] takes a chain of exactly 2^32 bytes', () => {
    const q = chainOf(ring, () => MIB);
    const r = q.pop();
    expect(r.kind).toBe('chain');
    if (r.kind === 'chain') expect(r.chain.buffers.reduce((n, b) => n + b.len, 0)).toBe(MAX_CHAIN_BYTES);
  });

  it('[AVP-VQ-28] refuses a chain of 2^32 + 1 bytes as CHAIN_TOO_LARGE, and keeps refusing it', () => {
    const q = chainOf(ring, (i) => (i === SIZE - 1 ? MIB + 1 : MIB));
    for (let n = 0; n < 2; n++) {
      const r = q.pop();
      expect(r.kind).toBe('error');
      if (r.kind === 'error') expect(r.error.code).toBe('CHAIN_TOO_LARGE');
    }
  });

  it('[AVP-VQ-29] refuses to push a used length that does not fit in 32 bits, and writes nothing', () => {
    const q = chainOf(ring, () => MIB);
    const r = q.pop();
    if (r.kind !== 'chain') throw new Error(`expected a chain, got ${r.kind}`);
    const before = q.mem.read(0, 0x100 + 16 * SIZE * 2);
    expect(() => q.push(r.chain, MAX_CHAIN_BYTES)).toThrow(/writtenLen 4294967296 is not in 0\.\.4294967295/);
    expect(q.mem.read(0, before.length)).toEqual(before);
    // Nothing was written and the chain is still outstanding: the largest 32-bit length goes through.
    q.push(r.chain, 0xffff_ffff);
    expect(() => q.push(r.chain, 1)).toThrow(/not an outstanding chain/);
  });
});
