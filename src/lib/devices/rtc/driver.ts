// The guest side of an RTC device over the in-process Loopback: what a guest's virtio_rtc
// driver does, reduced to a few calls. raw() offers any buffer shape at all, for the malformed
// requests a good driver never sends.
import type { Loopback } from '../../virtio/loopback.ts';
import * as P from './protocol.ts';

export interface RtcResponse {
  readonly status: number;
  /** Used length. */
  readonly len: number;
  readonly data: Uint8Array;
}

export class RtcDriver {
  readonly lb: Loopback;

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  /** One request of `msgType` with a response buffer of exactly the response's size. */
  send(msgType: number, fields: Parameters<typeof P.encodeRequest>[1] = {}): RtcResponse {
    const size = P.RTC_MESSAGE_SIZES.get(msgType)?.resp ?? P.RTC_HEAD_SIZE;
    return this.raw([P.encodeRequest(msgType, fields)], [size]);
  }

  raw(out: readonly Uint8Array[], inLens: readonly number[]): RtcResponse {
    const c = this.lb.request(P.RTC_REQUESTQ, out, inLens);
    return { status: c.len > 0 ? c.data[0] : -1, len: c.len, data: c.data };
  }

  numClocks(): number {
    const r = this.send(P.VIRTIO_RTC_REQ_CFG);
    return new DataView(r.data.buffer, r.data.byteOffset).getUint16(8, true);
  }

  clockType(clockId: number): number {
    return this.send(P.VIRTIO_RTC_REQ_CLOCK_CAP, { clockId }).data[8];
  }

  // #region driver-read
  /** A clock reading in nanoseconds, or the status that refused it. */
  read(clockId: number): bigint | { status: number } {
    const r = this.send(P.VIRTIO_RTC_REQ_READ, { clockId });
    if (r.status !== P.VIRTIO_RTC_S_OK) return { status: r.status };
    return new DataView(r.data.buffer, r.data.byteOffset).getBigUint64(8, true);
  }

  /** A cross-timestamp: the reading and the counter value at the same instant. */
  readCross(clockId: number, hwCounter: number): { reading: bigint; cycles: bigint } | { status: number } {
    const r = this.send(P.VIRTIO_RTC_REQ_READ_CROSS, { clockId, hwCounter });
    if (r.status !== P.VIRTIO_RTC_S_OK) return { status: r.status };
    const v = new DataView(r.data.buffer, r.data.byteOffset);
    return { reading: v.getBigUint64(8, true), cycles: v.getBigUint64(16, true) };
  }
  // #endregion driver-read

  /** Offers `count` alarmq buffers. */
  postAlarmBuffers(count: number, size = P.RTC_NOTIF_ALARM_SIZE): void {
    for (let i = 0; i < count; i++) this.lb.submit(P.RTC_ALARMQ, [], [size]);
  }

  /** Clock IDs of the alarm notifications received since the last call (-1: unused buffer). */
  alarms(): number[] {
    return this.lb.poll(P.RTC_ALARMQ).map((c) => (c.len >= P.RTC_NOTIF_ALARM_SIZE ? new DataView(c.data.buffer, c.data.byteOffset).getUint16(8, true) : -1));
  }
}

// #region extrapolate
/** What a guest computes from a cross-timestamp and a later counter read: the clock now. */
export function extrapolate(cross: { reading: bigint; cycles: bigint }, cyclesNow: bigint, hz: bigint): bigint {
  return cross.reading + ((cyclesNow - cross.cycles) * 1_000_000_000n) / hz;
}
// #endregion extrapolate
