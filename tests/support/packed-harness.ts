// Test support for the packed virtqueue: one guest memory holding a packed ring, both
// suppression structures, an indirect scratch area and a data area, plus helpers to write
// descriptors by hand the way a (possibly broken) driver would.
import { GuestMemory } from '../../src/lib/virtio/memory.ts';
import type { QueueConfig } from '../../src/lib/virtio/queue.ts';
import {
  EVENT_SUPPRESS_SIZE,
  PACKED_DESC_SIZE,
  readPackedDesc,
  slotAddr,
  type PackedDesc,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_USED,
  writePackedDescBody,
  writePackedDescFlags,
} from '../../src/lib/virtio/packed/index.ts';

export interface PackedLayout {
  readonly mem: GuestMemory;
  readonly config: QueueConfig;
  readonly indirectArea: { addr: number; size: number };
  readonly dataAddr: number;
  readonly dataSize: number;
  readonly memSize: number;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Lays out a packed queue of `size` slots in fresh, zeroed guest memory. */
export function packedLayout(size: number, opts: { indirectSize?: number; dataSize?: number; base?: number } = {}): PackedLayout {
  const base = opts.base ?? 0;
  const descAddr = base + 0x100;
  const driverAddr = descAddr + PACKED_DESC_SIZE * size;
  const deviceAddr = driverAddr + EVENT_SUPPRESS_SIZE;
  const indirectAddr = align(deviceAddr + EVENT_SUPPRESS_SIZE, 16);
  const indirectSize = opts.indirectSize ?? 4096;
  const dataAddr = indirectAddr + indirectSize;
  const dataSize = opts.dataSize ?? 4096;
  const memSize = dataAddr + dataSize - base;
  return {
    mem: GuestMemory.create(memSize, base),
    config: { size, descAddr, driverAddr, deviceAddr },
    indirectArea: { addr: indirectAddr, size: indirectSize },
    dataAddr,
    dataSize,
    memSize,
  };
}

/** Flags that make a descriptor available in the lap whose wrap counter is `wrap`. */
export function avail(wrap = true): number {
  return wrap ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

/** Writes a whole descriptor into ring slot `slot`. */
export function putDesc(l: PackedLayout, slot: number, d: { addr: number | bigint; len: number; id: number; flags: number }): void {
  const at = slotAddr(l.config.descAddr, slot);
  writePackedDescBody(l.mem, at, { addr: BigInt(d.addr), len: d.len, id: d.id });
  writePackedDescFlags(l.mem, at, d.flags);
}

/** Writes a table entry at `addr` (indirect tables use the same 16-byte format). */
export function putTableEntry(l: PackedLayout, addr: number, d: { addr: number | bigint; len: number; flags: number; id?: number }): void {
  writePackedDescBody(l.mem, addr, { addr: BigInt(d.addr), len: d.len, id: d.id ?? 0 });
  writePackedDescFlags(l.mem, addr, d.flags);
}

export function getDesc(l: PackedLayout, slot: number): PackedDesc {
  return readPackedDesc(l.mem, slotAddr(l.config.descAddr, slot));
}

/**
 * Guest memory that notes every access it is asked for outside guest memory (the plain class
 * would throw a VirtqError, which a device could mistake for a driver error and so hide), and
 * optionally every write, so tests can say where the device wrote.
 */
export class CheckedMemory extends GuestMemory {
  readonly violations: string[] = [];
  readonly writes: [number, number][] = [];

  static sized(size: number, base = 0): CheckedMemory {
    return new CheckedMemory([{ base, bytes: new Uint8Array(size) }]);
  }

  private check(kind: string, addr: number | bigint, len: number): void {
    if (!this.contains(addr, len)) this.violations.push(`${kind} [${String(addr)}, +${len})`);
  }
  private wrote(addr: number | bigint, len: number): void {
    this.check('write', addr, len);
    this.writes.push([Number(addr), len]);
  }

  override readU8(addr: number): number {
    this.check('read', addr, 1);
    return super.readU8(addr);
  }
  override readU16(addr: number): number {
    this.check('read', addr, 2);
    return super.readU16(addr);
  }
  override readU32(addr: number): number {
    this.check('read', addr, 4);
    return super.readU32(addr);
  }
  override readU64(addr: number): bigint {
    this.check('read', addr, 8);
    return super.readU64(addr);
  }
  override read(addr: number | bigint, len: number): Uint8Array {
    this.check('read', addr, len);
    return super.read(addr, len);
  }
  override writeU8(addr: number, v: number): void {
    this.wrote(addr, 1);
    super.writeU8(addr, v);
  }
  override writeU16(addr: number, v: number): void {
    this.wrote(addr, 2);
    super.writeU16(addr, v);
  }
  override writeU32(addr: number, v: number): void {
    this.wrote(addr, 4);
    super.writeU32(addr, v);
  }
  override writeU64(addr: number, v: bigint): void {
    this.wrote(addr, 8);
    super.writeU64(addr, v);
  }
  override write(addr: number | bigint, data: Uint8Array): void {
    this.wrote(addr, data.length);
    super.write(addr, data);
  }
  /** A ring area's view that notes its writes too, at their guest addresses (the device writes its rings through such views). */
  override area(addr: number, len: number): DataView {
    const checked = super.area(addr, len);
    return new RecordingView(checked, addr, (at, n) => this.writes.push([at, n]));
  }
}

/** A DataView over the same bytes as `view` whose writes are reported, at guest address base + offset. */
class RecordingView extends DataView<ArrayBufferLike> {
  private readonly base: number;
  private readonly note: (addr: number, len: number) => void;
  constructor(view: DataView, base: number, note: (addr: number, len: number) => void) {
    super(view.buffer, view.byteOffset, view.byteLength);
    this.base = base;
    this.note = note;
  }
  override setUint8(at: number, v: number): void {
    this.note(this.base + at, 1);
    super.setUint8(at, v);
  }
  override setUint16(at: number, v: number, le?: boolean): void {
    this.note(this.base + at, 2);
    super.setUint16(at, v, le);
  }
  override setUint32(at: number, v: number, le?: boolean): void {
    this.note(this.base + at, 4);
    super.setUint32(at, v, le);
  }
}

/** packedLayout() over a CheckedMemory. */
export function checkedPackedLayout(size: number, opts: { indirectSize?: number; dataSize?: number } = {}): PackedLayout & { mem: CheckedMemory } {
  const l = packedLayout(size, opts);
  return { ...l, mem: CheckedMemory.sized(l.memSize) };
}
