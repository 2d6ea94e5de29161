// The automotive part: the access policy of a shared rear-view camera, and the time from
// selecting reverse to the first frame, measured in model time through the model.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { accessFor, CameraHub, policyError } from '../../../../src/lib/devices/media/access-policy.ts';
import { CameraSensor, pixFormat } from '../../../../src/lib/devices/media/camera.ts';
import { MediaClock } from '../../../../src/lib/devices/media/clock.ts';
import { MediaDriver } from '../../../../src/lib/devices/media/driver.ts';
import * as E from '../../../../src/lib/devices/media/errno.ts';
import { AVP_REAR_VIEW_BUDGET, REGULATORY_RESPONSE_US, ReverseTimeline } from '../../../../src/lib/devices/media/rear-view.ts';
import * as V from '../../../../src/lib/devices/media/v4l2.ts';
import { CAP, RGB_64x48, streamReady } from './harness.ts';

function cockpit(ring: 'split' | 'packed', startupUs = 250_000) {
  const clock = new MediaClock();
  const sensor = new CameraSensor({ clock, startupUs, frameIntervalUs: 33_333 });
  const hub = new CameraHub(sensor, { owner: 'cluster', viewers: ['ivi'] });
  const owner = hub.deviceFor('cluster')!;
  const viewer = hub.deviceFor('ivi')!;
  const od = new MediaDriver(new Loopback(owner, { ring }));
  const vd = new MediaDriver(new Loopback(viewer, { ring: ring === 'split' ? 'packed' : 'split' }));
  od.postEvents(16);
  vd.postEvents(16);
  return { clock, sensor, hub, owner, viewer, od, vd };
}

describe.each(RING_TYPES)('rear-view camera access policy (%s ring)', (ring) => {
  it('[AVP-MEDIA-39] has one owner, whose device alone may change the camera configuration', () => {
    expect(policyError({ owner: 'cluster', viewers: ['cluster'] })).toMatch(/owner/);
    expect(() => new CameraHub(new CameraSensor({ clock: new MediaClock() }), { owner: '', viewers: [] })).toThrow(RangeError);
    const c = cockpit(ring);
    expect([c.owner.role, c.viewer.role]).toEqual(['owner', 'viewer']);
    expect(c.hub.deviceFor('cluster')).toBe(c.owner); // one device per guest, never a second owner
    const s = c.od.open().session;
    expect(c.od.sFmt(s, CAP, pixFormat(32, 24, V.V4L2_PIX_FMT_GREY)).status).toBe(0);
    expect(c.sensor.format).toEqual(pixFormat(32, 24, V.V4L2_PIX_FMT_GREY));
  });

  it('[AVP-MEDIA-40] gives a guest that is neither owner nor viewer no device', () => {
    const c = cockpit(ring);
    expect(c.hub.deviceFor('rear-seat')).toBeNull();
    expect(accessFor(c.hub.policy, 'rear-seat')).toBe('none');
    expect(c.hub.log.at(-1)).toEqual({ guest: 'rear-seat', access: 'none', device: false });
    expect(c.sensor.devices.length).toBe(2);
  });

  it('[AVP-MEDIA-41] refuses a viewer S_FMT that would change the format with EBUSY, and accepts the current one', () => {
    const c = cockpit(ring);
    const s = c.vd.open().session;
    expect(c.vd.sFmt(s, CAP, pixFormat(32, 24, V.V4L2_PIX_FMT_RGB24)).status).toBe(E.EBUSY);
    expect(c.vd.sFmt(s, CAP, RGB_64x48).status).toBe(0);
    expect(c.vd.tryFmt(s, CAP, pixFormat(32, 24, V.V4L2_PIX_FMT_RGB24)).status).toBe(0);
    expect(c.sensor.format).toEqual(RGB_64x48);
  });

  it('[AVP-MEDIA-42] gives the owner every frame first, whatever the viewer does', () => {
    const c = cockpit(ring);
    const order: string[] = [];
    c.owner.onEventPlaced = (_e, at) => order.push(`owner@${at}`);
    c.viewer.onEventPlaced = (_e, at) => order.push(`viewer@${at}`);
    streamReady(c.vd, 1); // the viewer queues one buffer and never requeues
    streamReady(c.od, 4);
    c.clock.advance(250_000 + 33_333 * 5);
    expect(order.slice(0, 2)).toEqual(['owner@250000', 'viewer@250000']);
    const frames = c.od.events().filter((e) => e.kind === 'dqbuf');
    expect(frames.length).toBe(4); // all its buffers filled: none lost to the viewer
    expect(c.owner.stats.framesDropped).toBe(2); // frames 5 and 6: the owner itself had no buffer left
    expect(c.viewer.stats.framesDropped).toBe(5);
  });

  it('[AVP-MEDIA-43] lets the owner reconfigure while a viewer holds buffers: the viewer session ends with an error event', () => {
    const c = cockpit(ring);
    c.vd.autoClose = false;
    const vs = streamReady(c.vd, 2);
    const os = c.od.open().session;
    expect(c.od.sFmt(os, CAP, pixFormat(32, 24, V.V4L2_PIX_FMT_RGB24)).status).toBe(0);
    expect(c.vd.events()).toEqual([{ kind: 'error', session: vs, errno: E.EIO }]);
    expect(c.sensor.running).toBe(false); // the viewer's stream was the only one
    // The owner's own buffers still block a change, as V4L2 does.
    c.od.reqbufs(os, CAP, 1);
    expect(c.od.sFmt(os, CAP, RGB_64x48).status).toBe(E.EBUSY);
  });
});

describe.each(RING_TYPES)('time to first frame after reverse (%s ring)', (ring) => {
  it('[AVP-MEDIA-38] records, for a reverse selection, the time to STREAMON and to the first frame', () => {
    const c = cockpit(ring);
    c.clock.advance(50_000);
    const t = new ReverseTimeline(c.clock);
    t.selectReverse(c.owner, 900_000, () => streamReady(c.od, 4));
    c.clock.advance(899_999);
    expect(t.report()).toMatchObject({ streamOnAt: null, totalUs: null, withinBudget: false });
    c.clock.advance(1 + 250_000);
    expect(t.report()).toEqual({ reverseAt: 50_000, streamOnAt: 950_000, firstFrameAt: 1_200_000, platformUs: 900_000, deviceUs: 250_000, totalUs: 1_150_000, withinBudget: true });
    expect(t.report().totalUs!).toBeLessThan(REGULATORY_RESPONSE_US);
    expect(AVP_REAR_VIEW_BUDGET.platformUs + AVP_REAR_VIEW_BUDGET.deviceUs).toBe(1_600_000);
  });

  it('[AVP-MEDIA-38] reports a selection whose platform or device part is too slow as over budget', () => {
    const slowResume = cockpit(ring);
    const t1 = new ReverseTimeline(slowResume.clock);
    t1.selectReverse(slowResume.owner, 1_300_000, () => streamReady(slowResume.od, 2));
    slowResume.clock.advance(2_000_000);
    expect(t1.report()).toMatchObject({ platformUs: 1_300_000, withinBudget: false });
    const slowSensor = cockpit(ring, 500_000);
    const t2 = new ReverseTimeline(slowSensor.clock);
    t2.selectReverse(slowSensor.owner, 500_000, () => streamReady(slowSensor.od, 2));
    slowSensor.clock.advance(2_000_000);
    expect(t2.report()).toMatchObject({ deviceUs: 500_000, withinBudget: false });
    expect(slowSensor.owner.stats.firstFrameOverBudget).toBe(1);
  });
});
