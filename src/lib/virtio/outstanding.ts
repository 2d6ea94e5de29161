// The chains a device has taken and not yet returned, common to both ring layouts: the device
// checks every push against it (a device-model bug is caught here, not in the driver's memory)
// and, with VIRTIO_F_IN_ORDER (§2.7.9, §2.8.8), that chains come back in the order taken.
import type { DescriptorChain } from './chain.ts';

export interface ReturnedChain {
  readonly chain: DescriptorChain;
  readonly writtenLen: number;
}

/** The largest used length the rings can carry: a 32-bit field. */
export const MAX_USED_LEN = 0xffff_ffff;

// #region outstanding
export class OutstandingChains {
  private readonly byId = new Map<number, { chain: DescriptorChain; writableLen: number }>();
  /** IDs in the order they were taken; consulted with VIRTIO_F_IN_ORDER. */
  private readonly order: number[] = [];
  private orderHead = 0;
  private readonly inOrder: boolean;
  /** How the ring names a chain in messages: "head" (split) or "buffer ID" (packed). */
  private readonly idName: string;

  constructor(inOrder: boolean, idName: string) {
    this.inOrder = inOrder;
    this.idName = idName;
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  take(chain: DescriptorChain): void {
    const writableLen = chain.buffers.reduce((n, b) => n + (b.writable ? b.len : 0), 0);
    this.byId.set(chain.id, { chain, writableLen });
    if (this.inOrder) this.order.push(chain.id);
  }

  /**
   * Checks the entries against what is outstanding and forgets them; says which were written
   * in full (what an in-order batch may leave implicit). Throws only on a device-model bug.
   */
  retire(entries: readonly ReturnedChain[]): boolean[] {
    const seen = new Set<number>();
    const full: boolean[] = [];
    for (let i = 0; i < entries.length; i++) {
      const { chain, writtenLen } = entries[i];
      const o = this.byId.get(chain.id);
      if (!o || o.chain.descCount !== chain.descCount || seen.has(chain.id)) {
        throw new Error(`push: ${this.idName} ${chain.id} is not an outstanding chain of this queue`);
      }
      // #region check-used-length
      // The used length is a 32-bit field (§2.7.8, §2.8.13): a length it cannot hold is refused
      // here, never truncated into the ring.
      if (!Number.isInteger(writtenLen) || writtenLen < 0 || writtenLen > o.writableLen || writtenLen > MAX_USED_LEN) {
        throw new RangeError(`push: writtenLen ${writtenLen} is not in 0..${Math.min(o.writableLen, MAX_USED_LEN)}`);
      }
      // #endregion check-used-length
      if (this.inOrder && this.order[this.orderHead + i] !== chain.id) {
        throw new Error(`push: VIRTIO_F_IN_ORDER requires ${this.idName} ${this.order[this.orderHead + i]} before ${chain.id}`);
      }
      seen.add(chain.id);
      full.push(writtenLen === o.writableLen);
    }
    for (const { chain } of entries) this.byId.delete(chain.id);
    if (this.inOrder) {
      this.orderHead += entries.length;
      // Drop the consumed prefix now and then, so a long-running queue does not grow.
      if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
        this.order.splice(0, this.orderHead);
        this.orderHead = 0;
      }
    }
    return full;
  }
}
// #endregion outstanding
