// The chains a device has taken and not yet returned, common to both ring layouts: the device
// checks every push against it (a device-model bug is caught here, not in the driver's memory)
// and, with VIRTIO_F_IN_ORDER (§2.7.9, §2.8.8), that chains come back in the order taken.
// Chains are kept by ID in arrays of queue-size entries (IDs are below the queue size), so
// taking and returning one allocates nothing; a returned chain goes back to the queue's pool.
import type { ChainPool, ChainRecord } from './chain-record.ts';
import type { DescriptorChain } from './chain.ts';

export interface ReturnedChain {
  readonly chain: DescriptorChain;
  readonly writtenLen: number;
}

/** The largest used length the rings can carry: a 32-bit field. */
export const MAX_USED_LEN = 0xffff_ffff;
// push() reads a private copy: an exported binding is read through its cell (see chain-rules.ts).
const USED_LEN_LIMIT = MAX_USED_LEN;

// #region outstanding
export class OutstandingChains {
  /** The record of the chain held under each ID, or undefined. */
  private readonly byId: (ChainRecord | undefined)[];
  private held = 0;
  /** IDs in the order they were taken, a ring of queue-size entries; consulted with VIRTIO_F_IN_ORDER. */
  private readonly order: Uint32Array;
  private orderHead = 0;
  private readonly inOrder: boolean;
  /** How the ring names a chain in messages: "head" (split) or "buffer ID" (packed). */
  private readonly idName: string;
  private readonly pool: ChainPool;

  constructor(inOrder: boolean, idName: string, size: number, pool: ChainPool) {
    this.inOrder = inOrder;
    this.idName = idName;
    this.byId = new Array(size).fill(undefined);
    this.order = new Uint32Array(inOrder ? size : 0);
    this.pool = pool;
  }

  get size(): number {
    return this.held;
  }

  has(id: number): boolean {
    return this.byId[id] !== undefined;
  }

  /** Holds a chain the queue's walk just filled (records only: they go back to the pool). */
  take(chain: ChainRecord): void {
    this.byId[chain.id] = chain;
    if (this.inOrder) this.order[(this.orderHead + this.held) % this.order.length] = chain.id;
    this.held++;
  }

  /**
   * Checks that `chain` may be returned as entry `position` of a batch with `writtenLen` bytes
   * written; says whether that is its whole writable part (what an in-order batch may leave
   * implicit). Throws only on a device-model bug.
   */
  private check(chain: DescriptorChain, writtenLen: number, position: number): boolean {
    const held = this.byId[chain.id];
    if (held === undefined || held.descCount !== chain.descCount) throw this.notOutstanding(chain.id);
    // From the record the walk filled, not from whatever object the device model pushed.
    const writableLen = held.writableBytes;
    // #region check-used-length
    // The used length is a 32-bit field (§2.7.8, §2.8.13): a length it cannot hold is refused
    // here, never truncated into the ring.
    if (!Number.isInteger(writtenLen) || writtenLen < 0 || writtenLen > writableLen || writtenLen > USED_LEN_LIMIT) {
      throw badUsedLength(writtenLen, writableLen);
    }
    // #endregion check-used-length
    if (this.inOrder) {
      const expected = this.order[(this.orderHead + position) % this.order.length];
      if (position >= this.held || expected !== chain.id) {
        throw new Error(`push: VIRTIO_F_IN_ORDER requires ${this.idName} ${expected} before ${chain.id}`);
      }
    }
    return writtenLen === writableLen;
  }

  private notOutstanding(id: number): Error {
    return new Error(`push: ${this.idName} ${id} is not an outstanding chain of this queue`);
  }

  /** Forgets a checked chain and gives its record back to the pool. */
  private forget(id: number): void {
    const held = this.byId[id]!; // checked: held
    this.byId[id] = undefined;
    this.held--;
    if (this.inOrder) this.orderHead = (this.orderHead + 1) % this.order.length;
    this.pool.release(held);
  }

  /** Checks and forgets one returned chain. Throws only on a device-model bug. */
  retireOne(chain: DescriptorChain, writtenLen: number): void {
    this.check(chain, writtenLen, 0);
    this.forget(chain.id);
  }

  /**
   * Checks the entries against what is outstanding and forgets them, all or none; says which
   * were written in full (what an in-order batch may leave implicit). Throws only on a
   * device-model bug.
   */
  retire(entries: readonly ReturnedChain[]): boolean[] {
    const seen = new Set<number>();
    const full: boolean[] = [];
    for (let i = 0; i < entries.length; i++) {
      const { chain, writtenLen } = entries[i];
      if (seen.has(chain.id)) throw this.notOutstanding(chain.id);
      full.push(this.check(chain, writtenLen, i));
      seen.add(chain.id);
    }
    for (const { chain } of entries) this.forget(chain.id);
    return full;
  }
}
// #endregion outstanding

// Made out of line: push() inlines the check whole only while it stays small.
function badUsedLength(writtenLen: number, writableLen: number): RangeError {
  return new RangeError(`push: writtenLen ${writtenLen} is not in 0..${Math.min(writableLen, MAX_USED_LEN)}`);
}
