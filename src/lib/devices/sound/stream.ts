// One PCM stream as the device runs it: its state in the command lifecycle, the parameters the
// driver set, the I/O messages it holds, and where it is on the clock's frame grid. Samples
// leave an output stream through a sink (the platform's mixer) and enter an input stream from
// a capture source (a microphone); without either, output goes nowhere and input is silence.
import type { PcmParams } from './params.ts';
import type { PcmState } from './pcm-state.ts';
import type { StreamSpec } from './topology.ts';
import type { IoMessage } from './xfer.ts';

// #region pcm-sink
/** Where an output stream's frames go, interleaved S16, as the device plays them. */
export interface PcmSink {
  write(samples: Int16Array, channels: number): void;
}

/** Frames an input stream records: `frames` x `channels` interleaved S16 samples. */
export type CaptureSource = (frames: number, channels: number) => Int16Array;
// #endregion pcm-sink

export interface PcmStream {
  readonly id: number;
  readonly spec: StreamSpec;
  state: PcmState;
  params: PcmParams | null;
  readonly pending: IoMessage[];
  /** Frame grid position (at the stream's rate) up to which the stream has been run. */
  grid: number;
  /** In an underrun (output) or overrun (input) that has been reported. */
  xrun: boolean;
  /** Frames of data since the last elapsed period. */
  periodProgress: number;
  /** Frames of data played or recorded since the device was made. */
  frames: number;
  sink: PcmSink | null;
  source: CaptureSource | null;
}

export function newStream(id: number, spec: StreamSpec): PcmStream {
  return { id, spec, state: 'idle', params: null, pending: [], grid: 0, xrun: false, periodProgress: 0, frames: 0, sink: null, source: null };
}

/** Bytes the stream holds and has not yet played (txq) or not yet filled (rxq). */
export function queuedBytes(s: PcmStream): number {
  return s.pending.reduce((n, m) => n + m.bytes - m.done, 0);
}

/** Little-endian S16 bytes as samples, and back. */
export function bytesToSamples(b: Uint8Array): Int16Array {
  const out = new Int16Array(b.length >> 1);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < out.length; i++) out[i] = v.getInt16(2 * i, true);
  return out;
}

export function samplesToBytes(s: Int16Array): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < s.length; i++) v.setInt16(2 * i, s[i], true);
  return out;
}
