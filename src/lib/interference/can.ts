// An interference harness for a shared CAN bus: two guests, each with a virtio-can device of
// its own (§5.20), on one virtual bus, and a third node (a gateway towards the rest of the
// vehicle) that only listens. One guest (the aggressor) keeps its whole Txq full of frames on
// an identifier that wins arbitration; the other (the victim) sends one frame per period, as
// an ECU sends a cyclic signal. The harness drives the bus itself in model time (the bus runs
// with autoRun off and is stepped up to each tick), so every frame takes its bit time at the
// bus's bit rate, and it measures, for each of the victim's frames, the time from the moment
// its driver makes the transmit request available to the end of the frame on the wire, when
// the gateway has it: with budgets on the devices, and without.
// Plain TypeScript: no DOM, no Node-only API, no wall clock.
import { type BudgetLimits, ManualClock } from '../devices/budget.ts';
import { CanBus } from '../devices/can/bus.ts';
import { CAN_TXQ, CAN_CONTROLQ, CanDevice } from '../devices/can/device.ts';
import { CAN_FD_LENGTHS, type CanFrame, canFrame, frameBits } from '../devices/can/frame.ts';
import { CAN_MSG_HEADER_SIZE, encodeCanControl, encodeCanTx, VIRTIO_CAN_SET_CTRL_MODE_START } from '../devices/can/message.ts';
import { CanTap } from '../devices/can/tap.ts';
import { Loopback } from '../virtio/loopback.ts';
import type { RingType } from '../virtio/queue-factory.ts';
import { type LatencySample, type LatencySummary, summarizeLatency } from './latency.ts';

// #region can-frame-cost
/**
 * The bus time (µs, rounded up) a budget charges for a transmit request carrying `sdu` data
 * bytes, on a bus with nominal bit rate `bitrate` that carries CAN FD frames if `fd`. It is the
 * longest such a frame can take on a real wire: extended identifier, the worst case of stuff
 * bits (one per four bits up to the CRC delimiter), and for CAN FD every bit at the nominal
 * rate. At 500 kbit/s a classic frame with 8 bytes is charged 160 bits, 320 µs; the model bus,
 * which leaves stuffing out, sends a base-format one in 222 µs.
 */
export function canFrameBudgetUs(bitrate: number, sdu: number, fd: boolean): number {
  const n = Math.max(0, Math.floor(sdu));
  const shapes: CanFrame[] = [];
  const shape = (length: number, isFd: boolean): CanFrame => ({ id: 0, extended: true, fd: isFd, rtr: false, length, data: new Uint8Array(length) });
  if (n <= 8 || !fd) shapes.push(shape(Math.min(n, 8), false));
  if (fd) shapes.push(shape(CAN_FD_LENGTHS.find((l) => l >= Math.min(n, 64))!, true));
  let bits = 0;
  for (const f of shapes) {
    const b = frameBits(f, false);
    const total = b.nominal + b.data;
    // CRC delimiter, ACK slot and delimiter, end of frame and interframe space: 13 bits, never stuffed.
    bits = Math.max(bits, total + Math.floor((total - 13 - 1) / 4));
  }
  return Math.ceil((bits * 1_000_000) / bitrate);
}

/** The budget's cost function for a CAN device: a transmit request's bytes are its 16-byte header, its data and the 1-byte result. */
export function canTxCost(bitrate: number, fd: boolean): (bytes: number) => number {
  return (bytes) => canFrameBudgetUs(bitrate, bytes - CAN_MSG_HEADER_SIZE - 1, fd);
}
// #endregion can-frame-cost

// #region can-bound
/** A sender on the bus as the bound sees it: its row of the budget table and its longest frame's charge. */
export interface CanSender {
  readonly limits: BudgetLimits;
  readonly maxFrameUs: number;
}

/**
 * The worst time from a frame being made available to its end on the wire, for a sender whose
 * frames lose arbitration to those of the `higher` senders. CAN does not preempt a frame once
 * it is on the wire, so one frame of a lower-priority node (`blockingUs`, the longest any of
 * them may send) can be in the way; after that the bus serves the frames of the sender and of
 * the higher senders before anything else. Each of those can put at most its burst, one frame
 * of debt and its rate times the window on the bus, so the busy period, and with it the
 * response time, is at most (blocking + Σ (burst + frame)) / (1 − Σ rate). Infinity if a
 * sender has no bus-time budget, or the rates leave no time over.
 */
export function canResponseBoundUs(own: CanSender, higher: readonly CanSender[], blockingUs: number): number {
  let share = 0;
  let work = blockingUs;
  for (const s of [own, ...higher]) {
    const b = s.limits.backendUs;
    if (!b) return Infinity; // a sender without a bus-time budget can keep the bus for ever
    share += b.perSecond;
    work += b.burst + s.maxFrameUs;
  }
  return share < 1_000_000 ? Math.ceil((work * 1_000_000) / (1_000_000 - share)) : Infinity;
}

/** The most bus time (µs per second) the guests on one bus may be given together: half of it. */
export const CAN_GUEST_SHARE_LIMIT = 500_000;

/** Whether a budget table for one bus keeps its guests' bus-time rates within the limit (every row needs one). */
export function canBusShareOk(rows: readonly BudgetLimits[]): boolean {
  let share = 0;
  for (const r of rows) {
    if (!r.backendUs) return false;
    share += r.backendUs.perSecond;
  }
  return share <= CAN_GUEST_SHARE_LIMIT;
}
// #endregion can-bound

// #region can-scenario
export interface CanInterferenceScenario {
  readonly ring?: RingType;
  /** Nominal bit rate of the bus (bit/s); classic frames only. */
  readonly bitrate: number;
  /** Model time simulated, and the step the harness advances the clock by (µs). */
  readonly durationUs: number;
  readonly tickUs: number;
  /**
   * The aggressor keeps its Txq (`txQueueSize` entries) full of transmit requests of `length`
   * bytes on identifier `id`: a request takes two descriptors, so half as many requests.
   */
  readonly aggressor: { readonly id: number; readonly length: number; readonly txQueueSize: number };
  /** The victim sends `length` bytes on `id` every `periodUs` from `firstUs`; each is due `deadlineUs` later. */
  readonly victim: { readonly id: number; readonly length: number; readonly periodUs: number; readonly firstUs: number; readonly deadlineUs: number };
  /** Each guest's row of the bus's budget table; null: that guest has no budget. */
  readonly budgets: { readonly aggressor: BudgetLimits | null; readonly victim: BudgetLimits | null };
}
// #endregion can-scenario

export interface CanGuestCounters {
  /** Transmit requests the driver made available. */
  submitted: number;
  /** Frames the driver could not make available: its Txq was full. */
  lostInDriver: number;
  /** Frames that went on the wire. */
  onWire: number;
  /** Requests the device took from a Txq its budget had held back. */
  throttled: number;
  /** Bus time the budget charged (µs) and the time the guest's frames took on the wire (µs). */
  chargedUs: number;
  wireUs: number;
}

export interface CanInterferenceResult {
  readonly samples: readonly LatencySample[];
  readonly summary: LatencySummary;
  readonly aggressor: CanGuestCounters;
  readonly victim: CanGuestCounters;
  /** Frames the gateway received from the victim. */
  readonly gatewayFromVictim: number;
  /** Share of the run the bus was busy (0..1). */
  readonly busLoad: number;
}

// #region run-can
/** Runs the scenario: the bus, both devices and both drivers, tick by tick in model time. */
export function runCanInterference(s: CanInterferenceScenario): CanInterferenceResult {
  const clock = new ManualClock();
  const bus = new CanBus({ name: 'chassis', bitrate: s.bitrate, autoRun: false });
  const cost = canTxCost(s.bitrate, false);
  const device = (limits: BudgetLimits | null) => new CanDevice({ budget: limits ? { clock, limits, backendCost: cost } : null });
  const aDev = device(s.budgets.aggressor);
  const vDev = device(s.budgets.victim);
  bus.attach(aDev, { name: 'ivi' });
  bus.attach(vDev, { name: 'cluster' });
  const gateway = new CanTap();
  bus.attach(gateway, { name: 'gateway' });
  const aLb = new Loopback(aDev, { ring: s.ring, queueSize: s.aggressor.txQueueSize });
  const vLb = new Loopback(vDev, { ring: s.ring, queueSize: 64 });
  for (const lb of [aLb, vLb]) lb.request(CAN_CONTROLQ, [encodeCanControl(VIRTIO_CAN_SET_CTRL_MODE_START)], [1]);

  const counters = (): CanGuestCounters => ({ submitted: 0, lostInDriver: 0, onWire: 0, throttled: 0, chargedUs: 0, wireUs: 0 });
  const a = counters();
  const v = counters();
  const victimEnds: number[] = []; // ns, in the order the victim's frames left (a node never reorders)
  bus.monitor((r) => {
    const c = r.from === 'ivi' ? a : r.from === 'cluster' ? v : null;
    if (!c) return;
    c.onWire++;
    c.wireUs += (r.end - r.start) / 1000;
    if (c === v) victimEnds.push(r.end);
  });
  const aReq = encodeCanTx(canFrame({ id: s.aggressor.id, data: new Uint8Array(s.aggressor.length).fill(0xaa) }));
  const vReq = encodeCanTx(canFrame({ id: s.victim.id, data: new Uint8Array(s.victim.length).fill(0x55) }));
  const aFull = Math.floor(s.aggressor.txQueueSize / 2); // a request: header and data, then the result byte
  let aInRing = 0; // the aggressor's requests not yet used by its device
  const vSubmitted: number[] = [];
  const lost: number[] = [];
  let nextVictim = s.victim.firstUs;

  for (let t = 0; t <= s.durationUs; t += s.tickUs) {
    // The bus catches up with model time: it starts frames while it is before t, then idles.
    while (bus.time < t * 1000 && bus.step()) { /* one frame per step */ }
    if (bus.time < t * 1000) bus.advance(t * 1000 - bus.time);
    clock.advanceTo(t);
    // Tokens came back: each device takes what its budget held back.
    aDev.budgetTick();
    vDev.budgetTick();
    // The drivers collect used requests; the aggressor refills its Txq to the brim.
    aInRing -= aLb.poll(CAN_TXQ).length;
    vLb.poll(CAN_TXQ);
    while (aInRing < aFull) {
      aLb.submit(CAN_TXQ, [aReq], [1]);
      aInRing++;
      a.submitted++;
    }
    if (t >= nextVictim && t < s.durationUs) {
      // A driver whose Txq is full has nowhere to put the frame: it is lost, a miss.
      if (vLb.queues[CAN_TXQ].numFree() >= 2) {
        vLb.submit(CAN_TXQ, [vReq], [1]);
        vSubmitted.push(t);
        v.submitted++;
      } else {
        v.lostInDriver++;
        lost.push(t);
      }
      nextVictim += s.victim.periodUs;
    }
  }

  const samples: LatencySample[] = [
    ...vSubmitted.map((at, i) => ({ at, latencyUs: i < victimEnds.length ? (victimEnds[i] - at * 1000) / 1000 : null })),
    ...lost.map((at) => ({ at, latencyUs: null })),
  ].sort((x, y) => x.at - y.at);
  for (const [c, dev] of [[a, aDev], [v, vDev]] as const) {
    c.throttled = dev.budget?.stats.throttled ?? 0;
    c.chargedUs = dev.budget?.stats.backendUs ?? 0;
  }
  return {
    samples,
    summary: summarizeLatency(samples, s.victim.deadlineUs, s.durationUs),
    aggressor: a,
    victim: v,
    gatewayFromVictim: gateway.received.filter((r) => r.from === 'cluster').length,
    busLoad: bus.stats.busyNs / bus.time,
  };
}
// #endregion run-can

// #region can-cockpit
/**
 * The chapter's case on a 500 kbit/s body bus: the IVI floods 8-byte frames on identifier 0x010
 * keeping its 256-entry Txq full (128 requests); the cluster sends an 8-byte frame on 0x300 every 10 ms, due
 * within its period. Each frame is charged 320 µs of bus time; the two rows give 35 % of the bus.
 */
export const CAN_COCKPIT_BUDGETS: { readonly aggressor: BudgetLimits; readonly victim: BudgetLimits } = {
  aggressor: {
    requests: { perSecond: 1_000, burst: 8 },
    backendUs: { perSecond: 300_000, burst: 2_000 },
  },
  victim: {
    requests: { perSecond: 200, burst: 2 },
    backendUs: { perSecond: 50_000, burst: 640 },
  },
};

export function canCockpitScenario(budgets: boolean, ring: RingType = 'split'): CanInterferenceScenario {
  return {
    ring,
    bitrate: 500_000,
    durationUs: 1_000_000,
    tickUs: 10,
    aggressor: { id: 0x010, length: 8, txQueueSize: 256 },
    victim: { id: 0x300, length: 8, periodUs: 10_000, firstUs: 0, deadlineUs: 10_000 },
    budgets: budgets ? CAN_COCKPIT_BUDGETS : { aggressor: null, victim: null },
  };
}
// #endregion can-cockpit
