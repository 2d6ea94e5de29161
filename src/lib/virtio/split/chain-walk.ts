// How the device reads one buffer off a split ring (VIRTIO 1.4 §2.7.4, §2.7.5): starting at
// the head index the available ring names, it follows `next` through the descriptor table
// while VIRTQ_DESC_F_NEXT is set. The last descriptor of that chain may instead point at an
// indirect table (§2.7.5.3), whose own chain, linked the same way, ends the buffer. Every
// value comes from the driver, so each is checked before it is used; the first violation is
// thrown as a VirtqError, which the device queue records.
//
// The walk through the ring's own table is SplitDeviceQueue.pop() (device-queue.ts): it runs
// for every chain, and written there it is compiled as one piece with the rest of pop().
// This file holds what it uses: the walk of an indirect table, and the marks and the search
// that find a loop once a walk has failed.
import * as rules from '../chain-rules.ts';
import type { ChainRecord } from '../chain-record.ts';
import { isVirtqError, VirtqError } from '../errors.ts';
import { type GuestMemory, READ } from '../memory.ts';
import * as layout from './layout.ts';

// Own copies of the rules and the layout's constants, used for every descriptor: an imported
// binding is read through its module cell at every use; why, see ../chain-rules.ts.
const { addChainBytes, checkBuffer, checkBufferOrder, checkChainLength } = rules;
const { DESC_OFF_ADDR, DESC_OFF_FLAGS, DESC_OFF_LEN, DESC_OFF_NEXT, SPLIT_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } = layout;

/**
 * Marks of the descriptors one walk has visited, reused across walks (no per-pop allocation).
 * Int32 rather than Uint32: an element of a Uint32Array may not fit a 32-bit signed register,
 * so the engine compares it as a double, and the walk does this for every descriptor.
 */
export class VisitMarks {
  private marks: Int32Array;
  private walk = 0;
  constructor(size: number) {
    this.marks = new Int32Array(size);
  }
  /** Makes room for indices below `size` (growing, never shrinking: the array is reused). */
  reserve(size: number): void {
    if (size > this.marks.length) {
      this.marks = new Int32Array(size);
      this.walk = 0;
    }
  }
  /** Starts a new walk at `first`, which it marks: every mark from earlier walks is forgotten. */
  begin(first: number): void {
    if (++this.walk === 0x7fff_ffff) {
      this.marks.fill(0);
      this.walk = 1;
    }
    this.marks[first] = this.walk;
  }
  /** Marks `index`; false if this walk had marked it already. */
  visit(index: number): boolean {
    if (this.marks[index] === this.walk) return false;
    this.marks[index] = this.walk;
    return true;
  }
}

/**
 * How many entries of an indirect table a walk can reach: `next` is a 16-bit field (§2.7.5), so
 * however large a table is, only its first 65536 entries can be linked, and only they are marked.
 */
const NEXT_REACH = 1 << 16;

/** What the walk of an indirect table needs from its queue; made once per queue. */
export interface SplitTableWalk {
  readonly mem: GuestMemory;
  /** The most buffers the device accepts in one chain (at most the queue size, §2.7.5.3.1). */
  readonly limit: number;
  /** VIRTIO_F_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
  /**
   * Marks for firstRevisit, which runs only after a walk has failed: the queue's own search
   * through the ring and the search through a table use them in turn, never at once.
   */
  readonly marks: VisitMarks;
}

/** What a queue's table walks reuse from one chain to the next. */
export function splitTableWalk(mem: GuestMemory, limit: number, indirect: boolean): SplitTableWalk {
  return { mem, limit, indirect, marks: new VisitMarks(0) };
}

// #region indirect-table
/**
 * Appends to `chain` the chain of the indirect table that descriptor `index` of `ring` points
 * at (§2.7.5.3), and completes the chain of head `head`: the table is its last descriptor.
 * `buffers`, `bytes` and `readable` describe the chain so far: ordinary descriptors, one buffer
 * each, may come before the table.
 */
export function walkIndirectTable(
  walk: SplitTableWalk,
  ring: DataView,
  index: number,
  chain: ChainRecord,
  head: number,
  buffers: number,
  bytes: number,
  readable: number,
): void {
  const { mem, limit } = walk;
  // The descriptor naming the table, read straight from the ring (struct virtq_desc, §2.7.5).
  const descAt = index * SPLIT_DESC_SIZE;
  const descFlags = ring.getUint16(descAt + DESC_OFF_FLAGS, true);
  const tableLen = ring.getUint32(descAt + DESC_OFF_LEN, true);
  // §2.7.5.3.1: INDIRECT needs VIRTIO_F_INDIRECT_DESC.
  if (!walk.indirect) throw indirectNotNegotiated(index);
  // §2.7.5.3.1: INDIRECT and NEXT are never set together; the table ends the chain.
  if (descFlags & VIRTQ_DESC_F_NEXT) throw indirectWithNext(index);
  // §2.7.5.3: the table holds len / 16 whole descriptors, and an empty table holds no buffer.
  if (tableLen === 0 || tableLen % SPLIT_DESC_SIZE !== 0) throw indirectBadLength(index, tableLen);
  // The table itself lies in guest memory, without wrapping past 2^64.
  // §2.7.5.3.2: the WRITE flag of the descriptor naming the table means nothing: not read.
  const tableAddr = checkBuffer(mem, ring.getUint32(descAt + DESC_OFF_ADDR + 4, true), ring.getUint32(descAt + DESC_OFF_ADDR, true), tableLen, 'indirect table');
  // A whole number below 2^28: shifted, not divided, so that it stays an integer for the engine.
  const entries = tableLen >>> SPLIT_DESC_SHIFT;
  // The whole table is guest memory: its entries are read from its region without a check each.
  const region = mem.regionAt(tableAddr, tableLen, READ);
  const table = mem.tableView(region, tableAddr, tableLen);
  const tableAt = mem.tableOffset(region, tableAddr);
  // The ring descriptors before the table, and the table's own.
  const descCount = buffers + 1;
  let i = 0;
  try {
    for (;;) {
      const at = tableAt + i * SPLIT_DESC_SIZE;
      const flags = table.getUint16(at + DESC_OFF_FLAGS, true);
      // §2.7.5.3.1: only one table per descriptor; a table entry never points at another table.
      if (flags & VIRTQ_DESC_F_INDIRECT) throw nestedIndirect(i);
      // The rules every buffer of every chain obeys (../chain-rules.ts), as in pop().
      const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      const len = table.getUint32(at + DESC_OFF_LEN, true);
      checkChainLength(++buffers, limit);
      readable = checkBufferOrder(readable, buffers, writable);
      bytes = addChainBytes(bytes, len, buffers);
      const addr = checkBuffer(mem, table.getUint32(at + DESC_OFF_ADDR + 4, true), table.getUint32(at + DESC_OFF_ADDR, true), len, 'buffer', writable);
      chain.setBuffer(buffers - 1, addr, len);
      if (!(flags & VIRTQ_DESC_F_NEXT)) {
        chain.finish(head, descCount, buffers, readable);
        return;
      }
      // §2.7.5.3: `next` in a table indexes that table.
      const next = table.getUint16(at + DESC_OFF_NEXT, true);
      if (next >= entries) throw tableNextOutOfRange(i, next, entries);
      i = next;
    }
  } catch (e) {
    // §2.7.5.2: no loops inside the table either. As in pop(), a revisit is looked for only
    // once the walk has failed, among the entries it went through.
    if (!isVirtqError(e)) throw e;
    const again = firstRevisit(walk.marks, table, tableAt, 0, Math.min(entries, NEXT_REACH), buffers - descCount + 1);
    throw again < 0 ? e : tableLoop(again);
  }
}
// #endregion indirect-table

// #region first-revisit
/**
 * The first entry that the chain starting at entry `start` of the descriptor table at `base`
 * in `view` (`entries` entries) revisits within its first `steps` entries, or -1 if none does.
 * The walk has already checked every `next` on the way; one the driver has changed since is
 * out of reach of that walk, and ends the search.
 */
export function firstRevisit(marks: VisitMarks, view: DataView, base: number, start: number, entries: number, steps: number): number {
  marks.reserve(entries);
  marks.begin(start);
  let index = start;
  for (let step = 1; step < steps; step++) {
    index = view.getUint16(base + index * SPLIT_DESC_SIZE + DESC_OFF_NEXT, true);
    if (index >= entries) return -1;
    if (!marks.visit(index)) return index;
  }
  return -1;
}
// #endregion first-revisit

/** log2 of SPLIT_DESC_SIZE: a table of len bytes holds len >>> 4 descriptors. */
const SPLIT_DESC_SHIFT = 4;

// The table's errors, made out of line: the walk stays small enough to compile well.
function indirectNotNegotiated(index: number): VirtqError {
  return new VirtqError('INDIRECT_NOT_NEGOTIATED', `descriptor ${index}: INDIRECT without VIRTIO_F_INDIRECT_DESC`);
}
function indirectWithNext(index: number): VirtqError {
  return new VirtqError('INDIRECT_WITH_NEXT', `descriptor ${index}: INDIRECT and NEXT both set`);
}
function indirectBadLength(index: number, len: number): VirtqError {
  return new VirtqError('INDIRECT_BAD_LENGTH', `descriptor ${index}: indirect table length ${len} is not a non-zero multiple of ${SPLIT_DESC_SIZE}`);
}
function tableLoop(i: number): VirtqError {
  return new VirtqError('DESC_LOOP', `indirect table entry ${i} appears twice in the chain`);
}
function nestedIndirect(i: number): VirtqError {
  return new VirtqError('NESTED_INDIRECT', `indirect table entry ${i} has INDIRECT set`);
}
function tableNextOutOfRange(i: number, next: number, entries: number): VirtqError {
  return new VirtqError('NEXT_OUT_OF_RANGE', `indirect table entry ${i}: next ${next} >= ${entries} entries`);
}
