// A virtual CAN bus that several controllers share: the CAN devices of several guests, and
// host-side taps that inject and watch frames. Each node queues its frames in order; the bus
// sends one frame at a time, choosing among the nodes' oldest frames by CAN arbitration (the
// lowest identifier wins), and hands each frame to every other node in the same step, so all
// receivers see one bus order. Bit rates are the platform's, never a guest's; they give every
// frame its time on the wire, for reporting. No error frames, stuffing or retransmission.
import { arbitrationKey, type CanFrame, frameBits, frameError } from './frame.ts';

// #region id-filter
/** Matches identifiers whose bits under `mask` equal those of `id`; `extended` limits the format. */
export interface CanIdFilter {
  readonly id: number;
  readonly mask: number;
  readonly extended?: boolean;
}

export function matchesFilters(f: CanFrame, filters: readonly CanIdFilter[] | null): boolean {
  if (filters === null) return true;
  return filters.some((x) => (x.extended === undefined || x.extended === f.extended) && ((f.id ^ x.id) & x.mask) === 0);
}
// #endregion id-filter

/** What a receiving node made of a frame. */
export type CanRxResult =
  | 'delivered' // in a receive buffer of the driver
  | 'queued' // held by the device until the driver offers a buffer
  | 'inactive' // the device is not running (before DRIVER_OK, or reset)
  | 'stopped' // the controller is in the STOPPED state
  | 'not-negotiated' // a frame type the driver did not accept
  | 'overrun' // no buffer and no room to hold it: dropped
  | 'queue-error'; // the receive queue is broken

export interface CanEndpoint {
  receive(frame: CanFrame, from: CanNode): CanRxResult;
  /** Called when the endpoint is attached to (node) or detached from (null) a bus. */
  connect(node: CanNode | null): void;
}

export interface CanNodeOptions {
  readonly name?: string;
  /** The node's own frames come back to it, after the other nodes got them. Default false. */
  readonly loopback?: boolean;
  /** The identifiers this node may send (ownership); null, the default, allows any. */
  readonly txFilter?: readonly CanIdFilter[] | null;
  /** The identifiers delivered to this node; null, the default, delivers all. */
  readonly rxFilter?: readonly CanIdFilter[] | null;
}

export type CanSendResult = 'queued' | 'not-owned' | 'fd-not-supported' | 'detached';

export interface CanNodeCounters {
  /** Frames of this node that went on the wire. */
  sent: number;
  /** Frames queued and then cancelled before they reached the wire. */
  cancelled: number;
  /** Frames refused because the node does not own the identifier. */
  notOwned: number;
  /** Frames handed to the endpoint, and how many of those it could not deliver or hold. */
  received: number;
  refused: number;
  /** Frames the node's receive filter kept away from it. */
  filtered: number;
}

interface Pending {
  readonly frame: CanFrame;
  readonly seq: number;
  readonly done: ((onWire: boolean) => void) | null;
}

export class CanNode {
  readonly bus: CanBus;
  readonly name: string;
  readonly endpoint: CanEndpoint;
  readonly loopback: boolean;
  readonly txFilter: readonly CanIdFilter[] | null;
  readonly rxFilter: readonly CanIdFilter[] | null;
  readonly counters: CanNodeCounters = { sent: 0, cancelled: 0, notOwned: 0, received: 0, refused: 0, filtered: 0 };
  /** Frames waiting for the bus, oldest first: a node never reorders its own frames. */
  readonly queue: Pending[] = [];
  attached = true;

  constructor(bus: CanBus, endpoint: CanEndpoint, opts: CanNodeOptions, index: number) {
    this.bus = bus;
    this.endpoint = endpoint;
    this.name = opts.name ?? `node${index}`;
    this.loopback = opts.loopback ?? false;
    this.txFilter = opts.txFilter ?? null;
    this.rxFilter = opts.rxFilter ?? null;
  }

  // #region node-send
  /**
   * Queues a frame for the wire. `done(true)` runs once it has been sent and every receiver
   * has it; `done(false)` if it is cancelled first. A frame the platform does not let this
   * node send, or that the bus cannot carry, is refused and `done` never runs.
   */
  send(frame: CanFrame, done: ((onWire: boolean) => void) | null = null): CanSendResult {
    const err = frameError(frame);
    if (err) throw new RangeError(`${this.name}: ${err}`); // the device checks first; only a host mistake gets here
    if (!this.attached) return 'detached';
    if (!matchesFilters(frame, this.txFilter)) {
      this.counters.notOwned++;
      return 'not-owned';
    }
    if (frame.fd && !this.bus.fdCapable) return 'fd-not-supported';
    this.queue.push({ frame, seq: this.bus.nextSeq(), done });
    if (this.bus.autoRun) this.bus.run();
    return 'queued';
  }
  // #endregion node-send

  /** Drops every frame still waiting (a stop, a bus-off, a reset); returns how many. */
  cancelPending(): number {
    const dropped = this.queue.splice(0);
    this.counters.cancelled += dropped.length;
    for (const p of dropped) p.done?.(false);
    return dropped.length;
  }
}

export interface CanBusOptions {
  readonly name?: string;
  /** Nominal (arbitration) bit rate in bit/s; default 500 kbit/s. At most 1 Mbit/s. */
  readonly bitrate?: number;
  /** CAN FD data-phase bit rate in bit/s, or null (the default) for a bus that carries classic frames only. */
  readonly dataBitrate?: number | null;
  /** Send queued frames at once (true, the default), or only when step()/run() is called. */
  readonly autoRun?: boolean;
}

/** One frame on the wire, as a bus monitor sees it. */
export interface CanBusRecord {
  readonly seq: number;
  readonly from: string;
  readonly frame: CanFrame;
  /** Simulated bus time in nanoseconds when the frame started and when it ended. */
  readonly start: number;
  readonly end: number;
  /** The nodes it was handed to, and what each made of it. */
  readonly deliveries: readonly { readonly to: string; readonly result: CanRxResult }[];
}

export class CanBus {
  readonly name: string;
  readonly bitrate: number;
  readonly dataBitrate: number | null;
  autoRun: boolean;
  readonly nodes: CanNode[] = [];
  readonly stats = { frames: 0, bits: 0, busyNs: 0 };
  private clock = 0;
  private seq = 0;
  private running = false;
  private readonly monitors: ((r: CanBusRecord) => void)[] = [];

  constructor(opts: CanBusOptions = {}) {
    this.name = opts.name ?? 'can0';
    this.bitrate = opts.bitrate ?? 500_000;
    this.dataBitrate = opts.dataBitrate ?? null;
    this.autoRun = opts.autoRun ?? true;
    if (!Number.isInteger(this.bitrate) || this.bitrate < 10_000 || this.bitrate > 1_000_000) throw new RangeError(`bitrate ${this.bitrate}: 10 kbit/s .. 1 Mbit/s`);
    const d = this.dataBitrate;
    if (d !== null && (!Number.isInteger(d) || d < this.bitrate || d > 20_000_000)) throw new RangeError(`dataBitrate ${d}: the nominal bit rate .. 20 Mbit/s`);
  }

  /** True if the bus carries CAN FD frames (a data-phase bit rate is configured). */
  get fdCapable(): boolean {
    return this.dataBitrate !== null;
  }

  /** Simulated time in nanoseconds: frame durations plus idle time given to advance(). */
  get time(): number {
    return this.clock;
  }

  attach(endpoint: CanEndpoint, opts: CanNodeOptions = {}): CanNode {
    const node = new CanNode(this, endpoint, opts, this.nodes.length);
    this.nodes.push(node);
    endpoint.connect(node);
    return node;
  }

  detach(node: CanNode): void {
    const i = this.nodes.indexOf(node);
    if (i < 0) return;
    node.cancelPending();
    node.attached = false;
    this.nodes.splice(i, 1);
    node.endpoint.connect(null);
  }

  /** Calls `fn` for every frame that goes on the wire; returns a function that stops it. */
  monitor(fn: (r: CanBusRecord) => void): () => void {
    this.monitors.push(fn);
    return () => void this.monitors.splice(this.monitors.indexOf(fn), 1);
  }

  /** Lets the bus sit idle for `ns` nanoseconds (for load figures). */
  advance(ns: number): void {
    if (!Number.isFinite(ns) || ns < 0) throw new RangeError('advance: a non-negative time');
    this.clock += ns;
  }

  /** Nanoseconds a frame occupies the wire: FD frames switch to the data bit rate if it is faster. */
  frameDuration(f: CanFrame): number {
    const brs = f.fd && this.dataBitrate !== null && this.dataBitrate > this.bitrate;
    const bits = frameBits(f, brs);
    return Math.round((bits.nominal * 1e9) / this.bitrate + (brs ? (bits.data * 1e9) / this.dataBitrate! : 0));
  }

  /** @internal A bus-wide sequence number: the tie-break after the identifier. */
  nextSeq(): number {
    return this.seq++;
  }

  // #region arbitrate
  /** Sends the one frame that wins arbitration, delivers it to every other node, and returns it. */
  step(): CanBusRecord | null {
    let winner: CanNode | null = null;
    for (const n of this.nodes) {
      const head = n.queue[0];
      if (!head) continue;
      const best = winner?.queue[0];
      const k = arbitrationKey(head.frame);
      if (!best || k < arbitrationKey(best.frame) || (k === arbitrationKey(best.frame) && head.seq < best.seq)) winner = n;
    }
    if (!winner) return null;
    const p = winner.queue.shift()!;
    const start = this.clock;
    const duration = this.frameDuration(p.frame);
    this.clock += duration;
    this.stats.frames++;
    this.stats.busyNs += duration;
    const brs = p.frame.fd && this.dataBitrate !== null && this.dataBitrate > this.bitrate;
    const bits = frameBits(p.frame, brs);
    this.stats.bits += bits.nominal + bits.data;
    winner.counters.sent++;
    // Every receiver gets the frame in the same step, in attachment order; the sender only
    // with loopback, and last, as a controller sees its own frame once it has left.
    const deliveries: { to: string; result: CanRxResult }[] = [];
    const targets = this.nodes.filter((n) => n !== winner);
    if (winner.loopback) targets.push(winner);
    for (const n of targets) {
      if (!matchesFilters(p.frame, n.rxFilter)) {
        n.counters.filtered++;
        continue;
      }
      n.counters.received++;
      const result = n.endpoint.receive(p.frame, winner);
      if (result !== 'delivered' && result !== 'queued') n.counters.refused++;
      deliveries.push({ to: n.name, result });
    }
    p.done?.(true);
    const rec: CanBusRecord = { seq: p.seq, from: winner.name, frame: p.frame, start, end: this.clock, deliveries };
    for (const m of [...this.monitors]) m(rec);
    return rec;
  }
  // #endregion arbitrate

  /** Sends frames until no node has one waiting; returns how many went out. Not re-entrant. */
  run(): number {
    if (this.running) return 0; // a frame sent from inside a delivery waits for the outer loop
    this.running = true;
    let n = 0;
    try {
      while (this.step()) n++;
    } finally {
      this.running = false;
    }
    return n;
  }

  /** Frames waiting on all nodes. */
  get pending(): number {
    return this.nodes.reduce((n, x) => n + x.queue.length, 0);
  }
}
