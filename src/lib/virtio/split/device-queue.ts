// The device side of a split virtqueue (VIRTIO 1.4 §2.7). It keeps two free-running 16-bit
// indices of its own: the next available-ring entry to read and the next used-ring entry to
// write. It reads the driver's available ring and descriptor table, writes only the used ring,
// and trusts nothing it reads: a violation becomes a recorded VirtqError and the queue stops
// until the device is reset (§2.1.2).
import type { DescriptorChain } from '../chain.ts';
import { ChainPool, type ChainRecord } from '../chain-record.ts';
import * as rules from '../chain-rules.ts';
import { isVirtqError, VirtqError } from '../errors.ts';
import { hasFeature, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../feature-bits.ts';
import type { GuestMemory } from '../memory.ts';
import { OutstandingChains } from '../outstanding.ts';
import { type DeviceQueue, EMPTY, type PopResult, type QueueConfig } from '../queue.ts';
import * as walks from './chain-walk.ts';
import { type SplitTableWalk, splitTableWalk } from './chain-walk.ts';
import { shouldNotify, type SuppressionState } from './event-idx.ts';
import { isValidSplitQueueSize, splitRingViews, type SplitRingViews, VIRTQ_USED_F_NO_NOTIFY } from './layout.ts';
import * as layout from './layout.ts';
import * as ring from './ring-index.ts';
import { checkSplitRingState, type SplitRingState } from '../ring-state.ts';

// Own copies of what pop() and push() use for every chain and every descriptor: an imported
// binding, a function as much as a constant, is read through its module cell at every use;
// why, see ../chain-rules.ts.
const { addChainBytes, checkBuffer, checkBufferOrder, checkChainLength } = rules;
const { firstRevisit, walkIndirectTable } = walks;
const { availEntryIn, availFlagsIn, availIdxIn, setAvailEventIn, setUsedEntryIn, setUsedFlagsIn, setUsedIdxIn, usedEventIn } = layout;
const { DESC_OFF_ADDR, DESC_OFF_FLAGS, DESC_OFF_LEN, DESC_OFF_NEXT, SPLIT_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } = layout;
const { idxAdd, idxDistance, idxSlot, IDX_MODULUS } = ring;

export interface SplitDeviceOptions {
  /** The most buffers the device accepts in one chain (§2.7.4.1); default and cap: the queue size. */
  readonly maxChainLength?: number;
  /** Where to start instead of index 0 (a resumed queue); chains in flight before it are not known. */
  readonly start?: SplitRingState;
}

/** One entry of SplitDeviceQueue.pushBatch. */
export interface SplitUsedEntry {
  readonly chain: DescriptorChain;
  readonly writtenLen: number;
}

/** Until the layout has been checked: empty views, never read (a queue with a bad layout is in error). */
const NO_RING: SplitRingViews = { desc: new DataView(new ArrayBuffer(0)), avail: new DataView(new ArrayBuffer(0)), used: new DataView(new ArrayBuffer(0)) };

export class SplitDeviceQueue implements DeviceQueue {
  readonly size: number;
  private readonly mem: GuestMemory;
  private readonly config: QueueConfig;
  /**
   * The ring's three areas, checked when the queue is set up (§2.7.1) and again only when the
   * memory's map changes (an IOMMU mapping made or removed); no ring access is checked on its own.
   */
  private ring: SplitRingViews = NO_RING;
  private ringGeneration = 0;
  private readonly indirect: boolean;
  private readonly eventIdx: boolean;
  private readonly inOrder: boolean;
  private readonly limit: number;
  /** The records of the chains pop() hands out, back from push(). */
  private readonly pool = new ChainPool();
  /** What the walk of an indirect table reuses, and the marks of both loop searches. */
  private readonly tables: SplitTableWalk;
  /** Free-running index of the next available-ring entry to read (last_avail_idx). */
  private lastAvail = 0;
  /**
   * The avail idx as last read and checked. Entries up to it are known to be there, so pop()
   * reads the driver's idx again only once it has caught up with it (as vhost does).
   */
  private availSeen = 0;
  /** Free-running index of the next used-ring entry to write: the used idx the driver sees. */
  private usedIdx = 0;
  /** Chains taken and not returned, by head index. */
  private readonly outstanding: OutstandingChains;
  /** Used entries written since the last needsNotification(). */
  private usedSinceNotify = 0;
  /** The driver's flags and used_event as last read, reused by every needsNotification(). */
  private readonly driverEvent: { -readonly [K in keyof SuppressionState]: SuppressionState[K] };
  /** Whether the device wants available buffer notifications (setNotificationsEnabled). */
  private notificationsOn = true;
  private err: VirtqError | null = null;

  constructor(mem: GuestMemory, config: QueueConfig, features: bigint, opts: SplitDeviceOptions = {}) {
    this.mem = mem;
    this.config = config;
    this.size = config.size;
    this.indirect = hasFeature(features, VIRTIO_F_INDIRECT_DESC);
    this.eventIdx = hasFeature(features, VIRTIO_F_EVENT_IDX);
    this.inOrder = hasFeature(features, VIRTIO_F_IN_ORDER);
    this.driverEvent = { eventIdx: this.eventIdx, flags: 0, event: 0 };
    const slots = isValidSplitQueueSize(config.size) ? config.size : 1;
    this.outstanding = new OutstandingChains(this.inOrder, 'head', slots, this.pool);
    this.limit = Math.max(1, Math.min(opts.maxChainLength ?? config.size, config.size));
    this.tables = splitTableWalk(mem, this.limit, this.indirect);
    if (opts.start) {
      // A bad start state is the caller's (the platform's) mistake, not the driver's: thrown.
      checkSplitRingState(opts.start, config.size);
      this.lastAvail = opts.start.lastAvail;
      this.availSeen = opts.start.lastAvail;
      this.usedIdx = opts.start.usedIdx;
    }
    // The layout is the driver's choice too: a bad one is recorded, not thrown.
    try {
      this.checkRing();
      // The used ring is the device's: it starts with no new entries, asking for every
      // notification (§2.7.10).
      setUsedFlagsIn(this.ring.used, 0);
      setUsedIdxIn(this.ring.used, this.usedIdx);
      if (this.eventIdx) setAvailEventIn(this.ring.used, this.size, this.lastAvail);
    } catch (e) {
      if (!isVirtqError(e)) throw e;
      this.err = e;
    }
  }

  get error(): VirtqError | null {
    return this.err;
  }

  // #region check-ring
  /** Checks the layout and makes the ring's views; again whenever the memory's map changes. */
  private checkRing(): void {
    this.ringGeneration = this.mem.generation;
    this.ring = splitRingViews(this.mem, this.config);
  }
  // #endregion check-ring

  /** The device's two indices: next available entry to read, next used entry to write. */
  ringState(): SplitRingState {
    return { lastAvail: this.lastAvail, usedIdx: this.usedIdx };
  }

  /** Chains taken by pop() and not yet pushed. */
  get outstandingCount(): number {
    return this.outstanding.size;
  }

  // #region pop-avail
  pop(): PopResult {
    if (this.err !== null) return { kind: 'error', error: this.err };
    try {
      // A view must not outlive the mapping it was made from.
      if (this.mem.generation !== this.ringGeneration) this.checkRing();
      if (this.lastAvail === this.availSeen) {
        const availIdx = availIdxIn(this.ring.avail);
        const pending = idxDistance(this.lastAvail, availIdx);
        if (pending === 0) return EMPTY;
        // §2.7.6.1, §2.7.13.3: idx only grows, and the ring never holds more than size entries
        // the device has not read; a larger distance is a jump, or idx going backwards.
        if (pending > this.size) throw availIdxJump(availIdx, this.lastAvail, this.size);
        this.availSeen = availIdx;
      }
      const head = availEntryIn(this.ring.avail, idxSlot(this.lastAvail, this.size));
      // §2.7.6: an entry is the index of a chain's head in the descriptor table.
      if (head >= this.size) throw headOutOfRange(this.lastAvail, head, this.size);
      // §2.7.13.1: buffers go into free descriptors. The head is the buffer's ID in the used ring
      // (§2.7.8), so one the device still holds would make two buffers indistinguishable.
      if (this.outstanding.has(head)) throw headInUse(head);
      const chain = this.pool.acquire();
      // #region walk-chain
      // The chain, from the head along `next`. Its running totals live in local variables.
      const { mem, limit, size } = this;
      const table = this.ring.desc;
      let index = head;
      let buffers = 0;
      let bytes = 0;
      let readable = 0;
      try {
        for (;;) {
          // struct virtq_desc (§2.7.5), its u64 address as two halves: no BigInt on this path.
          const at = index * SPLIT_DESC_SIZE;
          const flags = table.getUint16(at + DESC_OFF_FLAGS, true);
          // §2.7.5.3.2: zero or more ordinary descriptors may be followed by one indirect one.
          // The table ends the chain, and its walk completes the record.
          if (flags & VIRTQ_DESC_F_INDIRECT) {
            walkIndirectTable(this.tables, table, index, chain, head, buffers, bytes, readable);
            return this.take(chain);
          }
          // The rules every buffer of every chain obeys (../chain-rules.ts): length limit,
          // read-before-write order, 2^32 bytes in all, and the address range (§2.7.5.1).
          const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
          const len = table.getUint32(at + DESC_OFF_LEN, true);
          checkChainLength(++buffers, limit);
          readable = checkBufferOrder(readable, buffers, writable);
          bytes = addChainBytes(bytes, len, buffers);
          const addr = checkBuffer(mem, table.getUint32(at + DESC_OFF_ADDR + 4, true), table.getUint32(at + DESC_OFF_ADDR, true), len, 'buffer', writable);
          chain.setBuffer(buffers - 1, addr, len);
          if (!(flags & VIRTQ_DESC_F_NEXT)) break;
          // §2.7.5: `next` indexes the descriptor table, which has exactly size entries.
          const next = table.getUint16(at + DESC_OFF_NEXT, true);
          if (next >= size) throw nextOutOfRange(index, next, size);
          index = next;
        }
      } catch (e) {
        // §2.7.5.2: a chain never revisits a descriptor ("loops are forbidden"). A chain that
        // loops never ends, so its walk always fails, at the latest at the length limit: only
        // then does the device look for a revisit among the descriptors the walk went through.
        // One there came before the failure, and is the error.
        if (!isVirtqError(e)) throw e;
        // The marks are the table walk's: the two searches never overlap, and firstRevisit sizes them.
        const again = firstRevisit(this.tables.marks, table, 0, head, size, buffers);
        throw again < 0 ? e : descLoop(again, head);
      }
      // The head is the ID the used ring returns (§2.7.8); each descriptor here held one buffer.
      chain.finish(head, buffers, buffers, readable);
      // #endregion walk-chain
      return this.take(chain);
    } catch (e) {
      if (!isVirtqError(e)) throw e; // a bug in this file, not something the driver did
      this.err = e;
      return { kind: 'error', error: e };
    }
  }
  // #endregion pop-avail

  /** Holds a walked chain and moves past its available-ring entry; returns what pop() hands out. */
  private take(chain: ChainRecord): PopResult {
    this.outstanding.take(chain);
    this.lastAvail = idxAdd(this.lastAvail, 1);
    // With VIRTIO_F_EVENT_IDX avail_event moves with the device, or the driver would stop
    // notifying after the one entry it names (§2.7.10).
    if (this.eventIdx) this.writeAvailEvent();
    return chain.popped;
  }

  // #region push-used
  /**
   * Returns one chain: writes its head index and the bytes written into the next used-ring
   * entry, then publishes it by moving the used idx (§2.7.8.2: len before idx). Chains may be
   * returned in any order unless VIRTIO_F_IN_ORDER was negotiated (§2.7.9). After a recorded
   * error this does nothing. Throws only on a device-model bug (a chain not outstanding, a
   * length beyond its writable part).
   */
  push(chain: DescriptorChain, writtenLen: number): void {
    if (this.err !== null) return;
    this.outstanding.retireOne(chain, writtenLen);
    this.writeUsed(chain.id, writtenLen, 1);
  }

  private writeUsed(id: number, writtenLen: number, buffers: number): void {
    setUsedEntryIn(this.ring.used, idxSlot(this.usedIdx, this.size), id, writtenLen);
    this.usedIdx = idxAdd(this.usedIdx, buffers);
    setUsedIdxIn(this.ring.used, this.usedIdx);
    this.usedSinceNotify += buffers;
  }
  // #endregion push-used

  // #region push-batch
  /**
   * Returns several chains at once. With VIRTIO_F_IN_ORDER (§2.7.9) one used entry, carrying the
   * head of the last chain of a run, stands for the whole run, and the used idx moves by the
   * run's length; the driver counts the other chains as written in full. So a run only hides
   * chains whose writable part was entirely written; any other ends the run with an entry of
   * its own. Without VIRTIO_F_IN_ORDER every chain gets its own entry.
   */
  pushBatch(entries: readonly SplitUsedEntry[]): void {
    if (this.err !== null || entries.length === 0) return;
    const full = this.outstanding.retire(entries);
    let run = 0;
    for (let i = 0; i < entries.length; i++) {
      const { chain, writtenLen } = entries[i];
      run++;
      const last = i === entries.length - 1;
      if (this.inOrder && !last && full[i]) continue; // covered by a later entry of the run
      this.writeUsed(chain.id, writtenLen, run);
      run = 0;
    }
  }
  // #endregion push-batch

  // #region device-notify
  /**
   * After pushes: must the device send a used buffer notification (§2.7.7.2)? Without
   * VIRTIO_F_EVENT_IDX, unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT; with it, when the
   * used idx has just passed used_event.
   */
  needsNotification(): boolean {
    if (this.err !== null) return false;
    const driver = this.driverEvent;
    driver.flags = availFlagsIn(this.ring.avail);
    driver.event = usedEventIn(this.ring.avail, this.size);
    const notify = shouldNotify(driver, this.usedIdx, this.usedSinceNotify);
    this.usedSinceNotify = 0;
    return notify;
  }

  /**
   * Asks the driver for available buffer notifications, or to stop sending them (§2.7.10.2).
   * Without VIRTIO_F_EVENT_IDX through VIRTQ_USED_F_NO_NOTIFY. With it the flags stay 0 and
   * avail_event, kept up to date by every pop(), names the next entry the device will read
   * (on), or one half a lap ahead of it (off), which the driver cannot reach: it never has more
   * than 32768 buffers available. A device re-enabling notifications should pop() once more
   * afterwards: the driver may have added a buffer just before it saw the change.
   */
  setNotificationsEnabled(on: boolean): void {
    if (this.err !== null) return;
    this.notificationsOn = on;
    if (!this.eventIdx) {
      setUsedFlagsIn(this.ring.used, on ? 0 : VIRTQ_USED_F_NO_NOTIFY);
      return;
    }
    setUsedFlagsIn(this.ring.used, 0);
    this.writeAvailEvent();
  }

  private writeAvailEvent(): void {
    setAvailEventIn(this.ring.used, this.size, this.notificationsOn ? this.lastAvail : idxAdd(this.lastAvail, IDX_MODULUS / 2));
  }
  // #endregion device-notify
}

// The errors pop() records, made out of line so that pop() stays small enough to inline the walk.
function availIdxJump(availIdx: number, lastAvail: number, size: number): VirtqError {
  return new VirtqError('AVAIL_IDX_JUMP', `avail idx ${availIdx} is ${idxDistance(lastAvail, availIdx)} entries past ${lastAvail} (queue size ${size})`);
}
function headOutOfRange(lastAvail: number, head: number, size: number): VirtqError {
  return new VirtqError('HEAD_OUT_OF_RANGE', `avail entry ${lastAvail}: head ${head} >= queue size ${size}`);
}
function descLoop(index: number, head: number): VirtqError {
  return new VirtqError('DESC_LOOP', `descriptor ${index} appears twice in the chain of head ${head}`);
}
function nextOutOfRange(index: number, next: number, size: number): VirtqError {
  return new VirtqError('NEXT_OUT_OF_RANGE', `descriptor ${index}: next ${next} >= queue size ${size}`);
}
function headInUse(head: number): VirtqError {
  return new VirtqError('BUFFER_ID_IN_USE', `head ${head} is made available again before the device returned it`);
}
