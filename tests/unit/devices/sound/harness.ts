// Shared set-up for the sound device tests: a device with a topology on a Loopback of a given
// ring layout, the guest-side driver, and parameters that fit the default streams.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { SoundDevice, type SoundDeviceOptions } from '../../../../src/lib/devices/sound/device.ts';
import { SoundDriver } from '../../../../src/lib/devices/sound/driver.ts';
import { VIRTIO_SND_PCM_F_EVT_XRUNS, VIRTIO_SND_PCM_FMT_S16, VIRTIO_SND_PCM_RATE_16000, VIRTIO_SND_PCM_RATE_48000 } from '../../../../src/lib/devices/sound/formats.ts';
import type { PcmParams } from '../../../../src/lib/devices/sound/params.ts';
import { infotainmentTopology } from '../../../../src/lib/devices/sound/topology.ts';

export interface Guest {
  dev: SoundDevice;
  lb: Loopback;
  drv: SoundDriver;
}

export function guest(ring: RingType, opts: Partial<SoundDeviceOptions> = {}): Guest {
  const dev = new SoundDevice({ topology: infotainmentTopology(), ...opts });
  const lb = new Loopback(dev, { ring, queueSize: 64 });
  return { dev, lb, drv: new SoundDriver(lb) };
}

export function needsReset(g: Guest): boolean {
  return (g.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

/** Stream 0 of the infotainment topology: stereo S16 at 48 kHz, 5 ms periods (960 bytes), 4 of them. */
export const MEDIA: PcmParams = { bufferBytes: 3840, periodBytes: 960, features: 1 << VIRTIO_SND_PCM_F_EVT_XRUNS, channels: 2, format: VIRTIO_SND_PCM_FMT_S16, rate: VIRTIO_SND_PCM_RATE_48000 };
/** Stream 2 (microphone): mono S16 at 16 kHz, 10 ms periods (320 bytes), 2 of them. */
export const MIC: PcmParams = { bufferBytes: 640, periodBytes: 320, features: 1 << VIRTIO_SND_PCM_F_EVT_XRUNS, channels: 1, format: VIRTIO_SND_PCM_FMT_S16, rate: VIRTIO_SND_PCM_RATE_16000 };

/** Sets parameters and prepares; optionally starts. */
export function ready(g: Guest, stream: number, p: PcmParams, start = false): void {
  if (g.drv.setParams(stream, p) !== 0x8000 || g.drv.pcm('PREPARE', stream) !== 0x8000) throw new Error('stream set-up failed');
  if (start && g.drv.pcm('START', stream) !== 0x8000) throw new Error('START failed');
}

/** `frames` stereo frames whose samples all equal `v`. */
export function stereo(frames: number, v: number): Uint8Array {
  const b = new Uint8Array(frames * 4);
  const d = new DataView(b.buffer);
  for (let i = 0; i < frames * 2; i++) d.setInt16(2 * i, v, true);
  return b;
}
