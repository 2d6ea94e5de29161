// The driver side of a packed virtqueue (VIRTIO 1.4 §2.8.21, §2.8.22), as a guest driver runs
// it: it fills ring slots in order with the Driver Ring Wrap Counter, publishes a buffer by
// writing its first descriptor's flags last, and reads used descriptors back at its own used
// position, skipping as many slots as each returned buffer took.
import { VirtqError } from '../errors.ts';
import { hasFeature, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../feature-bits.ts';
import type { GuestMemory } from '../memory.ts';
import type { DriverBuffer, DriverQueue, QueueConfig, UsedBuffer } from '../queue.ts';
import { readEventSuppression, shouldNotify, writeEventSuppression } from './event-suppression.ts';
import type { IndirectArea } from './indirect-area.ts';
import { indirectTableAllocator } from '../indirect-tables.ts';
import type { RangeAllocator } from '../range-allocator.ts';
import {
  checkPackedLayout,
  descRingBytes,
  PACKED_DESC_SIZE,
  readPackedDesc,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  slotAddr,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  writePackedDescBody,
  writePackedDescFlags,
} from './layout.ts';
import { availFlags, isUsed, RingPosition, usedFlags } from './wrap-counter.ts';

export interface PackedDriverOptions {
  /** Guest memory the driver may use for indirect tables; required for add(…, {indirect: true}). */
  readonly indirectArea?: IndirectArea;
  /**
   * Start at this slot and Driver Ring Wrap Counter instead of slot 0 on the first lap, with
   * nothing in flight, as after a queue that stopped quiescent.
   */
  readonly start?: { readonly slot: number; readonly wrap: boolean };
}

interface InFlight {
  /** Ring slots the buffer took: its list length, or 1 for an indirect table. */
  readonly slots: number;
  /** Sum of its device-writable lengths: what an in-order batch reports for a skipped buffer. */
  readonly writableLen: number;
  readonly table: { readonly addr: number; readonly bytes: number } | null;
}

const U32_MAX = 0xffff_ffff;

export class PackedDriverQueue implements DriverQueue {
  readonly size: number;
  private readonly mem: GuestMemory;
  private readonly config: QueueConfig;
  private readonly indirect: boolean;
  private readonly eventIdx: boolean;
  private readonly inOrder: boolean;
  private readonly tables: RangeAllocator | null;
  /** Next slot to fill; its wrap is the Driver Ring Wrap Counter (§2.8.1). */
  private readonly availPos = new RingPosition();
  /** Next slot where the device will write a used descriptor. */
  private readonly usedPos = new RingPosition();
  private free: number;
  private readonly freeIds: number[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  /** IDs in the order they were made available; used with VIRTIO_F_IN_ORDER. */
  private readonly order: number[] = [];
  private orderHead = 0;
  /** Results of an in-order batch not yet handed out by pollUsed(). */
  private readonly ready: UsedBuffer[] = [];
  private readyHead = 0;
  /** availPos.linear() at the last kickNeeded(), and slots made available since. */
  private kickStart = 0;
  private addedSinceKick = 0;
  private broken: VirtqError | null = null;

  // #region driver-init
  /** Throws VirtqError (QUEUE_SIZE_INVALID, ADDR_OUT_OF_RANGE, RING_MISALIGNED) on a bad layout. */
  constructor(mem: GuestMemory, config: QueueConfig, features: bigint, opts: PackedDriverOptions = {}) {
    checkPackedLayout(mem, config);
    this.mem = mem;
    this.config = config;
    this.size = config.size;
    this.indirect = hasFeature(features, VIRTIO_F_INDIRECT_DESC);
    this.eventIdx = hasFeature(features, VIRTIO_F_EVENT_IDX);
    this.inOrder = hasFeature(features, VIRTIO_F_IN_ORDER);
    this.tables = indirectTableAllocator(mem, opts.indirectArea, PACKED_DESC_SIZE);
    // §2.8.13: the descriptor ring starts zeroed, so no slot looks available or used.
    mem.write(config.descAddr, new Uint8Array(descRingBytes(this.size)));
    // Both suppression structures start as ENABLE (all zero) until a side says otherwise.
    writeEventSuppression(mem, config.driverAddr, { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false });
    writeEventSuppression(mem, config.deviceAddr, { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false });
    this.free = this.size;
    for (let id = this.size - 1; id >= 0; id--) this.freeIds.push(id);
    if (opts.start) {
      const { slot, wrap } = opts.start;
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) throw new RangeError(`start slot ${slot} is not a slot of a ring of ${this.size}`);
      for (const p of [this.availPos, this.usedPos]) {
        p.index = slot;
        p.wrap = wrap;
      }
      this.kickStart = this.availPos.linear(this.size);
      // On a later lap a zeroed slot would read as used (AVAIL = USED = the counter, 0): mark
      // every slot used in the lap before, as a ring that came this far would look (§2.8.1).
      if (!wrap) for (let i = 0; i < this.size; i++) writePackedDescFlags(mem, slotAddr(config.descAddr, i), usedFlags(true));
    }
  }
  // #endregion driver-init

  /** Where the driver stands on the ring (§2.8.1), for inspection: next slot to fill with the Driver Ring Wrap Counter, next slot to poll. */
  ringState(): { nextAvail: number; availWrap: boolean; nextUsed: number; usedWrap: boolean } {
    return { nextAvail: this.availPos.index, availWrap: this.availPos.wrap, nextUsed: this.usedPos.index, usedWrap: this.usedPos.wrap };
  }

  numFree(): number {
    return this.free;
  }

  // #region driver-add
  /**
   * Makes one buffer available and returns its buffer ID. Throws (Error/RangeError) when the
   * buffer is malformed, indirect is unavailable, or there is no room: the driver waits for
   * used buffers rather than overwrite a slot the device still holds (§2.8.16, §2.8.17).
   */
  add(buffers: readonly DriverBuffer[], opts: { indirect?: boolean } = {}): number {
    if (this.broken) throw this.broken;
    const n = buffers.length;
    const indirect = opts.indirect === true;
    checkBuffers(buffers, this.size);
    if (indirect && !this.indirect) throw new Error('add: indirect descriptors need VIRTIO_F_INDIRECT_DESC');
    if (indirect && !this.tables) throw new Error('add: indirect descriptors need opts.indirectArea');
    const slots = indirect ? 1 : n;
    // §2.8.17: room for the whole list before its first descriptor becomes available.
    if (slots > this.free) throw new Error(`add: ${slots} slots needed, ${this.free} free`);
    let table: InFlight['table'] = null;
    if (indirect) {
      const bytes = n * PACKED_DESC_SIZE;
      const addr = this.tables!.alloc(bytes);
      if (addr === null) throw new Error(`add: no room for a ${bytes}-byte indirect table`);
      table = { addr, bytes };
    }
    // IDs of results still queued in pollUsed() are not free yet: collect those first.
    if (this.freeIds.length === 0) throw new Error('add: no free buffer ID until pollUsed() hands out pending results');
    const id = this.freeIds.pop()!;
    if (table) this.writeIndirect(id, buffers, table);
    else this.writeList(id, buffers);
    this.availPos.advance(slots, this.size);
    this.free -= slots;
    this.addedSinceKick += slots;
    const writableLen = buffers.reduce((s, b) => s + (b.writable ? b.len : 0), 0);
    this.inFlight.set(id, { slots, writableLen, table });
    if (this.inOrder) this.order.push(id);
    return id;
  }

  /** §2.8.21.1: fill every slot, then write the head's flags last to publish the list. */
  private writeList(id: number, buffers: readonly DriverBuffer[]): void {
    const pos = this.availPos.clone();
    let headFlags = 0;
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      const addr = slotAddr(this.config.descAddr, pos.index);
      // §2.8.6: the ID belongs in the last descriptor; writing it in each one costs nothing.
      writePackedDescBody(this.mem, addr, { addr: BigInt(b.addr), len: b.len, id });
      const flags =
        availFlags(pos.wrap) | (b.writable ? VIRTQ_DESC_F_WRITE : 0) | (i < buffers.length - 1 ? VIRTQ_DESC_F_NEXT : 0);
      if (i === 0) headFlags = flags;
      else writePackedDescFlags(this.mem, addr, flags);
      pos.advance(1, this.size);
    }
    writePackedDescFlags(this.mem, slotAddr(this.config.descAddr, this.availPos.index), headFlags);
  }

  /** §2.8.7: the table holds plain descriptors (only WRITE set); one ring slot points at it. */
  private writeIndirect(id: number, buffers: readonly DriverBuffer[], table: { addr: number; bytes: number }): void {
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      const addr = table.addr + i * PACKED_DESC_SIZE;
      writePackedDescBody(this.mem, addr, { addr: BigInt(b.addr), len: b.len, id: 0 });
      writePackedDescFlags(this.mem, addr, b.writable ? VIRTQ_DESC_F_WRITE : 0);
    }
    const slot = slotAddr(this.config.descAddr, this.availPos.index);
    writePackedDescBody(this.mem, slot, { addr: BigInt(table.addr), len: table.bytes, id });
    writePackedDescFlags(this.mem, slot, availFlags(this.availPos.wrap) | VIRTQ_DESC_F_INDIRECT);
  }
  // #endregion driver-add

  // #region driver-kick
  /** §2.8.21.2: consults the Device Event Suppression structure after buffers were added. */
  kickNeeded(): boolean {
    const s = readEventSuppression(this.mem, this.config.deviceAddr);
    const kick = shouldNotify(s, this.size, this.kickStart, this.addedSinceKick, this.eventIdx);
    this.kickStart = this.availPos.linear(this.size);
    this.addedSinceKick = 0;
    return kick;
  }

  /** next_off / next_wrap for a notification with VIRTIO_F_NOTIFICATION_DATA (§2.9, required by §2.8.16). */
  nextAvail(): { offset: number; wrap: boolean } {
    return { offset: this.availPos.index, wrap: this.availPos.wrap };
  }
  // #endregion driver-kick

  // #region driver-poll-used
  /**
   * The next buffer the device returned, or null. With VIRTIO_F_IN_ORDER one used descriptor
   * may stand for every buffer up to the one it names (§2.8.8); those come back one per call,
   * in order, each with its full writable length. The length is the device's word: callers
   * that depend on it check it against their buffer. Throws VirtqError USED_ID_INVALID, and
   * keeps throwing it, if the device names a buffer ID that is not outstanding.
   */
  pollUsed(): UsedBuffer | null {
    if (this.readyHead < this.ready.length) return this.takeReady();
    if (this.broken) throw this.broken;
    // Nothing outstanding: the slot holds our own descriptors or stale ones, never news.
    if (this.inFlight.size === 0) return null;
    const d = readPackedDesc(this.mem, slotAddr(this.config.descAddr, this.usedPos.index));
    // §2.8.1: used in this lap when AVAIL and USED both equal the driver's used wrap counter.
    if (!isUsed(d.flags, this.usedPos.wrap)) return null;
    const mine = this.inFlight.get(d.id);
    if (d.id >= this.size || !mine) {
      this.broken = new VirtqError('USED_ID_INVALID', `device returned buffer ID ${d.id}, which is not outstanding`);
      throw this.broken;
    }
    // §2.8.4: the length counts only if the device says it wrote (WRITE in the used flags).
    const len = d.flags & VIRTQ_DESC_F_WRITE ? d.len : 0;
    let slots = 0;
    if (this.inOrder) {
      // §2.8.8: every buffer made available before this one is done too, written in full.
      for (;;) {
        const id = this.order[this.orderHead++];
        const f = this.inFlight.get(id)!;
        slots += this.release(id, f);
        if (id === d.id) break;
        this.ready.push({ id, len: f.writableLen });
      }
      this.compactOrder();
    } else {
      slots = this.release(d.id, mine);
    }
    this.ready.push({ id: d.id, len });
    // §2.8.22: skip the slots the buffer (or batch) took to reach the next used descriptor.
    this.usedPos.advance(slots, this.size);
    return this.takeReady();
  }
  // #endregion driver-poll-used

  /** The device is done with the buffer: its slots and table are free at once. */
  private release(id: number, f: InFlight): number {
    this.inFlight.delete(id);
    if (f.table) this.tables!.release(f.table.addr, f.table.bytes);
    this.free += f.slots;
    return f.slots;
  }

  /** Hands out one result; only now may its ID name a new buffer, or the caller could not tell them apart. */
  private takeReady(): UsedBuffer {
    const r = this.ready[this.readyHead++];
    this.freeIds.push(r.id);
    if (this.readyHead === this.ready.length) {
      this.ready.length = 0;
      this.readyHead = 0;
    }
    return r;
  }

  private compactOrder(): void {
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }

  // #region driver-set-interrupts
  /**
   * §2.8.10: writes the Driver Event Suppression structure. Enabled with VIRTIO_F_EVENT_IDX, it
   * names the slot of the next used descriptor the driver will read. After enabling, poll once
   * more: the device may have returned a buffer before it saw the change (§2.8.22).
   */
  setInterruptsEnabled(on: boolean): void {
    if (!on) {
      writeEventSuppression(this.mem, this.config.driverAddr, { flags: RING_EVENT_FLAGS_DISABLE, offset: 0, wrap: false });
    } else if (this.eventIdx) {
      const { index, wrap } = this.usedPos;
      writeEventSuppression(this.mem, this.config.driverAddr, { flags: RING_EVENT_FLAGS_DESC, offset: index, wrap });
    } else {
      writeEventSuppression(this.mem, this.config.driverAddr, { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false });
    }
  }
  // #endregion driver-set-interrupts
}

/** The driver's own checks on what it is asked to publish (§2.8.5, §2.8.17). */
function checkBuffers(buffers: readonly DriverBuffer[], size: number): void {
  if (buffers.length === 0) throw new RangeError('add: a buffer has at least one element');
  if (buffers.length > size) throw new RangeError(`add: ${buffers.length} elements exceed the queue size ${size}`);
  let sawWritable = false;
  for (const b of buffers) {
    if (!Number.isSafeInteger(b.addr) || b.addr < 0) throw new RangeError(`add: bad address ${b.addr}`);
    if (!Number.isInteger(b.len) || b.len < 0 || b.len > U32_MAX) throw new RangeError(`add: bad length ${b.len}`);
    if (!b.writable && sawWritable) throw new RangeError('add: device-readable elements must precede device-writable ones');
    sawWritable ||= b.writable;
  }
}
