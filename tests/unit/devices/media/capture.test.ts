// The camera's capture queue over virtio-media: formats, SHARED_PAGES buffers, frames in model
// time, DQBUF events and the eventq, and the device's share of the reverse-gear budget.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as E from '../../../../src/lib/devices/media/errno.ts';
import * as P from '../../../../src/lib/devices/media/protocol.ts';
import * as V from '../../../../src/lib/devices/media/v4l2.ts';
import { pixFormat } from '../../../../src/lib/devices/media/camera.ts';
import { renderScene } from '../../../../src/lib/devices/media/scene.ts';
import { CAP, cameraRig, needsReset, RGB_64x48, streamReady } from './harness.ts';

const dqbufs = (evs: ReturnType<import('../../../../src/lib/devices/media/driver.ts').MediaDriver['events']>) => evs.flatMap((e) => (e.kind === 'dqbuf' ? [e.buffer] : []));

describe.each(RING_TYPES)('camera formats (%s ring)', (ring) => {
  it('[AVP-MEDIA-28] enumerates its formats, and S_FMT and TRY_FMT adjust a request to the nearest supported format', () => {
    const { drv, sensor } = cameraRig(ring);
    const { session } = drv.open();
    expect([0, 1].map((i) => V.fourccName(drv.enumFmt(session, CAP, i).pixelformat))).toEqual(['RGB3', 'GREY']);
    expect(drv.enumFmt(session, CAP, 2).status).toBe(E.EINVAL);
    const t = drv.tryFmt(session, CAP, { ...RGB_64x48, width: 40, height: 30, pixelformat: V.fourcc('XXXX') });
    expect(t).toEqual({ status: 0, pix: pixFormat(32, 24, V.V4L2_PIX_FMT_RGB24) });
    expect(sensor.format).toEqual(RGB_64x48); // TRY changes nothing
    const s = drv.sFmt(session, CAP, { ...RGB_64x48, width: 1920, height: 1080, pixelformat: V.V4L2_PIX_FMT_GREY });
    expect(s).toEqual({ status: 0, pix: pixFormat(64, 48, V.V4L2_PIX_FMT_GREY) });
    expect(drv.gFmt(session, CAP).pix).toEqual(pixFormat(64, 48, V.V4L2_PIX_FMT_GREY));
  });
});

describe.each(RING_TYPES)('camera buffers (%s ring)', (ring) => {
  it('[AVP-MEDIA-17] [AVP-MEDIA-18] takes SHARED_PAGES buffers and refuses MMAP ones and the MMAP command with EINVAL', () => {
    const { drv } = cameraRig(ring);
    const { session } = drv.open();
    expect(drv.reqbufs(session, CAP, 3)).toEqual({ status: 0, count: 3, capabilities: V.V4L2_BUF_CAP_SUPPORTS_USERPTR });
    expect(drv.reqbufs(session, CAP, 2, V.V4L2_MEMORY_MMAP).status).toBe(E.EINVAL);
    const mmap = P.concat(P.header(P.VIRTIO_MEDIA_CMD_MMAP), V.encodeU32(session), V.encodeU32(0), V.encodeU32(0));
    expect(drv.raw([mmap], [24]).status).toBe(E.EINVAL);
    const munmap = P.concat(P.header(P.VIRTIO_MEDIA_CMD_MUNMAP), new Uint8Array(8));
    expect(drv.raw([munmap], [8]).status).toBe(E.EINVAL);
  });

  it('[AVP-MEDIA-19] returns m.userptr of a queued buffer unchanged', () => {
    const { drv } = cameraRig(ring);
    const { session } = drv.open();
    drv.reqbufs(session, CAP, 1);
    const r = drv.qbuf(session, CAP, 0, RGB_64x48.sizeimage, { userptr: 0x0000_7ffd_1234_5000n });
    expect(r.status).toBe(0);
    expect(r.echo!.m).toBe(0x0000_7ffd_1234_5000n);
  });

  it('[AVP-MEDIA-21] refuses SG entries that do not cover the buffer (EINVAL) or leave guest memory (EFAULT)', () => {
    const { drv, dev } = cameraRig(ring);
    const { session } = drv.open();
    drv.reqbufs(session, CAP, 1);
    const buf = V.encodeBuffer({ index: 0, type: CAP, bytesused: 0, flags: 0, field: 1, timestampUs: 0, sequence: 0, memory: V.V4L2_MEMORY_USERPTR, m: 0x1000n, length: 9216 });
    const cmd = P.concat(P.header(P.VIRTIO_MEDIA_CMD_IOCTL), V.encodeU32(session), V.encodeU32(V.VIDIOC_QBUF));
    const short = P.encodeSg([{ start: 0x2000n, len: 4096 }]);
    expect(drv.raw([cmd, buf, short], [96]).status).toBe(E.EINVAL);
    const outside = P.encodeSg([{ start: 0x2000n, len: 4096 }, { start: 0xfff_0000n, len: 5120 }]);
    expect(drv.raw([cmd, buf, outside], [96]).status).toBe(E.EFAULT);
    expect(dev.sessions.get(session)!.capture.queuedCount).toBe(0);
  });

  it('[AVP-MEDIA-22] refuses QBUF of an unallocated index, another type or memory, a buffer already queued, or one too small', () => {
    const { drv } = cameraRig(ring);
    const { session } = drv.open();
    expect(drv.qbuf(session, CAP, 0, RGB_64x48.sizeimage).status).toBe(E.EINVAL); // nothing allocated
    drv.reqbufs(session, CAP, 2);
    expect(drv.qbuf(session, CAP, 2, RGB_64x48.sizeimage).status).toBe(E.EINVAL);
    expect(drv.qbuf(session, V.V4L2_BUF_TYPE_VIDEO_OUTPUT, 0, RGB_64x48.sizeimage).status).toBe(E.EINVAL);
    expect(drv.qbuf(session, CAP, 0, 100).status).toBe(E.EINVAL);
    expect(drv.qbuf(session, CAP, 0, RGB_64x48.sizeimage).status).toBe(0);
    expect(drv.qbuf(session, CAP, 0, RGB_64x48.sizeimage).status).toBe(E.EINVAL);
  });
});

describe.each(RING_TYPES)('camera streaming in model time (%s ring)', (ring) => {
  it('[AVP-MEDIA-23] [AVP-MEDIA-20] [AVP-MEDIA-27] returns each queued buffer once, with the frame, a monotonic capture timestamp and no pointer', () => {
    const { drv, clock } = cameraRig(ring, { startupUs: 100_000, frameIntervalUs: 50_000 });
    const s = streamReady(drv, 3);
    clock.advance(99_999);
    expect(drv.events()).toEqual([]);
    clock.advance(1 + 100_000); // frames at 100 ms, 150 ms, 200 ms
    const got = dqbufs(drv.events());
    expect(got.map((b) => [b.index, b.sequence, b.timestampUs, b.bytesused])).toEqual([[0, 0, 100_000, 9216], [1, 1, 150_000, 9216], [2, 2, 200_000, 9216]]);
    for (const b of got) {
      expect(b.m).toBe(0n);
      expect(b.flags & V.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC).toBeTruthy();
      expect(b.memory).toBe(V.V4L2_MEMORY_USERPTR);
    }
    expect(drv.read(s, CAP, 1, 9216)).toEqual(renderScene(64, 48, V.V4L2_PIX_FMT_RGB24, 1));
    clock.advance(500_000);
    expect(dqbufs(drv.events())).toEqual([]); // nothing queued: nothing more comes back
  });

  it('[AVP-MEDIA-23] sends no DQBUF event for buffers that STREAMOFF gave back', () => {
    const { drv, clock, dev } = cameraRig(ring, { startupUs: 100_000 });
    const s = streamReady(drv, 4);
    expect(drv.streamoff(s, CAP)).toBe(0);
    clock.advance(1_000_000);
    expect(drv.events()).toEqual([]);
    expect(dev.sessions.get(s)!.capture.queuedCount).toBe(0);
    expect(drv.qbuf(s, CAP, 0, RGB_64x48.sizeimage).status).toBe(0); // free to queue again
  });

  it('[AVP-MEDIA-26] drops a frame for a stream with no buffer queued, counts it and skips its sequence number', () => {
    const { drv, clock, dev } = cameraRig(ring, { startupUs: 0, frameIntervalUs: 10_000 });
    const s = streamReady(drv, 1);
    clock.advance(35_000); // frames at 0, 10, 20, 30 ms
    expect(dqbufs(drv.events()).map((b) => b.sequence)).toEqual([0]);
    expect(dev.stats.framesDropped).toBe(3);
    drv.qbuf(s, CAP, 0, RGB_64x48.sizeimage);
    clock.advance(10_000);
    expect(dqbufs(drv.events()).map((b) => b.sequence)).toEqual([4]);
  });

  it('[AVP-MEDIA-24] holds events while the eventq has no usable buffer, hands back unusable ones, and delivers in order', () => {
    const c = cameraRig(ring, { startupUs: 0, frameIntervalUs: 10_000 });
    const lb = c.lb;
    const drv = c.drv;
    drv.autoRepost = false;
    // Use up the 16 stocked buffers: 16 frames from 16 requeues.
    const s = streamReady(drv, 1);
    for (let i = 0; i < 16; i++) {
      c.clock.advance(i === 0 ? 0 : 10_000);
      drv.events();
      drv.qbuf(s, CAP, 0, RGB_64x48.sizeimage);
    }
    // The eventq is now empty: the next frames wait in the device.
    c.clock.advance(10_000);
    expect(c.dev.heldEvents).toBe(1);
    lb.submit(P.MEDIA_EVENTQ, [new Uint8Array(4)], [608]); // readable part: handed back
    lb.submit(P.MEDIA_EVENTQ, [], [100]); // too small
    expect(c.dev.stats.badEventBuffers).toBe(2);
    expect(c.dev.heldEvents).toBe(1);
    lb.submit(P.MEDIA_EVENTQ, [], [304, 304]); // split over two descriptors: fine
    const got = drv.events();
    expect(got.filter((e) => e.kind === 'dqbuf').map((e) => (e.kind === 'dqbuf' ? e.buffer.sequence : -1))).toEqual([16]);
    expect(drv.emptyEventBuffers).toBe(2);
    expect(needsReset(lb)).toBe(false);
  });
});

describe.each(RING_TYPES)('stream start-up budget (%s ring)', (ring) => {
  it('[AVP-MEDIA-36] returns the first frame within 400 ms of STREAMON with the default sensor', () => {
    const { drv, clock, dev } = cameraRig(ring);
    streamReady(drv, 2);
    clock.advance(400_000);
    expect(dqbufs(drv.events()).length).toBeGreaterThan(0);
    expect(dev.stats.firstFrameMaxUs).toBeLessThanOrEqual(400_000);
    expect(dev.stats.firstFrameOverBudget).toBe(0);
  });

  it('[AVP-MEDIA-37] records each stream start-up and counts those over the budget', () => {
    const { drv, clock, dev } = cameraRig(ring, { startupUs: 450_000, budgetUs: 400_000 });
    const s = streamReady(drv, 2);
    clock.advance(1_000_000);
    expect(dev.stats).toMatchObject({ streamStarts: 1, firstFrames: 1, firstFrameMaxUs: 450_000, firstFrameOverBudget: 1 });
    // A second stream on a running sensor: its first frame comes with the next frame period.
    drv.streamoff(s, CAP);
    streamReady(drv, 2);
    clock.advance(500_000);
    expect(dev.stats.streamStarts).toBe(2);
    expect(dev.stats.firstFrames).toBe(2);
  });
});
