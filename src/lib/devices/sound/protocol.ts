// The sound device's wire format (VIRTIO 1.4 §5.14.6): request and event codes, status codes,
// the directions, and the sizes of the little-endian structures that travel on the queues.
// Every message starts with a 32-bit code: a request type (VIRTIO_SND_R_*) from the driver, a
// status (VIRTIO_SND_S_*) in the device's answer, or an event type (VIRTIO_SND_EVT_*).

// #region codes
// Jack requests.
export const VIRTIO_SND_R_JACK_INFO = 0x0001;
export const VIRTIO_SND_R_JACK_REMAP = 0x0002;
// PCM requests.
export const VIRTIO_SND_R_PCM_INFO = 0x0100;
export const VIRTIO_SND_R_PCM_SET_PARAMS = 0x0101;
export const VIRTIO_SND_R_PCM_PREPARE = 0x0102;
export const VIRTIO_SND_R_PCM_RELEASE = 0x0103;
export const VIRTIO_SND_R_PCM_START = 0x0104;
export const VIRTIO_SND_R_PCM_STOP = 0x0105;
// Channel map request.
export const VIRTIO_SND_R_CHMAP_INFO = 0x0200;
// Control element requests (only with VIRTIO_SND_F_CTLS): CTL_INFO .. CTL_TLV_COMMAND.
export const VIRTIO_SND_R_CTL_INFO = 0x0300;
export const VIRTIO_SND_R_CTL_TLV_COMMAND = 0x0306;

// Events the device places in the eventq.
export const VIRTIO_SND_EVT_JACK_CONNECTED = 0x1000;
export const VIRTIO_SND_EVT_JACK_DISCONNECTED = 0x1001;
export const VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED = 0x1100;
export const VIRTIO_SND_EVT_PCM_XRUN = 0x1101;
export const VIRTIO_SND_EVT_CTL_NOTIFY = 0x1200;

// Status codes of control responses and of PCM I/O messages.
export const VIRTIO_SND_S_OK = 0x8000;
export const VIRTIO_SND_S_BAD_MSG = 0x8001;
export const VIRTIO_SND_S_NOT_SUPP = 0x8002;
export const VIRTIO_SND_S_IO_ERR = 0x8003;

// Data flow directions.
export const VIRTIO_SND_D_OUTPUT = 0;
export const VIRTIO_SND_D_INPUT = 1;
// #endregion codes

// #region struct-sizes
export const SND_HDR_SIZE = 4; //         struct virtio_snd_hdr { le32 code; }
export const SND_EVENT_SIZE = 8; //       struct virtio_snd_event { hdr; le32 data; }
export const SND_QUERY_INFO_SIZE = 16; // { hdr; le32 start_id; le32 count; le32 size; }
export const SND_JACK_HDR_SIZE = 8; //    { hdr; le32 jack_id; }
export const SND_JACK_REMAP_SIZE = 16; // { jack_hdr; le32 association; le32 sequence; }
export const SND_PCM_HDR_SIZE = 8; //     { hdr; le32 stream_id; }
export const SND_SET_PARAMS_SIZE = 24; // { pcm_hdr; le32 buffer_bytes, period_bytes, features; u8 channels, format, rate, padding; }
export const SND_PCM_XFER_SIZE = 4; //    struct virtio_snd_pcm_xfer { le32 stream_id; }
export const SND_PCM_STATUS_SIZE = 8; //  struct virtio_snd_pcm_status { le32 status; le32 latency_bytes; }
// Information structures, each starting with struct virtio_snd_info { le32 hda_fn_nid; }.
export const SND_JACK_INFO_SIZE = 24; //  features, hda_reg_defconf, hda_reg_caps (le32), connected (u8), padding[7]
export const SND_PCM_INFO_SIZE = 32; //   features (le32), formats, rates (le64), direction, channels_min, channels_max (u8), padding[5]
export const SND_CHMAP_INFO_SIZE = 24; // direction, channels (u8), positions[18] (u8)
// #endregion struct-sizes

/** The most channel positions a channel map can hold (VIRTIO_SND_CHMAP_MAX_SIZE). */
export const VIRTIO_SND_CHMAP_MAX_SIZE = 18;

const STATUS_NAMES: Record<number, string> = {
  [VIRTIO_SND_S_OK]: 'OK', [VIRTIO_SND_S_BAD_MSG]: 'BAD_MSG', [VIRTIO_SND_S_NOT_SUPP]: 'NOT_SUPP', [VIRTIO_SND_S_IO_ERR]: 'IO_ERR',
};
const EVENT_NAMES: Record<number, string> = {
  [VIRTIO_SND_EVT_JACK_CONNECTED]: 'JACK_CONNECTED', [VIRTIO_SND_EVT_JACK_DISCONNECTED]: 'JACK_DISCONNECTED',
  [VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED]: 'PCM_PERIOD_ELAPSED', [VIRTIO_SND_EVT_PCM_XRUN]: 'PCM_XRUN', [VIRTIO_SND_EVT_CTL_NOTIFY]: 'CTL_NOTIFY',
};

/** "OK", "BAD_MSG" ... or the number in hex. */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `0x${code.toString(16)}`;
}

export function eventName(code: number): string {
  return EVENT_NAMES[code] ?? `0x${code.toString(16)}`;
}

/** Little-endian u32 at `at`, or null when the bytes end first. */
export function u32At(b: Uint8Array, at: number): number | null {
  if (at + 4 > b.length) return null;
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Little-endian u32 fields, concatenated. */
export function le32(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  return out;
}

export interface SndEvent {
  readonly type: number;
  readonly data: number;
}

export function encodeEvent(e: SndEvent): Uint8Array {
  return le32(e.type, e.data);
}

export function decodeEvent(b: Uint8Array): SndEvent {
  return { type: u32At(b, 0) ?? 0, data: u32At(b, 4) ?? 0 };
}

export function formatEvent(e: SndEvent): string {
  return `${eventName(e.type)} ${e.data}`;
}
