// What a sound device counts. A guest sees only status codes; the platform's diagnostics, and
// the tests, see why a request was refused, how often a stream ran dry, and which events were
// lost because the driver offered no eventq buffer.

export type ControlReject =
  | 'short' // the request ends before its structure does
  | 'unknown-code' // a request type VIRTIO does not define, or CTL_* without VIRTIO_SND_F_CTLS
  | 'bad-id' // a jack, stream or channel map ID (or a query range) beyond the configuration's count
  | 'bad-query' // an info query whose size or response buffer cannot hold the answer
  | 'wrong-state' // a PCM command its stream's state does not allow
  | 'bad-params' // SET_PARAMS with an undefined value, a period that does not divide the buffer, or padding
  | 'unsupported-params' // SET_PARAMS with a defined value the stream does not offer
  | 'over-latency-budget' // SET_PARAMS asking for more buffer than the stream's latency class allows
  | 'not-supported'; // JACK_REMAP on a jack without the remap feature

export type IoReject =
  | 'no-status-room' // fewer than 8 device-writable bytes: no status can be written, used length 0
  | 'bad-shape' // a tx message with more than a status to write, an rx message with more than a header to read
  | 'short-header' // fewer than 4 device-readable bytes: no stream_id
  | 'bad-stream' // stream_id beyond the configuration, or a stream of the other direction
  | 'wrong-state' // the stream is not prepared, running or stopped
  | 'partial-frame' // data not a whole number of frames
  | 'over-buffer' // more data queued than buffer_bytes, the latency the driver negotiated
  | 'released'; // still queued when the stream was released or its parameters replaced

// #region stats
export interface SoundStats {
  controlRequests: number;
  /** Control responses by status code. */
  readonly controlStatus: Record<number, number>;
  readonly controlRejects: Partial<Record<ControlReject, number>>;
  lastControlReject: ControlReject | null;
  /** Control requests with fewer than 4 device-writable bytes: nothing can be answered. */
  controlNoResponseRoom: number;
  /** I/O messages completed with VIRTIO_SND_S_OK, and refused or abandoned by reason. */
  ioCompleted: number;
  readonly ioRejects: Partial<Record<IoReject, number>>;
  lastIoReject: IoReject | null;
  /** Output underruns and input overruns (episodes, and frames of silence played or frames dropped). */
  underruns: number;
  underrunFrames: number;
  overruns: number;
  overrunFrames: number;
  /** Underruns of streams whose latency class makes them a fault. */
  safetyUnderruns: number;
  eventsDelivered: number;
  /** Events lost because the backlog was full. */
  eventsDropped: number;
  /** Eventq buffers handed back unused: a device-readable part or fewer than 8 writable bytes. */
  badEventBuffers: number;
}
// #endregion stats

export function newSoundStats(): SoundStats {
  return {
    controlRequests: 0, controlStatus: {}, controlRejects: {}, lastControlReject: null, controlNoResponseRoom: 0,
    ioCompleted: 0, ioRejects: {}, lastIoReject: null,
    underruns: 0, underrunFrames: 0, overruns: 0, overrunFrames: 0, safetyUnderruns: 0,
    eventsDelivered: 0, eventsDropped: 0, badEventBuffers: 0,
  };
}
