// The guest side of a balloon over the in-process Loopback: what a guest's virtio_balloon driver
// does, reduced to a few calls. It gives the device pages from a range of guest frames it may
// spare, takes them back, answers statistics requests, reports free pages, and, attached to a
// model clock, follows num_pages at a rate the test chooses (a guest that frees memory slowly,
// or not at all, is how a reclaim runs out of time).
import type { ModelClock } from '../../virtio/model-clock.ts';
import type { Loopback } from '../../virtio/loopback.ts';
import { hasFeature } from '../../virtio/feature-bits.ts';
import * as P from './protocol.ts';

export interface BalloonDriverOptions {
  /** The first frame the guest may give to the balloon; default 0x100 (above the first MiB). */
  readonly firstPfn?: number;
  /** How many frames from firstPfn the guest may give; default 0x10000 (256 MiB). */
  readonly pageCount?: number;
  /** Frames per inflate or deflate request; Linux's driver sends at most 256. */
  readonly chunk?: number;
}

export interface BalloonRate {
  /** Pages the guest moves per millisecond of model time; 0: it does not respond. */
  readonly pagesPerMs: number;
  /** The statistics the guest reports when the device asks. */
  readonly stats?: () => readonly (readonly [number, bigint])[];
}

export class BalloonDriver {
  readonly lb: Loopback;
  private readonly index: Map<P.BalloonQueueRole, number>;
  private readonly first: number;
  private readonly count: number;
  private readonly chunk: number;
  private fresh = 0;
  private readonly spare: number[] = [];
  /** Frames the device acknowledged into the balloon, in order. */
  private readonly ballooned: number[] = [];
  /** Deflate requests not yet acknowledged: their frames are not usable yet (MUST_TELL_HOST). */
  private readonly waiting = new Map<number, number[]>();
  private credit = 0;
  private last = 0;

  constructor(lb: Loopback, opts: BalloonDriverOptions = {}) {
    this.lb = lb;
    this.index = new Map(P.balloonQueues(lb.features).map((r, i) => [r, i]));
    this.first = opts.firstPfn ?? 0x100;
    this.count = opts.pageCount ?? 0x10000;
    this.chunk = opts.chunk ?? 256;
  }

  queueOf(role: P.BalloonQueueRole): number {
    const i = this.index.get(role);
    if (i === undefined) throw new Error(`balloon driver: no ${role} with the features negotiated`);
    return i;
  }

  get numPages(): number {
    return this.lb.device.config.u32(P.BALLOON_CFG_NUM_PAGES);
  }

  /** Frames in the balloon as the driver knows them (what it writes to `actual`). */
  get inBalloon(): number {
    return this.ballooned.length;
  }

  get waitingPages(): number {
    let n = 0;
    for (const p of this.waiting.values()) n += p.length;
    return n;
  }

  /** One inflate request of exactly these frames; the device uses it at once. */
  inflate(pfns: readonly number[]): void {
    this.lb.request(this.queueOf('inflateq'), [P.encodePfns(pfns)], []);
  }

  /** One deflate request; returns whether the device acknowledged it at once. */
  deflate(pfns: readonly number[]): boolean {
    const id = this.lb.submit(this.queueOf('deflateq'), [P.encodePfns(pfns)], []);
    this.waiting.set(id, [...pfns]);
    this.collect();
    return !this.waiting.has(id);
  }

  /** Acknowledged deflates: their frames are the guest's to use again. */
  collect(): void {
    for (const c of this.lb.poll(this.queueOf('deflateq'))) {
      const pfns = this.waiting.get(c.id) ?? [];
      this.waiting.delete(c.id);
      for (const p of pfns) {
        const at = this.ballooned.indexOf(p);
        if (at >= 0) this.ballooned.splice(at, 1);
        this.spare.push(p);
      }
    }
  }

  private take(n: number): number[] {
    const out: number[] = [];
    while (out.length < n && this.spare.length > 0) out.push(this.spare.pop()!);
    while (out.length < n && this.fresh < this.count) out.push(this.first + this.fresh++);
    return out;
  }

  // #region follow-target
  /**
   * Moves the balloon toward num_pages by at most `max` pages, in requests of `chunk` frames,
   * then writes `actual`. Returns the pages moved.
   */
  sync(max = Infinity): number {
    this.collect();
    let moved = 0;
    for (;;) {
      const want = this.numPages - this.ballooned.length;
      const room = Math.min(max - moved, this.chunk);
      if (room <= 0 || want === 0) break;
      if (want > 0) {
        const pfns = this.take(Math.min(want, room));
        if (pfns.length === 0) break; // nothing left to give
        this.inflate(pfns);
        this.ballooned.push(...pfns);
        moved += pfns.length;
      } else {
        if (this.waiting.size > 0) break; // one deflate at a time: the device acknowledges in order
        const n = Math.min(-want, room);
        const pfns = this.ballooned.slice(-n);
        moved += n;
        if (!this.deflate(pfns)) break; // the host cannot back them yet
      }
    }
    this.writeActual();
    return moved;
  }
  // #endregion follow-target

  /** Takes `n` pages back whatever num_pages says, as a guest short of memory does (DEFLATE_ON_OOM). */
  oomDeflate(n: number): boolean {
    if (!hasFeature(this.lb.features, P.VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) throw new Error('balloon driver: VIRTIO_BALLOON_F_DEFLATE_ON_OOM was not negotiated');
    const done = this.deflate(this.ballooned.slice(-n));
    this.writeActual();
    return done;
  }

  writeActual(): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, this.ballooned.length, true);
    this.lb.device.writeConfig(P.BALLOON_CFG_ACTUAL, b);
  }

  /** Offers a statistics buffer (the first one at start, §5.5.5, or the answer to a request). */
  offerStats(entries: readonly (readonly [number, bigint])[]): void {
    this.lb.submit(this.queueOf('statsq'), [P.encodeStats(entries)], []);
  }

  /** If the device used the statistics buffer (asking for new ones), answers with `entries`. */
  answerStats(entries: readonly (readonly [number, bigint])[]): boolean {
    if (this.lb.poll(this.queueOf('statsq')).length === 0) return false;
    this.offerStats(entries);
    return true;
  }

  /** Reports guest-physical ranges as free (device-writable buffers at those addresses); true when acknowledged. */
  report(ranges: readonly { addr: number; len: number }[]): boolean {
    const q = this.queueOf('reporting_vq');
    const dq = this.lb.queues[q];
    const id = dq.add(ranges.map((r) => ({ ...r, writable: true })));
    this.lb.kick(q);
    for (let u = dq.pollUsed(); u; u = dq.pollUsed()) if (u.id === id) return true;
    return false;
  }

  /** free_page_vq: sends a command ID (the round's, or STOP) and hints pages with it. */
  hint(cmdId: number | null, pages: readonly { addr: number; len: number }[] = []): void {
    const q = this.queueOf('free_page_vq');
    const bufs: { addr: number; len: number; writable: boolean }[] = [];
    if (cmdId !== null) {
      const at = this.lb.alloc(P.BALLOON_CMD_ID_SIZE);
      this.lb.mem.write(at, P.encodeCmdId(cmdId));
      bufs.push({ addr: at, len: P.BALLOON_CMD_ID_SIZE, writable: false });
    }
    for (const p of pages) bufs.push({ ...p, writable: true });
    this.lb.queues[q].add(bufs);
    this.lb.kick(q);
    while (this.lb.queues[q].pollUsed());
  }

  /** Follows num_pages on the model clock at `rate`, and answers statistics requests. */
  attach(clock: ModelClock, rate: BalloonRate): void {
    this.last = clock.now;
    clock.onAdvance(() => {
      const dt = clock.now - this.last;
      this.last = clock.now;
      if (rate.stats && this.index.has('statsq')) this.answerStats(rate.stats());
      this.credit += (dt * rate.pagesPerMs) / 1000;
      const budget = Math.floor(this.credit);
      this.credit -= budget;
      // A guest does not save up: time spent at the target is not credit for later.
      if (budget === 0) this.collect();
      else if (this.sync(budget) < budget) this.credit = 0;
    });
  }
}
