// The sensor management protocol (0x15, Arm DEN0056 version 3.2, 4.7), as one agent sees it:
// sensor IDs are positions in that agent's view, so a sensor it is not granted does not exist
// for it. The checks of each message run in the order the AVP fixes (after the common ones in
// dispatch.ts): a request for notifications or a delayed response without the eventq
// (NOT_SUPPORTED), the sensor ID (NOT_FOUND), what the sensor can do (NOT_SUPPORTED), the
// parameters (INVALID_PARAMETERS), the agent's rights (DENIED), the requested range
// (OUT_OF_RANGE), and the state of the sensor or the agent (PROTOCOL_ERROR, HARDWARE_ERROR, BUSY).
import {
  SCMI_BUSY,
  SCMI_COMMS_ERROR,
  SCMI_DENIED,
  SCMI_INVALID_PARAMETERS,
  SCMI_NOT_FOUND,
  SCMI_NOT_SUPPORTED,
  SCMI_OUT_OF_RANGE,
  SCMI_PROTOCOL_ERROR,
  SCMI_SUCCESS,
} from './header.ts';
import * as M from './messages.ts';
import { type CommandContext, entriesThatFit, type ProtocolHandler, type Reply, reply } from './dispatch.ts';
import type { SensorState } from './platform.ts';
import { encodeReadings } from './session.ts';
import { encodeAxisDescriptor, encodeSensorDescriptor } from './sensor-table.ts';

function u32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
  return b;
}

/** Whether the message exists for this agent: the ones that ask for P2A messages only with the eventq (§5.17.6.1.1). */
export function sensorMessageImplemented(id: number, p2a: boolean): boolean {
  return M.SENSOR_PARAM_SIZES.has(id) && (p2a || !M.SENSOR_P2A_MESSAGES.has(id));
}

// #region sensor-handler
export const sensorProtocol: ProtocolHandler = {
  protocolId: M.SCMI_PROTOCOL_SENSOR,
  paramSizes: M.SENSOR_PARAM_SIZES,
  handle(id: number, p: DataView, ctx: CommandContext): Reply {
    // §5.17.6.1.1: without VIRTIO_SCMI_F_P2A_CHANNELS every request for a notification or a
    // delayed response is refused with NOT_SUPPORTED, before anything else is looked at.
    const asksAsync = id === M.SENSOR_READING_GET && (p.getUint32(4, true) & M.SENSOR_READ_ASYNC) !== 0;
    if (!ctx.p2a && (M.SENSOR_P2A_MESSAGES.has(id) || asksAsync)) return reply(SCMI_NOT_SUPPORTED);
    const view = ctx.agent.sensors;
    switch (id) {
      case M.PROTOCOL_VERSION: // DEN0056 4.7.2.1
        return reply(SCMI_SUCCESS, u32(M.SENSOR_PROTOCOL_VERSION_3_0));
      case M.PROTOCOL_ATTRIBUTES: // 4.7.2.3
        return attributes(ctx);
      case M.PROTOCOL_MESSAGE_ATTRIBUTES: // 4.7.2.4
        return sensorMessageImplemented(p.getUint32(0, true), ctx.p2a) ? reply(SCMI_SUCCESS, u32(0)) : reply(SCMI_NOT_FOUND);
      case M.SENSOR_DESCRIPTION_GET:
        return descriptions(p.getUint32(0, true), ctx);
    }
    // Every other message names a sensor first.
    const sensorId = p.getUint32(0, true);
    if (sensorId >= view.length) return reply(SCMI_NOT_FOUND);
    const { state, access } = view[sensorId];
    const arg = p.byteLength >= 8 ? p.getUint32(4, true) : 0; // the second word, where the message has one
    switch (id) {
      case M.SENSOR_TRIP_POINT_NOTIFY: // 4.7.2.8
        if ((state.spec.tripPoints ?? 0) === 0) return reply(SCMI_NOT_SUPPORTED);
        if (arg & ~M.SENSOR_NOTIFY_ENABLE) return reply(SCMI_INVALID_PARAMETERS);
        if (arg & M.SENSOR_NOTIFY_ENABLE) ctx.session.tripNotify.add(sensorId);
        else ctx.session.tripNotify.delete(sensorId);
        return reply(SCMI_SUCCESS);
      case M.SENSOR_TRIP_POINT_CONFIG:
        return tripPointConfig(sensorId, state, arg, p.getBigInt64(8, true), ctx);
      case M.SENSOR_READING_GET:
        return readingGet(sensorId, state, arg, ctx);
      case M.SENSOR_AXIS_DESCRIPTION_GET:
        return axisDescriptions(state, arg, ctx);
      case M.SENSOR_LIST_UPDATE_INTERVALS:
        return intervals(state, arg, ctx);
      case M.SENSOR_CONFIG_GET: // 4.7.2.10
        return reply(SCMI_SUCCESS, u32(configWord(state, ctx.agent.id)));
      case M.SENSOR_CONFIG_SET:
        return configSet(state, access === 'configure', arg, ctx);
      default: // M.SENSOR_CONTINUOUS_UPDATE_NOTIFY
        if (!state.spec.updates) return reply(SCMI_NOT_SUPPORTED);
        if (arg & ~M.SENSOR_NOTIFY_ENABLE) return reply(SCMI_INVALID_PARAMETERS);
        if (arg & M.SENSOR_NOTIFY_ENABLE) ctx.session.updates.add(sensorId);
        else ctx.session.updates.delete(sensorId);
        return reply(SCMI_SUCCESS);
    }
  },
};
// #endregion sensor-handler

// #region attributes
/**
 * DEN0056 4.7.2.3: bits 15:0 the sensors in this agent's view, 23:16 the asynchronous reads it
 * may have outstanding (none without the eventq), then the sensor shared memory region's
 * address and length. Over VIRTIO such a region is a virtio shared memory region (§5.17.6.4),
 * which this device does not offer: the length is 0, so the agent ignores the address.
 */
function attributes(ctx: CommandContext): Reply {
  const pending = ctx.p2a ? ctx.platform.maxPendingAsync : 0;
  return reply(SCMI_SUCCESS, u32((pending << 16) | ctx.agent.sensors.length, 0, 0, 0));
}
// #endregion attributes

// #region descriptions
/** DEN0056 4.7.2.5: descriptors from `index` on, as many as fit; bits 31:16 of the first word count the rest. */
function descriptions(index: number, ctx: CommandContext): Reply {
  const view = ctx.agent.sensors;
  if (index >= view.length) return reply(SCMI_INVALID_PARAMETERS);
  const n = Math.min(view.length - index, entriesThatFit(ctx.room, 4, M.SENSOR_DESCRIPTOR_SIZE));
  if (n === 0) return reply(SCMI_COMMS_ERROR);
  const remaining = view.length - index - n;
  const b = new Uint8Array(4 + n * M.SENSOR_DESCRIPTOR_SIZE);
  new DataView(b.buffer).setUint32(0, ((remaining << 16) | n) >>> 0, true);
  for (let i = 0; i < n; i++) b.set(encodeSensorDescriptor(index + i, view[index + i].state.spec, ctx.p2a), 4 + i * M.SENSOR_DESCRIPTOR_SIZE);
  return reply(SCMI_SUCCESS, b);
}

/** Axis descriptors: bits 5:0 of the first word the number returned, 31:26 the number remaining. */
function axisDescriptions(state: SensorState, index: number, ctx: CommandContext): Reply {
  const axes = state.spec.axes ?? [];
  if (axes.length === 0) return reply(SCMI_NOT_SUPPORTED);
  if (index >= axes.length) return reply(SCMI_INVALID_PARAMETERS);
  const n = Math.min(axes.length - index, entriesThatFit(ctx.room, 4, M.AXIS_DESCRIPTOR_SIZE));
  if (n === 0) return reply(SCMI_COMMS_ERROR);
  const remaining = axes.length - index - n;
  const b = new Uint8Array(4 + n * M.AXIS_DESCRIPTOR_SIZE);
  new DataView(b.buffer).setUint32(0, ((remaining << 26) | n) >>> 0, true);
  for (let i = 0; i < n; i++) b.set(encodeAxisDescriptor(index + i, state.spec, axes[index + i]), 4 + i * M.AXIS_DESCRIPTOR_SIZE);
  return reply(SCMI_SUCCESS, b);
}

/** The discrete update intervals: bits 11:0 returned, bit 12 clear (a list, not a segment), 31:16 remaining. */
function intervals(state: SensorState, index: number, ctx: CommandContext): Reply {
  const all = state.spec.intervalsUs;
  if (index >= all.length) return reply(SCMI_INVALID_PARAMETERS);
  const n = Math.min(all.length - index, entriesThatFit(ctx.room, 4, 4));
  if (n === 0) return reply(SCMI_COMMS_ERROR);
  const remaining = all.length - index - n;
  return reply(SCMI_SUCCESS, u32(((remaining << 16) | n) >>> 0, ...all.slice(index, index + n).map(M.encodeIntervalEntry)));
}
// #endregion descriptions

// #region reading-get
/**
 * DEN0056 4.7.2.12. Synchronous: the latest sample, per axis value and timestamp, if it is
 * within the sensor's stated age. Asynchronous: SUCCESS now and a delayed response with the
 * next sample on the eventq, at most maxPendingAsync outstanding per agent (BUSY beyond).
 */
function readingGet(sensorId: number, state: SensorState, flags: number, ctx: CommandContext): Reply {
  const async = (flags & M.SENSOR_READ_ASYNC) !== 0;
  if (async && !state.spec.async) return reply(SCMI_NOT_SUPPORTED);
  if (flags & ~M.SENSOR_READ_ASYNC) return reply(SCMI_INVALID_PARAMETERS);
  if (!state.view(ctx.agent.id).enabled) return reply(SCMI_PROTOCOL_ERROR);
  if (async) {
    if (ctx.session.outstanding >= ctx.platform.maxPendingAsync) return reply(SCMI_BUSY);
    ctx.session.startAsyncRead(ctx.header, sensorId, state);
    return reply(SCMI_SUCCESS);
  }
  const r = ctx.platform.reading(state, ctx.agent.id);
  if (r.status !== SCMI_SUCCESS || !r.sample) return reply(r.status);
  return reply(SCMI_SUCCESS, encodeReadings(r.sample, state.view(ctx.agent.id).timestamps));
}
// #endregion reading-get

// #region trip-point-config
/** DEN0056 4.7.2.9: bits 11:4 the trip point, 1:0 when it fires (0 switches it off); the value is signed 64-bit. */
function tripPointConfig(sensorId: number, state: SensorState, ctrl: number, value: bigint, ctx: CommandContext): Reply {
  const trips = state.spec.tripPoints ?? 0;
  if (trips === 0) return reply(SCMI_NOT_SUPPORTED);
  const tripId = (ctrl >>> M.TRIP_POINT_ID_SHIFT) & 0xff;
  if ((ctrl & M.TRIP_POINT_RESERVED) !== 0 || tripId >= trips) return reply(SCMI_INVALID_PARAMETERS);
  // The trip point is this agent's own: another guest's trip points, on the same sensor, are untouched.
  ctx.session.setTripPoint(sensorId, tripId, ctrl & M.TRIP_POINT_EV_MASK, value);
  return reply(SCMI_SUCCESS);
}
// #endregion trip-point-config

// #region config
/** DEN0056 4.7.2.10: the sensor's interval, and this agent's timestamp reporting and state. */
export function configWord(state: SensorState, agentId: number): number {
  const v = state.view(agentId);
  return (M.encodeConfigInterval(state.intervalUs) | (v.timestamps ? M.SENSOR_CONFIG_TIMESTAMPS : 0) | (v.enabled ? M.SENSOR_CONFIG_ENABLED : 0)) >>> 0;
}

/**
 * DEN0056 4.7.2.11. The update interval is the sensor's, shared by every guest that sees it:
 * only an agent granted 'configure' may ask for one (bits 31:11 not zero), any other gets
 * DENIED and nothing changes. The state and timestamp bits are the agent's own, so any agent
 * may set them: Linux's IIO driver enables a sensor before each raw read and disables it after,
 * and a guest doing so must neither fail nor switch the sensor off for another guest. A
 * requested interval is rounded to one the sensor supports as bits 10:9 ask; when none is on
 * the asked side, the request is OUT_OF_RANGE.
 */
function configSet(state: SensorState, mayConfigure: boolean, cfg: number, ctx: CommandContext): Reply {
  if (cfg & M.SENSOR_CONFIG_RESERVED_SET) return reply(SCMI_INVALID_PARAMETERS);
  const { secs, exp } = M.decodeConfigInterval(cfg);
  let intervalUs: number | null = null;
  if (secs !== 0) {
    if (!mayConfigure) return reply(SCMI_DENIED);
    intervalUs = roundInterval(state.spec.intervalsUs, M.intervalFemto(secs, exp), cfg);
    if (intervalUs === null) return reply(SCMI_OUT_OF_RANGE);
  }
  if (intervalUs !== null) ctx.platform.setInterval(state, intervalUs);
  ctx.platform.setView(state, ctx.agent.id, { enabled: (cfg & M.SENSOR_CONFIG_ENABLED) !== 0, timestamps: (cfg & M.SENSOR_CONFIG_TIMESTAMPS) !== 0 });
  return reply(SCMI_SUCCESS);
}

/** An exact match; else bit 10 the closest (the shorter on a tie), bit 9 the next longer, neither the next shorter. */
export function roundInterval(supported: readonly number[], wanted: bigint, cfg: number): number | null {
  const exact = supported.find((us) => M.usToFemto(us) === wanted);
  if (exact !== undefined) return exact;
  if (cfg & M.SENSOR_CONFIG_ROUND_AUTO) {
    let best = supported[0];
    const dist = (us: number) => (M.usToFemto(us) > wanted ? M.usToFemto(us) - wanted : wanted - M.usToFemto(us));
    for (const us of supported) if (dist(us) < dist(best)) best = us;
    return best;
  }
  if (cfg & M.SENSOR_CONFIG_ROUND_UP) return supported.find((us) => M.usToFemto(us) > wanted) ?? null;
  return [...supported].reverse().find((us) => M.usToFemto(us) < wanted) ?? null;
}
// #endregion config
