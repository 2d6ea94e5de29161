// The driver side of a split virtqueue (VIRTIO 1.4 §2.7.13, §2.7.14), as a guest driver runs
// it: it writes a buffer into free descriptor-table entries, puts the head index in the next
// available-ring entry, and publishes it by moving the available idx; it reads the used ring
// from its own free-running index up to the device's used idx.
import { VirtqError } from '../errors.ts';
import { hasFeature, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC } from '../feature-bits.ts';
import type { GuestMemory } from '../memory.ts';
import type { DriverBuffer, DriverQueue, QueueConfig, UsedBuffer } from '../queue.ts';
import type { GuestRange, RangeAllocator } from '../range-allocator.ts';
import { indirectTableAllocator } from '../indirect-tables.ts';
import { DescAllocator } from './desc-allocator.ts';
import { shouldNotify } from './event-idx.ts';
import {
  availRingBytes,
  checkSplitLayout,
  descAddrOf,
  descTableBytes,
  readAvailEvent,
  readUsedElem,
  readUsedFlags,
  readUsedIdx,
  SPLIT_DESC_SIZE,
  usedRingBytes,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  writeAvailEntry,
  writeAvailFlags,
  writeAvailIdx,
  writeSplitDesc,
  writeUsedEvent,
} from './layout.ts';
import { idxAdd, idxDistance, idxSlot, IDX_MODULUS } from './ring-index.ts';

export interface SplitDriverOptions {
  /** Guest memory the driver may use for indirect tables; required for add(…, {indirect: true}). */
  readonly indirectArea?: GuestRange;
  /**
   * Start at this index instead of 0, with nothing in flight: the driver's avail idx and its
   * next used entry both equal `index`, as after a queue that stopped quiescent.
   */
  readonly startIndex?: number;
}

interface InFlight {
  /** Descriptor-table entries the buffer took: its chain, or the one entry naming its table. */
  readonly descs: readonly number[];
  /** Sum of its device-writable lengths: what an in-order batch reports for a skipped buffer. */
  readonly writableLen: number;
  readonly table: { readonly addr: number; readonly bytes: number } | null;
}

interface Ready {
  readonly used: UsedBuffer;
  readonly record: InFlight;
}

const U32_MAX = 0xffff_ffff;

export class SplitDriverQueue implements DriverQueue {
  readonly size: number;
  private readonly mem: GuestMemory;
  private readonly config: QueueConfig;
  private readonly indirect: boolean;
  private readonly eventIdx: boolean;
  private readonly inOrder: boolean;
  private readonly tables: RangeAllocator | null;
  private readonly descs: DescAllocator;
  /** Free-running index of the next available-ring entry to write: the avail idx the device sees. */
  private availIdx = 0;
  /** Free-running index of the next used-ring entry to read (last_seen_used). */
  private lastUsed = 0;
  /** Buffers the device holds, by head index. */
  private readonly inFlight = new Map<number, InFlight>();
  /** Heads in the order they were made available; used with VIRTIO_F_IN_ORDER. */
  private readonly order: number[] = [];
  private orderHead = 0;
  /** Buffers returned by the device and not yet handed out by pollUsed(). */
  private readonly ready: Ready[] = [];
  private readyHead = 0;
  private addedSinceKick = 0;
  /** Whether the driver wants used buffer notifications (setInterruptsEnabled). */
  private interruptsOn = true;
  private broken: VirtqError | null = null;

  // #region driver-init
  /** Throws VirtqError (QUEUE_SIZE_INVALID, ADDR_OUT_OF_RANGE, RING_MISALIGNED) on a bad layout. */
  constructor(mem: GuestMemory, config: QueueConfig, features: bigint, opts: SplitDriverOptions = {}) {
    checkSplitLayout(mem, config);
    this.mem = mem;
    this.config = config;
    this.size = config.size;
    this.indirect = hasFeature(features, VIRTIO_F_INDIRECT_DESC);
    this.eventIdx = hasFeature(features, VIRTIO_F_EVENT_IDX);
    this.inOrder = hasFeature(features, VIRTIO_F_IN_ORDER);
    this.tables = indirectTableAllocator(mem, opts.indirectArea, SPLIT_DESC_SIZE);
    this.descs = new DescAllocator(this.size, this.inOrder);
    // All three parts start zeroed: both idx at 0, both flags 0 (§2.7.10.1 for the used ring's),
    // and both event indices 0.
    mem.write(config.descAddr, new Uint8Array(descTableBytes(this.size)));
    mem.write(config.driverAddr, new Uint8Array(availRingBytes(this.size)));
    mem.write(config.deviceAddr, new Uint8Array(usedRingBytes(this.size)));
    if (opts.startIndex !== undefined) {
      if (!Number.isInteger(opts.startIndex) || opts.startIndex < 0 || opts.startIndex > 0xffff) throw new RangeError(`startIndex ${opts.startIndex} is not a 16-bit index`);
      this.availIdx = this.lastUsed = opts.startIndex;
      writeAvailIdx(mem, config, this.availIdx);
    }
  }
  // #endregion driver-init

  /** The driver's two indices, for inspection: next available entry to write, next used entry to read. */
  ringState(): { availIdx: number; lastUsed: number } {
    return { availIdx: this.availIdx, lastUsed: this.lastUsed };
  }

  numFree(): number {
    return this.descs.free;
  }

  // #region driver-add
  /**
   * Makes one buffer available and returns its head index, the ID the device will return it
   * under. Throws (Error/RangeError) when the buffer is malformed, indirect is unavailable, or
   * there are not enough free descriptors: the driver waits for used buffers (§2.7.13.1).
   */
  add(buffers: readonly DriverBuffer[], opts: { indirect?: boolean } = {}): number {
    if (this.broken) throw this.broken;
    const n = buffers.length;
    const indirect = opts.indirect === true;
    checkBuffers(buffers, this.size);
    if (indirect && !this.indirect) throw new Error('add: indirect descriptors need VIRTIO_F_INDIRECT_DESC');
    if (indirect && !this.tables) throw new Error('add: indirect descriptors need opts.indirectArea');
    const needed = indirect ? 1 : n;
    if (needed > this.descs.free) throw new Error(`add: ${needed} descriptors needed, ${this.descs.free} free`);
    let table: InFlight['table'] = null;
    if (indirect) {
      const bytes = n * SPLIT_DESC_SIZE;
      const addr = this.tables!.alloc(bytes);
      if (addr === null) throw new Error(`add: no room for a ${bytes}-byte indirect table`);
      table = { addr, bytes };
    }
    const descs = this.descs.alloc(needed)!;
    if (table) {
      // §2.7.5.3: the table is a chain of its own, linked 0 → 1 → 2 … (the order §2.7.5.3.1
      // requires with VIRTIO_F_IN_ORDER); one table entry points at it, with INDIRECT only.
      writeChain(this.mem, table.addr, buffers, buffers.map((_, i) => i));
      writeSplitDesc(this.mem, descAddrOf(this.config.descAddr, descs[0]), {
        addr: BigInt(table.addr),
        len: table.bytes,
        flags: VIRTQ_DESC_F_INDIRECT,
        next: 0,
      });
    } else {
      writeChain(this.mem, this.config.descAddr, buffers, descs);
    }
    const head = descs[0];
    // §2.7.13.2: the head goes into the next available entry; §2.7.13.3: moving idx publishes it.
    writeAvailEntry(this.mem, this.config, idxSlot(this.availIdx, this.size), head);
    this.availIdx = idxAdd(this.availIdx, 1);
    writeAvailIdx(this.mem, this.config, this.availIdx);
    this.addedSinceKick++;
    const writableLen = buffers.reduce((s, b) => s + (b.writable ? b.len : 0), 0);
    this.inFlight.set(head, { descs, writableLen, table });
    if (this.inOrder) this.order.push(head);
    return head;
  }
  // #endregion driver-add

  // #region driver-kick
  /** After adds: must the driver notify the device (§2.7.10.1)? Reads the used ring's flags or avail_event. */
  kickNeeded(): boolean {
    const kick = shouldNotify(
      { eventIdx: this.eventIdx, flags: readUsedFlags(this.mem, this.config), event: readAvailEvent(this.mem, this.config) },
      this.availIdx,
      this.addedSinceKick,
    );
    this.addedSinceKick = 0;
    return kick;
  }
  // #endregion driver-kick

  // #region driver-poll
  /**
   * The next buffer the device returned, or null. With VIRTIO_F_IN_ORDER one used entry may
   * stand for every buffer made available up to the one it names (§2.7.9); those come back one
   * per call, in order, each with its full writable length. The length is the device's word:
   * callers that depend on it check it against their buffer (§2.7.8.3). Throws VirtqError
   * USED_ID_INVALID, and keeps throwing it, if the device names a head it does not hold or
   * moves the used idx past the buffers it holds.
   */
  pollUsed(): UsedBuffer | null {
    if (this.readyHead < this.ready.length) return this.takeReady();
    if (this.broken) throw this.broken;
    const usedIdx = readUsedIdx(this.mem, this.config);
    const pending = idxDistance(this.lastUsed, usedIdx);
    if (pending === 0) return null;
    // Every used entry returns at least one buffer the device holds.
    if (pending > this.inFlight.size) {
      return this.fail(`used idx moved ${pending} entries past ${this.lastUsed}, but the device holds ${this.inFlight.size} buffers`);
    }
    const e = readUsedElem(this.mem, this.config, idxSlot(this.lastUsed, this.size));
    const mine = e.id < this.size ? this.inFlight.get(e.id) : undefined;
    if (!mine) return this.fail(`used entry ${this.lastUsed} names head ${e.id}, which the device does not hold`);
    if (!this.inOrder) {
      this.inFlight.delete(e.id);
      this.ready.push({ used: { id: e.id, len: e.len }, record: mine });
      this.advanceUsed(1);
      return this.takeReady();
    }
    // §2.7.9: the entry stands for every buffer up to and including the one it names, and the
    // used idx moved by as many; the skipped ones were used in full.
    let batch = 1;
    while (this.order[this.orderHead + batch - 1] !== e.id) batch++;
    if (batch > pending) {
      return this.fail(`used entry ${this.lastUsed} returns ${batch} buffers but used idx moved only ${pending}`);
    }
    for (let i = 0; i < batch; i++) {
      const id = this.order[this.orderHead++];
      const record = this.inFlight.get(id)!;
      this.inFlight.delete(id);
      this.ready.push({ used: { id, len: id === e.id ? e.len : record.writableLen }, record });
    }
    this.compactOrder();
    this.advanceUsed(batch);
    return this.takeReady();
  }
  // #endregion driver-poll

  private advanceUsed(n: number): void {
    this.lastUsed = idxAdd(this.lastUsed, n);
    // With VIRTIO_F_EVENT_IDX used_event moves with the driver, or the device would stop
    // notifying after the one entry it names (§2.7.7).
    if (this.eventIdx) this.writeUsedEvent();
  }

  private fail(message: string): never {
    this.broken = new VirtqError('USED_ID_INVALID', message);
    throw this.broken;
  }

  /** Hands out one result; only now are its descriptors free, so a new buffer cannot take its ID first. */
  private takeReady(): UsedBuffer {
    const r = this.ready[this.readyHead++];
    this.descs.release(r.record.descs);
    if (r.record.table) this.tables!.release(r.record.table.addr, r.record.table.bytes);
    if (this.readyHead === this.ready.length) {
      this.ready.length = 0;
      this.readyHead = 0;
    }
    return r.used;
  }

  private compactOrder(): void {
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }

  // #region driver-set-interrupts
  /**
   * Asks the device for used buffer notifications, or to stop sending them (§2.7.7.1). Without
   * VIRTIO_F_EVENT_IDX through VIRTQ_AVAIL_F_NO_INTERRUPT. With it the flags stay 0 and
   * used_event, kept up to date by every pollUsed(), names the next used entry the driver will
   * read (on), or one half a lap ahead of it (off), which the device cannot reach: it never
   * holds more than 32768 of the driver's buffers. After enabling, poll once more: the device
   * may have returned a buffer before it saw the change (§2.7.14).
   */
  setInterruptsEnabled(on: boolean): void {
    this.interruptsOn = on;
    if (!this.eventIdx) {
      writeAvailFlags(this.mem, this.config, on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT);
      return;
    }
    writeAvailFlags(this.mem, this.config, 0);
    this.writeUsedEvent();
  }

  private writeUsedEvent(): void {
    writeUsedEvent(this.mem, this.config, this.interruptsOn ? this.lastUsed : idxAdd(this.lastUsed, IDX_MODULUS / 2));
  }
  // #endregion driver-set-interrupts
}

/** §2.7.13.1: element i goes into table entry slots[i]: WRITE if device-writable, NEXT and next on all but the last. */
function writeChain(mem: GuestMemory, tableAddr: number, buffers: readonly DriverBuffer[], slots: readonly number[]): void {
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i];
    const last = i === buffers.length - 1;
    writeSplitDesc(mem, descAddrOf(tableAddr, slots[i]), {
      addr: BigInt(b.addr),
      len: b.len,
      flags: (b.writable ? VIRTQ_DESC_F_WRITE : 0) | (last ? 0 : VIRTQ_DESC_F_NEXT),
      next: last ? 0 : slots[i + 1],
    });
  }
}

/** The driver's own checks on what it is asked to publish (§2.7.4.2, §2.7.5.3.1). */
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
