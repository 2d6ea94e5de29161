// The entropy device, VIRTIO 1.4 §5.4 (device ID 4): one request queue, no feature bits, no
// configuration space. The driver offers device-writable buffers; the device fills them, or
// part of them, from its source and reports how many bytes it wrote.
import { ChainWriter } from '../../virtio/chain-io.ts';
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import { clampCount, CryptoEntropySource, type EntropySource } from './source.ts';

export const VIRTIO_ID_ENTROPY = 4;

/** Why the device returned a request with used length 0. */
export type RngRejectReason =
  | 'readable-buffer' // the chain has device-readable buffers (§5.4.6.1)
  | 'no-room'; // the chain has no device-writable byte

export interface EntropyDeviceOptions {
  /** Where the bytes come from; default the platform's CSPRNG (crypto.getRandomValues). */
  readonly source?: EntropySource;
  /** The most bytes the device puts into one request (it may fill less than the buffer, §5.4.6.2); default 4096. */
  readonly maxBytesPerRequest?: number;
  /** The largest size the queue may have; default 256. */
  readonly maxQueueSize?: number;
}

export interface EntropyStats {
  /** Requests filled. */
  served: number;
  /** Random bytes handed to the driver. */
  bytes: number;
  readonly rejected: Record<RngRejectReason, number>;
}

export class EntropyDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_ENTROPY;
  readonly name = 'virtio-rng';
  readonly source: EntropySource;
  readonly maxBytesPerRequest: number;
  readonly stats: EntropyStats = { served: 0, bytes: 0, rejected: { 'readable-buffer': 0, 'no-room': 0 } };
  private readonly maxQSize: number;
  /** Requests taken from the ring and waiting, in order, for the source to have bytes. */
  private waiting: DescriptorChain[] = [];

  constructor(opts: EntropyDeviceOptions = {}) {
    super(0); // no configuration fields (§5.4.4)
    this.source = opts.source ?? new CryptoEntropySource();
    this.maxBytesPerRequest = opts.maxBytesPerRequest ?? 4096;
    this.maxQSize = opts.maxQueueSize ?? 256;
    if (!Number.isInteger(this.maxBytesPerRequest) || this.maxBytesPerRequest < 1) throw new RangeError('maxBytesPerRequest: a positive integer');
    if (!Number.isInteger(this.maxQSize) || this.maxQSize < 1 || this.maxQSize > 32768) throw new RangeError('maxQueueSize: 1..32768');
  }

  protected deviceFeatures(): Features {
    return 0n; // none defined (§5.4.3)
  }

  /** requestq only (§5.4.2). */
  queueCount(_features: Features): number {
    return 1;
  }

  maxQueueSize(_index: number): number {
    return this.maxQSize;
  }

  /** Requests held until the source has bytes again. */
  get pending(): number {
    return this.waiting.length;
  }

  queueNotify(index: number): void {
    if (index === 0 && this.active) this.pump();
  }

  /** The host's hook for a source that has bytes again (a refilled pool): serve what waits. */
  sourceReady(): void {
    if (this.active) this.pump();
  }

  protected onReset(): void {
    this.waiting = []; // a reset forgets requests in flight (§2.4)
  }

  // #region pump
  /**
   * Takes every available request, then serves the waiting ones in order until the source
   * runs dry. A request is never returned empty-handed for lack of entropy: it waits, and the
   * ones behind it wait too, so bytes go to requests in the order the driver made them.
   */
  private pump(): void {
    const q = this.queue(0);
    if (!q) return;
    for (let r = q.pop(); r.kind !== 'empty'; r = q.pop()) {
      if (r.kind === 'error') {
        this.env.needsReset(r.error);
        return;
      }
      this.waiting.push(r.chain);
    }
    let pushed = false;
    // Requests may have waited long enough for the driver to unmap their buffers (an IOMMU fault).
    this.serveHeld(() => {
      while (this.waiting.length > 0) {
        const len = this.serve(this.waiting[0]);
        if (len === null) break;
        q.push(this.waiting.shift()!, len);
        pushed = true;
      }
    });
    if (pushed && q.needsNotification()) this.env.notifyUsed(0);
  }
  // #endregion pump

  // #region serve
  /** The used length for one request, or null if it has to wait for the source. */
  private serve(chain: DescriptorChain): number | null {
    // A driver error (§5.4.6.1): nothing is read or written, and the buffer goes back with
    // used length 0, so the driver learns it got no entropy; the queue keeps working.
    if (readableBuffers(chain).length > 0) return this.reject('readable-buffer');
    const room = totalLength(writableBuffers(chain));
    if (room === 0) return this.reject('no-room');
    const bytes = new Uint8Array(Math.min(room, this.maxBytesPerRequest));
    let got = 0;
    try {
      got = clampCount(this.source.fill(bytes), bytes.length);
    } catch {
      got = 0; // a failing source is a source with nothing to give, for now
    }
    if (got === 0) return null; // at least one byte or nothing at all (§5.4.6.2)
    const w = new ChainWriter(this.env.mem, chain);
    w.write(bytes.subarray(0, got));
    this.stats.served++;
    this.stats.bytes += got;
    return w.written;
  }

  private reject(reason: RngRejectReason): number {
    this.stats.rejected[reason]++;
    return 0;
  }
  // #endregion serve
}
