// What an input device counts. VIRTIO gives the driver no way to learn that events were lost
// or that its status buffers were refused, so these counts are where the platform's
// diagnostics, and the tests, see it.

export type StatusRejectReason =
  | 'too-short' // fewer than 8 device-readable bytes
  | 'writable-part' // a device-writable buffer in a status chain, which only carries data to the device
  | 'unsupported-type' // an event type the device does not accept on the statusq
  | 'unsupported-code' // a code of that type the device does not advertise
  | 'bad-value'; // an LED value other than 0 or 1, a negative repeat setting

export const STATUS_REJECT_REASONS: readonly StatusRejectReason[] = ['too-short', 'writable-part', 'unsupported-type', 'unsupported-code', 'bad-value'];

// #region stats
export interface InputLatencyStats {
  /** Frames whose last event (SYN_REPORT) was placed in the eventq. */
  frames: number;
  /** Model time from the physical event to that placement: the largest, and the sum. */
  maxUs: number;
  totalUs: number;
  /** Frames placed later than the device's latency budget allows. */
  overBudget: number;
}

export interface InputDeviceStats {
  /** Frames handed to the device by its source (a physical device, a router). */
  framesIn: number;
  /** Events placed in eventq buffers, and the frames they completed. */
  eventsDelivered: number;
  framesDelivered: number;
  /** Frames dropped whole because the backlog had no room, and the events in them. */
  overflowFrames: number;
  overflowEvents: number;
  /** Frames rewritten to bring the driver back in step after a loss or at DRIVER_OK. */
  resyncFrames: number;
  /** Frames that arrived while the driver was not ready (before DRIVER_OK, after a reset). */
  inactiveFrames: number;
  /** Events of a type or code the configuration does not advertise: never sent. */
  unadvertised: number;
  /** Eventq buffers returned unused: a device-readable part, or fewer than 8 writable bytes. */
  badEventBuffers: number;
  /** Status events accepted, and those refused by reason. */
  statusAccepted: number;
  readonly statusRejected: Record<StatusRejectReason, number>;
  lastStatusReject: StatusRejectReason | null;
  /** Driver writes to configuration bytes other than select and subsel: ignored. */
  configWritesIgnored: number;
  readonly latency: InputLatencyStats;
}
// #endregion stats

export function newInputStats(): InputDeviceStats {
  return {
    framesIn: 0, eventsDelivered: 0, framesDelivered: 0, overflowFrames: 0, overflowEvents: 0, resyncFrames: 0,
    inactiveFrames: 0, unadvertised: 0, badEventBuffers: 0, statusAccepted: 0,
    statusRejected: Object.fromEntries(STATUS_REJECT_REASONS.map((r) => [r, 0])) as Record<StatusRejectReason, number>,
    lastStatusReject: null, configWritesIgnored: 0,
    latency: { frames: 0, maxUs: 0, totalUs: 0, overBudget: 0 },
  };
}
