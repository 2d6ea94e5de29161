// The RPMB device, VIRTIO 1.4 §5.12 (device ID 28): one request queue of 512-byte frames in
// front of a store that keeps the key, the write counter and the blocks. The device-readable
// part of a chain is the request, a run of whole frames in any split over descriptors; the
// device-writable part takes the response frames. A chain that is not a run of whole frames is
// handed back unused and counted; only a broken ring, which the queue layer reports, puts the
// device into DEVICE_NEEDS_RESET.
import { type DescriptorChain, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import { geometryError, RPMB_CFG_CAPACITY, RPMB_CFG_MAX_RD_CNT, RPMB_CFG_MAX_WR_CNT, RPMB_CONFIG_SIZE } from './config.ts';
import { RpmbEngine } from './engine.ts';
import { RPMB_FRAME_SIZE, splitFrames } from './frame.ts';
import type { MacFunction } from './hmac.ts';
import type { RpmbStore } from './store.ts';

export const VIRTIO_ID_RPMB = 28;
export const RPMB_REQUESTQ = 0;

export interface RpmbDeviceOptions {
  /** What the device keeps its key, counter and blocks in: a physical part or a guest's partition. */
  readonly store: RpmbStore;
  /** HMAC-SHA256; default @noble/hashes. */
  readonly mac?: MacFunction;
}

/** Chains the device hands back without an answer. */
export interface RpmbChainStats {
  /** Device-readable part empty or not a whole number of 512-byte frames. */
  badLength: number;
  /** Frames in the device-writable part beyond a whole number of frames: ignored bytes. */
  ragged: number;
}

export class RpmbDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_RPMB;
  readonly name = 'virtio-rpmb';
  readonly engine: RpmbEngine;
  readonly chains: RpmbChainStats = { badLength: 0, ragged: 0 };

  constructor(opts: RpmbDeviceOptions) {
    super(RPMB_CONFIG_SIZE);
    const err = geometryError(opts.store.geometry);
    if (err) throw new RangeError(`rpmb: ${err}`);
    this.engine = new RpmbEngine(opts.store, { mac: opts.mac });
    // #region config-init
    const g = opts.store.geometry;
    this.config.setU8(RPMB_CFG_CAPACITY, g.capacity);
    this.config.setU8(RPMB_CFG_MAX_WR_CNT, g.maxWrCnt);
    this.config.setU8(RPMB_CFG_MAX_RD_CNT, g.maxRdCnt);
    // #endregion config-init
  }

  get stats() {
    return this.engine.stats;
  }

  protected deviceFeatures(): Features {
    return 0n; // §5.12.3: no feature bits
  }

  queueCount(): number {
    return 1;
  }

  protected onReset(): void {
    // The key, the counter and the data are the store's and survive; only the remembered result goes.
    this.engine.forgetResult();
  }

  queueNotify(index: number): void {
    if (!this.active || index !== RPMB_REQUESTQ) return;
    this.drain(RPMB_REQUESTQ, (chain) => this.serve(chain));
  }

  // #region serve
  /** One chain: the request frames, then room for the response; returns the bytes written. */
  private serve(chain: DescriptorChain): number {
    const frames = splitFrames(readChain(this.env.mem, chain));
    if (!frames) {
      this.chains.badLength++;
      return 0;
    }
    const room = totalLength(writableBuffers(chain));
    if (room % RPMB_FRAME_SIZE !== 0) this.chains.ragged++;
    const answer = this.engine.handle(frames, Math.floor(room / RPMB_FRAME_SIZE));
    const w = new ChainWriter(this.env.mem, chain);
    for (const f of answer) w.write(f);
    return w.written;
  }
  // #endregion serve
}
