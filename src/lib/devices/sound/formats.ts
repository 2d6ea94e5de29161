// PCM sample formats and frame rates (VIRTIO 1.4 §5.14.6.6.2): the enums a stream advertises
// as bitmaps in virtio_snd_pcm_info and the driver picks one of in SET_PARAMS. The model plays
// and records signed 16-bit little-endian samples only, the format every guest audio stack
// speaks; the other values are listed so that the device can tell an undefined value (a
// malformed request) from a defined one it does not offer (an unsupported one).

// #region formats
export const VIRTIO_SND_PCM_FMT_IMA_ADPCM = 0;
export const VIRTIO_SND_PCM_FMT_MU_LAW = 1;
export const VIRTIO_SND_PCM_FMT_A_LAW = 2;
export const VIRTIO_SND_PCM_FMT_S8 = 3;
export const VIRTIO_SND_PCM_FMT_U8 = 4;
export const VIRTIO_SND_PCM_FMT_S16 = 5;
export const VIRTIO_SND_PCM_FMT_U16 = 6;
export const VIRTIO_SND_PCM_FMT_S32 = 17;
export const VIRTIO_SND_PCM_FMT_FLOAT = 19;
export const VIRTIO_SND_PCM_FMT_FLOAT64 = 20;
export const VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME = 24;

/** Physical bits per sample of every defined format, by value (IMA_ADPCM .. IEC958_SUBFRAME). */
export const PCM_FORMAT_PHYSICAL_BITS: readonly number[] = [
  4, 8, 8, 8, 8, 16, 16, 24, 24, 24, 24, 24, 24, 32, 32, 32, 32, 32, 32, 32, 64, 8, 16, 32, 32,
];
// #endregion formats

// #region rates
/** Frames per second of every defined rate, by value: VIRTIO_SND_PCM_RATE_5512 = 0 .. _24000 = 15. */
export const PCM_RATE_HZ: readonly number[] = [
  5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 88200, 96000, 176400, 192000, 384000, 12000, 24000,
];
export const VIRTIO_SND_PCM_RATE_8000 = 1;
export const VIRTIO_SND_PCM_RATE_16000 = 3;
export const VIRTIO_SND_PCM_RATE_44100 = 6;
export const VIRTIO_SND_PCM_RATE_48000 = 7;
// #endregion rates

// #region pcm-features
/** Stream features (virtio_snd_pcm_info.features, virtio_snd_pcm_set_params.features), as bit numbers. */
export const VIRTIO_SND_PCM_F_SHMEM_HOST = 0;
export const VIRTIO_SND_PCM_F_SHMEM_GUEST = 1;
export const VIRTIO_SND_PCM_F_MSG_POLLING = 2;
export const VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS = 3;
export const VIRTIO_SND_PCM_F_EVT_XRUNS = 4;
/** Every feature bit VIRTIO 1.4 defines for a stream. */
export const PCM_FEATURES_DEFINED = 0b11111;
// #endregion pcm-features

export function isDefinedFormat(f: number): boolean {
  return Number.isInteger(f) && f >= 0 && f < PCM_FORMAT_PHYSICAL_BITS.length;
}

export function isDefinedRate(r: number): boolean {
  return Number.isInteger(r) && r >= 0 && r < PCM_RATE_HZ.length;
}

/** The rate enum value for a frequency, or -1. */
export function rateIndex(hz: number): number {
  return PCM_RATE_HZ.indexOf(hz);
}

/** Bytes of one frame (one sample per channel); undefined formats and sub-byte ADPCM give 0. */
export function frameBytes(format: number, channels: number): number {
  const bits = PCM_FORMAT_PHYSICAL_BITS[format];
  return bits === undefined || bits % 8 !== 0 ? 0 : (bits / 8) * channels;
}
