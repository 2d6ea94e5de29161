// The device side of a packed virtqueue (VIRTIO 1.4 §2.8). It keeps two positions on the one
// ring: where the next available descriptor will appear, and where the next used descriptor
// goes, each with its own wrap counter (§2.8.1). Between them lie the slots of buffers the
// device has taken and not yet returned. Nothing the driver writes can make it throw or read
// outside guest memory: a violation becomes a recorded VirtqError and the queue stops.
import type { DescriptorChain } from '../chain.ts';
import { ChainPool, type ChainRecord } from '../chain-record.ts';
import * as rules from '../chain-rules.ts';
import { isVirtqError, VirtqError } from '../errors.ts';
import { hasFeature, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../feature-bits.ts';
import { type GuestMemory, READ_WRITE } from '../memory.ts';
import { OutstandingChains } from '../outstanding.ts';
import { type DeviceQueue, EMPTY, type PopResult, type QueueConfig } from '../queue.ts';
import * as walks from './chain-walk.ts';
import { type PackedTableWalk, packedTableWalk } from './chain-walk.ts';
import { type EventSuppression, readEventSuppressionInto, shouldNotify, writeEventSuppression } from './event-suppression.ts';
import { checkPackedLayout, descRingBytes, isValidPackedQueueSize, RING_EVENT_FLAGS_DESC, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_ENABLE } from './layout.ts';
import * as layout from './layout.ts';
import * as wrapCounter from './wrap-counter.ts';
import { RingPosition } from './wrap-counter.ts';
import { checkPackedRingState, packedInFlight, type PackedRingState } from '../ring-state.ts';

// Own copies of what pop() and push() use for every buffer and every descriptor: an imported
// binding, a function as much as a constant, is read through its module cell at every use;
// why, see ../chain-rules.ts.
const { addChainBytes, checkBuffer, checkBufferOrder, checkChainLength } = rules;
const { checkBufferId, indirectInList, listIncomplete, listTooLong, walkIndirectTable } = walks;
const { packedFlagsIn, setPackedFlagsIn, writePackedUsedBody } = layout;
const { DESC_OFF_ADDR, DESC_OFF_FLAGS, DESC_OFF_ID, DESC_OFF_LEN, PACKED_DESC_SIZE, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } = layout;
const { isAvailable, usedFlags } = wrapCounter;

export interface PackedDeviceOptions {
  /** The most descriptors the device accepts in one list (§2.8.18); default and cap: the queue size. */
  readonly maxChainLength?: number;
  /**
   * Where to start instead of slot 0 with both wrap counters 1 (a resumed queue). Slots between
   * the used and the available position count as in flight; their buffers are not known.
   */
  readonly start?: PackedRingState;
}

/** One entry of PackedDeviceQueue.pushBatch. */
export interface UsedEntry {
  readonly chain: DescriptorChain;
  readonly writtenLen: number;
}

export class PackedDeviceQueue implements DeviceQueue {
  readonly size: number;
  private readonly mem: GuestMemory;
  private readonly config: QueueConfig;
  private readonly indirect: boolean;
  private readonly eventIdx: boolean;
  private readonly inOrder: boolean;
  private readonly limit: number;
  /** Next slot to read an available descriptor from. */
  private readonly availPos = new RingPosition();
  /** Next slot to write a used descriptor to; its wrap is the Device Ring Wrap Counter. */
  private readonly usedPos = new RingPosition();
  /** Slots between usedPos and availPos: taken by the device, not yet returned. */
  private inFlight = 0;
  /** Buffers taken and not returned, by buffer ID. */
  private readonly outstanding: OutstandingChains;
  /** usedPos.linear() at the last needsNotification(), and slots used since. */
  private notifyStart = 0;
  private usedSinceNotify = 0;
  /** The driver's event suppression structure as last read, reused by every needsNotification(). */
  private readonly driverEvent: { -readonly [K in keyof EventSuppression]: EventSuppression[K] } = { flags: 0, offset: 0, wrap: false };
  private err: VirtqError | null = null;
  /** The descriptor ring, checked when the queue is set up (§2.8.10.1) and when the memory map changes. */
  private ring: DataView = new DataView(new ArrayBuffer(0));
  private ringGeneration = 0;
  /** The records of the buffers pop() hands out, back from push(). */
  private readonly pool = new ChainPool();
  /** What the walk of an indirect table reuses. */
  private readonly tables: PackedTableWalk;

  /** Where the device stands on the ring (§2.8.1), for inspection: next slot to read, next to write, and the Device Ring Wrap Counter. */
  ringState(): PackedRingState {
    return { nextAvail: this.availPos.index, availWrap: this.availPos.wrap, nextUsed: this.usedPos.index, usedWrap: this.usedPos.wrap };
  }

  constructor(mem: GuestMemory, config: QueueConfig, features: bigint, opts: PackedDeviceOptions = {}) {
    this.mem = mem;
    this.config = config;
    this.size = config.size;
    this.indirect = hasFeature(features, VIRTIO_F_INDIRECT_DESC);
    this.eventIdx = hasFeature(features, VIRTIO_F_EVENT_IDX);
    this.inOrder = hasFeature(features, VIRTIO_F_IN_ORDER);
    this.outstanding = new OutstandingChains(this.inOrder, 'buffer ID', isValidPackedQueueSize(config.size) ? config.size : 1, this.pool);
    this.limit = Math.max(1, Math.min(opts.maxChainLength ?? config.size, config.size));
    this.tables = packedTableWalk(mem, this.size, this.limit, this.indirect);
    if (opts.start) {
      // A bad start state is the caller's (the platform's) mistake, not the driver's: thrown.
      checkPackedRingState(opts.start, config.size);
      const inFlight = packedInFlight(opts.start, config.size);
      if (inFlight > config.size) throw new RangeError(`packed ring state: the used position is ${inFlight} slots behind the available one, more than a lap`);
      this.availPos.index = opts.start.nextAvail;
      this.availPos.wrap = opts.start.availWrap;
      this.usedPos.index = opts.start.nextUsed;
      this.usedPos.wrap = opts.start.usedWrap;
      this.inFlight = inFlight;
      this.notifyStart = this.usedPos.linear(config.size);
    }
    // The layout is the driver's choice too: a bad one is recorded, not thrown.
    try {
      this.checkRing();
      // The device owns its event suppression structure: start by asking for every notification.
      writeEventSuppression(mem, config.deviceAddr, { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false });
    } catch (e) {
      if (!isVirtqError(e)) throw e;
      this.err = e;
    }
  }

  get error(): VirtqError | null {
    return this.err;
  }

  // #region check-ring
  /**
   * Checks the layout and makes the view the device reads and writes the descriptor ring
   * through; again whenever the memory's map changes (an IOMMU mapping made or removed), so that
   * the view never outlives the right to use it. Throws the VirtqError of the first problem.
   */
  private checkRing(): void {
    this.ringGeneration = this.mem.generation;
    checkPackedLayout(this.mem, this.config);
    this.ring = this.mem.area(this.config.descAddr, descRingBytes(this.size), READ_WRITE);
  }
  // #endregion check-ring

  // #region device-pop
  pop(): PopResult {
    if (this.err !== null) return { kind: 'error', error: this.err };
    if (this.mem.generation !== this.ringGeneration) {
      try {
        this.checkRing();
      } catch (e) {
        if (!isVirtqError(e)) throw e;
        this.err = e;
        return { kind: 'error', error: e };
      }
    }
    // Every slot is the device's until it returns some: nothing can be newly available.
    if (this.inFlight >= this.size) return EMPTY;
    // #region pop-availability
    // §2.8.1, §2.8.15: only the next slot in ring order is polled, and it is available when
    // its AVAIL bit equals the wrap counter of this lap and its USED bit does not.
    let flags = packedFlagsIn(this.ring, this.availPos.index * PACKED_DESC_SIZE);
    if (!isAvailable(flags, this.availPos.wrap)) return EMPTY;
    // #endregion pop-availability
    try {
      const chain = this.pool.acquire();
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        walkIndirectTable(this.tables, this.ring, this.availPos.index, flags, chain);
      } else {
        // #region walk-direct
        // The list, slot after slot while NEXT is set. Its running totals live in local variables.
        const { mem, limit, size, ring } = this;
        // Slots the driver may have filled: the queue size minus those the device still holds.
        const room = size - this.inFlight;
        // The slot being read and its lap, moved along the list (availPos moves once it is taken).
        let index = this.availPos.index;
        let wrap = this.availPos.wrap;
        let buffers = 0;
        let bytes = 0;
        let readable = 0;
        // Each descriptor's flags are read once, where its availability is decided, and used from there.
        for (;;) {
          // struct pvirtq_desc (§2.8.13), its u64 address as two halves: no BigInt on this path.
          const at = index * PACKED_DESC_SIZE;
          // #region check-indirect-in-list
          // §2.8.19: an INDIRECT descriptor may not be part of a NEXT-linked list.
          if (flags & VIRTQ_DESC_F_INDIRECT) throw indirectInList(index);
          // #endregion check-indirect-in-list
          // The rules every buffer of every chain obeys (../chain-rules.ts): length limit,
          // read-before-write order, 2^32 bytes in all, and the address range (§2.8.5, §2.8.17).
          const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
          const len = ring.getUint32(at + DESC_OFF_LEN, true);
          checkChainLength(++buffers, limit);
          readable = checkBufferOrder(readable, buffers, writable);
          bytes = addChainBytes(bytes, len, buffers);
          const addr = checkBuffer(mem, ring.getUint32(at + DESC_OFF_ADDR + 4, true), ring.getUint32(at + DESC_OFF_ADDR, true), len, 'buffer', writable);
          chain.setBuffer(buffers - 1, addr, len);
          if (!(flags & VIRTQ_DESC_F_NEXT)) break;
          // #region check-list-length
          // §2.8.17: a list is never longer than the queue size, so NEXT on the size-th is wrong.
          if (buffers >= size) throw listTooLong(buffers, size);
          // #endregion check-list-length
          // #region check-next-available
          // §2.8.17: the whole list is available before its head. The next slot must be one the
          // driver could have filled (not one the device still holds) and must carry the flags
          // of an available descriptor for the lap it is in (§2.8.1).
          if (buffers >= room) throw listIncomplete(`list runs into slots the device has not yet marked used`);
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
        chain.finish(id, buffers, buffers, readable);
        // #endregion walk-direct
      }
      // #region check-id-in-use
      // A buffer ID (§2.8.13, §2.8.21.1) names one outstanding buffer: the used descriptor carries nothing else the
      // driver could tell two buffers apart by, and in-order batches are counted from it.
      if (this.outstanding.has(chain.id)) throw idInUse(chain.id);
      // #endregion check-id-in-use
      this.take(chain);
      return chain.popped;
    } catch (e) {
      if (!isVirtqError(e)) throw e; // a bug in this file, not something the driver did
      this.err = e;
      return { kind: 'error', error: e };
    }
  }
  // #endregion device-pop

  private take(chain: ChainRecord): void {
    this.outstanding.take(chain);
    this.availPos.advance(chain.descCount, this.size);
    this.inFlight += chain.descCount;
  }

  // #region device-push
  /**
   * Returns one buffer: writes its used descriptor at the next used slot and moves past the
   * slots it took. Buffers may be returned in any order, unless VIRTIO_F_IN_ORDER was
   * negotiated (§2.8.8). After a recorded error this does nothing: the device awaits reset.
   * Throws only on a device-model bug (a chain not outstanding, a length it could not write).
   */
  push(chain: DescriptorChain, writtenLen: number): void {
    if (this.err !== null) return;
    this.outstanding.retireOne(chain, writtenLen);
    this.writeUsed(chain.id, writtenLen, chain.descCount);
  }
  // #endregion device-push

  // #region device-push-batch
  /**
   * Returns several buffers at once. With VIRTIO_F_IN_ORDER (§2.8.8) one used descriptor,
   * carrying the ID and length of the last buffer, stands for a run of buffers; the driver
   * counts the others as used in full. So a run may only hide buffers whose writable part was
   * written entirely (writtenLen equal to their writable length): any other buffer ends a run
   * and gets a descriptor of its own. Without VIRTIO_F_IN_ORDER every buffer gets its own.
   */
  pushBatch(entries: readonly UsedEntry[]): void {
    if (this.err !== null || entries.length === 0) return;
    const full = this.outstanding.retire(entries);
    let runSlots = 0;
    for (let i = 0; i < entries.length; i++) {
      const { chain, writtenLen } = entries[i];
      runSlots += chain.descCount;
      const last = i === entries.length - 1;
      if (this.inOrder && !last && full[i]) continue; // covered by a later descriptor of the run
      this.writeUsed(chain.id, writtenLen, runSlots);
      runSlots = 0;
    }
  }
  // #endregion device-push-batch

  // #region used-write
  /** Writes one used descriptor at usedPos standing for `slots` ring slots, flags last. */
  private writeUsed(id: number, writtenLen: number, slots: number): void {
    const at = this.usedPos.index * PACKED_DESC_SIZE;
    // §2.8.4: addr is unused in a used descriptor; len is what the device wrote.
    writePackedUsedBody(this.ring, at, writtenLen, id);
    // §2.8.1: AVAIL and USED both equal the Device Ring Wrap Counter; §2.8.3: WRITE says
    // that data was written. Writing flags last publishes the descriptor (§2.8.15).
    setPackedFlagsIn(this.ring, at, usedFlags(this.usedPos.wrap) | (writtenLen > 0 ? VIRTQ_DESC_F_WRITE : 0));
    this.usedPos.advance(slots, this.size);
    this.inFlight -= slots;
    this.usedSinceNotify += slots;
  }
  // #endregion used-write

  // #region device-needs-notification
  /** §2.8.10: consults the Driver Event Suppression structure after used descriptors were written. */
  needsNotification(): boolean {
    if (this.err !== null) return false;
    const s = readEventSuppressionInto(this.mem, this.config.driverAddr, this.driverEvent);
    const notify = shouldNotify(s, this.size, this.notifyStart, this.usedSinceNotify, this.eventIdx);
    this.notifyStart = this.usedPos.linear(this.size);
    this.usedSinceNotify = 0;
    return notify;
  }
  // #endregion device-needs-notification

  // #region device-set-notifications
  /**
   * §2.8.10: writes the Device Event Suppression structure. Enabled with VIRTIO_F_EVENT_IDX, it
   * names the slot the device will read next, so one notification comes when that slot is made
   * available; without it, ENABLE. A device re-enabling notifications should pop() once more
   * afterwards: the driver may have added a buffer just before it saw the change.
   */
  setNotificationsEnabled(on: boolean): void {
    if (this.err !== null) return;
    if (!on) {
      writeEventSuppression(this.mem, this.config.deviceAddr, { flags: RING_EVENT_FLAGS_DISABLE, offset: 0, wrap: false });
    } else if (this.eventIdx) {
      const { index, wrap } = this.availPos;
      writeEventSuppression(this.mem, this.config.deviceAddr, { flags: RING_EVENT_FLAGS_DESC, offset: index, wrap });
    } else {
      writeEventSuppression(this.mem, this.config.deviceAddr, { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false });
    }
  }
  // #endregion device-set-notifications

  /** Buffers taken by pop() and not yet pushed. */
  get outstandingCount(): number {
    return this.outstanding.size;
  }
}

// Made out of line, so that pop() stays small enough to inline the walk.
function idInUse(id: number): VirtqError {
  return new VirtqError('BUFFER_ID_IN_USE', `buffer ID ${id} is already outstanding`);
}
