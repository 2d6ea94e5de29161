// The split virtqueue in guest memory (VIRTIO 1.4 §2.7): a descriptor table the driver fills,
// an available ring the driver writes and the device reads, and a used ring the device writes
// and the driver reads. Offsets, flag bits, sizes and alignments are exact; everything else in
// split/ is built on these definitions.
import { VirtqError } from '../errors.ts';
import { type GuestMemory, READ, WRITE } from '../memory.ts';
import type { QueueConfig } from '../queue.ts';

// #region split-desc
/** struct virtq_desc, §2.7.5: le64 addr, le32 len, le16 flags, le16 next. */
export const SPLIT_DESC_SIZE = 16;
export const DESC_OFF_ADDR = 0;
export const DESC_OFF_LEN = 8;
export const DESC_OFF_FLAGS = 12;
export const DESC_OFF_NEXT = 14;

export interface SplitDesc {
  /** Guest physical address: a full u64, so kept as a bigint until it has been checked. */
  readonly addr: bigint;
  readonly len: number;
  readonly flags: number;
  /** Index of the next descriptor; meaningful only with VIRTQ_DESC_F_NEXT. */
  readonly next: number;
}
// #endregion split-desc

// #region desc-flags
/** The chain continues at `next` (§2.7.5). */
export const VIRTQ_DESC_F_NEXT = 1;
/** The buffer is device-writable; otherwise device-readable (§2.7.5). */
export const VIRTQ_DESC_F_WRITE = 2;
/** addr/len name a table of descriptors, not data (§2.7.5.3). */
export const VIRTQ_DESC_F_INDIRECT = 4;
// #endregion desc-flags

// #region avail-ring
/**
 * struct virtq_avail, §2.7.6: le16 flags, le16 idx, le16 ring[size], then le16 used_event,
 * which is read only when VIRTIO_F_EVENT_IDX was negotiated (§2.7.7).
 */
export const AVAIL_OFF_FLAGS = 0;
export const AVAIL_OFF_IDX = 2;
export const AVAIL_OFF_RING = 4;
export const AVAIL_ENTRY_SIZE = 2;
/** The driver does not want used buffer notifications (§2.7.7; without VIRTIO_F_EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

export function availRingBytes(size: number): number {
  return 6 + AVAIL_ENTRY_SIZE * size;
}
/** Offset of used_event inside the available ring: right after the last ring entry. */
export function usedEventOffset(size: number): number {
  return AVAIL_OFF_RING + AVAIL_ENTRY_SIZE * size;
}
// #endregion avail-ring

// #region used-ring
/**
 * struct virtq_used, §2.7.8: le16 flags, le16 idx, struct virtq_used_elem ring[size], then
 * le16 avail_event (only with VIRTIO_F_EVENT_IDX, §2.7.10). An element is le32 id (the head
 * index of the chain, widened to 32 bits for padding) and le32 len (bytes written).
 */
export const USED_OFF_FLAGS = 0;
export const USED_OFF_IDX = 2;
export const USED_OFF_RING = 4;
export const USED_ELEM_SIZE = 8;
export const USED_ELEM_OFF_ID = 0;
export const USED_ELEM_OFF_LEN = 4;
/** The device does not want available buffer notifications (§2.7.10; without VIRTIO_F_EVENT_IDX). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

export function usedRingBytes(size: number): number {
  return 6 + USED_ELEM_SIZE * size;
}
/** Offset of avail_event inside the used ring: right after the last element. */
export function availEventOffset(size: number): number {
  return USED_OFF_RING + USED_ELEM_SIZE * size;
}
// #endregion used-ring

// #region alignment
/** §2.7: descriptor table 16, available ring 2, used ring 4. */
export const DESC_TABLE_ALIGN = 16;
export const AVAIL_RING_ALIGN = 2;
export const USED_RING_ALIGN = 4;
// #endregion alignment

export function descTableBytes(size: number): number {
  return SPLIT_DESC_SIZE * size;
}

// #region queue-size
/** §2.7: a split queue holds at most 32768 entries, the largest power of 2 in 16 bits. */
export const SPLIT_QUEUE_SIZE_MAX = 32768;

export function isValidSplitQueueSize(size: number): boolean {
  // §2.7: unlike the packed ring (§2.8.10.1), the size is always a power of 2, so the free-running
  // 16-bit indices stay consistent modulo the size when they wrap at 65536 (§2.7.13.3).
  return Number.isInteger(size) && size >= 1 && size <= SPLIT_QUEUE_SIZE_MAX && (size & (size - 1)) === 0;
}
// #endregion queue-size

// #region check-layout
/**
 * Validates where the driver put the three parts of a split ring: a valid size, each part
 * wholly inside guest memory and at its alignment (§2.7.1). Throws the VirtqError of the first
 * problem found.
 */
export function checkSplitLayout(mem: GuestMemory, config: QueueConfig): void {
  const { size, descAddr, driverAddr, deviceAddr } = config;
  if (!isValidSplitQueueSize(size)) {
    throw new VirtqError('QUEUE_SIZE_INVALID', `split queue size ${size} is not a power of 2 in 1..${SPLIT_QUEUE_SIZE_MAX}`);
  }
  const parts: [string, number, number, number][] = [
    ['descriptor table', descAddr, descTableBytes(size), DESC_TABLE_ALIGN],
    ['available ring', driverAddr, availRingBytes(size), AVAIL_RING_ALIGN],
    ['used ring', deviceAddr, usedRingBytes(size), USED_RING_ALIGN],
  ];
  for (const [name, addr, len, align] of parts) {
    if (!Number.isSafeInteger(addr) || addr < 0) {
      throw new VirtqError('ADDR_OUT_OF_RANGE', `${name} [${addr}, +${len}) is outside guest memory`);
    }
    // Outside guest memory (or, behind an IOMMU, outside the device's mappings: a reported fault).
    if (!mem.contains(addr, len)) mem.fault(BigInt(addr), len, false, name);
    // §2.7.1: the first byte of each part sits at a multiple of its alignment.
    if (addr % align !== 0) {
      throw new VirtqError('RING_MISALIGNED', `${name} at 0x${addr.toString(16)} is not ${align}-byte aligned`);
    }
  }
}
// #endregion check-layout

// #region desc-access
/** Guest address of descriptor `index` of a table starting at `tableAddr`. */
export function descAddrOf(tableAddr: number, index: number): number {
  return tableAddr + index * SPLIT_DESC_SIZE;
}

/** Reads one descriptor; the caller has checked that its 16 bytes are guest memory. */
export function readSplitDesc(mem: GuestMemory, addr: number): SplitDesc {
  return {
    addr: mem.readU64(addr + DESC_OFF_ADDR),
    len: mem.readU32(addr + DESC_OFF_LEN),
    flags: mem.readU16(addr + DESC_OFF_FLAGS),
    next: mem.readU16(addr + DESC_OFF_NEXT),
  };
}

export function writeSplitDesc(mem: GuestMemory, addr: number, d: SplitDesc): void {
  mem.writeU64(addr + DESC_OFF_ADDR, d.addr);
  mem.writeU32(addr + DESC_OFF_LEN, d.len);
  mem.writeU16(addr + DESC_OFF_FLAGS, d.flags);
  mem.writeU16(addr + DESC_OFF_NEXT, d.next);
}
// #endregion desc-access

// #region ring-access
/** The available ring's fields, read where the layout puts them. */
export function readAvailFlags(mem: GuestMemory, config: QueueConfig): number {
  return mem.readU16(config.driverAddr + AVAIL_OFF_FLAGS);
}
export function readAvailIdx(mem: GuestMemory, config: QueueConfig): number {
  return mem.readU16(config.driverAddr + AVAIL_OFF_IDX);
}
/** Entry `slot` (0..size-1) of the available ring: a head index. */
export function readAvailEntry(mem: GuestMemory, config: QueueConfig, slot: number): number {
  return mem.readU16(config.driverAddr + AVAIL_OFF_RING + AVAIL_ENTRY_SIZE * slot);
}
export function readUsedEvent(mem: GuestMemory, config: QueueConfig): number {
  return mem.readU16(config.driverAddr + usedEventOffset(config.size));
}

export function writeAvailFlags(mem: GuestMemory, config: QueueConfig, flags: number): void {
  mem.writeU16(config.driverAddr + AVAIL_OFF_FLAGS, flags);
}
export function writeAvailIdx(mem: GuestMemory, config: QueueConfig, idx: number): void {
  mem.writeU16(config.driverAddr + AVAIL_OFF_IDX, idx);
}
export function writeAvailEntry(mem: GuestMemory, config: QueueConfig, slot: number, head: number): void {
  mem.writeU16(config.driverAddr + AVAIL_OFF_RING + AVAIL_ENTRY_SIZE * slot, head);
}
export function writeUsedEvent(mem: GuestMemory, config: QueueConfig, idx: number): void {
  mem.writeU16(config.driverAddr + usedEventOffset(config.size), idx);
}

/** The used ring's fields. */
export interface UsedElem {
  readonly id: number;
  readonly len: number;
}
export function readUsedFlags(mem: GuestMemory, config: QueueConfig): number {
  return mem.readU16(config.deviceAddr + USED_OFF_FLAGS);
}
export function readUsedIdx(mem: GuestMemory, config: QueueConfig): number {
  return mem.readU16(config.deviceAddr + USED_OFF_IDX);
}
export function readUsedElem(mem: GuestMemory, config: QueueConfig, slot: number): UsedElem {
  const at = config.deviceAddr + USED_OFF_RING + USED_ELEM_SIZE * slot;
  return { id: mem.readU32(at + USED_ELEM_OFF_ID), len: mem.readU32(at + USED_ELEM_OFF_LEN) };
}
export function readAvailEvent(mem: GuestMemory, config: QueueConfig): number {
  return mem.readU16(config.deviceAddr + availEventOffset(config.size));
}

export function writeUsedFlags(mem: GuestMemory, config: QueueConfig, flags: number): void {
  mem.writeU16(config.deviceAddr + USED_OFF_FLAGS, flags);
}
export function writeUsedIdx(mem: GuestMemory, config: QueueConfig, idx: number): void {
  mem.writeU16(config.deviceAddr + USED_OFF_IDX, idx);
}
export function writeUsedElem(mem: GuestMemory, config: QueueConfig, slot: number, e: UsedElem): void {
  const at = config.deviceAddr + USED_OFF_RING + USED_ELEM_SIZE * slot;
  mem.writeU32(at + USED_ELEM_OFF_ID, e.id);
  mem.writeU32(at + USED_ELEM_OFF_LEN, e.len);
}

export function writeAvailEvent(mem: GuestMemory, config: QueueConfig, idx: number): void {
  mem.writeU16(config.deviceAddr + availEventOffset(config.size), idx);
}
// #endregion ring-access

// #region ring-views
/** The three areas of a split ring, each as a view over exactly its bytes. */
export interface SplitRingViews {
  readonly desc: DataView;
  readonly avail: DataView;
  readonly used: DataView;
}

/**
 * Checks the layout (checkSplitLayout: size, bounds, alignment) once and returns the views the
 * device reads and writes the ring through from then on: no access needs a check of its own.
 */
export function splitRingViews(mem: GuestMemory, config: QueueConfig): SplitRingViews {
  checkSplitLayout(mem, config);
  return {
    desc: mem.area(config.descAddr, descTableBytes(config.size), READ),
    avail: mem.area(config.driverAddr, availRingBytes(config.size), READ),
    used: mem.area(config.deviceAddr, usedRingBytes(config.size), WRITE),
  };
}

// Private copies of the offsets for the accessors below, which run for every chain. V8 keeps
// a module's exported bindings in cells that it reads at every use, even inside the module that
// declares them; a private constant is folded into the compiled code (see ../chain-rules.ts).
const AVAIL_FLAGS_AT = AVAIL_OFF_FLAGS;
const AVAIL_IDX_AT = AVAIL_OFF_IDX;
const AVAIL_RING_AT = AVAIL_OFF_RING;
const AVAIL_ENTRY = AVAIL_ENTRY_SIZE;
const USED_FLAGS_AT = USED_OFF_FLAGS;
const USED_IDX_AT = USED_OFF_IDX;
const USED_RING_AT = USED_OFF_RING;
const USED_ELEM = USED_ELEM_SIZE;
const USED_ID_AT = USED_ELEM_OFF_ID;
const USED_LEN_AT = USED_ELEM_OFF_LEN;

/** The ring fields the device touches, through the views: the same offsets as above. */
export function availIdxIn(avail: DataView): number {
  return avail.getUint16(AVAIL_IDX_AT, true);
}
export function availFlagsIn(avail: DataView): number {
  return avail.getUint16(AVAIL_FLAGS_AT, true);
}
export function availEntryIn(avail: DataView, slot: number): number {
  return avail.getUint16(AVAIL_RING_AT + AVAIL_ENTRY * slot, true);
}
export function usedEventIn(avail: DataView, size: number): number {
  return avail.getUint16(usedEventOffset(size), true);
}
export function setUsedEntryIn(used: DataView, slot: number, id: number, len: number): void {
  const at = USED_RING_AT + USED_ELEM * slot;
  used.setUint32(at + USED_ID_AT, id, true);
  used.setUint32(at + USED_LEN_AT, len, true);
}
export function setUsedIdxIn(used: DataView, idx: number): void {
  used.setUint16(USED_IDX_AT, idx, true);
}
export function setUsedFlagsIn(used: DataView, flags: number): void {
  used.setUint16(USED_FLAGS_AT, flags, true);
}
export function setAvailEventIn(used: DataView, size: number, idx: number): void {
  used.setUint16(availEventOffset(size), idx, true);
}
// #endregion ring-views
