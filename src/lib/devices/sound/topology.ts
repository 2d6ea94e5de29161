// What a sound device is: its jacks, PCM streams and channel maps, from which the configuration
// counts and every query answer are derived. The platform (integrator) writes it; the guest
// only reads it. Each stream carries its latency class and, for the model's mixer, a source
// name; the guest learns a stream's purpose from the platform's documentation of stream IDs.
import { VIRTIO_SND_CHMAP_MAX_SIZE, VIRTIO_SND_D_INPUT, VIRTIO_SND_D_OUTPUT } from './protocol.ts';
import { PCM_FEATURES_DEFINED, PCM_RATE_HZ, VIRTIO_SND_PCM_F_EVT_XRUNS, VIRTIO_SND_PCM_F_SHMEM_GUEST, VIRTIO_SND_PCM_F_SHMEM_HOST, VIRTIO_SND_PCM_FMT_S16, VIRTIO_SND_PCM_RATE_16000, VIRTIO_SND_PCM_RATE_48000 } from './formats.ts';
import { LATENCY_CLASSES, type LatencyClass } from './latency.ts';

// #region topology
export interface JackSpec {
  readonly hdaFnNid: number;
  /** HDA pin default configuration and pin capabilities, reported as given. */
  readonly defconf: number;
  readonly caps: number;
  readonly connected: boolean;
}

export interface StreamSpec {
  readonly hdaFnNid: number;
  readonly direction: typeof VIRTIO_SND_D_OUTPUT | typeof VIRTIO_SND_D_INPUT;
  readonly channelsMin: number;
  readonly channelsMax: number;
  /** Rate enum values offered (VIRTIO_SND_PCM_RATE_*). The format is always S16. */
  readonly rates: readonly number[];
  /** Feature bits offered (1 << VIRTIO_SND_PCM_F_*); default EVT_XRUNS. */
  readonly features?: number;
  readonly latencyClass: LatencyClass;
}

export interface ChmapSpec {
  readonly hdaFnNid: number;
  readonly direction: typeof VIRTIO_SND_D_OUTPUT | typeof VIRTIO_SND_D_INPUT;
  /** VIRTIO_SND_CHMAP_* positions, one per channel. */
  readonly positions: readonly number[];
}

export interface SoundTopology {
  readonly jacks: readonly JackSpec[];
  readonly streams: readonly StreamSpec[];
  readonly chmaps: readonly ChmapSpec[];
}
// #endregion topology

/** The formats the model offers on every stream: S16 only. */
export const MODEL_FORMATS = 1n << BigInt(VIRTIO_SND_PCM_FMT_S16);

export const DEFAULT_STREAM_FEATURES = 1 << VIRTIO_SND_PCM_F_EVT_XRUNS;

/** Why a topology cannot describe a device, or null. */
export function topologyError(t: SoundTopology): string | null {
  if (t.streams.length === 0) return 'streams: a sound device needs at least one stream';
  for (const [i, s] of t.streams.entries()) {
    if (!Number.isInteger(s.channelsMin) || s.channelsMin < 1 || s.channelsMax < s.channelsMin || s.channelsMax > 255) return `stream ${i}: channels ${s.channelsMin}..${s.channelsMax}`;
    if (s.rates.length === 0 || s.rates.some((r) => !Number.isInteger(r) || r < 0 || r >= PCM_RATE_HZ.length)) return `stream ${i}: rates must be defined VIRTIO_SND_PCM_RATE_* values`;
    const f = s.features ?? DEFAULT_STREAM_FEATURES;
    if ((f & ~PCM_FEATURES_DEFINED) !== 0) return `stream ${i}: undefined feature bits`;
    if (f & ((1 << VIRTIO_SND_PCM_F_SHMEM_HOST) | (1 << VIRTIO_SND_PCM_F_SHMEM_GUEST))) return `stream ${i}: shared memory is a placeholder in VIRTIO 1.4`;
    if (!LATENCY_CLASSES.includes(s.latencyClass)) return `stream ${i}: latency class`;
  }
  for (const [i, c] of t.chmaps.entries()) {
    if (c.positions.length === 0 || c.positions.length > VIRTIO_SND_CHMAP_MAX_SIZE) return `chmap ${i}: 1..${VIRTIO_SND_CHMAP_MAX_SIZE} positions`;
    if (c.positions.some((p) => !Number.isInteger(p) || p < 0 || p > 0xff)) return `chmap ${i}: positions are u8`;
  }
  return null;
}

// Channel positions the default topologies use.
export const VIRTIO_SND_CHMAP_MONO = 2;
export const VIRTIO_SND_CHMAP_FL = 3;
export const VIRTIO_SND_CHMAP_FR = 4;

// #region default-topologies
/** An infotainment guest's device: stereo media out, mono voice out, mono microphone in, a headphone jack. */
export function infotainmentTopology(): SoundTopology {
  const OUT = VIRTIO_SND_D_OUTPUT;
  const IN = VIRTIO_SND_D_INPUT;
  return {
    jacks: [{ hdaFnNid: 0, defconf: 0x0221_1020, caps: 0x0000_0010, connected: false }],
    streams: [
      { hdaFnNid: 0, direction: OUT, channelsMin: 1, channelsMax: 2, rates: [VIRTIO_SND_PCM_RATE_48000], latencyClass: 'media' },
      { hdaFnNid: 0, direction: OUT, channelsMin: 1, channelsMax: 1, rates: [VIRTIO_SND_PCM_RATE_48000], latencyClass: 'voice' },
      { hdaFnNid: 0, direction: IN, channelsMin: 1, channelsMax: 1, rates: [VIRTIO_SND_PCM_RATE_16000, VIRTIO_SND_PCM_RATE_48000], latencyClass: 'voice' },
    ],
    chmaps: [
      { hdaFnNid: 0, direction: OUT, positions: [VIRTIO_SND_CHMAP_FL, VIRTIO_SND_CHMAP_FR] },
      { hdaFnNid: 0, direction: IN, positions: [VIRTIO_SND_CHMAP_MONO] },
    ],
  };
}

/** A cluster guest's device: one mono output for chimes and warnings, no jacks. */
export function chimeTopology(): SoundTopology {
  return {
    jacks: [],
    streams: [{ hdaFnNid: 0, direction: VIRTIO_SND_D_OUTPUT, channelsMin: 1, channelsMax: 1, rates: [VIRTIO_SND_PCM_RATE_48000], latencyClass: 'safety' }],
    chmaps: [{ hdaFnNid: 0, direction: VIRTIO_SND_D_OUTPUT, positions: [VIRTIO_SND_CHMAP_MONO] }],
  };
}
// #endregion default-topologies
