// The guest side of an SCMI device over the in-process Loopback: what Linux's SCMI core and its
// virtio transport (drivers/firmware/arm_scmi/transports/virtio.c) do, reduced to a few calls.
// Like Linux it sends each command as one device-readable buffer (header and parameters) and one
// device-writable buffer of 8 + 128 bytes, posts eventq buffers of the same size, numbers its
// commands with the 10-bit token and matches every response by its header. raw() offers any
// buffer shape, for the malformed commands a good driver never sends.
import type { Completion, Loopback } from '../../virtio/loopback.ts';
import {
  MSG_TYPE_COMMAND,
  packHeader,
  SCMI_CMDQ,
  SCMI_EVENTQ,
  SCMI_HEADER_AND_STATUS,
  SCMI_NOT_SUPPORTED,
  SCMI_SUCCESS,
  SCMI_TOKEN_MAX,
  type ScmiHeader,
  unpackHeader,
} from './header.ts';
import * as M from './messages.ts';
import { readAsciiName, SCMI_TIMESTAMP_EXP } from './sensor-table.ts';

/** Linux's virtio transport: 128 bytes of payload (VIRTIO_SCMI_MAX_MSG_SIZE) plus header and status. */
export const LINUX_SCMI_MAX_MSG_SIZE = 128;
export const LINUX_SCMI_BUFFER_SIZE = LINUX_SCMI_MAX_MSG_SIZE + SCMI_HEADER_AND_STATUS;

export interface ScmiResult {
  readonly status: number;
  /** The response's header as the device wrote it (-1 if it wrote fewer than 4 bytes). */
  readonly header: number;
  /** Return values after the status. */
  readonly ret: DataView;
  /** Used length. */
  readonly len: number;
}

/** A message from the eventq. */
export interface P2aEvent {
  readonly header: ScmiHeader;
  readonly payload: DataView;
  readonly len: number;
}

export interface SensorInfo {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly scale: number;
  readonly axes: number;
  readonly tripPoints: number;
  readonly async: boolean;
  readonly updates: boolean;
  readonly timestamped: boolean;
  readonly timestampExp: number;
}

export interface Reading {
  readonly value: bigint;
  /** Microseconds of model time (timestamp exponent -6); 0 when timestamps are off. */
  readonly timestamp: bigint;
}

export class ScmiAgent {
  readonly lb: Loopback;
  /** Bytes of device-writable room given with each command; default Linux's 136. */
  readonly room: number;
  private token = 0;
  /** Whether the eventq exists: VIRTIO_SCMI_F_P2A_CHANNELS was negotiated. */
  readonly p2a: boolean;

  constructor(lb: Loopback, opts: { room?: number } = {}) {
    this.lb = lb;
    this.room = opts.room ?? LINUX_SCMI_BUFFER_SIZE;
    this.p2a = lb.queues.length > SCMI_EVENTQ;
  }

  // #region command
  /** One command with a fresh token; the response's header must be the command's. */
  command(protocolId: number, messageId: number, params: Uint8Array = new Uint8Array(0)): ScmiResult {
    const token = this.token;
    this.token = (this.token + 1) & SCMI_TOKEN_MAX;
    const header = packHeader({ messageId, type: MSG_TYPE_COMMAND, protocolId, token });
    const msg = new Uint8Array(4 + params.length);
    new DataView(msg.buffer).setUint32(0, header, true);
    msg.set(params, 4);
    const r = this.raw([msg], [this.room]);
    if (r.header !== -1 && r.header !== header) throw new Error(`SCMI: response header 0x${r.header.toString(16)} for command 0x${header.toString(16)}`);
    return r;
  }
  // #endregion command

  raw(out: readonly Uint8Array[], inLens: readonly number[]): ScmiResult {
    return result(this.lb.request(SCMI_CMDQ, out, inLens));
  }

  // #region events
  /** Posts `count` eventq buffers, device-writable only, each big enough for any P2A message of this device. */
  postEventBuffers(count: number, size = LINUX_SCMI_BUFFER_SIZE): void {
    if (!this.p2a) throw new Error('SCMI: no eventq without VIRTIO_SCMI_F_P2A_CHANNELS');
    for (let i = 0; i < count; i++) this.lb.submit(SCMI_EVENTQ, [], [size]);
  }

  /** The P2A messages received since the last call; with `repost`, each buffer is offered again, as Linux does. */
  events(repost = true): P2aEvent[] {
    if (!this.p2a) return [];
    const got = this.lb.poll(SCMI_EVENTQ);
    const out = got
      .filter((c) => c.len >= 4)
      .map((c) => ({ header: unpackHeader(new DataView(c.data.buffer, c.data.byteOffset).getUint32(0, true)), payload: new DataView(c.data.buffer, c.data.byteOffset + 4, c.len - 4), len: c.len }));
    if (repost && got.length > 0) this.postEventBuffers(got.length);
    return out;
  }
  // #endregion events

  // ---- base protocol ----

  version(protocolId: number): number {
    return this.ok(this.command(protocolId, M.PROTOCOL_VERSION)).getUint32(0, true);
  }

  /** BASE_DISCOVER_LIST_PROTOCOLS, asked again with a larger skip until every protocol is listed. */
  listProtocols(): number[] {
    const total = this.ok(this.command(M.SCMI_PROTOCOL_BASE, M.PROTOCOL_ATTRIBUTES)).getUint32(0, true) & 0xff;
    const out: number[] = [];
    while (out.length < total) {
      const v = this.ok(this.command(M.SCMI_PROTOCOL_BASE, M.BASE_DISCOVER_LIST_PROTOCOLS, u32(out.length)));
      const n = v.getUint32(0, true);
      if (n === 0) break;
      for (let i = 0; i < n; i++) out.push(v.getUint8(4 + i));
    }
    return out;
  }

  vendor(): string {
    return name(this.ok(this.command(M.SCMI_PROTOCOL_BASE, M.BASE_DISCOVER_VENDOR)), 0);
  }

  /** BASE_DISCOVER_AGENT: the agent's own ID and name with 0xFFFFFFFF. */
  agentInfo(agentId = M.BASE_AGENT_ID_SELF): { id: number; name: string } | { status: number } {
    const r = this.command(M.SCMI_PROTOCOL_BASE, M.BASE_DISCOVER_AGENT, u32(agentId));
    if (r.status !== SCMI_SUCCESS) return { status: r.status };
    return { id: r.ret.getUint32(0, true), name: name(r.ret, 4) };
  }

  // ---- sensor protocol ----

  sensorAttributes(): { sensors: number; maxPending: number; shmemLength: number } {
    const v = this.ok(this.command(M.SCMI_PROTOCOL_SENSOR, M.PROTOCOL_ATTRIBUTES));
    const a = v.getUint32(0, true);
    return { sensors: a & 0xffff, maxPending: (a >>> 16) & 0xff, shmemLength: v.getUint32(12, true) };
  }

  // #region describe
  /** Every sensor descriptor, asked for from index 0 on until none remain, as Linux's sensor driver does. */
  describeSensors(): SensorInfo[] {
    const out: SensorInfo[] = [];
    for (;;) {
      const v = this.ok(this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_DESCRIPTION_GET, u32(out.length)));
      const flags = v.getUint32(0, true);
      const n = flags & 0xfff;
      for (let i = 0; i < n; i++) out.push(decodeSensorDescriptor(new DataView(v.buffer, v.byteOffset + 4 + i * M.SENSOR_DESCRIPTOR_SIZE, M.SENSOR_DESCRIPTOR_SIZE)));
      if (n === 0 || flags >>> 16 === 0) return out;
    }
  }
  // #endregion describe

  axisNames(sensorId: number): string[] {
    const out: string[] = [];
    for (;;) {
      const v = this.ok(this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_AXIS_DESCRIPTION_GET, u32(sensorId, out.length)));
      const flags = v.getUint32(0, true);
      const n = flags & 0x3f;
      for (let i = 0; i < n; i++) out.push(name(v, 4 + i * M.AXIS_DESCRIPTOR_SIZE + 12));
      if (n === 0 || flags >>> 26 === 0) return out;
    }
  }

  /** The sensor's update intervals in µs. */
  intervalsUs(sensorId: number): number[] {
    const out: number[] = [];
    for (;;) {
      const v = this.ok(this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_LIST_UPDATE_INTERVALS, u32(sensorId, out.length)));
      const flags = v.getUint32(0, true);
      const n = flags & 0xfff;
      for (let i = 0; i < n; i++) {
        const { secs, exp } = M.decodeIntervalEntry(v.getUint32(4 + 4 * i, true));
        out.push(Number(M.intervalFemto(secs, exp) / 10n ** 10n));
      }
      if (n === 0 || flags >>> 16 === 0) return out;
    }
  }

  // #region read
  /** A synchronous read: one reading per axis, or the status that refused it. */
  read(sensorId: number): Reading[] | { status: number } {
    const r = this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_READING_GET, u32(sensorId, 0));
    if (r.status !== SCMI_SUCCESS) return { status: r.status };
    return decodeReadings(r.ret, 0, (r.len - SCMI_HEADER_AND_STATUS) / M.SENSOR_READING_SIZE);
  }
  // #endregion read

  /** An asynchronous read: the token to find the delayed response by, or the status that refused it. */
  readAsync(sensorId: number): { token: number } | { status: number } {
    const token = this.token;
    const r = this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_READING_GET, u32(sensorId, M.SENSOR_READ_ASYNC));
    return r.status === SCMI_SUCCESS ? { token } : { status: r.status };
  }

  configGet(sensorId: number): number | { status: number } {
    const r = this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_CONFIG_GET, u32(sensorId));
    return r.status === SCMI_SUCCESS ? r.ret.getUint32(0, true) : { status: r.status };
  }

  configSet(sensorId: number, config: number): number {
    return this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_CONFIG_SET, u32(sensorId, config)).status;
  }

  // #region subscribe
  /**
   * Requests for notifications. A driver that did not negotiate VIRTIO_SCMI_F_P2A_CHANNELS does
   * not send them at all (§5.17.6.1.2): it answers itself NOT_SUPPORTED.
   */
  tripPointNotify(sensorId: number, enable: boolean): number {
    if (!this.p2a) return SCMI_NOT_SUPPORTED;
    return this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_TRIP_POINT_NOTIFY, u32(sensorId, enable ? M.SENSOR_NOTIFY_ENABLE : 0)).status;
  }

  tripPointConfig(sensorId: number, tripId: number, ev: number, value: bigint): number {
    if (!this.p2a) return SCMI_NOT_SUPPORTED;
    const p = u32(sensorId, (tripId << M.TRIP_POINT_ID_SHIFT) | ev, 0, 0);
    new DataView(p.buffer).setBigInt64(8, value, true);
    return this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_TRIP_POINT_CONFIG, p).status;
  }

  continuousUpdates(sensorId: number, enable: boolean): number {
    if (!this.p2a) return SCMI_NOT_SUPPORTED;
    return this.command(M.SCMI_PROTOCOL_SENSOR, M.SENSOR_CONTINUOUS_UPDATE_NOTIFY, u32(sensorId, enable ? M.SENSOR_NOTIFY_ENABLE : 0)).status;
  }
  // #endregion subscribe

  private ok(r: ScmiResult): DataView {
    if (r.status !== SCMI_SUCCESS) throw new Error(`SCMI: status ${r.status}`);
    return r.ret;
  }
}

// #region fresh
/**
 * What a guest does before it uses a reading for anything that matters: its age from the
 * timestamp (µs, exponent -6) against its own bound. A reading without a timestamp has no age
 * the guest can know, and is never fresh.
 */
export function readingAgeUs(r: Reading, nowUs: number): number | null {
  return r.timestamp === 0n ? null : nowUs - Number(r.timestamp);
}

export function isFresh(r: Reading, nowUs: number, boundUs: number): boolean {
  const age = readingAgeUs(r, nowUs);
  return age !== null && age >= 0 && age <= boundUs;
}
// #endregion fresh

export function u32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  return b;
}

function name(v: DataView, at: number): string {
  return readAsciiName(new Uint8Array(v.buffer, v.byteOffset + at, M.SCMI_SHORT_NAME_SIZE));
}

function result(c: Completion): ScmiResult {
  const v = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  return {
    status: c.len >= SCMI_HEADER_AND_STATUS ? v.getInt32(4, true) : -1,
    header: c.len >= 4 ? v.getUint32(0, true) : -1,
    ret: new DataView(c.data.buffer, c.data.byteOffset + Math.min(c.len, SCMI_HEADER_AND_STATUS), Math.max(0, c.len - SCMI_HEADER_AND_STATUS)),
    len: c.len,
  };
}

export function decodeSensorDescriptor(v: DataView): SensorInfo {
  const low = v.getUint32(4, true);
  const high = v.getUint32(8, true);
  return {
    id: v.getUint32(0, true),
    name: name(v, 12),
    type: high & M.SENSOR_TYPE_MASK,
    scale: M.signed5(high >>> M.SENSOR_SCALE_SHIFT),
    axes: high & M.SENSOR_ATTR_HAS_AXES ? (high >>> M.SENSOR_NUM_AXES_SHIFT) & 0x3f : 0,
    tripPoints: low & M.SENSOR_NUM_TRIP_POINTS_MASK,
    async: (low & M.SENSOR_ATTR_ASYNC_READ) !== 0,
    updates: (low & M.SENSOR_ATTR_CONTINUOUS_UPDATE) !== 0,
    timestamped: (low & M.SENSOR_ATTR_TIMESTAMP) !== 0,
    timestampExp: low & M.SENSOR_ATTR_TIMESTAMP ? M.signed5(low >>> M.SENSOR_TIMESTAMP_EXP_SHIFT) : SCMI_TIMESTAMP_EXP,
  };
}

export function decodeReadings(v: DataView, at: number, count: number): Reading[] {
  return Array.from({ length: count }, (_, i) => ({ value: v.getBigInt64(at + i * M.SENSOR_READING_SIZE, true), timestamp: v.getBigUint64(at + i * M.SENSOR_READING_SIZE + 8, true) }));
}
