// How the device reads one buffer off a split ring (VIRTIO 1.4 §2.7.4, §2.7.5): starting at
// the head index the available ring names, it follows `next` through the descriptor table
// while VIRTQ_DESC_F_NEXT is set. The last descriptor of that chain may instead point at an
// indirect table (§2.7.5.3), whose own chain, linked the same way, ends the buffer. Every
// value comes from the driver, so each is checked before it is used; the first violation is
// thrown as a VirtqError, which the device queue records.
import { ChainBuilder, type ChainPool, type ChainRecord, checkBuffer } from '../chain-builder.ts';
import { VirtqError } from '../errors.ts';
import { type GuestMemory, READ } from '../memory.ts';
import { descTableBytes, readSplitDescInto, SplitDescFields } from './layout.ts';
import * as layout from './layout.ts';

// Own copies of the layout's constants, read for every descriptor: why, see ../chain-builder.ts.
const { DESC_OFF_FLAGS, DESC_OFF_NEXT, SPLIT_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } = layout;

/** Marks of the descriptors one walk has visited, reused across walks (no per-pop allocation). */
export class VisitMarks {
  private marks: Uint32Array;
  private walk = 0;
  constructor(size: number) {
    this.marks = new Uint32Array(size);
  }
  /** How many indices can be marked. */
  get capacity(): number {
    return this.marks.length;
  }
  /** Makes room for indices below `size` (growing, never shrinking: the array is reused). */
  reserve(size: number): void {
    if (size > this.marks.length) {
      this.marks = new Uint32Array(size);
      this.walk = 0;
    }
  }
  /** Starts a new walk: every mark from earlier walks is forgotten. */
  begin(): void {
    if (++this.walk === 0xffff_ffff) {
      this.marks.fill(0);
      this.walk = 1;
    }
  }
  /** Marks `index`; false if this walk had marked it already. */
  visit(index: number): boolean {
    if (this.marks[index] === this.walk) return false;
    this.marks[index] = this.walk;
    return true;
  }
}

export interface SplitWalkContext {
  readonly mem: GuestMemory;
  /** The descriptor table; the caller has checked that all of it is guest memory. */
  readonly descAddr: number;
  readonly size: number;
  /** The head index from the available ring; the caller has checked it is below size. */
  readonly head: number;
  /** The most buffers the device accepts in one chain (at most the queue size, §2.7.5.3.1). */
  readonly limit: number;
  /** VIRTIO_F_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
  readonly marks: VisitMarks;
  /** The descriptor table as a view over exactly its bytes (splitRingViews); made here if absent. */
  readonly table?: DataView;
  /**
   * Reused by a device queue across walks, so that a walk allocates nothing per descriptor;
   * a walk without them (a test, a one-off check) makes its own.
   */
  readonly scratch?: SplitWalkScratch;
}

/** The reusable parts of a walk: the chain builder, one descriptor's fields and indirect-table marks. */
export interface SplitWalkScratch {
  readonly builder: ChainBuilder;
  readonly desc: SplitDescFields;
  readonly tableMarks: TableMarks;
}

/**
 * Marks of the indirect-table entries one walk has visited. Tables can be far larger than the
 * queue, but the chain-length limit ends a walk long before a large table is exhausted, so only
 * visited entries are marked: the first MARKED_TABLE_ENTRIES in a reused array, any beyond
 * (only a huge table has them) in a Set.
 */
export class TableMarks {
  private readonly near = new VisitMarks(0);
  private far: Set<number> | null = null;
  /** Starts a walk of a table of `entries` entries. */
  begin(entries: number): void {
    this.near.reserve(Math.min(entries, MARKED_TABLE_ENTRIES));
    this.near.begin();
    this.far?.clear();
  }
  /** Marks entry `i`; false if this walk had marked it already. */
  visit(i: number): boolean {
    if (i < this.near.capacity) return this.near.visit(i);
    this.far ??= new Set();
    if (this.far.has(i)) return false;
    this.far.add(i);
    return true;
  }
}
const MARKED_TABLE_ENTRIES = 1 << 16;

/** Scratch for the walks of one queue, whose chains come from (and go back to) `pool`. */
export function splitWalkScratch(mem: GuestMemory, limit: number, pool?: ChainPool): SplitWalkScratch {
  return { builder: new ChainBuilder(mem, limit, pool), desc: new SplitDescFields(), tableMarks: new TableMarks() };
}

// #region walk-chain
/**
 * Walks and validates the chain starting at ctx.head. The result's id is the head index,
 * which the device returns in the used ring; descCount counts descriptor-table entries (an
 * indirect table counts as the one entry that points at it). Throws VirtqError; never reads
 * outside guest memory.
 */
export function walkSplitChain(ctx: SplitWalkContext): ChainRecord {
  const table = ctx.table ?? ctx.mem.area(ctx.descAddr, descTableBytes(ctx.size));
  return walkSplitChainIn(ctx, table, ctx.scratch ?? splitWalkScratch(ctx.mem, ctx.limit));
}

/** The walk itself, over the descriptor table's view and with the queue's scratch (what pop() calls). */
export function walkSplitChainIn(ctx: SplitWalkContext, table: DataView, scratch: SplitWalkScratch): ChainRecord {
  const { marks, size, head } = ctx;
  const builder = scratch.builder;
  builder.begin();
  marks.begin();
  let index = head;
  let count = 0;
  for (;;) {
    // §2.7.5.2: a chain never revisits a descriptor ("loops are forbidden").
    if (!marks.visit(index)) throw descLoop(index, head);
    // struct virtq_desc (§2.7.5), its u64 address as two halves: no BigInt on this path.
    const at = index * SPLIT_DESC_SIZE;
    const flags = table.getUint16(at + DESC_OFF_FLAGS, true);
    count++;
    // §2.7.5.3.2: zero or more ordinary descriptors may be followed by one indirect one.
    if (flags & VIRTQ_DESC_F_INDIRECT) {
      walkIndirect(ctx, table, index, scratch);
      break;
    }
    // Length limit, address range and read-before-write order: §2.7.4.2, §2.7.5.3.1.
    builder.addDescriptor(table, at, (flags & VIRTQ_DESC_F_WRITE) !== 0);
    if (!(flags & VIRTQ_DESC_F_NEXT)) break;
    // §2.7.5: `next` indexes the descriptor table, which has exactly size entries.
    const next = table.getUint16(at + DESC_OFF_NEXT, true);
    if (next >= size) throw nextOutOfRange(index, next, size);
    index = next;
  }
  return builder.finish(head, count);
}
// #endregion walk-chain

// Errors are made out of line: the walk is inlined into pop() only while it stays small.
function descLoop(index: number, head: number): VirtqError {
  return new VirtqError('DESC_LOOP', `descriptor ${index} appears twice in the chain of head ${head}`);
}
function nextOutOfRange(index: number, next: number, size: number): VirtqError {
  return new VirtqError('NEXT_OUT_OF_RANGE', `descriptor ${index}: next ${next} >= queue size ${size}`);
}

// #region indirect-table
/** Appends the chain of the indirect table that descriptor `index` of `ring` points at (§2.7.5.3). */
function walkIndirect(ctx: SplitWalkContext, ring: DataView, index: number, scratch: SplitWalkScratch): void {
  const { desc, builder } = scratch;
  readSplitDescInto(ring, index * SPLIT_DESC_SIZE, desc);
  // §2.7.5.3.1: INDIRECT needs VIRTIO_F_INDIRECT_DESC.
  if (!ctx.indirect) {
    throw new VirtqError('INDIRECT_NOT_NEGOTIATED', `descriptor ${index}: INDIRECT without VIRTIO_F_INDIRECT_DESC`);
  }
  // §2.7.5.3.1: INDIRECT and NEXT are never set together; the table ends the chain.
  if (desc.flags & VIRTQ_DESC_F_NEXT) {
    throw new VirtqError('INDIRECT_WITH_NEXT', `descriptor ${index}: INDIRECT and NEXT both set`);
  }
  // §2.7.5.3: the table holds len / 16 whole descriptors, and an empty table holds no buffer.
  if (desc.len === 0 || desc.len % SPLIT_DESC_SIZE !== 0) {
    throw new VirtqError('INDIRECT_BAD_LENGTH', `descriptor ${index}: indirect table length ${desc.len} is not a non-zero multiple of ${SPLIT_DESC_SIZE}`);
  }
  // The table itself lies in guest memory, without wrapping past 2^64.
  // §2.7.5.3.2: the WRITE flag of the descriptor naming the table means nothing: not read.
  const tableAddr = checkBuffer(ctx.mem, desc.addrHigh, desc.addrLow, desc.len, 'indirect table');
  const entries = desc.len / SPLIT_DESC_SIZE;
  // The whole table is guest memory: its entries are read from its region without a check each.
  const region = ctx.mem.regionAt(tableAddr, desc.len, READ);
  const table = ctx.mem.view(region);
  const tableAt = tableAddr - ctx.mem.start(region);
  const marks = scratch.tableMarks;
  marks.begin(entries);
  let i = 0;
  for (;;) {
    // §2.7.5.2: no loops inside the table either.
    if (!marks.visit(i)) throw new VirtqError('DESC_LOOP', `indirect table entry ${i} appears twice in the chain`);
    const at = tableAt + i * SPLIT_DESC_SIZE;
    const flags = table.getUint16(at + DESC_OFF_FLAGS, true);
    // §2.7.5.3.1: only one table per descriptor; a table entry never points at another table.
    if (flags & VIRTQ_DESC_F_INDIRECT) throw new VirtqError('NESTED_INDIRECT', `indirect table entry ${i} has INDIRECT set`);
    builder.addDescriptor(table, at, (flags & VIRTQ_DESC_F_WRITE) !== 0);
    if (!(flags & VIRTQ_DESC_F_NEXT)) return;
    // §2.7.5.3: `next` in a table indexes that table.
    const next = table.getUint16(at + DESC_OFF_NEXT, true);
    if (next >= entries) throw new VirtqError('NEXT_OUT_OF_RANGE', `indirect table entry ${i}: next ${next} >= ${entries} entries`);
    i = next;
  }
}
// #endregion indirect-table
