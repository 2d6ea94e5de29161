// How the device reads one buffer off a packed ring (VIRTIO 1.4 §2.8.5 to §2.8.7): either a
// list of ring descriptors linked by NEXT, or a single ring descriptor with INDIRECT naming a
// table of packed descriptors. Every value comes from the driver, so each is checked before
// it is used; the first violation is thrown as a VirtqError, which the device queue records.
//
// The walk of a list in the ring is PackedDeviceQueue.pop() (device-queue.ts): it runs for
// every buffer, and written there it is compiled as one piece with the rest of pop(). This
// file holds the walk of an indirect table and the checks and errors the two walks share.
import * as rules from '../chain-rules.ts';
import type { ChainRecord } from '../chain-record.ts';
import { VirtqError } from '../errors.ts';
import { type GuestMemory, READ } from '../memory.ts';
import * as layout from './layout.ts';

// Own copies of the rules and the layout's constants, used for every descriptor: an imported
// binding is read through its module cell at every use; why, see ../chain-rules.ts.
const { addChainBytes, checkBuffer, checkBufferOrder } = rules;
const { DESC_OFF_ADDR, DESC_OFF_FLAGS, DESC_OFF_ID, DESC_OFF_LEN, PACKED_DESC_SIZE, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } = layout;

/** What the walk of an indirect table needs from its queue; made once per queue. */
export interface PackedTableWalk {
  readonly mem: GuestMemory;
  readonly size: number;
  /** The most descriptors the device accepts in one buffer (at most the queue size, §2.8.5). */
  readonly limit: number;
  /** VIRTIO_F_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;
}

/** What a queue's table walks reuse from one buffer to the next. */
export function packedTableWalk(mem: GuestMemory, size: number, limit: number, indirect: boolean): PackedTableWalk {
  return { mem, size, limit, indirect };
}

// #region walk-indirect
/**
 * Fills `chain` with the table that the ring descriptor in slot `index` of `ring` points at;
 * `flags` are that descriptor's flags as pop() read them to see it available.
 */
export function walkIndirectTable(walk: PackedTableWalk, ring: DataView, index: number, flags: number, chain: ChainRecord): void {
  const { mem, limit } = walk;
  // The ring descriptor naming the table (struct pvirtq_desc, §2.8.13), read straight from the
  // ring; its flags are those pop() judged available, not a second read.
  const descAt = index * PACKED_DESC_SIZE;
  const tableLen = ring.getUint32(descAt + DESC_OFF_LEN, true);
  // #region check-indirect-negotiated
  // §2.8.19: INDIRECT needs VIRTIO_F_INDIRECT_DESC.
  if (!walk.indirect) {
    throw new VirtqError('INDIRECT_NOT_NEGOTIATED', `INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC`);
  }
  // #endregion check-indirect-negotiated
  // #region check-indirect-next
  // §2.8.19: an INDIRECT descriptor is never part of a NEXT-linked list.
  if (flags & VIRTQ_DESC_F_NEXT) {
    throw new VirtqError('INDIRECT_WITH_NEXT', `INDIRECT descriptor with NEXT set`);
  }
  // #endregion check-indirect-next
  // #region check-indirect-length
  // §2.8.7: the table is len / 16 whole packed descriptors, and an empty table is no buffer.
  if (tableLen === 0 || tableLen % PACKED_DESC_SIZE !== 0) {
    throw new VirtqError('INDIRECT_BAD_LENGTH', `indirect table length ${tableLen} is not a non-zero multiple of ${PACKED_DESC_SIZE}`);
  }
  // #endregion check-indirect-length
  // #region check-indirect-range
  // The table itself must lie in guest memory, without wrapping past 2^64.
  const tableAddr = checkBuffer(mem, ring.getUint32(descAt + DESC_OFF_ADDR + 4, true), ring.getUint32(descAt + DESC_OFF_ADDR, true), tableLen, 'indirect table');
  // #endregion check-indirect-range
  // #region check-indirect-entries
  const entries = tableLen / PACKED_DESC_SIZE;
  // §2.8.17: the list in the table obeys the same length limit as a list in the ring.
  if (entries > limit) {
    throw new VirtqError('CHAIN_TOO_LONG', `indirect table of ${entries} descriptors exceeds ${limit}`);
  }
  // #endregion check-indirect-entries
  // The ID is the ring descriptor's; the IDs inside the table are reserved (§2.8.7).
  const id = ring.getUint16(descAt + DESC_OFF_ID, true);
  // The whole table is guest memory: its entries are read from its region without a check each.
  const region = mem.regionAt(tableAddr, tableLen, READ);
  const table = mem.tableView(region, tableAddr, tableLen);
  const tableAt = mem.tableOffset(region, tableAddr);
  let bytes = 0;
  let readable = 0;
  for (let i = 0; i < entries; i++) {
    const at = tableAt + i * PACKED_DESC_SIZE;
    // #region ignore-reserved-flags
    // §2.8.7: in a packed table only WRITE has a meaning; every other flag bit (NEXT and
    // INDIRECT included) is reserved and ignored by the device, and the entries follow each
    // other by position. So an entry with INDIRECT set is an ordinary buffer here, unlike the
    // split ring, where the driver rule of §2.7.5.3.1 lets the device report NESTED_INDIRECT.
    const writable = (table.getUint16(at + DESC_OFF_FLAGS, true) & VIRTQ_DESC_F_WRITE) !== 0;
    // #endregion ignore-reserved-flags
    // The rules every buffer of every chain obeys (../chain-rules.ts), as in pop(); the length
    // limit was checked for the whole table above.
    const len = table.getUint32(at + DESC_OFF_LEN, true);
    readable = checkBufferOrder(readable, i + 1, writable);
    bytes = addChainBytes(bytes, len, i + 1);
    const addr = checkBuffer(mem, table.getUint32(at + DESC_OFF_ADDR + 4, true), table.getUint32(at + DESC_OFF_ADDR, true), len, 'buffer', writable);
    chain.setBuffer(i, addr, len);
  }
  checkBufferId(id, walk.size);
  // The table takes one slot of the ring.
  chain.finish(id, 1, entries, readable);
}
// #endregion walk-indirect

// #region check-buffer-id
export function checkBufferId(id: number, size: number): void {
  // Buffer ID (§2.8.13, §2.8.21.1): IDs index per-buffer state of size entries, so they are below the size.
  if (id >= size) throw new VirtqError('BUFFER_ID_OUT_OF_RANGE', `buffer ID ${id} >= queue size ${size}`);
}
// #endregion check-buffer-id

// The list's errors, made out of line: pop() compiles its checks whole only while it stays small.
export function indirectInList(index: number): VirtqError {
  return new VirtqError('INDIRECT_WITH_NEXT', `slot ${index}: INDIRECT descriptor inside a NEXT-linked list`);
}
export function listTooLong(count: number, size: number): VirtqError {
  return new VirtqError('CHAIN_TOO_LONG', `list still continues after ${count} descriptors (queue size ${size})`);
}
export function listIncomplete(why: string): VirtqError {
  return new VirtqError('CHAIN_INCOMPLETE', why);
}
