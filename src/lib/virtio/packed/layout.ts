// The packed virtqueue in guest memory (VIRTIO 1.4 §2.8): a ring of 16-byte descriptors and
// two 4-byte event suppression structures. Offsets, flag bits and alignments are exact;
// everything else in packed/ is built on these few definitions.
import { VirtqError } from '../errors.ts';
import type { GuestMemory } from '../memory.ts';
import type { QueueConfig } from '../queue.ts';

// #region packed-desc
/** struct pvirtq_desc, §2.8.13: le64 addr, le32 len, le16 id, le16 flags. */
export const PACKED_DESC_SIZE = 16;
export const DESC_OFF_ADDR = 0;
export const DESC_OFF_LEN = 8;
export const DESC_OFF_ID = 12;
export const DESC_OFF_FLAGS = 14;

export interface PackedDesc {
  readonly addr: bigint;
  readonly len: number;
  readonly id: number;
  readonly flags: number;
}
// #endregion packed-desc

// Private copies for the view accessors below, which run for every buffer. V8 keeps a module's
// exported bindings in cells that it reads at every use, even inside the module that declares
// them; a private constant is folded into the compiled code (see ../chain-rules.ts).
const ADDR_AT = DESC_OFF_ADDR;
const LEN_AT = DESC_OFF_LEN;
const ID_AT = DESC_OFF_ID;
const FLAGS_AT = DESC_OFF_FLAGS;

// #region desc-flags
/** The list continues in the next ring slot (§2.8.6). */
export const VIRTQ_DESC_F_NEXT = 1;
/** Device-writable element; in a used descriptor: the device wrote data (§2.8.3). */
export const VIRTQ_DESC_F_WRITE = 2;
/** The element is a table of packed descriptors (§2.8.7). */
export const VIRTQ_DESC_F_INDIRECT = 4;
/** Availability bit, compared with a ring wrap counter (§2.8.1). */
export const VIRTQ_DESC_F_AVAIL = 1 << 7;
/** Used bit, compared with a ring wrap counter (§2.8.1). */
export const VIRTQ_DESC_F_USED = 1 << 15;
// #endregion desc-flags

// #region event-suppress
/** struct pvirtq_event_suppress, §2.8.14: le16 desc (offset:15, wrap:1), le16 flags. */
export const EVENT_SUPPRESS_SIZE = 4;
export const EVENT_OFF_DESC = 0;
export const EVENT_OFF_FLAGS = 2;
/** desc_event_off occupies bits 0..14, desc_event_wrap bit 15. */
export const EVENT_OFFSET_MASK = 0x7fff;
export const EVENT_WRAP_BIT = 15;
/** desc_event_flags is two bits; the other 14 are reserved and written as zero. */
export const EVENT_FLAGS_MASK = 0x3;

export const RING_EVENT_FLAGS_ENABLE = 0x0;
export const RING_EVENT_FLAGS_DISABLE = 0x1;
/** Only meaningful with VIRTIO_F_EVENT_IDX; the value 0x3 is reserved. */
export const RING_EVENT_FLAGS_DESC = 0x2;
// #endregion event-suppress

// #region alignment
/** §2.8.10.1: descriptor ring 16, each event suppression structure 4. */
export const DESC_RING_ALIGN = 16;
export const EVENT_SUPPRESS_ALIGN = 4;
// #endregion alignment

// #region queue-size
/** §2.8: a packed ring holds at most 2^15 descriptors; any size 1..2^15 is allowed. */
export const PACKED_QUEUE_SIZE_MAX = 32768;

export function isValidPackedQueueSize(size: number): boolean {
  // §2.8.10.1: unlike the split ring, the size need not be a power of 2.
  return Number.isInteger(size) && size >= 1 && size <= PACKED_QUEUE_SIZE_MAX;
}
// #endregion queue-size

export function descRingBytes(size: number): number {
  return PACKED_DESC_SIZE * size;
}

// #region check-layout
/**
 * Validates where the driver put the three parts of a packed ring: a valid size, each part at
 * its alignment (§2.8.11) and wholly inside guest memory. Throws the VirtqError of the first
 * problem found.
 */
export function checkPackedLayout(mem: GuestMemory, config: QueueConfig): void {
  const { size, descAddr, driverAddr, deviceAddr } = config;
  if (!isValidPackedQueueSize(size)) {
    throw new VirtqError('QUEUE_SIZE_INVALID', `packed queue size ${size} is not in 1..${PACKED_QUEUE_SIZE_MAX}`);
  }
  const parts: [string, number, number, number][] = [
    ['descriptor ring', descAddr, descRingBytes(size), DESC_RING_ALIGN],
    ['driver event suppression', driverAddr, EVENT_SUPPRESS_SIZE, EVENT_SUPPRESS_ALIGN],
    ['device event suppression', deviceAddr, EVENT_SUPPRESS_SIZE, EVENT_SUPPRESS_ALIGN],
  ];
  for (const [name, addr, len, align] of parts) {
    if (!Number.isSafeInteger(addr) || addr < 0) {
      throw new VirtqError('ADDR_OUT_OF_RANGE', `${name} [${addr}, +${len}) is outside guest memory`);
    }
    // Outside guest memory (or, behind an IOMMU, outside the device's mappings: a reported fault).
    if (!mem.contains(addr, len)) mem.fault(BigInt(addr), len, false, name);
    if (addr % align !== 0) {
      throw new VirtqError('RING_MISALIGNED', `${name} at 0x${addr.toString(16)} is not ${align}-byte aligned`);
    }
  }
}
// #endregion check-layout

// #region desc-access
/** Reads one descriptor; the caller has checked that its 16 bytes are guest memory. */
export function readPackedDesc(mem: GuestMemory, addr: number): PackedDesc {
  return {
    addr: mem.readU64(addr + DESC_OFF_ADDR),
    len: mem.readU32(addr + DESC_OFF_LEN),
    id: mem.readU16(addr + DESC_OFF_ID),
    flags: mem.readU16(addr + DESC_OFF_FLAGS),
  };
}

/**
 * Writes what a used descriptor carries but its flags (§2.8.4: addr unused, written as 0; len;
 * id), at byte `at` of the descriptor ring's view.
 */
export function writePackedUsedBody(ring: DataView, at: number, len: number, id: number): void {
  ring.setUint32(at + ADDR_AT, 0, true);
  ring.setUint32(at + ADDR_AT + 4, 0, true);
  ring.setUint32(at + LEN_AT, len, true);
  ring.setUint16(at + ID_AT, id, true);
}

/** Writes addr, len and id but not flags: flags are what publish a descriptor (§2.8.21.1). */
export function writePackedDescBody(mem: GuestMemory, addr: number, d: Omit<PackedDesc, 'flags'>): void {
  mem.writeU64(addr + DESC_OFF_ADDR, d.addr);
  mem.writeU32(addr + DESC_OFF_LEN, d.len);
  mem.writeU16(addr + DESC_OFF_ID, d.id);
}

export function writePackedDescFlags(mem: GuestMemory, addr: number, flags: number): void {
  mem.writeU16(addr + DESC_OFF_FLAGS, flags);
}
// #endregion desc-access

/** Flags of the descriptor at byte `at` of the descriptor ring's view. */
export function packedFlagsIn(ring: DataView, at: number): number {
  return ring.getUint16(at + FLAGS_AT, true);
}
export function setPackedFlagsIn(ring: DataView, at: number, flags: number): void {
  ring.setUint16(at + FLAGS_AT, flags, true);
}

/** Guest address of ring slot `index`. */
export function slotAddr(descAddr: number, index: number): number {
  return descAddr + index * PACKED_DESC_SIZE;
}
