// The zone mixer: a safety chime over full-scale media, at its guaranteed level, with the media
// ducked by a fixed amount and the output never clipped or wrapped; and the zone that feeds it
// from sound devices on both ring layouts.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { SoundDevice } from '../../../../src/lib/devices/sound/device.ts';
import { SoundDriver } from '../../../../src/lib/devices/sound/driver.ts';
import { Mixer } from '../../../../src/lib/devices/sound/mixer.ts';
import { samplesToBytes } from '../../../../src/lib/devices/sound/stream.ts';
import { chimeTopology, infotainmentTopology } from '../../../../src/lib/devices/sound/topology.ts';
import { AudioZone } from '../../../../src/lib/devices/sound/zone.ts';
import { MEDIA, ready } from './harness.ts';

const N = 4800; // 100 ms at 48 kHz
const sine = (hz: number, amp: number, n = N) => Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / 48_000)));
const square = (n = N) => Int16Array.from({ length: n }, (_, i) => (Math.floor(i / 24) % 2 ? -32768 : 32767));

/** Mono mixer, media and chime inputs; returns the output of one render of N frames after `pre` frames of media alone. */
function mix(opts: { volume?: number; chime?: Int16Array; media?: Int16Array } = {}) {
  const m = new Mixer({ channels: 1 });
  m.volume = opts.volume ?? 1;
  const media = m.addInput('media', 'media');
  const chime = m.addInput('chime', 'safety');
  media.write(opts.media ?? square(), 1);
  if (opts.chime) chime.write(opts.chime, 1);
  return { m, out: m.render(N) };
}

describe('[AVP-SND-37] [AVP-SND-38] [AVP-SND-39] the mixer keeps a safety chime audible over full-scale media', () => {
  it('the chime is in the output sample for sample, at the safety ceiling, once the duck is in', () => {
    const chime = sine(1000, 32767);
    const media = square();
    const { m, out } = mix({ chime, media });
    const duck = m.duck.mediaUnderSafety;
    for (let i = m.attackFrames; i < N; i++) {
      const bed = (media[i] / 32768) * duck;
      const expected = Math.round(((chime[i] / 32768) * m.safetyCeiling + bed) * 32767);
      if (Math.abs(out[i] - expected) > 1) expect.fail(`frame ${i}: ${out[i]} != ${expected}`);
    }
    expect(m.gain('media')).toBeCloseTo(0.1, 6); // -20 dB
    // The chime's own peak reaches half of full scale above the ducked media.
    const chimePart = Array.from(out.subarray(m.attackFrames), (x, i) => x - Math.round((media[i + m.attackFrames] / 32768) * duck * 32767));
    expect(Math.max(...chimePart)).toBeGreaterThanOrEqual(Math.round(32767 * m.safetyCeiling) - 2);
  });

  it('no sample leaves the 16-bit range and none wraps: the sign follows the sum', () => {
    const sq = square();
    const { out } = mix({ chime: sq, media: sq });
    expect(Array.from(out).filter((x, i) => Math.sign(x) !== Math.sign(sq[i])).length).toBe(0);
    // During the 2 ms attack the media is held to the half left beside the chime; then it is ducked.
    expect(Math.max(...out)).toBe(32767);
    expect(Math.max(...out.subarray(96))).toBe(Math.round((32767 / 32768) * 0.6 * 32767));
    const alone = mix({ media: Int16Array.from({ length: N }, () => -32768) }).out;
    expect(Math.min(...alone)).toBeGreaterThanOrEqual(-32768);
    expect(alone.every((x) => x < 0)).toBe(true);
  });

  it('the chime ignores the user volume; media and voice follow it', () => {
    const chime = sine(1000, 32767);
    const silent = mix({ volume: 0, chime }).out;
    expect(Math.max(...silent)).toBeGreaterThanOrEqual(Math.round(32767 * 0.5) - 1);
    expect(Math.max(...mix({ volume: 0 }).out)).toBe(0);
  });

  it('without a chime, media plays at full scale, and voice ducks it by 10 dB', () => {
    const { out } = mix();
    expect(Math.max(...out)).toBe(32766);
    const m = new Mixer({ channels: 1 });
    m.addInput('media', 'media').write(square(), 1);
    m.addInput('voice', 'voice').write(new Int16Array(N), 1);
    m.render(N);
    expect(m.gain('media')).toBeCloseTo(10 ** (-10 / 20), 6);
  });

  it('two chimes at once stay within the ceiling instead of pushing the media out', () => {
    const m = new Mixer({ channels: 1 });
    m.addInput('media', 'media').write(square(), 1);
    m.addInput('chime 1', 'safety').write(square(), 1);
    m.addInput('chime 2', 'safety').write(square(), 1);
    const out = m.render(N);
    expect(Math.max(...out.subarray(m.attackFrames))).toBe(Math.round((0.5 + 0.1) * 32767));
    expect(m.stats.safetyLimited).toBeGreaterThan(0);
  });
});

describe('[AVP-SND-40] the duck holds after the chime and comes out gradually', () => {
  it('media stays ducked for the hold time, then rises over the release time', () => {
    const m = new Mixer({ channels: 1 });
    const media = m.addInput('media', 'media');
    const chime = m.addInput('chime', 'safety');
    media.write(square(N * 4), 1);
    chime.write(sine(1000, 32767, 480), 1);
    m.render(480);
    expect(m.gain('media')).toBeCloseTo(0.1, 6);
    m.render(m.holdFrames - 1);
    expect(m.gain('media')).toBeCloseTo(0.1, 6);
    m.render(m.releaseFrames / 2 + 1);
    expect(m.gain('media')).toBeGreaterThan(0.5);
    expect(m.gain('media')).toBeLessThan(0.6);
    m.render(m.releaseFrames);
    expect(m.gain('media')).toBe(1);
  });
});

describe.each(RING_TYPES)('[AVP-SND-41] an audio zone (%s ring)', (ring) => {
  it('mixes each stream with the class its topology gives, on the shared clock', () => {
    const zone = new AudioZone({ channels: 1 });
    const ivi = new SoundDevice({ topology: infotainmentTopology(), clock: zone.clock });
    const cl = new SoundDevice({ topology: chimeTopology(), clock: zone.clock });
    const a = new SoundDriver(new Loopback(ivi, { ring }));
    const b = new SoundDriver(new Loopback(cl, { ring: ring === 'split' ? 'packed' : 'split' }));
    expect(zone.route(ivi, 0, 'media').cls).toBe('media');
    expect(zone.route(cl, 0, 'chime').cls).toBe('safety');
    expect(() => zone.route(ivi, 2, 'mic')).toThrow(RangeError);
    expect(() => zone.route(new SoundDevice({ topology: chimeTopology() }), 0, 'other clock')).toThrow(RangeError);
    ready({ dev: ivi, lb: a.lb, drv: a }, 0, { ...MEDIA, channels: 1 });
    ready({ dev: cl, lb: b.lb, drv: b }, 0, { ...MEDIA, channels: 1, bufferBytes: 1920 });
    a.write(0, samplesToBytes(Int16Array.from({ length: 480 }, () => 32767)));
    b.write(0, samplesToBytes(Int16Array.from({ length: 480 }, () => 32767)));
    a.pcm('START', 0);
    b.pcm('START', 0);
    const out = zone.advance(10_000);
    expect(out.length).toBe(480);
    expect(out[479]).toBe(Math.round((32767 / 32768) * 0.5 * 32767 + (32767 / 32768) * 0.1 * 32767));
    expect(a.written().length + b.written().length).toBe(2);
  });
});
