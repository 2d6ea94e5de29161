// One agent's state on the platform, as long as its device is not reset: the trip points it set,
// the notifications it asked for, and its asynchronous reads. All of it belongs to this agent
// alone (a guest's trip point never fires in another guest), and all of it goes at a device
// reset; the sensors' shared configuration stays with the platform.
import { MSG_TYPE_DELAYED_RESPONSE, MSG_TYPE_NOTIFICATION, packHeader, SCMI_HARDWARE_ERROR, SCMI_PROTOCOL_ERROR, SCMI_SUCCESS, unpackHeader } from './header.ts';
import * as M from './messages.ts';
import type { AgentView, PlatformListener, Sample, ScmiPlatform, SensorState } from './platform.ts';

/** A P2A message ready for the eventq. A delayed response is never dropped; a notification may be. */
export interface P2aMessage {
  readonly kind: 'notification' | 'delayed-response';
  readonly bytes: Uint8Array;
}

interface TripPoint {
  /** TRIP_POINT_POSITIVE, _NEGATIVE or _BOTH. */
  readonly ev: number;
  readonly value: bigint;
}

interface PendingRead {
  /** The command's header: the delayed response carries it back, as a delayed response. */
  readonly header: number;
  /** The sensor's ID in this agent's view. */
  readonly sensorId: number;
  readonly state: SensorState;
  readonly requestedAtUs: number;
}

// #region readings
/** Readings as SCMI lays them out: per axis the value (signed 64-bit) and the timestamp, low word first. */
export function encodeReadings(sample: Sample, timestamps: boolean): Uint8Array {
  const b = new Uint8Array(sample.values.length * M.SENSOR_READING_SIZE);
  const v = new DataView(b.buffer);
  sample.values.forEach((value, i) => {
    v.setBigInt64(i * M.SENSOR_READING_SIZE, BigInt(value), true);
    // Without timestamp reporting the timestamp is 0, which no real sample carries.
    v.setBigUint64(i * M.SENSOR_READING_SIZE + 8, timestamps ? BigInt(sample.measuredAtUs) : 0n, true);
  });
  return b;
}
// #endregion readings

export class AgentSession implements PlatformListener {
  readonly platform: ScmiPlatform;
  readonly agent: AgentView;
  /** Sensors (IDs in this view) with trip point notifications enabled. */
  readonly tripNotify = new Set<number>();
  readonly tripPoints = new Map<number, Map<number, TripPoint>>();
  /** Sensors (IDs in this view) with continuous update notifications enabled. */
  readonly updates = new Set<number>();
  private pending: PendingRead[] = [];
  /** Delayed responses made but not yet on the eventq: they still count against the agent's limit. */
  undelivered = 0;
  /** Where messages for the eventq go (the device). */
  private readonly emit: (m: P2aMessage) => void;

  constructor(platform: ScmiPlatform, agent: AgentView, emit: (m: P2aMessage) => void) {
    this.platform = platform;
    this.agent = agent;
    this.emit = emit;
    platform.listen(this);
  }

  /** A device reset: the agent's subscriptions, trip points and reads in flight go. */
  clear(): void {
    this.platform.resetAgent(this.agent.id);
    this.tripNotify.clear();
    this.tripPoints.clear();
    this.updates.clear();
    this.pending = [];
    this.undelivered = 0;
  }

  get outstanding(): number {
    return this.pending.length + this.undelivered;
  }

  setTripPoint(sensorId: number, tripId: number, ev: number, value: bigint): void {
    let m = this.tripPoints.get(sensorId);
    if (!m) this.tripPoints.set(sensorId, (m = new Map()));
    if (ev === M.TRIP_POINT_DISABLED) m.delete(tripId);
    else m.set(tripId, { ev, value });
  }

  startAsyncRead(header: number, sensorId: number, state: SensorState): void {
    this.pending.push({ header, sensorId, state, requestedAtUs: this.platform.clock.now });
  }

  private viewId(state: SensorState): number {
    return this.agent.sensors.findIndex((s) => s.state === state);
  }

  // #region on-sample
  onSample(state: SensorState, sample: Sample, prev: Sample | null, arrivalUs: number): void {
    const id = this.viewId(state);
    if (id < 0) return; // not in this guest's view: it hears nothing of it
    // Trip points: a crossing between the previous sample and this one, in a direction asked for.
    if (this.tripNotify.has(id) && prev) {
      const now = BigInt(sample.values[0]);
      const before = BigInt(prev.values[0]);
      for (const [tripId, tp] of this.tripPoints.get(id) ?? []) {
        const up = before < tp.value && now >= tp.value;
        const down = before > tp.value && now <= tp.value;
        if ((up && tp.ev & M.TRIP_POINT_POSITIVE) || (down && tp.ev & M.TRIP_POINT_NEGATIVE)) this.notifyTrip(id, tripId, up);
      }
    }
    if (this.updates.has(id)) {
      const readings = encodeReadings(sample, state.view(this.agent.id).timestamps);
      const b = this.message(MSG_TYPE_NOTIFICATION, M.SENSOR_UPDATE, 0, 8 + readings.length);
      const v = new DataView(b.buffer);
      v.setUint32(4, 0, true); // agent_id: the platform caused it
      v.setUint32(8, id, true);
      b.set(readings, 12);
      this.emit({ kind: 'notification', bytes: b });
    }
    // Asynchronous reads of this sensor complete with the first sample to arrive after the request.
    const done = this.pending.filter((p) => p.state === state && arrivalUs >= p.requestedAtUs);
    for (const p of done) this.complete(p, SCMI_SUCCESS, sample);
  }
  // #endregion on-sample

  onTick(nowUs: number): void {
    // A read that no sample answers within the sensor's maximum age fails, as a synchronous read of
    // a stale sensor would; one of a sensor the agent switched off meanwhile fails as a read of it would.
    for (const p of [...this.pending]) {
      if (!p.state.view(this.agent.id).enabled) this.complete(p, SCMI_PROTOCOL_ERROR, null);
      else if (nowUs - p.requestedAtUs > p.state.maxAgeUs) this.complete(p, SCMI_HARDWARE_ERROR, null);
    }
  }

  private notifyTrip(sensorId: number, tripId: number, up: boolean): void {
    const b = this.message(MSG_TYPE_NOTIFICATION, M.SENSOR_TRIP_POINT_EVENT, 0, 12);
    const v = new DataView(b.buffer);
    v.setUint32(4, 0, true); // agent_id
    v.setUint32(8, sensorId, true);
    v.setUint32(12, ((up ? M.TRIP_EVENT_POSITIVE : 0) | (tripId & 0xff)) >>> 0, true);
    this.emit({ kind: 'notification', bytes: b });
  }

  // #region delayed-response
  /** The delayed response: the command's header as type 2, then the status, and on success the sensor ID and readings. */
  private complete(p: PendingRead, status: number, sample: Sample | null): void {
    this.pending = this.pending.filter((x) => x !== p);
    const h = unpackHeader(p.header);
    const readings = status === SCMI_SUCCESS && sample ? encodeReadings(sample, p.state.view(this.agent.id).timestamps) : new Uint8Array(0);
    // §5.17.6.3.1: a delayed response whose status is not SUCCESS carries the status alone.
    const b = new Uint8Array(status === SCMI_SUCCESS ? 12 + readings.length : 8);
    const v = new DataView(b.buffer);
    v.setUint32(0, packHeader({ ...h, type: MSG_TYPE_DELAYED_RESPONSE }), true);
    v.setInt32(4, status, true);
    if (status === SCMI_SUCCESS) {
      v.setUint32(8, p.sensorId, true);
      b.set(readings, 12);
    }
    this.undelivered++;
    this.emit({ kind: 'delayed-response', bytes: b });
  }
  // #endregion delayed-response

  /** A P2A message of the sensor protocol with room for `payload` bytes after the header. */
  private message(type: number, messageId: number, token: number, payload: number): Uint8Array {
    const b = new Uint8Array(4 + payload);
    new DataView(b.buffer).setUint32(0, packHeader({ messageId, type, protocolId: M.SCMI_PROTOCOL_SENSOR, token }), true);
    return b;
  }
}
