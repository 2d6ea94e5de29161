// What a media device counts. A guest sees errors only as statuses of its own commands; the
// platform's diagnostics, and the tests, see them here, with the stream start-up times the
// reverse-gear budget is checked against.

// #region stats
export interface MediaDeviceStats {
  /** Commands completed, and those completed with a nonzero status. */
  commands: number;
  failed: number;
  /** Last failing status and command, for diagnostics. */
  lastError: { cmd: number; status: number } | null;
  /** Commands whose device-writable part could not hold a response header: used length 0. */
  noResponse: number;
  /** Eventq buffers handed back unused: a device-readable part, or too small for the event. */
  badEventBuffers: number;
  /** Events placed in the eventq, by kind. */
  dqbufEvents: number;
  v4l2Events: number;
  errorEvents: number;
  /** Frames produced with no buffer queued for a stream: dropped for that stream. */
  framesDropped: number;
  /** Streams started (STREAMON of a capture queue) and how long each took to return its first frame. */
  streamStarts: number;
  firstFrames: number;
  firstFrameMaxUs: number;
  /** Streams whose first frame came later than the device's start budget. */
  firstFrameOverBudget: number;
  /** Decoder: frames decoded, and OUTPUT buffers whose bitstream was refused. */
  framesDecoded: number;
  decodeErrors: number;
}
// #endregion stats

export function newMediaStats(): MediaDeviceStats {
  return {
    commands: 0, failed: 0, lastError: null, noResponse: 0, badEventBuffers: 0, dqbufEvents: 0, v4l2Events: 0, errorEvents: 0,
    framesDropped: 0, streamStarts: 0, firstFrames: 0, firstFrameMaxUs: 0, firstFrameOverBudget: 0, framesDecoded: 0, decodeErrors: 0,
  };
}
