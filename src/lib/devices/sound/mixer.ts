// The platform's mixer: several output streams, possibly of different guests, onto one
// loudspeaker, with priority by latency class. The rule it keeps is the automotive one: a
// safety chime is always heard at a guaranteed level, however loud the media is and wherever
// the user set the volume. It does that with a fixed split of the output's range instead of a
// limiter that could squash the chime: safety sources own the top `safetyCeiling` of full
// scale; while one is active, voice and media are ducked by fixed amounts and held to the
// rest of the range. Every sum saturates; nothing ever wraps around.
import type { SoundClock } from './clock.ts';
import type { LatencyClass } from './latency.ts';
import type { PcmSink } from './stream.ts';

// #region mixer-options
export interface MixerOptions {
  /** Output frames per second; every input runs at this rate. Default 48000. */
  readonly rate?: number;
  /** Output channels; mono inputs are copied to every channel. Default 2. */
  readonly channels?: number;
  /** Share of full scale a full-scale safety source reaches, and safety sources together never exceed. Default 0.5 (-6 dBFS). */
  readonly safetyCeiling?: number;
  /** Attenuation in dB of a class while a higher one is active. */
  readonly duckDb?: { readonly voiceUnderSafety?: number; readonly mediaUnderSafety?: number; readonly mediaUnderVoice?: number };
  /** Frames over which a duck comes in (default 96, 2 ms) and goes out (default 4800, 100 ms). */
  readonly attackFrames?: number;
  readonly releaseFrames?: number;
  /** Frames a duck stays after the higher class stops, so a series of beeps does not pump the music. Default 4800 (100 ms). */
  readonly holdFrames?: number;
}

export const DEFAULT_DUCK_DB = { voiceUnderSafety: -12, mediaUnderSafety: -20, mediaUnderVoice: -10 } as const;
// #endregion mixer-options

export interface MixerStats {
  /** Output frames rendered. */
  frames: number;
  /** Output samples in which voice and media had to be held to the range left to them. */
  bedLimited: number;
  /** Output samples in which safety sources together exceeded their ceiling (two chimes at once). */
  safetyLimited: number;
  /** Input frames dropped because an input's queue held more than a second. */
  inputOverflow: number;
}

const dbToGain = (db: number) => 10 ** (db / 20);

// #region mixer-input
/** One source of the mixer: a stream's sink, with a queue of frames in the output's channel layout. */
export class MixerInput implements PcmSink {
  readonly name: string;
  readonly cls: LatencyClass;
  private chunks: Int16Array[] = [];
  private offset = 0;
  private size = 0;
  private readonly mixer: Mixer;

  constructor(name: string, cls: LatencyClass, mixer: Mixer) {
    this.name = name;
    this.cls = cls;
    this.mixer = mixer;
  }

  /** Frames waiting. */
  get available(): number {
    return this.size / this.mixer.channels;
  }

  write(samples: Int16Array, channels: number): void {
    const C = this.mixer.channels;
    const frames = Math.floor(samples.length / channels);
    const out = new Int16Array(frames * C);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < C; c++) {
        if (channels === C) out[f * C + c] = samples[f * C + c];
        else {
          // Mono to every channel; any other layout is folded to mono first.
          let sum = 0;
          for (let k = 0; k < channels; k++) sum += samples[f * channels + k];
          out[f * C + c] = Math.round(sum / channels);
        }
      }
    }
    this.chunks.push(out);
    this.size += out.length;
    const max = this.mixer.rate * C; // one second
    while (this.size > max) this.mixer.stats.inputOverflow += this.take(Math.min(this.size - max, this.chunks[0].length - this.offset) / C).length / C;
  }

  /** Up to `frames` frames, oldest first. */
  take(frames: number): Int16Array {
    const want = Math.min(frames * this.mixer.channels, this.size);
    const out = new Int16Array(want);
    let at = 0;
    while (at < want) {
      const c = this.chunks[0];
      const n = Math.min(want - at, c.length - this.offset);
      out.set(c.subarray(this.offset, this.offset + n), at);
      at += n;
      this.offset += n;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    this.size -= want;
    return out;
  }
}
// #endregion mixer-input

interface DuckState {
  gain: number;
  hold: number;
}

export class Mixer {
  readonly rate: number;
  readonly channels: number;
  readonly safetyCeiling: number;
  readonly duck: { readonly voiceUnderSafety: number; readonly mediaUnderSafety: number; readonly mediaUnderVoice: number };
  readonly attackFrames: number;
  readonly releaseFrames: number;
  readonly holdFrames: number;
  readonly stats: MixerStats = { frames: 0, bedLimited: 0, safetyLimited: 0, inputOverflow: 0 };
  /** The user's volume for voice and media, 0..1. Safety sources ignore it. */
  volume = 1;
  readonly inputs: MixerInput[] = [];
  private readonly state: Record<'voice' | 'media', DuckState> = { voice: { gain: 1, hold: 0 }, media: { gain: 1, hold: 0 } };
  private grid = 0;

  constructor(opts: MixerOptions = {}) {
    this.rate = opts.rate ?? 48_000;
    this.channels = opts.channels ?? 2;
    this.safetyCeiling = opts.safetyCeiling ?? 0.5;
    if (!(this.safetyCeiling > 0 && this.safetyCeiling < 1)) throw new RangeError('safetyCeiling: between 0 and 1');
    const d = { ...DEFAULT_DUCK_DB, ...opts.duckDb };
    if (Object.values(d).some((x) => !(x <= 0))) throw new RangeError('duckDb: attenuations are 0 dB or below');
    this.duck = { voiceUnderSafety: dbToGain(d.voiceUnderSafety), mediaUnderSafety: dbToGain(d.mediaUnderSafety), mediaUnderVoice: dbToGain(d.mediaUnderVoice) };
    this.attackFrames = opts.attackFrames ?? 96;
    this.releaseFrames = opts.releaseFrames ?? 4800;
    this.holdFrames = opts.holdFrames ?? 4800;
  }

  addInput(name: string, cls: LatencyClass): MixerInput {
    const i = new MixerInput(name, cls, this);
    this.inputs.push(i);
    return i;
  }

  /** The duck gain now applied to a class (1: none). */
  gain(cls: LatencyClass): number {
    return cls === 'safety' ? 1 : this.state[cls].gain;
  }

  /** Renders the frames between the last call and the clock's time, on the shared frame grid. */
  renderUntil(clock: SoundClock): Int16Array {
    const to = clock.frameAt(this.rate);
    const n = Math.max(0, to - this.grid);
    this.grid = to;
    return this.render(n);
  }

  // #region mix
  /** `frames` output frames from whatever the inputs hold; an input with nothing is silent and inactive. */
  render(frames: number): Int16Array {
    const C = this.channels;
    const blocks = this.inputs.map((i) => ({ cls: i.cls, data: i.take(frames) }));
    const active = (cls: LatencyClass) => blocks.some((b) => b.cls === cls && b.data.length > 0);
    const safetyOn = active('safety');
    const voiceOn = active('voice');
    // Targets while a higher class is active; 1 otherwise.
    const target = {
      voice: safetyOn ? this.duck.voiceUnderSafety : 1,
      media: Math.min(safetyOn ? this.duck.mediaUnderSafety : 1, voiceOn ? this.duck.mediaUnderVoice : 1),
    };
    // The range left to voice and media: all of it, or what the safety sources do not own.
    const bedMax = safetyOn ? 1 - this.safetyCeiling : 1;
    const out = new Int16Array(frames * C);
    for (let f = 0; f < frames; f++) {
      this.step('voice', target.voice);
      this.step('media', target.media);
      const g = { safety: this.safetyCeiling, voice: this.state.voice.gain * this.volume, media: this.state.media.gain * this.volume };
      for (let c = 0; c < C; c++) {
        let safety = 0;
        let bed = 0;
        for (const b of blocks) {
          const i = f * C + c;
          if (i >= b.data.length) continue;
          const x = (b.data[i] / 32768) * g[b.cls];
          if (b.cls === 'safety') safety += x;
          else bed += x;
        }
        if (Math.abs(safety) > this.safetyCeiling) {
          safety = Math.sign(safety) * this.safetyCeiling;
          this.stats.safetyLimited++;
        }
        if (Math.abs(bed) > bedMax) {
          bed = Math.sign(bed) * bedMax;
          this.stats.bedLimited++;
        }
        // |safety + bed| <= 1: the sum never needs clipping, and the conversion saturates anyway.
        out[f * C + c] = Math.max(-32768, Math.min(32767, Math.round((safety + bed) * 32767)));
      }
    }
    this.stats.frames += frames;
    return out;
  }
  // #endregion mix

  /** One frame of a class's duck: in over attackFrames, held, then out over releaseFrames. */
  private step(cls: 'voice' | 'media', target: number): void {
    const s = this.state[cls];
    if (target < 1) {
      s.hold = this.holdFrames;
      s.gain = s.gain > target ? Math.max(target, s.gain - 1 / this.attackFrames) : Math.min(target, s.gain + 1 / this.releaseFrames);
    } else if (s.hold > 0) s.hold--;
    else s.gain = Math.min(1, s.gain + 1 / this.releaseFrames);
  }
}
