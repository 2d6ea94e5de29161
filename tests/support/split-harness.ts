// Test support for the split virtqueue: one guest memory holding a descriptor table, an
// available ring, a used ring, an indirect scratch area and a data area, plus helpers to write
// descriptors and available entries by hand the way a (possibly broken) driver would.
import { GuestMemory } from '../../src/lib/virtio/memory.ts';
import type { QueueConfig } from '../../src/lib/virtio/queue.ts';
import {
  availRingBytes,
  descAddrOf,
  readAvailIdx,
  readSplitDesc,
  readUsedElem,
  readUsedIdx,
  type SplitDesc,
  type UsedElem,
  usedRingBytes,
  writeAvailEntry,
  writeAvailIdx,
  writeSplitDesc,
} from '../../src/lib/virtio/split/index.ts';
import { CheckedMemory } from './packed-harness.ts';

export { CheckedMemory };

export interface SplitLayout {
  readonly mem: GuestMemory;
  readonly config: QueueConfig;
  readonly indirectArea: { addr: number; size: number };
  readonly dataAddr: number;
  readonly dataSize: number;
  readonly memSize: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Lays out a split queue of `size` entries in fresh, zeroed guest memory. */
export function splitLayout(size: number, opts: { indirectSize?: number; dataSize?: number } = {}): SplitLayout {
  const descAddr = 0x100;
  const driverAddr = descAddr + 16 * size;
  const deviceAddr = align(driverAddr + availRingBytes(size), 4);
  const indirectAddr = align(deviceAddr + usedRingBytes(size), 16);
  const indirectSize = opts.indirectSize ?? 4096;
  const dataAddr = indirectAddr + indirectSize;
  const dataSize = opts.dataSize ?? 4096;
  const memSize = dataAddr + dataSize;
  return {
    mem: GuestMemory.create(memSize),
    config: { size, descAddr, driverAddr, deviceAddr },
    indirectArea: { addr: indirectAddr, size: indirectSize },
    dataAddr,
    dataSize,
    memSize,
  };
}

/** splitLayout() over a CheckedMemory, which logs out-of-range accesses and every write. */
export function checkedSplitLayout(size: number, opts: { indirectSize?: number; dataSize?: number } = {}): SplitLayout & { mem: CheckedMemory } {
  const l = splitLayout(size, opts);
  return { ...l, mem: CheckedMemory.sized(l.memSize) };
}

/** Writes descriptor `index` of the descriptor table. */
export function putDesc(l: SplitLayout, index: number, d: { addr: number | bigint; len: number; flags?: number; next?: number }): void {
  writeSplitDesc(l.mem, descAddrOf(l.config.descAddr, index), { addr: BigInt(d.addr), len: d.len, flags: d.flags ?? 0, next: d.next ?? 0 });
}

/** Writes entry `index` of a table at `tableAddr` (indirect tables use the same format). */
export function putTableEntry(l: SplitLayout, tableAddr: number, index: number, d: { addr: number | bigint; len: number; flags?: number; next?: number }): void {
  writeSplitDesc(l.mem, descAddrOf(tableAddr, index), { addr: BigInt(d.addr), len: d.len, flags: d.flags ?? 0, next: d.next ?? 0 });
}

export function getDesc(l: SplitLayout, index: number): SplitDesc {
  return readSplitDesc(l.mem, descAddrOf(l.config.descAddr, index));
}

/** Puts `heads` into the next available entries and publishes them by moving avail idx. */
export function offer(l: SplitLayout, ...heads: number[]): void {
  let idx = readAvailIdx(l.mem, l.config);
  for (const h of heads) {
    writeAvailEntry(l.mem, l.config, idx % l.config.size, h);
    idx = (idx + 1) & 0xffff;
  }
  writeAvailIdx(l.mem, l.config, idx);
}

export function usedIdx(l: SplitLayout): number {
  return readUsedIdx(l.mem, l.config);
}

export function usedElem(l: SplitLayout, slot: number): UsedElem {
  return readUsedElem(l.mem, l.config, slot);
}
