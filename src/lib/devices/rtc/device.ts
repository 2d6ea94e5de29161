// The RTC device, VIRTIO 1.4 §5.23 (device ID 17): read-only clocks a guest reads through the
// requestq (queue 0), with cross-timestamps against the guest's own hardware counter and, when
// VIRTIO_RTC_F_ALARM is negotiated, alarms reported on the alarmq (queue 1). The clocks are
// driven by model time (timebase.ts): the TAI and UTC clocks by the host's gPTP-disciplined
// clock, the monotonic clock by the timebase itself. Nothing the driver sends is trusted: a
// malformed request gets a status, and only a broken ring puts the device into
// DEVICE_NEEDS_RESET.
import { type DescriptorChain, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import * as P from './protocol.ts';
import type { GuestCounter, HostTaiClock, Timebase } from './timebase.ts';

/** TAI − UTC since 1 January 2017. */
export const DEFAULT_TAI_UTC_OFFSET_S = 37;
/** The AVP's default bound on a guest's TAI error against the gPTP time: 1 µs. */
export const DEFAULT_TAI_BOUND_NS = 1_000n;

export interface RtcClockSpec {
  /** VIRTIO_RTC_CLOCK_UTC, _TAI or _MONOTONIC (the model does not smear leap seconds). */
  readonly type: number;
  /** The clock supports an alarm (only if VIRTIO_RTC_F_ALARM is negotiated). */
  readonly alarm?: boolean;
}

export interface RtcDeviceOptions {
  readonly timebase: Timebase;
  /** The host's gPTP-disciplined TAI clock: the source of the TAI and UTC clocks. */
  readonly host: HostTaiClock;
  /** Default: the AVP set, TAI (0), UTC (1), monotonic (2); the monotonic one with an alarm. */
  readonly clocks?: readonly RtcClockSpec[];
  /** The guest counters the device can cross-timestamp against. */
  readonly counters?: readonly GuestCounter[];
  /** Offer VIRTIO_RTC_F_ALARM; default true. */
  readonly alarm?: boolean;
  /** The platform's documented bound on the host clock's error; reads of TAI and UTC fail past it. */
  readonly boundNs?: bigint;
  readonly taiUtcOffsetS?: number;
}

export const AVP_DEFAULT_CLOCKS: readonly RtcClockSpec[] = [{ type: P.VIRTIO_RTC_CLOCK_TAI }, { type: P.VIRTIO_RTC_CLOCK_UTC }, { type: P.VIRTIO_RTC_CLOCK_MONOTONIC, alarm: true }];

interface AlarmState {
  time: bigint;
  enabled: boolean;
  /** An expiration the device is serving: one notification still to send. */
  pending: boolean;
  /** The clock's reading when alarms were last checked (null: not readable then). */
  last: bigint | null;
}

export interface RtcStats {
  readonly byStatus: Map<number, number>;
  notificationsSent: number;
  /** alarmq buffers handed back unused because they could not hold a notification. */
  badAlarmBuffers: number;
}

export class RtcDevice extends VirtioDevice {
  readonly deviceId = P.VIRTIO_ID_RTC;
  readonly name = 'virtio-rtc';
  readonly timebase: Timebase;
  readonly host: HostTaiClock;
  readonly clocks: readonly RtcClockSpec[];
  readonly counters: readonly GuestCounter[];
  readonly boundNs: bigint;
  readonly stats: RtcStats = { byStatus: new Map(), notificationsSent: 0, badAlarmBuffers: 0 };
  private readonly offersAlarm: boolean;
  private readonly taiUtcNs: bigint;
  private alarms: AlarmState[] = [];
  private alarmNegotiated = false;

  constructor(opts: RtcDeviceOptions) {
    super(0); // §5.23.4: no device configuration
    this.timebase = opts.timebase;
    this.host = opts.host;
    this.clocks = opts.clocks ?? AVP_DEFAULT_CLOCKS;
    this.counters = opts.counters ?? [];
    this.offersAlarm = opts.alarm ?? true;
    this.boundNs = opts.boundNs ?? DEFAULT_TAI_BOUND_NS;
    this.taiUtcNs = BigInt(opts.taiUtcOffsetS ?? DEFAULT_TAI_UTC_OFFSET_S) * 1_000_000_000n;
    if (this.clocks.length > 0xffff) throw new RangeError('clocks: at most 65535');
    for (const c of this.clocks) {
      if (c.type !== P.VIRTIO_RTC_CLOCK_UTC && c.type !== P.VIRTIO_RTC_CLOCK_TAI && c.type !== P.VIRTIO_RTC_CLOCK_MONOTONIC) throw new RangeError(`clock type ${c.type} is not modelled`);
    }
    this.resetAlarms();
    this.timebase.onAdvance(() => this.checkAlarms());
  }

  protected deviceFeatures(): Features {
    return this.offersAlarm ? bit(P.VIRTIO_RTC_F_ALARM) : 0n;
  }

  queueCount(features: Features): number {
    return hasFeature(features, P.VIRTIO_RTC_F_ALARM) ? 2 : 1; // §5.23.2: the alarmq only with VIRTIO_RTC_F_ALARM
  }

  protected onActivate(env: DeviceEnv): void {
    this.alarmNegotiated = hasFeature(env.features, P.VIRTIO_RTC_F_ALARM);
  }

  protected onReset(): void {
    this.alarmNegotiated = false;
    this.resetAlarms(); // the AVP does not retain alarms across a reset
  }

  private resetAlarms(): void {
    this.alarms = this.clocks.map(() => ({ time: 0n, enabled: false, pending: false, last: null }));
  }

  // #region clock-read
  /** Clock `id` now, in nanoseconds; null when the device cannot vouch for it (EIO). */
  reading(id: number): bigint | null {
    const c = this.clocks[id];
    if (c.type === P.VIRTIO_RTC_CLOCK_MONOTONIC) return this.timebase.ns;
    // TAI and UTC come from the host's gPTP-disciplined clock, and only while its error is
    // known to be within the platform's bound: a guest never gets network time the host
    // cannot stand behind.
    const err = this.host.errorBoundNs;
    if (err === null || err > this.boundNs) return null;
    const tai = this.host.ns;
    return c.type === P.VIRTIO_RTC_CLOCK_TAI ? tai : tai - this.taiUtcNs;
  }
  // #endregion clock-read

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === P.RTC_REQUESTQ) this.drain(P.RTC_REQUESTQ, (chain) => this.serve(chain));
    else if (index === P.RTC_ALARMQ) this.deliverAlarms();
  }

  // #region serve
  private serve(chain: DescriptorChain): number {
    const mem = this.env.mem;
    const req = readChain(mem, chain);
    const room = totalLength(writableBuffers(chain));
    const w = new ChainWriter(mem, chain);
    const fail = (status: number): number => {
      this.count(status);
      // An error response is the 8-byte head alone, or as much of it as fits; with no room
      // for the status byte the device writes nothing (§5.23.6.2).
      const head = new Uint8Array(P.RTC_HEAD_SIZE);
      head[0] = status;
      return w.write(head.subarray(0, Math.min(room, P.RTC_HEAD_SIZE)));
    };
    if (req.length < P.RTC_HEAD_SIZE) return fail(P.VIRTIO_RTC_S_EINVAL);
    const rv = new DataView(req.buffer, req.byteOffset, req.byteLength);
    const msgType = rv.getUint16(0, true);
    const size = P.RTC_MESSAGE_SIZES.get(msgType);
    if (!size) return fail(P.VIRTIO_RTC_S_EOPNOTSUPP);
    if (req.length < size.req || room < size.resp) return fail(P.VIRTIO_RTC_S_EINVAL);
    for (const [from, to] of P.reservedRanges(msgType)) for (let i = from; i < to; i++) if (req[i] !== 0) return fail(P.VIRTIO_RTC_S_EINVAL);
    if (size.alarm && !this.alarmNegotiated) return fail(P.VIRTIO_RTC_S_ENODEV);
    const resp = new Uint8Array(size.resp);
    const out = new DataView(resp.buffer);
    if (msgType === P.VIRTIO_RTC_REQ_CFG) {
      out.setUint16(8, this.clocks.length, true);
      return this.ok(w, resp);
    }
    const id = rv.getUint16(P.clockIdOffset(msgType), true);
    if (id >= this.clocks.length) return fail(P.VIRTIO_RTC_S_ENODEV);
    const clock = this.clocks[id];
    switch (msgType) {
      case P.VIRTIO_RTC_REQ_CLOCK_CAP:
        resp[8] = clock.type;
        resp[9] = P.VIRTIO_RTC_SMEAR_UNSPECIFIED;
        resp[10] = this.alarmNegotiated && clock.alarm ? P.VIRTIO_RTC_FLAG_ALARM_CAP : 0;
        return this.ok(w, resp);
      case P.VIRTIO_RTC_REQ_CROSS_CAP:
      case P.VIRTIO_RTC_REQ_READ_CROSS: {
        const hw = req[10];
        const counter = this.counters.find((c) => c.id === hw);
        const bad = counterError(hw, counter !== undefined);
        if (bad !== null) return fail(bad);
        if (msgType === P.VIRTIO_RTC_REQ_CROSS_CAP) {
          resp[8] = counter ? P.VIRTIO_RTC_FLAG_CROSS_CAP : 0;
          return this.ok(w, resp);
        }
        if (!counter) return fail(P.VIRTIO_RTC_S_EOPNOTSUPP);
        const r = this.reading(id);
        if (r === null) return fail(P.VIRTIO_RTC_S_EIO);
        // The clock and the counter are read at the same model instant.
        out.setBigUint64(8, BigInt.asUintN(64, r), true);
        out.setBigUint64(16, BigInt.asUintN(64, counter.cycles), true);
        return this.ok(w, resp);
      }
      case P.VIRTIO_RTC_REQ_READ: {
        const r = this.reading(id);
        if (r === null) return fail(P.VIRTIO_RTC_S_EIO);
        out.setBigUint64(8, BigInt.asUintN(64, r), true);
        return this.ok(w, resp);
      }
      default:
        return this.serveAlarm(msgType, id, rv, resp, w, fail);
    }
  }
  // #endregion serve

  private ok(w: ChainWriter, resp: Uint8Array): number {
    this.count(P.VIRTIO_RTC_S_OK);
    return w.write(resp);
  }

  private count(status: number): void {
    this.stats.byStatus.set(status, (this.stats.byStatus.get(status) ?? 0) + 1);
  }

  // #region alarm
  private serveAlarm(msgType: number, id: number, rv: DataView, resp: Uint8Array, w: ChainWriter, fail: (s: number) => number): number {
    if (!this.clocks[id].alarm) return fail(P.VIRTIO_RTC_S_ENODEV);
    const a = this.alarms[id];
    if (msgType === P.VIRTIO_RTC_REQ_READ_ALARM) {
      new DataView(resp.buffer).setBigUint64(8, a.time, true);
      resp[16] = a.enabled ? P.VIRTIO_RTC_FLAG_ALARM_ENABLED : 0;
      return this.ok(w, resp);
    }
    const flags = rv.getUint8(msgType === P.VIRTIO_RTC_REQ_SET_ALARM ? 18 : 10);
    if ((flags & ~P.VIRTIO_RTC_FLAG_ALARM_ENABLED) !== 0) return fail(P.VIRTIO_RTC_S_EINVAL);
    if (msgType === P.VIRTIO_RTC_REQ_SET_ALARM) a.time = rv.getBigUint64(8, true);
    a.enabled = flags !== 0;
    // Setting or disabling makes an expiration being served obsolete; the AVP drops it before
    // the response is used, so a disabled alarm never notifies afterwards.
    a.pending = false;
    const now = this.reading(id);
    if (a.enabled && now !== null && now >= a.time) a.pending = true; // already reached: expires at once
    a.last = now;
    const n = this.ok(w, resp);
    if (a.pending) this.deliverAlarms();
    return n;
  }

  /** After model time moved: an enabled alarm whose clock went from before its time to at or after it expires. */
  private checkAlarms(): void {
    let any = false;
    this.alarms.forEach((a, id) => {
      if (!this.clocks[id].alarm) return;
      const now = this.reading(id);
      if (a.enabled && now !== null && a.last !== null && a.last < a.time && now >= a.time) {
        a.pending = true;
        any = true;
      }
      if (now !== null) a.last = now;
    });
    if (any && this.active) this.deliverAlarms();
  }

  /** One VIRTIO_RTC_NOTIF_ALARM per expiration being served, as alarmq buffers allow. */
  private deliverAlarms(): void {
    const q = this.queue(P.RTC_ALARMQ);
    if (!q || !this.alarmNegotiated) return;
    let pushed = false;
    for (const [id, a] of this.alarms.entries()) {
      while (a.pending) {
        const r = q.pop();
        if (r.kind === 'empty') break;
        if (r.kind === 'error') {
          this.env.needsReset(r.error);
          return;
        }
        pushed = true;
        if (totalLength(writableBuffers(r.chain)) < P.RTC_NOTIF_ALARM_SIZE || r.chain.buffers.some((b) => !b.writable)) {
          this.stats.badAlarmBuffers++;
          q.push(r.chain, 0);
          continue;
        }
        const n = new Uint8Array(P.RTC_NOTIF_ALARM_SIZE);
        const v = new DataView(n.buffer);
        v.setUint16(0, P.VIRTIO_RTC_NOTIF_ALARM, true);
        v.setUint16(8, id, true);
        const w = new ChainWriter(this.env.mem, r.chain);
        q.push(r.chain, w.write(n));
        a.pending = false;
        this.stats.notificationsSent++;
      }
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(P.RTC_ALARMQ);
  }
  // #endregion alarm
}

// #region counter-check
/**
 * The status a hw_counter value gets before anything else, or null. VIRTIO_RTC_COUNTER_INVALID
 * is described by §5.23.6.3.3 but is never a counter: EINVAL. A value neither described nor
 * known to this device (`known`: one of its counters): EOPNOTSUPP. A described counter the
 * device cannot cross-timestamp is not an error for CROSS_CAP, whose flag says no.
 */
export function counterError(hw: number, known: boolean): number | null {
  if (hw === P.VIRTIO_RTC_COUNTER_INVALID) return P.VIRTIO_RTC_S_EINVAL;
  const described = hw === P.VIRTIO_RTC_COUNTER_ARM_VCT || hw === P.VIRTIO_RTC_COUNTER_X86_TSC;
  return described || known ? null : P.VIRTIO_RTC_S_EOPNOTSUPP;
}
// #endregion counter-check
