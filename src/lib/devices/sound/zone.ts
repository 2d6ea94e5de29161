// An audio zone: the loudspeakers of one part of the car, one mixer, and the sound devices of
// the guests that play into it, on one model clock. Advancing the zone runs every device up to
// the new time, so each output stream hands its frames to the mixer, and then renders them.
// Which stream goes to which zone, and with which class, is the platform's configuration.
import { SoundClock } from './clock.ts';
import type { SoundDevice } from './device.ts';
import { PCM_RATE_HZ } from './formats.ts';
import { Mixer, type MixerInput, type MixerOptions } from './mixer.ts';
import { VIRTIO_SND_D_OUTPUT } from './protocol.ts';

// #region zone
export class AudioZone {
  readonly clock: SoundClock;
  readonly mixer: Mixer;
  private readonly devices: SoundDevice[] = [];

  constructor(opts: MixerOptions & { clock?: SoundClock } = {}) {
    this.clock = opts.clock ?? new SoundClock();
    this.mixer = new Mixer(opts);
  }

  /** Routes an output stream of `dev` (which must share the zone's clock) into the mixer, with the class its topology gives it. */
  route(dev: SoundDevice, streamId: number, name: string): MixerInput {
    const spec = dev.topology.streams[streamId];
    if (!spec || spec.direction !== VIRTIO_SND_D_OUTPUT) throw new RangeError(`${name}: stream ${streamId} is not an output stream`);
    if (dev.clock !== this.clock) throw new RangeError(`${name}: the device runs on another clock`);
    if (spec.rates.some((r) => PCM_RATE_HZ[r] !== this.mixer.rate)) throw new RangeError(`${name}: the stream offers a rate other than the mixer's ${this.mixer.rate} Hz`);
    const input = this.mixer.addInput(name, spec.latencyClass);
    dev.connect(streamId, input);
    if (!this.devices.includes(dev)) this.devices.push(dev);
    return input;
  }

  /** Moves time on by `us`: every device plays up to the new time, then the mixer renders it. */
  advance(us: number): Int16Array {
    this.clock.advance(us);
    for (const d of this.devices) d.run();
    return this.mixer.renderUntil(this.clock);
  }
}
// #endregion zone
