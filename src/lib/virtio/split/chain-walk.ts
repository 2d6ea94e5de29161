// How the device reads one buffer off a split ring (VIRTIO 1.4 §2.7.4, §2.7.5): starting at
// the head index the available ring names, it follows `next` through the descriptor table
// while VIRTQ_DESC_F_NEXT is set. The last descriptor of that chain may instead point at an
// indirect table (§2.7.5.3), whose own chain, linked the same way, ends the buffer. Every
// value comes from the driver, so each is checked before it is used; the first violation is
// thrown as a VirtqError, which the device queue records.
import { ChainBuilder } from '../chain-builder.ts';
import type { DescriptorChain } from '../chain.ts';
import { VirtqError } from '../errors.ts';
import { checkAddrRange, type GuestMemory } from '../memory.ts';
import {
  descAddrOf,
  readSplitDesc,
  SPLIT_DESC_SIZE,
  type SplitDesc,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from './layout.ts';

/** Marks of the descriptors one walk has visited, reused across walks (no per-pop allocation). */
export class VisitMarks {
  private readonly marks: Uint32Array;
  private walk = 0;
  constructor(size: number) {
    this.marks = new Uint32Array(size);
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
}

// #region walk-chain
/**
 * Walks and validates the chain starting at ctx.head. The result's id is the head index,
 * which the device returns in the used ring; descCount counts descriptor-table entries (an
 * indirect table counts as the one entry that points at it). Throws VirtqError; never reads
 * outside guest memory.
 */
export function walkSplitChain(ctx: SplitWalkContext): DescriptorChain {
  const builder = new ChainBuilder(ctx.mem, ctx.limit);
  ctx.marks.begin();
  let index = ctx.head;
  let count = 0;
  for (;;) {
    // §2.7.5.2: a chain never revisits a descriptor ("loops are forbidden").
    if (!ctx.marks.visit(index)) {
      throw new VirtqError('DESC_LOOP', `descriptor ${index} appears twice in the chain of head ${ctx.head}`);
    }
    const desc = readSplitDesc(ctx.mem, descAddrOf(ctx.descAddr, index));
    count++;
    // §2.7.5.3.2: zero or more ordinary descriptors may be followed by one indirect one.
    if (desc.flags & VIRTQ_DESC_F_INDIRECT) {
      walkIndirect(ctx, desc, index, builder);
      break;
    }
    // Length limit, address range and read-before-write order: §2.7.4.2, §2.7.5.3.1.
    builder.add(desc.addr, desc.len, (desc.flags & VIRTQ_DESC_F_WRITE) !== 0);
    if (!(desc.flags & VIRTQ_DESC_F_NEXT)) break;
    // §2.7.5: `next` indexes the descriptor table, which has exactly size entries.
    if (desc.next >= ctx.size) {
      throw new VirtqError('NEXT_OUT_OF_RANGE', `descriptor ${index}: next ${desc.next} >= queue size ${ctx.size}`);
    }
    index = desc.next;
  }
  return builder.finish(ctx.head, count);
}
// #endregion walk-chain

// #region indirect-table
/** Appends the chain of the indirect table `desc` points at (§2.7.5.3) to `builder`. */
function walkIndirect(ctx: SplitWalkContext, desc: SplitDesc, index: number, builder: ChainBuilder): void {
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
  checkAddrRange(desc.addr, desc.len);
  if (!ctx.mem.contains(desc.addr, desc.len)) {
    throw new VirtqError('ADDR_OUT_OF_RANGE', `indirect table [0x${desc.addr.toString(16)}, +${desc.len}) is outside guest memory`);
  }
  // §2.7.5.3.2: the WRITE flag of the descriptor naming the table means nothing: not read.
  const table = Number(desc.addr);
  const entries = desc.len / SPLIT_DESC_SIZE;
  // Tables can be far larger than the queue; only the entries the chain visits are marked, and
  // the chain-length limit ends the walk long before a large table is exhausted.
  const seen = new Set<number>();
  let i = 0;
  for (;;) {
    // §2.7.5.2: no loops inside the table either.
    if (seen.has(i)) throw new VirtqError('DESC_LOOP', `indirect table entry ${i} appears twice in the chain`);
    seen.add(i);
    const entry = readSplitDesc(ctx.mem, descAddrOf(table, i));
    // §2.7.5.3.1: only one table per descriptor; a table entry never points at another table.
    if (entry.flags & VIRTQ_DESC_F_INDIRECT) {
      throw new VirtqError('NESTED_INDIRECT', `indirect table entry ${i} has INDIRECT set`);
    }
    builder.add(entry.addr, entry.len, (entry.flags & VIRTQ_DESC_F_WRITE) !== 0);
    if (!(entry.flags & VIRTQ_DESC_F_NEXT)) return;
    // §2.7.5.3: `next` in a table indexes that table.
    if (entry.next >= entries) {
      throw new VirtqError('NEXT_OUT_OF_RANGE', `indirect table entry ${i}: next ${entry.next} >= ${entries} entries`);
    }
    i = entry.next;
  }
}
// #endregion indirect-table
