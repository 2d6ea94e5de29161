// The traditional memory balloon, VIRTIO 1.4 §5.5 (device ID 5). The device asks for pages by
// raising num_pages; the driver gives them on the inflateq and takes them back on the deflateq.
// Optional queues carry memory statistics, free page hints and free page reports. Behind the
// device sits a host (the platform's memory pool): pages that enter the balloon are the host's
// to reuse, and a deflate is acknowledged only once the host backs its pages again, which is
// why the device insists on VIRTIO_BALLOON_F_MUST_TELL_HOST. Nothing a driver sends puts the
// device into DEVICE_NEEDS_RESET; a bad request takes no page and is recorded by name.
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { readChain } from '../../virtio/chain-io.ts';
import type { ConfigSpace } from '../../virtio/config-space.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { BALLOON_ERRORS, type BalloonErrorCode } from './errors.ts';
import { FreePageHints } from './hints.ts';
import { BalloonPages, type PageRange, parsePfns } from './pages.ts';
import * as P from './protocol.ts';
import { parseStats } from './stats.ts';

// #region balloon-host
/** What the device needs of the host memory behind it (a platform's pool, or nothing). */
export interface BalloonHost {
  /** `bytes` of guest memory entered the balloon: the host may use them until they are deflated. */
  inflated(bytes: number): void;
  /** The guest wants `bytes` back: true if the host backs them now, false if it cannot yet. */
  deflate(bytes: number): boolean;
  /** The device was reset: the `bytes` in the balloon are the guest's again at once. */
  reset(bytes: number): void;
}
// #endregion balloon-host

/** A host with memory to spare: every deflate is backed at once. */
export const UNLIMITED_BALLOON_HOST: BalloonHost = { inflated() {}, deflate: () => true, reset() {} };

export interface BalloonDeviceOptions {
  /**
   * Guest memory the balloon covers, in 4 KiB pages from frame 0. Default: the guest memory the
   * transport gives the device, holes excluded.
   */
  readonly guestPages?: number;
  /** Pages the guest may never put in the balloon or report (shared-memory windows, firmware). */
  readonly protectedRanges?: readonly PageRange[];
  /** Offer VIRTIO_BALLOON_F_STATS_VQ; default true. */
  readonly statsQueue?: boolean;
  /** Offer VIRTIO_BALLOON_F_DEFLATE_ON_OOM; default true. */
  readonly deflateOnOom?: boolean;
  /** Offer VIRTIO_BALLOON_F_FREE_PAGE_HINT; default false (the AVP platform does not migrate guests). */
  readonly freePageHint?: boolean;
  /** Offer VIRTIO_BALLOON_F_PAGE_POISON; default true. */
  readonly pagePoison?: boolean;
  /** Offer VIRTIO_BALLOON_F_PAGE_REPORTING; default true. */
  readonly pageReporting?: boolean;
  /** num_pages when the device is made; default 0. */
  readonly initialTarget?: number;
  readonly host?: BalloonHost;
}

export interface BalloonCounters {
  /** Pages taken into the balloon, in total. */
  inflated: number;
  /** Pages given back, in total. */
  deflated: number;
  /** Deflates past num_pages with VIRTIO_BALLOON_F_DEFLATE_ON_OOM: the guest was short of memory. */
  oomDeflates: number;
  /** Statistics buffers read whole. */
  statsUpdates: number;
  /** Pages reported free and acknowledged. */
  reportedPages: number;
}

interface DeflateRequest {
  readonly chain: DescriptorChain;
  readonly pfns: number[] | BalloonErrorCode;
}

export class BalloonDevice extends VirtioDevice {
  readonly deviceId = P.VIRTIO_ID_BALLOON;
  readonly name = 'virtio-balloon';
  /** Refusals by error code. */
  readonly errors = new Map<BalloonErrorCode, number>();
  lastError: BalloonErrorCode | null = null;
  readonly counters: BalloonCounters = { inflated: 0, deflated: 0, oomDeflates: 0, statsUpdates: 0, reportedPages: 0 };
  /** The last statistics read whole, by tag. */
  stats: ReadonlyMap<number, bigint> = new Map();
  readonly hints = new FreePageHints();
  readonly host: BalloonHost;
  private readonly offered: Features;
  private readonly opts: BalloonDeviceOptions;
  private pages: BalloonPages;
  private roles: P.BalloonQueueRole[] = [];
  /** The set the driver accepted at FEATURES_OK (0 before). */
  private accepted: Features = 0n;
  private driverOk = false;
  private suspended = false;
  /** Configuration changes made while suspended: applied, and notified, on resume (§3.4.2). */
  private deferred: ((c: ConfigSpace) => void)[] = [];
  /** The statsq buffer the device holds until it wants new statistics (§5.5.6.3). */
  private heldStats: DescriptorChain | null = null;
  /** Deflate requests taken from the deflateq and not yet acknowledged, oldest first. */
  private backlog: DeflateRequest[] = [];

  constructor(opts: BalloonDeviceOptions = {}) {
    super(P.BALLOON_CONFIG_SIZE);
    this.opts = opts;
    this.host = opts.host ?? UNLIMITED_BALLOON_HOST;
    if (opts.guestPages !== undefined && (!Number.isInteger(opts.guestPages) || opts.guestPages < 1 || opts.guestPages > 0x1_0000_0000)) {
      throw new RangeError(`balloon: guestPages ${opts.guestPages}: 1 to 2^32 pages`);
    }
    this.pages = this.makePages(null);
    // #region offered-features
    let f = bit(P.VIRTIO_BALLOON_F_MUST_TELL_HOST); // always: a deflate waits for the host (AVP-MEM-3)
    if (opts.statsQueue ?? true) f |= bit(P.VIRTIO_BALLOON_F_STATS_VQ);
    if (opts.deflateOnOom ?? true) f |= bit(P.VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
    if (opts.freePageHint ?? false) f |= bit(P.VIRTIO_BALLOON_F_FREE_PAGE_HINT);
    if (opts.pagePoison ?? true) f |= bit(P.VIRTIO_BALLOON_F_PAGE_POISON);
    if (opts.pageReporting ?? true) f |= bit(P.VIRTIO_BALLOON_F_PAGE_REPORTING);
    // #endregion offered-features
    this.offered = f;
    this.config.setU32(P.BALLOON_CFG_NUM_PAGES, this.checkTarget(opts.initialTarget ?? 0));
  }

  private makePages(env: DeviceEnv | null): BalloonPages {
    const n = this.opts.guestPages;
    const inRange =
      n !== undefined ? (pfn: number) => pfn < n
      : env ? (pfn: number) => env.mem.contains(pfn * P.BALLOON_PAGE_SIZE, P.BALLOON_PAGE_SIZE)
      : () => false;
    return new BalloonPages(inRange, this.opts.protectedRanges);
  }

  protected deviceFeatures(): Features {
    return this.offered;
  }

  queueCount(features: Features): number {
    return P.balloonQueues(features).length;
  }

  // #region must-tell-host
  checkFeatures(accepted: Features): string | null {
    const base = super.checkFeatures(accepted);
    if (base) return base;
    // §5.5.3.2 lets the device refuse a driver that will not tell it before reusing pages. The
    // AVP's devices do: the host may have lent a ballooned page elsewhere, and a guest that
    // touched it before the deflate was acknowledged would use memory nothing backs.
    if (!hasFeature(accepted, P.VIRTIO_BALLOON_F_MUST_TELL_HOST)) return 'VIRTIO_BALLOON_F_MUST_TELL_HOST not accepted: deflated pages must wait for the device';
    this.accepted = accepted;
    return null;
  }
  // #endregion must-tell-host

  protected onActivate(env: DeviceEnv): void {
    this.roles = P.balloonQueues(env.features);
    this.accepted = env.features;
    this.driverOk = true;
    if (this.opts.guestPages === undefined) this.pages = this.makePages(env);
  }

  protected onReset(): void {
    // §5.5: VIRTIO says nothing of a reset; a driver starts again with an empty balloon, so
    // every page in it is the guest's again and the host has to back it (AVP-MEM-32).
    const n = this.pages.clear();
    if (n > 0) this.host.reset(n * P.BALLOON_PAGE_SIZE);
    this.heldStats = null;
    this.backlog = [];
    this.roles = [];
    this.accepted = 0n;
    this.driverOk = false;
    this.suspended = false;
    this.hints.reset();
    for (const d of this.deferred) d(this.config);
    this.deferred = [];
    this.config.setU32(P.BALLOON_CFG_ACTUAL, 0);
    this.config.setU32(P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID, P.VIRTIO_BALLOON_CMD_ID_STOP);
    this.config.setU32(P.BALLOON_CFG_POISON_VAL, 0);
  }

  // ---- what the platform sees and does ----

  /** Pages in the balloon, as the device accepted them (not what the driver wrote in `actual`). */
  get pagesInBalloon(): number {
    return this.pages.size;
  }

  has(pfn: number): boolean {
    return this.pages.has(pfn);
  }

  /** num_pages: the pages the device wants in the balloon. */
  get numPages(): number {
    return this.config.u32(P.BALLOON_CFG_NUM_PAGES);
  }

  /** `actual` as the driver last wrote it. */
  get actual(): number {
    return this.config.u32(P.BALLOON_CFG_ACTUAL);
  }

  /** Pages of deflate requests waiting for the host to back them. */
  get pendingDeflatePages(): number {
    return this.backlog.reduce((n, r) => n + (typeof r.pfns === 'string' ? 0 : r.pfns.length), 0);
  }

  /** The features of the driver in charge (0 before FEATURES_OK). */
  get negotiated(): Features {
    return this.accepted;
  }

  // #region set-target
  /** Asks the driver for a balloon of `pages` pages: num_pages and a configuration change notification. */
  setTarget(pages: number): void {
    const n = this.checkTarget(pages);
    this.changeConfig((c) => c.setU32(P.BALLOON_CFG_NUM_PAGES, n));
  }
  // #endregion set-target

  private checkTarget(pages: number): number {
    const limit = this.opts.guestPages ?? 0xffff_ffff;
    if (!Number.isInteger(pages) || pages < 0 || pages > limit) throw new RangeError(`balloon: target ${pages}: 0 to ${limit} pages`);
    return pages;
  }

  /** A device change of the configuration: now, or at resume if the device is suspended (§3.4.2). */
  private changeConfig(fn: (c: ConfigSpace) => void): void {
    if (this.suspended) this.deferred.push(fn);
    else this.config.update(fn);
  }

  /** Uses the held statistics buffer to ask for new statistics; false if the device holds none. */
  requestStats(): boolean {
    const idx = this.roles.indexOf('statsq');
    const q = this.queue(idx);
    if (!this.heldStats || !q || this.suspended) return false;
    q.push(this.heldStats, 0);
    this.heldStats = null;
    if (q.needsNotification()) this.env.notifyUsed(idx);
    return true;
  }

  /** Opens a round of free page hinting; returns its command ID. */
  startHinting(): number {
    this.needsHinting();
    const id = this.hints.start();
    this.changeConfig((c) => c.setU32(P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID, id));
    return id;
  }

  /** Ends the round (VIRTIO_BALLOON_CMD_ID_STOP): the device can use no more hints. */
  stopHinting(): void {
    this.needsHinting();
    this.hints.stop();
    this.changeConfig((c) => c.setU32(P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID, P.VIRTIO_BALLOON_CMD_ID_STOP));
  }

  /** Releases every hinted page (VIRTIO_BALLOON_CMD_ID_DONE): the device leaves them alone from now on. */
  finishHinting(): void {
    this.needsHinting();
    this.hints.done();
    this.changeConfig((c) => c.setU32(P.BALLOON_CFG_FREE_PAGE_HINT_CMD_ID, P.VIRTIO_BALLOON_CMD_ID_DONE));
  }

  private needsHinting(): void {
    if (!hasFeature(this.offered, P.VIRTIO_BALLOON_F_FREE_PAGE_HINT)) throw new Error('balloon: VIRTIO_BALLOON_F_FREE_PAGE_HINT is not offered');
  }

  /** The host has memory again: acknowledge the deflates that were waiting for it. */
  retryDeflates(): void {
    if (this.active && !this.suspended) this.serveDeflates();
  }

  suspend(): void {
    // §3.4: every request but a deflate the host cannot back yet is finished when it arrives. A
    // waiting deflate stays with the device: acknowledging it would hand the guest pages that
    // nothing backs. The held statistics buffer is the driver's standing offer, not work.
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    if (this.deferred.length) {
      const d = this.deferred;
      this.deferred = [];
      this.config.update((c) => d.forEach((fn) => fn(c)));
    }
    if (this.active) for (let i = 0; i < this.roles.length; i++) this.queueNotify(i);
  }

  // ---- the driver's side of the configuration space ----

  // #region write-config
  writeConfig(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    const within = (at: number) => offset >= at && end <= at + 4;
    if (within(P.BALLOON_CFG_ACTUAL)) {
      this.config.setBytes(offset, data); // the driver's own count; the device keeps its own
    } else if (within(P.BALLOON_CFG_POISON_VAL) && hasFeature(this.accepted, P.VIRTIO_BALLOON_F_PAGE_POISON)) {
      if (this.driverOk) this.record('POISON_LOCKED'); // §5.5.6.6.1: fixed once DRIVER_OK is set
      else this.config.setBytes(offset, data);
    } else {
      this.record('CONFIG_READ_ONLY');
    }
  }
  // #endregion write-config

  // ---- the queues ----

  queueNotify(index: number): void {
    if (!this.active || this.suspended) return;
    switch (this.roles[index]) {
      case 'inflateq':
        return this.drain(index, (chain) => this.inflate(chain));
      case 'deflateq':
        return this.serveDeflates();
      case 'statsq':
        return this.serveStats(index);
      case 'free_page_vq':
        return this.drain(index, (chain) => this.hint(chain));
      case 'reporting_vq':
        return this.drain(index, (chain) => this.report(chain));
    }
  }

  private record(code: BalloonErrorCode): 0 {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    this.lastError = code;
    return 0;
  }

  /** The page frame numbers of an inflate or deflate chain, or why it has none (§5.5.6). */
  private pfnsOf(chain: DescriptorChain): number[] | BalloonErrorCode {
    if (chain.buffers.some((b) => b.writable)) return 'WRITABLE_BUFFER';
    return parsePfns(readChain(this.env.mem, chain));
  }

  // #region inflate
  /** One inflate request: every page, or none. The device writes nothing: used length 0. */
  private inflate(chain: DescriptorChain): number {
    const pfns = this.pfnsOf(chain);
    if (typeof pfns === 'string') return this.record(pfns);
    const bad = this.pages.check('inflate', pfns);
    if (bad) return this.record(bad);
    this.pages.add(pfns);
    this.counters.inflated += pfns.length;
    this.host.inflated(pfns.length * P.BALLOON_PAGE_SIZE);
    return 0;
  }
  // #endregion inflate

  // #region deflate
  /**
   * Takes every available deflate request, then acknowledges them in order while the host can
   * back their pages. A request the host cannot back yet waits, with those behind it: the guest
   * negotiated MUST_TELL_HOST, so it does not touch the pages before the acknowledgement.
   */
  private serveDeflates(): void {
    const idx = this.roles.indexOf('deflateq');
    const q = this.queue(idx);
    if (!q) return;
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return this.env.needsReset(r.error);
      this.backlog.push({ chain: r.chain, pfns: this.pfnsOf(r.chain) });
    }
    let pushed = false;
    while (this.backlog.length > 0) {
      const head = this.backlog[0];
      const bad = typeof head.pfns === 'string' ? head.pfns : this.pages.check('deflate', head.pfns);
      if (bad) this.record(bad);
      else if (!this.host.deflate(head.pfns.length * P.BALLOON_PAGE_SIZE)) break;
      else this.takeBack(head.pfns as number[]);
      this.backlog.shift();
      q.push(head.chain, 0);
      pushed = true;
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(idx);
  }

  private takeBack(pfns: readonly number[]): void {
    this.pages.remove(pfns);
    this.counters.deflated += pfns.length;
    if (this.pages.size >= this.numPages) return;
    if (hasFeature(this.accepted, P.VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) {
      // The guest ran short of memory and took pages back. Asking for them again would fight
      // its out-of-memory handling, so the device stops asking: num_pages follows the balloon.
      this.counters.oomDeflates++;
      const n = this.pages.size;
      this.changeConfig((c) => c.setU32(P.BALLOON_CFG_NUM_PAGES, n));
    } else {
      this.record('DEFLATE_BELOW_TARGET'); // the pages are the guest's anyway: record, do not withhold
    }
  }
  // #endregion deflate

  // #region stats
  /**
   * The statsq runs the other way round (§5.5.6.3): the driver offers a buffer of statistics
   * and the device keeps it until it wants newer ones, then uses it (requestStats).
   */
  private serveStats(idx: number): void {
    const q = this.queue(idx);
    if (!q) return;
    let pushed = false;
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return this.env.needsReset(r.error);
      if (this.heldStats) {
        this.record('STATS_EXTRA_BUFFER'); // at most one at a time: the newcomer goes back at once
        q.push(r.chain, 0);
        pushed = true;
        continue;
      }
      this.heldStats = r.chain; // held even when unreadable, so the driver can answer the next request
      if (r.chain.buffers.some((b) => b.writable)) {
        this.record('WRITABLE_BUFFER');
        continue;
      }
      const parsed = parseStats(readChain(this.env.mem, r.chain));
      if (typeof parsed === 'string') {
        this.record(parsed); // the statistics the device had stay
        continue;
      }
      this.stats = parsed.values;
      this.counters.statsUpdates++;
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(idx);
  }
  // #endregion stats

  // #region hint
  /** One free_page_vq chain: an optional command ID, then hinted pages as writable buffers. */
  private hint(chain: DescriptorChain): number {
    const readable = totalLength(readableBuffers(chain));
    if (readable > 0) {
      if (readable !== P.BALLOON_CMD_ID_SIZE) return this.record('HINT_BAD_LENGTH');
      const id = new DataView(readChain(this.env.mem, chain).buffer).getUint32(0, true);
      this.hints.announce(id);
    }
    const pages = writableBuffers(chain);
    if (pages.length > 0 && !this.hints.offer(pages)) this.record('HINT_STALE_ID'); // §5.5.6.5.2: ignored
    return 0;
  }
  // #endregion hint

  // #region report
  /**
   * One free page report (§5.5.6.7): device-writable ranges of whole 4 KiB pages the guest does
   * not use. The host drops their contents; with PAGE_POISON it keeps them at poison_val.
   * Reported pages stay the guest's: the guest may use them again as soon as the report is
   * acknowledged, so the host may not lend them to anyone.
   */
  private report(chain: DescriptorChain): number {
    if (chain.buffers.some((b) => !b.writable)) return this.record('REPORT_READABLE_BUFFER');
    let count = 0;
    for (const b of chain.buffers) {
      if (b.addr % P.BALLOON_PAGE_SIZE !== 0 || b.len % P.BALLOON_PAGE_SIZE !== 0) return this.record('REPORT_MISALIGNED');
      for (let p = b.addr / P.BALLOON_PAGE_SIZE; p < (b.addr + b.len) / P.BALLOON_PAGE_SIZE; p++) {
        const bad = this.pages.checkReported(p);
        if (bad) return this.record(bad);
      }
      count += b.len / P.BALLOON_PAGE_SIZE;
    }
    const poison = hasFeature(this.accepted, P.VIRTIO_BALLOON_F_PAGE_POISON);
    const word = this.config.bytes.subarray(P.BALLOON_CFG_POISON_VAL, P.BALLOON_CFG_POISON_VAL + 4);
    for (const b of chain.buffers) {
      const fill = new Uint8Array(b.len);
      if (poison) for (let i = 0; i < b.len; i += 4) fill.set(word, i);
      this.env.mem.write(b.addr, fill);
    }
    this.counters.reportedPages += count;
    return 0; // the contents the host dropped are not data for the driver to read
  }
  // #endregion report
}

/** What each error code means, for logs and the chapter's table. */
export function balloonErrorText(code: BalloonErrorCode): string {
  return BALLOON_ERRORS[code];
}
