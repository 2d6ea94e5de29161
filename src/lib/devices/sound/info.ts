// The information structures the device returns to R_JACK_INFO, R_PCM_INFO and R_CHMAP_INFO
// (VIRTIO 1.4 §5.14.6.4.1, §5.14.6.6.2, §5.14.6.9.1). Each begins with hda_fn_nid; padding
// is always zero, and a stream advertises only formats, rates and features VIRTIO defines.
import { SND_CHMAP_INFO_SIZE, SND_JACK_INFO_SIZE, SND_PCM_INFO_SIZE } from './protocol.ts';
import { type ChmapSpec, DEFAULT_STREAM_FEATURES, type JackSpec, MODEL_FORMATS, type StreamSpec } from './topology.ts';

// #region info-encode
/** struct virtio_snd_jack_info; `connected` is the jack's current state, not the initial one. */
export function encodeJackInfo(j: JackSpec, connected: boolean): Uint8Array {
  const out = new Uint8Array(SND_JACK_INFO_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, j.hdaFnNid, true);
  v.setUint32(4, 0, true); // features: the model does not offer VIRTIO_SND_JACK_F_REMAP
  v.setUint32(8, j.defconf >>> 0, true);
  v.setUint32(12, j.caps >>> 0, true);
  out[16] = connected ? 1 : 0; // padding[7] stays zero
  return out;
}

/** struct virtio_snd_pcm_info. */
export function encodePcmInfo(s: StreamSpec): Uint8Array {
  const out = new Uint8Array(SND_PCM_INFO_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, s.hdaFnNid, true);
  v.setUint32(4, s.features ?? DEFAULT_STREAM_FEATURES, true);
  v.setBigUint64(8, MODEL_FORMATS, true);
  v.setBigUint64(16, s.rates.reduce((m, r) => m | (1n << BigInt(r)), 0n), true);
  out[24] = s.direction;
  out[25] = s.channelsMin;
  out[26] = s.channelsMax; // padding[5] stays zero
  return out;
}

/** struct virtio_snd_chmap_info; unused positions are zero (VIRTIO_SND_CHMAP_NONE). */
export function encodeChmapInfo(c: ChmapSpec): Uint8Array {
  const out = new Uint8Array(SND_CHMAP_INFO_SIZE);
  new DataView(out.buffer).setUint32(0, c.hdaFnNid, true);
  out[4] = c.direction;
  out[5] = c.positions.length;
  out.set(c.positions, 6);
  return out;
}
// #endregion info-encode

export interface PcmInfo {
  readonly hdaFnNid: number;
  readonly features: number;
  readonly formats: bigint;
  readonly rates: bigint;
  readonly direction: number;
  readonly channelsMin: number;
  readonly channelsMax: number;
}

export function decodePcmInfo(b: Uint8Array): PcmInfo {
  const v = new DataView(b.buffer, b.byteOffset, SND_PCM_INFO_SIZE);
  return {
    hdaFnNid: v.getUint32(0, true), features: v.getUint32(4, true), formats: v.getBigUint64(8, true), rates: v.getBigUint64(16, true),
    direction: b[24], channelsMin: b[25], channelsMax: b[26],
  };
}

export interface JackInfo {
  readonly hdaFnNid: number;
  readonly features: number;
  readonly defconf: number;
  readonly caps: number;
  readonly connected: boolean;
}

export function decodeJackInfo(b: Uint8Array): JackInfo {
  const v = new DataView(b.buffer, b.byteOffset, SND_JACK_INFO_SIZE);
  return { hdaFnNid: v.getUint32(0, true), features: v.getUint32(4, true), defconf: v.getUint32(8, true), caps: v.getUint32(12, true), connected: b[16] === 1 };
}

export function decodeChmapInfo(b: Uint8Array): { hdaFnNid: number; direction: number; positions: number[] } {
  const v = new DataView(b.buffer, b.byteOffset, SND_CHMAP_INFO_SIZE);
  return { hdaFnNid: v.getUint32(0, true), direction: b[4], positions: [...b.subarray(6, 6 + Math.min(b[5], 18))] };
}
