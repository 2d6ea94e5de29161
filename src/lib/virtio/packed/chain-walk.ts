// How the device reads one buffer off a packed ring (VIRTIO 1.4 §2.8.5 to §2.8.7): either a
// list of ring descriptors linked by NEXT, or a single ring descriptor with INDIRECT naming a
// table of packed descriptors. Every value comes from the driver, so each is checked before
// it is used; the first violation is thrown as a VirtqError, which the device queue records.
import { ChainBuilder, type ChainPool, type ChainRecord, checkBuffer } from '../chain-builder.ts';
import { VirtqError } from '../errors.ts';
import { type GuestMemory, READ } from '../memory.ts';
import { descRingBytes, PackedDescFields, readPackedDescInto } from './layout.ts';
import * as layout from './layout.ts';
import { isAvailable, type RingPosition } from './wrap-counter.ts';

// Own copies of the layout's constants, read for every descriptor: why, see ../chain-builder.ts.
const { DESC_OFF_FLAGS, DESC_OFF_ID, PACKED_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } = layout;

export interface WalkContext {
  readonly mem: GuestMemory;
  readonly descAddr: number;
  readonly size: number;
  /** Where the list starts; the caller has seen that this slot is available. */
  readonly head: RingPosition;
  /** Slots the driver may have filled: the queue size minus those the device still holds. */
  readonly room: number;
  /** The most descriptors the device accepts in one list (at most the queue size, §2.8.5). */
  readonly limit: number;
  /** VIRTIO_F_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
  /** The descriptor ring as a view over exactly its bytes (checked at setup); made here if absent. */
  readonly ring?: DataView;
  /**
   * Reused by a device queue across walks, so that a walk allocates nothing per descriptor;
   * a walk without it (a test, a one-off check) makes its own.
   */
  readonly scratch?: PackedWalkScratch;
}

/** The reusable parts of a walk: the chain builder and one descriptor's fields. */
export interface PackedWalkScratch {
  readonly builder: ChainBuilder;
  readonly desc: PackedDescFields;
}

/** Scratch for the walks of one queue, whose chains come from (and go back to) `pool`. */
export function packedWalkScratch(mem: GuestMemory, limit: number, pool?: ChainPool): PackedWalkScratch {
  return { builder: new ChainBuilder(mem, limit, pool), desc: new PackedDescFields() };
}

// #region walk-chain
/** Walks and validates the buffer at ctx.head. Throws VirtqError; never reads outside memory. */
export function walkPackedChain(ctx: WalkContext): ChainRecord {
  const ring = ctx.ring ?? ctx.mem.area(ctx.descAddr, descRingBytes(ctx.size));
  const flags = ring.getUint16(ctx.head.index * PACKED_DESC_SIZE + DESC_OFF_FLAGS, true);
  return walkPackedChainIn(ctx, ring, flags, ctx.scratch ?? packedWalkScratch(ctx.mem, ctx.limit));
}

/**
 * The walk itself (what pop() calls), over the descriptor ring's view, with the head's flags as
 * the caller read them to see it available, and with the queue's scratch.
 */
export function walkPackedChainIn(ctx: WalkContext, ring: DataView, flags: number, scratch: PackedWalkScratch): ChainRecord {
  scratch.builder.begin();
  if (flags & VIRTQ_DESC_F_INDIRECT) {
    readPackedDescInto(ring, ctx.head.index * PACKED_DESC_SIZE, scratch.desc);
    scratch.desc.flags = flags; // the flags judged available, not a second read
    return walkIndirect(ctx, scratch.desc, scratch.builder);
  }
  return walkDirect(ctx, ring, flags, scratch.builder);
}
// #endregion walk-chain

// #region walk-direct
/** `headFlags`: the flags of the list's first descriptor, as the caller read them. */
function walkDirect(ctx: WalkContext, ring: DataView, headFlags: number, builder: ChainBuilder): ChainRecord {
  const { size, room } = ctx;
  // The slot being read and its lap, moved along the list (the head position is the queue's).
  let index = ctx.head.index;
  let wrap = ctx.head.wrap;
  let count = 0;
  // Each descriptor's flags are read once, where its availability is decided, and used from there.
  let flags = headFlags;
  for (;;) {
    // struct pvirtq_desc (§2.8.13), its u64 address as two halves: no BigInt on this path.
    const at = index * PACKED_DESC_SIZE;
    // #region check-indirect-in-list
    // §2.8.19: an INDIRECT descriptor may not be part of a NEXT-linked list.
    if (flags & VIRTQ_DESC_F_INDIRECT) throw indirectInList(index);
    // #endregion check-indirect-in-list
    // Length, address range and read-before-write order: §2.8.5, §2.8.17.
    builder.addDescriptor(ring, at, (flags & VIRTQ_DESC_F_WRITE) !== 0);
    count++;
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
    // #region check-list-length
    // §2.8.17: a list is never longer than the queue size, so NEXT on the size-th is wrong.
    if (count >= size) throw listTooLong(count, size);
    // #endregion check-list-length
    // #region check-next-available
    // §2.8.17: the whole list is available before its head. The next slot must be one the
    // driver could have filled (not one the device still holds) and must carry the flags
    // of an available descriptor for the lap it is in (§2.8.1).
    if (count >= room) throw listIncomplete(`list runs into slots the device has not yet marked used`);
    if (++index === size) {
      index = 0;
      wrap = !wrap; // §2.8.1: the lap changes where the ring wraps
    }
    flags = ring.getUint16(index * PACKED_DESC_SIZE + DESC_OFF_FLAGS, true);
    if (!isAvailable(flags, wrap)) throw listIncomplete(`NEXT leads to slot ${index}, which is not available`);
    // #endregion check-next-available
  }
  // §2.8.6: the buffer ID travels in the last descriptor of the list.
  const id = ring.getUint16(index * PACKED_DESC_SIZE + DESC_OFF_ID, true);
  checkBufferId(id, size);
  return builder.finish(id, count);
}
// #endregion walk-direct

// #region walk-indirect
function walkIndirect(ctx: WalkContext, desc: PackedDescFields, builder: ChainBuilder): ChainRecord {
  // #region check-indirect-negotiated
  // §2.8.19: INDIRECT needs VIRTIO_F_INDIRECT_DESC.
  if (!ctx.indirect) {
    throw new VirtqError('INDIRECT_NOT_NEGOTIATED', `INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC`);
  }
  // #endregion check-indirect-negotiated
  // #region check-indirect-next
  // §2.8.19: an INDIRECT descriptor is never part of a NEXT-linked list.
  if (desc.flags & VIRTQ_DESC_F_NEXT) {
    throw new VirtqError('INDIRECT_WITH_NEXT', `INDIRECT descriptor with NEXT set`);
  }
  // #endregion check-indirect-next
  // #region check-indirect-length
  // §2.8.7: the table is len / 16 whole packed descriptors, and an empty table is no buffer.
  if (desc.len === 0 || desc.len % PACKED_DESC_SIZE !== 0) {
    throw new VirtqError('INDIRECT_BAD_LENGTH', `indirect table length ${desc.len} is not a non-zero multiple of ${PACKED_DESC_SIZE}`);
  }
  // #endregion check-indirect-length
  // #region check-indirect-range
  // The table itself must lie in guest memory, without wrapping past 2^64.
  const table = checkBuffer(ctx.mem, desc.addrHigh, desc.addrLow, desc.len, 'indirect table');
  // #endregion check-indirect-range
  // #region check-indirect-entries
  const entries = desc.len / PACKED_DESC_SIZE;
  // §2.8.17: the list in the table obeys the same length limit as a list in the ring.
  if (entries > ctx.limit) {
    throw new VirtqError('CHAIN_TOO_LONG', `indirect table of ${entries} descriptors exceeds ${ctx.limit}`);
  }
  // #endregion check-indirect-entries
  // The ID is the ring descriptor's; the IDs inside the table are reserved (§2.8.7).
  const id = desc.id;
  // The whole table is guest memory: its entries are read from its region without a check each.
  const region = ctx.mem.regionAt(table, desc.len, READ);
  const view = ctx.mem.view(region);
  const tableAt = table - ctx.mem.start(region);
  for (let i = 0; i < entries; i++) {
    const at = tableAt + i * PACKED_DESC_SIZE;
    // #region ignore-reserved-flags
    // §2.8.7: in a packed table only WRITE has a meaning; every other flag bit (NEXT and
    // INDIRECT included) is reserved and ignored by the device, and the entries follow each
    // other by position. So an entry with INDIRECT set is an ordinary buffer here, unlike the
    // split ring, where the driver rule of §2.7.5.3.1 lets the device report NESTED_INDIRECT.
    builder.addDescriptor(view, at, (view.getUint16(at + DESC_OFF_FLAGS, true) & VIRTQ_DESC_F_WRITE) !== 0);
    // #endregion ignore-reserved-flags
  }
  checkBufferId(id, ctx.size);
  return builder.finish(id, 1);
}
// #endregion walk-indirect

// #region check-buffer-id
function checkBufferId(id: number, size: number): void {
  // Buffer ID (§2.8.13, §2.8.21.1): IDs index per-buffer state of size entries, so they are below the size.
  if (id >= size) throw new VirtqError('BUFFER_ID_OUT_OF_RANGE', `buffer ID ${id} >= queue size ${size}`);
}
// #endregion check-buffer-id

// The list's errors are made out of line: the walk is inlined into pop() only while it stays small.
function indirectInList(index: number): VirtqError {
  return new VirtqError('INDIRECT_WITH_NEXT', `slot ${index}: INDIRECT descriptor inside a NEXT-linked list`);
}
function listTooLong(count: number, size: number): VirtqError {
  return new VirtqError('CHAIN_TOO_LONG', `list still continues after ${count} descriptors (queue size ${size})`);
}
function listIncomplete(why: string): VirtqError {
  return new VirtqError('CHAIN_INCOMPLETE', why);
}
