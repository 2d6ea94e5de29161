// VIRTIO_SND_R_PCM_SET_PARAMS (VIRTIO 1.4 §5.14.6.6.3): what the driver asks for, and the
// device's verdict. A value VIRTIO does not define, a period that does not divide the buffer,
// or nonzero padding makes the message malformed (BAD_MSG). A defined value the stream did not
// advertise, or a buffer longer than the stream's latency class allows, is refused as
// unsupported (NOT_SUPP). Either way nothing changes.
import { bytesForUs, LATENCY_LIMITS } from './latency.ts';
import {
  frameBytes,
  isDefinedFormat,
  isDefinedRate,
  PCM_FEATURES_DEFINED,
  PCM_RATE_HZ,
  VIRTIO_SND_PCM_F_SHMEM_GUEST,
  VIRTIO_SND_PCM_F_SHMEM_HOST,
} from './formats.ts';
import { SND_SET_PARAMS_SIZE, u32At, VIRTIO_SND_S_BAD_MSG, VIRTIO_SND_S_NOT_SUPP } from './protocol.ts';
import { DEFAULT_STREAM_FEATURES, MODEL_FORMATS, type StreamSpec } from './topology.ts';

// #region pcm-params
export interface PcmParams {
  readonly bufferBytes: number;
  readonly periodBytes: number;
  readonly features: number;
  readonly channels: number;
  readonly format: number;
  readonly rate: number;
}

/** The fields after the 8-byte virtio_snd_pcm_hdr. */
export function decodeSetParams(req: Uint8Array): PcmParams | null {
  if (req.length < SND_SET_PARAMS_SIZE) return null;
  return { bufferBytes: u32At(req, 8)!, periodBytes: u32At(req, 12)!, features: u32At(req, 16)!, channels: req[20], format: req[21], rate: req[22] };
}

export function encodeSetParams(streamId: number, p: PcmParams, padding = 0): Uint8Array {
  const out = new Uint8Array(SND_SET_PARAMS_SIZE);
  const v = new DataView(out.buffer);
  [0x0101, streamId, p.bufferBytes, p.periodBytes, p.features].forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  out.set([p.channels, p.format, p.rate, padding], 20);
  return out;
}
// #endregion pcm-params

export type ParamsReject = 'bad-params' | 'unsupported-params' | 'over-latency-budget';

// #region check-params
/** null if the stream can take `p`; otherwise the status to answer and why. */
export function checkParams(s: StreamSpec, p: PcmParams, padding: number): { status: number; why: ParamsReject } | null {
  const bad = { status: VIRTIO_SND_S_BAD_MSG, why: 'bad-params' as const };
  const unsupported = { status: VIRTIO_SND_S_NOT_SUPP, why: 'unsupported-params' as const };
  if (padding !== 0) return bad;
  if ((p.features & ~PCM_FEATURES_DEFINED) !== 0 || !isDefinedFormat(p.format) || !isDefinedRate(p.rate)) return bad;
  if (p.features & (1 << VIRTIO_SND_PCM_F_SHMEM_HOST) && p.features & (1 << VIRTIO_SND_PCM_F_SHMEM_GUEST)) return bad;
  if (p.periodBytes === 0 || p.bufferBytes === 0 || p.bufferBytes % p.periodBytes !== 0) return bad;
  const offered = s.features ?? DEFAULT_STREAM_FEATURES;
  if ((p.features & ~offered) !== 0) return unsupported;
  if ((MODEL_FORMATS & (1n << BigInt(p.format))) === 0n || !s.rates.includes(p.rate)) return unsupported;
  if (p.channels < s.channelsMin || p.channels > s.channelsMax) return unsupported;
  // A period holds whole frames, or the device could never complete a buffer on a frame boundary.
  const fb = frameBytes(p.format, p.channels);
  if (p.periodBytes % fb !== 0) return bad;
  const lim = LATENCY_LIMITS[s.latencyClass];
  const hz = PCM_RATE_HZ[p.rate];
  if (p.periodBytes > bytesForUs(lim.maxPeriodUs, hz, fb) || p.bufferBytes > bytesForUs(lim.maxBufferUs, hz, fb)) {
    return { status: VIRTIO_SND_S_NOT_SUPP, why: 'over-latency-budget' };
  }
  return null;
}
// #endregion check-params
