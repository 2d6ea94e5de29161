// The guest side of a memory device over the in-process Loopback: what Linux's virtio_mem driver
// does, reduced to a few calls. It plugs and unplugs blocks, asks their state, and, attached to
// a model clock, follows requested_size at a rate the test chooses. Blocks the guest is using
// and cannot move (pinned) are never unplugged, which is how a reclaim runs out of time.
import type { ModelClock } from '../../virtio/model-clock.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import * as P from './protocol.ts';

export interface MemConfigView {
  readonly blockSize: number;
  readonly nodeId: number;
  readonly addr: number;
  readonly regionSize: number;
  readonly usableRegionSize: number;
  readonly pluggedSize: number;
  readonly requestedSize: number;
}

export class MemDriver {
  readonly lb: Loopback;
  /** Blocks the guest uses for memory it cannot migrate: it will not unplug them. */
  readonly pinned = new Set<number>();
  /** The blocks the driver believes plugged (it asked, and the device acknowledged). */
  private readonly plugged = new Set<number>();
  private credit = 0;
  private last = 0;

  constructor(lb: Loopback) {
    this.lb = lb;
    // §5.15.5: a device that still has memory plugged (after the driver was reloaded, say) is
    // brought back to nothing plugged before the driver chooses blocks of its own.
    if (this.config().pluggedSize > 0) this.unplugAll();
  }

  config(): MemConfigView {
    const c = this.lb.device.config;
    const n = (off: number) => Number(c.u64(off));
    return {
      blockSize: n(P.MEM_CFG_BLOCK_SIZE),
      nodeId: c.u16(P.MEM_CFG_NODE_ID),
      addr: n(P.MEM_CFG_ADDR),
      regionSize: n(P.MEM_CFG_REGION_SIZE),
      usableRegionSize: n(P.MEM_CFG_USABLE_REGION_SIZE),
      pluggedSize: n(P.MEM_CFG_PLUGGED_SIZE),
      requestedSize: n(P.MEM_CFG_REQUESTED_SIZE),
    };
  }

  /** One request; the response's type and, for STATE, the state. */
  request(type: number, addr: bigint | number = 0n, nbBlocks = 0): P.MemResponse {
    const c = this.lb.request(P.MEM_GUEST_REQUEST_Q, [P.encodeMemRequest(type, addr, nbBlocks)], [P.MEM_RESP_SIZE]);
    return P.decodeMemResponse(c.data);
  }

  plug(block: number, n = 1): number {
    const t = this.request(P.VIRTIO_MEM_REQ_PLUG, this.addrOf(block), n).type;
    if (t === P.VIRTIO_MEM_RESP_ACK) for (let i = block; i < block + n; i++) this.plugged.add(i);
    return t;
  }

  unplug(block: number, n = 1): number {
    const t = this.request(P.VIRTIO_MEM_REQ_UNPLUG, this.addrOf(block), n).type;
    if (t === P.VIRTIO_MEM_RESP_ACK) for (let i = block; i < block + n; i++) this.plugged.delete(i);
    return t;
  }

  unplugAll(): number {
    const t = this.request(P.VIRTIO_MEM_REQ_UNPLUG_ALL).type;
    if (t === P.VIRTIO_MEM_RESP_ACK) this.plugged.clear();
    return t;
  }

  state(block: number, n = 1): P.MemResponse {
    return this.request(P.VIRTIO_MEM_REQ_STATE, this.addrOf(block), n);
  }

  addrOf(block: number): bigint {
    const c = this.config();
    return BigInt(c.addr) + BigInt(block) * BigInt(c.blockSize);
  }

  get pluggedBlocks(): number {
    return this.plugged.size;
  }

  // #region follow-requested
  /**
   * Moves plugged_size toward requested_size by at most `max` blocks, one block per request:
   * plugging the lowest unplugged blocks of the usable region, unplugging the highest plugged
   * blocks that are not pinned. Returns the blocks moved.
   */
  sync(max = Infinity): number {
    let moved = 0;
    while (moved < max) {
      const c = this.config();
      const want = (c.requestedSize - c.pluggedSize) / c.blockSize;
      if (want > 0) {
        const usable = c.usableRegionSize / c.blockSize;
        let b = 0;
        while (b < usable && this.plugged.has(b)) b++;
        if (b >= usable || this.plug(b) !== P.VIRTIO_MEM_RESP_ACK) break;
      } else if (want < 0) {
        const b = [...this.plugged].filter((x) => !this.pinned.has(x)).sort((x, y) => y - x)[0];
        if (b === undefined || this.unplug(b) !== P.VIRTIO_MEM_RESP_ACK) break;
      } else break;
      moved++;
    }
    return moved;
  }
  // #endregion follow-requested

  /** Follows requested_size on the model clock, moving `blocksPerMs` blocks per millisecond. */
  attach(clock: ModelClock, rate: { blocksPerMs: number }): void {
    this.last = clock.now;
    clock.onAdvance(() => {
      const dt = clock.now - this.last;
      this.last = clock.now;
      this.credit += (dt * rate.blocksPerMs) / 1000;
      const budget = Math.floor(this.credit);
      this.credit -= budget;
      if (budget > 0 && this.sync(budget) < budget) this.credit = 0;
    });
  }
}
