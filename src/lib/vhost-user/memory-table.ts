// SET_MEM_TABLE: the front end's guest RAM regions, each a file descriptor the back end maps
// MAP_SHARED. The device models see them as GuestMemory regions (guest physical addresses,
// Uint8Arrays over the mappings, no copy). Ring addresses arrive as front-end virtual addresses
// and are translated here.
import { GuestMemory, type MemoryRegion } from '../virtio/memory.ts';
import { closeFd, mapShared, unmap } from './ffi.ts';
import { type MemRegionDesc, ProtocolError } from './protocol.ts';

interface Mapped extends MemRegionDesc {
  readonly ptr: bigint;
  readonly length: number;
  readonly bytes: Uint8Array;
}

export class MemoryTable {
  readonly memory: GuestMemory;
  readonly regions: readonly Mapped[];
  private constructor(regions: readonly Mapped[]) {
    this.regions = regions;
    this.memory = new GuestMemory(regions.map((r): MemoryRegion => ({ base: Number(r.guestAddr), bytes: r.bytes })));
  }

  /** Maps every region; closes the descriptors (a mapping outlives its descriptor). */
  static map(descs: readonly MemRegionDesc[], fds: readonly number[]): MemoryTable {
    if (fds.length !== descs.length) {
      for (const fd of fds) closeFd(fd);
      throw new ProtocolError(`SET_MEM_TABLE: ${descs.length} regions but ${fds.length} file descriptors`);
    }
    const mapped: Mapped[] = [];
    try {
      descs.forEach((d, i) => {
        const end = d.mmapOffset + d.size;
        if (d.size === 0n || end > BigInt(Number.MAX_SAFE_INTEGER) || d.guestAddr + d.size > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new ProtocolError(`SET_MEM_TABLE: region ${i} (size 0x${d.size.toString(16)}, offset 0x${d.mmapOffset.toString(16)}) is not mappable`);
        }
        const length = Number(end);
        const m = mapShared(fds[i], length);
        mapped.push({ ...d, ptr: m.ptr, length, bytes: m.bytes.subarray(Number(d.mmapOffset)) });
      });
      return new MemoryTable(mapped);
    } catch (e) {
      for (const m of mapped) unmap(m.ptr, m.length);
      if (e instanceof RangeError) throw new ProtocolError(`SET_MEM_TABLE: ${e.message}`);
      throw e;
    } finally {
      for (const fd of fds) closeFd(fd);
    }
  }

  /** True if `descs` describe exactly these regions (QEMU re-sends an unchanged table). */
  sameAs(descs: readonly MemRegionDesc[]): boolean {
    return (
      descs.length === this.regions.length &&
      descs.every((d, i) => {
        const r = this.regions[i];
        return d.guestAddr === r.guestAddr && d.size === r.size && d.userAddr === r.userAddr && d.mmapOffset === r.mmapOffset;
      })
    );
  }

  /** The guest physical address of front-end virtual address `ua` with `len` bytes after it, or null. */
  toGuest(ua: bigint, len: number): number | null {
    for (const r of this.regions) {
      if (ua >= r.userAddr && ua + BigInt(len) <= r.userAddr + r.size) return Number(r.guestAddr + (ua - r.userAddr));
    }
    return null;
  }

  get totalBytes(): number {
    return this.regions.reduce((n, r) => n + Number(r.size), 0);
  }

  unmapAll(): void {
    for (const r of this.regions) unmap(r.ptr, r.length);
  }
}
