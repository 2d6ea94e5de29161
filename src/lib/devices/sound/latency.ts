// Latency classes: what a stream is for, which the platform decides when it builds a sound
// device, not the guest. The class bounds the buffer a driver may ask for, because with
// virtqueue transport the audio a device holds is at most one negotiated buffer, so the buffer
// size is the latency from the guest's write to the loudspeaker. It also sets what the mixer
// does with the stream and what an underrun means for the platform.

// #region latency-classes
export type LatencyClass = 'safety' | 'voice' | 'media';

export interface LatencyLimits {
  /** Largest period the device accepts, in microseconds of audio. */
  readonly maxPeriodUs: number;
  /** Largest buffer (buffer_bytes) the device accepts, in microseconds of audio. */
  readonly maxBufferUs: number;
  /** An underrun is a safety diagnostic: the platform's health monitor hears of it. */
  readonly underrunIsFault: boolean;
}

export const LATENCY_LIMITS: Readonly<Record<LatencyClass, LatencyLimits>> = {
  // Chimes and warnings: a short buffer so a chime starts within 20 ms of its first write.
  safety: { maxPeriodUs: 10_000, maxBufferUs: 20_000, underrunIsFault: true },
  // Telephony, eCall, navigation prompts: the budget of a two-way conversation.
  voice: { maxPeriodUs: 20_000, maxBufferUs: 60_000, underrunIsFault: false },
  // Music and video: long buffers save wake-ups and tolerate a busy guest.
  media: { maxPeriodUs: 100_000, maxBufferUs: 500_000, underrunIsFault: false },
};
// #endregion latency-classes

export const LATENCY_CLASSES: readonly LatencyClass[] = ['safety', 'voice', 'media'];

/** Bytes of `us` microseconds of audio at `rate` frames per second, in whole frames. */
export function bytesForUs(us: number, rate: number, frameBytes: number): number {
  return Math.floor((us * rate) / 1_000_000) * frameBytes;
}
