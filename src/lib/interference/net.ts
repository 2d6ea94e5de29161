// An interference harness for a virtual switch: two guests, each with a virtio-net device of
// its own (§5.1), on access ports of one VirtualSwitch, both sending to a peer behind the
// switch's uplink. The switch forwards at once; the uplink is a physical link of a stated rate
// that sends one frame at a time in the order frames reach it, each taking its length,
// preamble, frame check sequence and inter-frame gap in bit time. One guest (the aggressor)
// keeps a window of full-size frames queued for the uplink; the other (the victim) sends a
// small frame per period. The harness measures, in model time, how long each of the victim's
// frames takes from the moment its driver makes it available to its last bit on the uplink:
// with budgets on the devices, and without.
// Plain TypeScript: no DOM, no Node-only API, no wall clock.
import { type BudgetLimits, ManualClock } from '../devices/budget.ts';
import type { NetBackend, NetEndpoint, RxResult } from '../devices/net/backend.ts';
import { NetDevice } from '../devices/net/device.ts';
import { buildFrame, formatMac } from '../devices/net/ethernet.ts';
import { encodeNetHdr, netHdrSize } from '../devices/net/net-hdr.ts';
import { VirtualSwitch } from '../devices/net/switch.ts';
import { Loopback } from '../virtio/loopback.ts';
import type { RingType } from '../virtio/queue-factory.ts';
import { type LatencySample, type LatencySummary, summarizeLatency } from './latency.ts';

// #region link-time
/** Bytes a frame occupies on an Ethernet link besides its own: FCS 4, preamble and SFD 8, inter-frame gap 12. */
export const ETHERNET_OVERHEAD_BYTES = 24;
/** The shortest frame on the wire without its FCS: shorter ones are padded. */
export const ETHERNET_MIN_FRAME = 60;

/** Nanoseconds a frame of `frameBytes` (header and payload, no FCS) holds a link of `mbps` Mbit/s. */
export function ethernetWireNs(frameBytes: number, mbps: number): number {
  return ((Math.max(frameBytes, ETHERNET_MIN_FRAME) + ETHERNET_OVERHEAD_BYTES) * 8 * 1000) / mbps;
}

/**
 * The budget's cost function for a network device on a link of `mbps`: the link time (µs) of
 * a transmit request of `bytes` bytes, counting the virtio-net header as if it were frame
 * bytes, a small over-estimate that spares the cost the negotiated header size.
 */
export function netTxCost(mbps: number): (bytes: number) => number {
  return (bytes) => ethernetWireNs(bytes, mbps) / 1000;
}
// #endregion link-time

/** The uplink: a link of a stated rate that sends frames one at a time, in the order they arrive. */
export class EgressLink implements NetEndpoint {
  readonly mbps: number;
  readonly mac: string;
  /** Per source address, the model times (ns) at which each frame's last bit left, in order. */
  readonly sent = new Map<string, number[]>();
  busyNs = 0;
  private busyUntilNs = 0;
  private backend: NetBackend | null = null;
  private readonly clock: ManualClock;

  constructor(clock: ManualClock, mbps: number, mac: string) {
    this.clock = clock;
    this.mbps = mbps;
    this.mac = mac;
  }

  connect(backend: NetBackend | null): void {
    this.backend = backend;
  }

  receive(frame: Uint8Array): RxResult {
    const start = Math.max(this.clock.now * 1000, this.busyUntilNs);
    const ns = ethernetWireNs(frame.length, this.mbps);
    this.busyUntilNs = start + ns;
    this.busyNs += ns;
    const src = formatMac(frame.subarray(6, 12));
    const list = this.sent.get(src) ?? [];
    list.push(this.busyUntilNs);
    this.sent.set(src, list);
    return 'delivered';
  }

  /** Sends one broadcast frame from the peer, so that the switch learns where the peer is. */
  announce(): void {
    this.backend?.send(buildFrame({ dst: 'ff:ff:ff:ff:ff:ff', src: this.mac, ethertype: 0x88b5, payload: new Uint8Array(46) }));
  }
}

// #region net-scenario
export interface NetInterferenceScenario {
  readonly ring?: RingType;
  /** The uplink's rate in Mbit/s. */
  readonly linkMbps: number;
  /** Model time simulated, and the step the harness advances the clock by (µs). */
  readonly durationUs: number;
  readonly tickUs: number;
  /**
   * The aggressor sends frames of `frameBytes` (Ethernet header and payload) and keeps `depth`
   * of them between its driver and the end of the uplink, as a driver does whose back end
   * returns a transmit buffer only once its frame has left.
   */
  readonly aggressor: { readonly frameBytes: number; readonly depth: number };
  /** The victim sends a frame of `frameBytes` every `periodUs` from `firstUs`; each is due `deadlineUs` later. */
  readonly victim: { readonly frameBytes: number; readonly periodUs: number; readonly firstUs: number; readonly deadlineUs: number };
  /** Each guest's row of the switch's budget table; null: that guest has no budget. */
  readonly budgets: { readonly aggressor: BudgetLimits | null; readonly victim: BudgetLimits | null };
}
// #endregion net-scenario

export interface NetGuestCounters {
  /** Frames the driver made available. */
  submitted: number;
  /** Frames whose last bit left on the uplink within the run. */
  onLink: number;
  /** Frames the device took from a transmitq its budget had held back. */
  throttled: number;
  /** Link time the budget charged (µs). */
  chargedUs: number;
}

export interface NetInterferenceResult {
  readonly samples: readonly LatencySample[];
  readonly summary: LatencySummary;
  readonly aggressor: NetGuestCounters;
  readonly victim: NetGuestCounters;
  /** Frames the devices dropped on transmit, for any reason (none should be). */
  readonly txDrops: number;
  /** Share of the run the uplink was busy (0..1). */
  readonly linkLoad: number;
}

const MAC = { aggressor: '52:54:00:00:00:0a', victim: '52:54:00:00:00:0b', peer: '02:00:00:00:00:01' } as const;
const TXQ = 1; // transmitq1

// #region run-net
/** Runs the scenario: the switch, the uplink, both devices and both drivers, tick by tick in model time. */
export function runNetInterference(s: NetInterferenceScenario): NetInterferenceResult {
  const clock = new ManualClock();
  const sw = new VirtualSwitch();
  const link = new EgressLink(clock, s.linkMbps, MAC.peer);
  sw.plug(link, { name: 'uplink' });
  const cost = netTxCost(s.linkMbps);
  const device = (mac: string, limits: BudgetLimits | null) => new NetDevice({ mac, budget: limits ? { clock, limits, backendCost: cost } : null });
  const aDev = device(MAC.aggressor, s.budgets.aggressor);
  const vDev = device(MAC.victim, s.budgets.victim);
  sw.plug(aDev, { name: 'ivi' });
  sw.plug(vDev, { name: 'cluster' });
  link.announce();
  const aBytes = s.aggressor.frameBytes + 32;
  const aLb = new Loopback(aDev, { ring: s.ring, queueSize: 256, memSize: Math.max(1 << 20, 2 * s.aggressor.depth * (aBytes + 64)) });
  const vLb = new Loopback(vDev, { ring: s.ring, queueSize: 64 });
  const packet = (lb: Loopback, src: string, bytes: number) =>
    new Uint8Array([...encodeNetHdr({}, netHdrSize(lb.features)), ...buildFrame({ dst: MAC.peer, src, ethertype: 0x88b5, payload: new Uint8Array(bytes - 14) })]);
  const aPkt = packet(aLb, MAC.aggressor, s.aggressor.frameBytes);
  const vPkt = packet(vLb, MAC.victim, s.victim.frameBytes);

  const counters = (): NetGuestCounters => ({ submitted: 0, onLink: 0, throttled: 0, chargedUs: 0 });
  const a = counters();
  const v = counters();
  const aEnds = () => link.sent.get(MAC.aggressor) ?? [];
  let aLeft = 0; // the aggressor's frames whose last bit has left, as far as counted
  const vSubmitted: number[] = [];
  let nextVictim = s.victim.firstUs;

  for (let t = 0; t <= s.durationUs; t += s.tickUs) {
    clock.advanceTo(t);
    // Tokens came back: each device takes what its budget held back.
    aDev.budgetTick();
    vDev.budgetTick();
    // The drivers collect used buffers (frees descriptors and memory).
    aLb.poll(TXQ);
    vLb.poll(TXQ);
    // The aggressor refills its window: frames that have left the uplink are out of it.
    const ends = aEnds();
    while (aLeft < ends.length && ends[aLeft] <= t * 1000) aLeft++;
    while (a.submitted - aLeft < s.aggressor.depth) {
      aLb.submit(TXQ, [aPkt], []);
      a.submitted++;
    }
    if (t >= nextVictim && t < s.durationUs) {
      vLb.submit(TXQ, [vPkt], []);
      vSubmitted.push(t);
      v.submitted++;
      nextVictim += s.victim.periodUs;
    }
  }

  const endNs = s.durationUs * 1000;
  const vEnds = link.sent.get(MAC.victim) ?? [];
  // A frame that reached the uplink has its end fixed (nothing overtakes it there), even past the run.
  const samples: LatencySample[] = vSubmitted.map((at, i) => ({ at, latencyUs: i < vEnds.length ? (vEnds[i] - at * 1000) / 1000 : null }));
  a.onLink = aEnds().filter((e) => e <= endNs).length;
  v.onLink = vEnds.filter((e) => e <= endNs).length;
  for (const [c, dev] of [[a, aDev], [v, vDev]] as const) {
    c.throttled = dev.budget?.stats.throttled ?? 0;
    c.chargedUs = dev.budget?.stats.backendUs ?? 0;
  }
  const drops = (d: NetDevice) => Object.values(d.stats.txDrops).reduce((x, y) => x + y, 0);
  return {
    samples,
    summary: summarizeLatency(samples, s.victim.deadlineUs, s.durationUs),
    aggressor: a,
    victim: v,
    txDrops: drops(aDev) + drops(vDev),
    linkLoad: Math.min(link.busyNs, endNs) / endNs,
  };
}
// #endregion run-net

// #region net-cockpit
/**
 * The chapter's case on a 100 Mbit/s uplink (100BASE-T1): the IVI streams 1514-byte frames and
 * keeps 256 of them queued; the cluster sends a 128-byte frame every millisecond, due within
 * it. A full-size frame is charged 124 µs of link time, the cluster's 14 µs.
 */
export const NET_COCKPIT_BUDGETS: { readonly aggressor: BudgetLimits; readonly victim: BudgetLimits } = {
  aggressor: {
    requests: { perSecond: 8_000, burst: 32 },
    bytes: { perSecond: 6_250_000, burst: 16 << 10 },
    backendUs: { perSecond: 500_000, burst: 500 },
  },
  victim: {
    requests: { perSecond: 2_000, burst: 4 },
    bytes: { perSecond: 250_000, burst: 2 << 10 },
    backendUs: { perSecond: 100_000, burst: 200 },
  },
};

export function netCockpitScenario(budgets: boolean, ring: RingType = 'split'): NetInterferenceScenario {
  return {
    ring,
    linkMbps: 100,
    durationUs: 100_000,
    tickUs: 10,
    aggressor: { frameBytes: 1514, depth: 256 },
    victim: { frameBytes: 128, periodUs: 1_000, firstUs: 0, deadlineUs: 1_000 },
    budgets: budgets ? NET_COCKPIT_BUDGETS : { aggressor: null, victim: null },
  };
}
// #endregion net-cockpit
