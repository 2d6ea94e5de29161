// Shared set-up for the media device tests: a camera (with its sensor and clock) or a decoder
// on a Loopback of a given ring layout, the guest-side driver, and eventq buffers posted.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { CameraDevice, type CameraRole, CameraSensor, pixFormat } from '../../../../src/lib/devices/media/camera.ts';
import { MediaClock } from '../../../../src/lib/devices/media/clock.ts';
import { DecoderDevice } from '../../../../src/lib/devices/media/decoder.ts';
import type { MediaDevice } from '../../../../src/lib/devices/media/device.ts';
import { MediaDriver } from '../../../../src/lib/devices/media/driver.ts';
import { V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_PIX_FMT_RGB24 } from '../../../../src/lib/devices/media/v4l2.ts';

export interface Rig<D extends MediaDevice = MediaDevice> {
  dev: D;
  lb: Loopback;
  drv: MediaDriver;
}

export function rig<D extends MediaDevice>(ring: RingType, dev: D, eventBuffers = 16): Rig<D> {
  const lb = new Loopback(dev, { ring });
  const drv = new MediaDriver(lb);
  drv.postEvents(eventBuffers);
  return { dev, lb, drv };
}

export function cameraRig(ring: RingType, opts: { startupUs?: number; frameIntervalUs?: number; role?: CameraRole; budgetUs?: number } = {}) {
  const clock = new MediaClock();
  const sensor = new CameraSensor({ clock, startupUs: opts.startupUs, frameIntervalUs: opts.frameIntervalUs });
  const r = rig(ring, new CameraDevice({ sensor, role: opts.role, streamStartBudgetUs: opts.budgetUs }));
  return { ...r, clock, sensor };
}

export function decoderRig(ring: RingType) {
  return rig(ring, new DecoderDevice());
}

export const CAP = V4L2_BUF_TYPE_VIDEO_CAPTURE;
export const RGB_64x48 = pixFormat(64, 48, V4L2_PIX_FMT_RGB24);

/** Opens a session, allocates `n` buffers and queues them all; returns the session. */
export function streamReady(drv: MediaDriver, n = 4, streamon = true): number {
  const { session } = drv.open();
  drv.reqbufs(session, CAP, n);
  for (let i = 0; i < n; i++) drv.qbuf(session, CAP, i, RGB_64x48.sizeimage);
  if (streamon) drv.streamon(session, CAP);
  return session;
}

export function needsReset(lb: Loopback): boolean {
  return (lb.status & DEVICE_NEEDS_RESET) !== 0;
}

/** A second device on the same sensor, as the access policy gives a viewer guest. */
export function viewerRig(ring: RingType, sensor: CameraSensor, eventBuffers = 4) {
  return rig(ring, new CameraDevice({ sensor, role: 'viewer' }), eventBuffers);
}
