// The commandq of a media device (VIRTIO 1.4 §5.22.6.1): sessions, ioctls and their payloads,
// and the error status of every malformed command, on both ring layouts.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as E from '../../../../src/lib/devices/media/errno.ts';
import * as P from '../../../../src/lib/devices/media/protocol.ts';
import * as V from '../../../../src/lib/devices/media/v4l2.ts';
import { CAP, cameraRig, decoderRig, needsReset, RGB_64x48, streamReady, viewerRig } from './harness.ts';

const u32 = V.encodeU32;
const ioctlCmd = (session: number, code: number) => P.concat(P.header(P.VIRTIO_MEDIA_CMD_IOCTL), u32(session), u32(code));

describe.each(RING_TYPES)('media device and configuration (%s ring)', (ring) => {
  it('[AVP-MEDIA-1] is device 48 with the commandq and the eventq and no feature bits', () => {
    const { dev, lb } = cameraRig(ring);
    expect(dev.deviceId).toBe(48);
    expect(dev.queueCount()).toBe(2);
    expect(lb.queues.length).toBe(2);
    expect(dev.offeredFeatures() & 0xff_ffffn).toBe(0n);
  });

  it('[AVP-MEDIA-2] reports the node capabilities without DEVICE_CAPS or READWRITE', () => {
    const cam = cameraRig(ring).drv.config();
    expect(cam.deviceCaps).toBe(V.V4L2_CAP_VIDEO_CAPTURE | V.V4L2_CAP_STREAMING | V.V4L2_CAP_EXT_PIX_FORMAT);
    const dec = decoderRig(ring).drv.config();
    expect(dec.deviceCaps & V.V4L2_CAP_VIDEO_M2M).toBeTruthy();
    for (const c of [cam, dec]) expect(c.deviceCaps & (V.V4L2_CAP_DEVICE_CAPS | V.V4L2_CAP_READWRITE)).toBe(0);
  });

  it('[AVP-MEDIA-3] reports device_type VFL_TYPE_VIDEO and a NUL-terminated card name; driver writes change nothing', () => {
    const { dev, drv } = cameraRig(ring);
    expect(drv.config()).toMatchObject({ deviceType: 0, card: 'AVP rear-view camera' });
    const before = dev.config.read(0, P.MEDIA_CONFIG_SIZE);
    expect(before[P.MEDIA_CFG_CARD + 'AVP rear-view camera'.length]).toBe(0);
    dev.writeConfig(0, new Uint8Array(40).fill(0xff));
    expect(dev.config.read(0, P.MEDIA_CONFIG_SIZE)).toEqual(before);
  });
});

describe.each(RING_TYPES)('media sessions (%s ring)', (ring) => {
  it('[AVP-MEDIA-4] gives every open session an ID no other open session has', () => {
    const { drv } = decoderRig(ring);
    const ids = Array.from({ length: 6 }, () => drv.open());
    expect(ids.every((o) => o.status === 0)).toBe(true);
    expect(new Set(ids.map((o) => o.session)).size).toBe(6);
    expect(drv.close(ids[2].session)).toBe(0);
    const again = drv.open();
    expect(ids.filter((o, i) => i !== 2).map((o) => o.session)).not.toContain(again.session);
  });

  it('[AVP-MEDIA-5] [AVP-MEDIA-9] keeps the ID of a session that got an error event until it is closed, and fails its commands with EIO', () => {
    const { drv: owner, sensor } = cameraRig(ring);
    const vd = viewerRig(ring, sensor).drv;
    vd.autoClose = false;
    const vs = streamReady(vd, 2, false);
    // The owner reconfigures the sensor: the viewer's session, which holds buffers, ends.
    expect(owner.sFmt(owner.open().session, CAP, { ...RGB_64x48, width: 32, height: 24 }).status).toBe(0);
    const ev = vd.events();
    expect(ev).toEqual([{ kind: 'error', session: vs, errno: E.EIO }]);
    expect(vd.gFmt(vs, CAP).status).toBe(E.EIO);
    expect(vd.streamon(vs, CAP)).toBe(E.EIO);
    for (let i = 0; i < 5; i++) expect(vd.open().session).not.toBe(vs);
    expect(vd.close(vs)).toBe(0);
    expect(vd.close(vs)).toBe(E.EBADF);
  });

  it('[AVP-MEDIA-8] fails IOCTL, CLOSE and MMAP naming a session that is not open with EBADF', () => {
    const { drv } = decoderRig(ring);
    expect(drv.gFmt(7, CAP).status).toBe(E.EBADF);
    expect(drv.close(7)).toBe(E.EBADF);
    const mmap = P.concat(P.header(P.VIRTIO_MEDIA_CMD_MMAP), u32(7), u32(0), u32(0));
    expect(drv.raw([mmap], [24]).status).toBe(E.EBADF);
  });

  it('[AVP-MEDIA-25] [AVP-MEDIA-47] completes CLOSE with status 0, stops the session and sends no event for it afterwards', () => {
    const { drv, dev, clock } = cameraRig(ring);
    drv.autoRepost = false;
    const s = streamReady(drv);
    expect(drv.close(s)).toBe(0);
    clock.advance(1_000_000);
    expect(drv.events()).toEqual([]);
    expect(dev.sessions.size).toBe(0);
    expect(dev.stats.dqbufEvents).toBe(0);
  });

  it('[AVP-MEDIA-32] the driver closes a session when the device reports an error on it', () => {
    const { drv, sensor } = cameraRig(ring);
    const { dev: viewer, drv: vd } = viewerRig(ring, sensor);
    const vs = streamReady(vd, 2, false);
    drv.sFmt(drv.open().session, CAP, { ...RGB_64x48, width: 32, height: 24 });
    expect(vd.events().map((e) => e.kind)).toEqual(['error']);
    expect(viewer.sessions.has(vs)).toBe(false); // closed by the driver
  });
});

describe.each(RING_TYPES)('malformed commands (%s ring)', (ring) => {
  it('[AVP-MEDIA-6] answers an unknown command, or one shorter than its structure, with EINVAL', () => {
    const { drv } = decoderRig(ring);
    expect(drv.raw([P.header(99)], [8])).toMatchObject({ len: 8, status: E.EINVAL });
    expect(drv.raw([new Uint8Array([1, 0, 0])], [16])).toMatchObject({ len: 8, status: E.EINVAL });
    expect(drv.raw([P.header(P.VIRTIO_MEDIA_CMD_CLOSE)], [8]).status).toBe(E.EINVAL);
    expect(drv.raw([P.concat(P.header(P.VIRTIO_MEDIA_CMD_IOCTL), u32(1))], [8]).status).toBe(E.EINVAL);
    expect(drv.raw([P.header(P.VIRTIO_MEDIA_CMD_MUNMAP)], [8]).status).toBe(E.EINVAL);
    // OPEN without room for its response opens nothing.
    expect(drv.raw([P.header(P.VIRTIO_MEDIA_CMD_OPEN)], [8]).status).toBe(E.EINVAL);
  });

  it('[AVP-MEDIA-7] returns a command without 8 writable bytes with used length 0 and does not run it', () => {
    const { drv, dev } = decoderRig(ring);
    expect(drv.raw([P.header(P.VIRTIO_MEDIA_CMD_OPEN)], [4]).len).toBe(0);
    expect(drv.raw([P.header(P.VIRTIO_MEDIA_CMD_OPEN)], []).len).toBe(0);
    expect(dev.sessions.size).toBe(0);
    expect(dev.stats.noResponse).toBe(2);
  });

  it('[AVP-MEDIA-10] answers unsupported and replaced ioctls with ENOTTY', () => {
    const { drv } = cameraRig(ring);
    const { session } = drv.open();
    for (const code of [V.VIDIOC_QUERYCAP, V.VIDIOC_DQBUF, V.VIDIOC_DQEVENT, V.VIDIOC_LOG_STATUS, 200, V.VIDIOC_SUBSCRIBE_EVENT]) {
      expect(drv.raw([ioctlCmd(session, code), new Uint8Array(200)], [300]).status, `code ${code}`).toBe(E.ENOTTY);
    }
  });

  it('[AVP-MEDIA-11] [AVP-MEDIA-16] refuses a device-readable payload shorter than the 64-bit structure with EINVAL', () => {
    const { drv, dev } = cameraRig(ring);
    const { session } = drv.open();
    drv.reqbufs(session, CAP, 2);
    // A 32-bit guest's struct v4l2_buffer is 68 bytes: not the layout virtio-media uses.
    const b32 = V.encodeBuffer({ index: 0, type: CAP, bytesused: 0, flags: 0, field: 1, timestampUs: 0, sequence: 0, memory: V.V4L2_MEMORY_USERPTR, m: 0x1000n, length: 9216 }).subarray(0, 68);
    expect(drv.raw([ioctlCmd(session, V.VIDIOC_QBUF), b32], [8 + 88]).status).toBe(E.EINVAL);
    expect(drv.raw([ioctlCmd(session, V.VIDIOC_S_FMT), new Uint8Array(204)], [8 + 208]).status).toBe(E.EINVAL);
    expect(drv.raw([ioctlCmd(session, V.VIDIOC_STREAMON)], [8]).status).toBe(E.EINVAL);
    expect(dev.sessions.get(session)!.capture.queuedCount).toBe(0);
  });

  it('[AVP-MEDIA-16] uses the 64-bit little-endian layouts of the V4L2 structures', () => {
    expect(V.encodeBuffer({ index: 1, type: 1, bytesused: 2, flags: 3, field: 1, timestampUs: 1_500_000, sequence: 9, memory: 2, m: 0x1122334455667788n, length: 77 }).length).toBe(88);
    expect(V.encodeFormat(1, RGB_64x48).length).toBe(208);
    expect(V.encodeEvent({ type: 5, u32: 1, sequence: 0, timestampUs: 0 }).length).toBe(136);
    expect(P.EVENT_DQBUF_SIZE).toBe(8 + 88 + 8 * 64);
    const b = V.encodeBuffer({ index: 1, type: 1, bytesused: 2, flags: 3, field: 1, timestampUs: 1_500_000, sequence: 9, memory: 2, m: 0x1122334455667788n, length: 77 });
    const v = new DataView(b.buffer);
    expect([v.getBigInt64(24, true), v.getBigInt64(32, true), v.getUint32(56, true), v.getBigUint64(64, true), v.getUint32(72, true)]).toEqual([1n, 500_000n, 9, 0x1122334455667788n, 77]);
    expect(new DataView(V.encodeFormat(1, RGB_64x48).buffer).getUint32(8, true)).toBe(64); // pix at offset 8
  });

  it('[AVP-MEDIA-12] refuses a device-writable ioctl without room for the header and payload, before it takes effect', () => {
    const { drv, dev } = cameraRig(ring);
    const { session } = drv.open();
    expect(drv.raw([ioctlCmd(session, V.VIDIOC_REQBUFS), V.encodeReqBufs(2, CAP, V.V4L2_MEMORY_USERPTR)], [8 + 19])).toMatchObject({ len: 8, status: E.EINVAL });
    expect(dev.sessions.get(session)!.capture.buffers.length).toBe(0);
  });

  it('[AVP-MEDIA-13] writes the payload after the header when a device-writable ioctl succeeds', () => {
    const { drv } = cameraRig(ring);
    const { session } = drv.open();
    const r = drv.raw([ioctlCmd(session, V.VIDIOC_G_FMT), V.encodeFormat(CAP, { ...RGB_64x48, width: 0 })], [8, 208]);
    expect(r).toMatchObject({ len: 216, status: 0 });
    expect(V.decodeFormat(r.data.subarray(8)).pix).toEqual(RGB_64x48);
    // STREAMON is _IOW: only the header comes back.
    drv.reqbufs(session, CAP, 1);
    expect(drv.raw([ioctlCmd(session, V.VIDIOC_STREAMON), u32(CAP)], [8]).len).toBe(8);
  });

  it('[AVP-MEDIA-14] writes only the response header when an ioctl fails', () => {
    const { drv } = cameraRig(ring);
    const { session } = drv.open();
    const r = drv.raw([ioctlCmd(session, V.VIDIOC_G_FMT), V.encodeFormat(V.V4L2_BUF_TYPE_VIDEO_OUTPUT, RGB_64x48)], [8 + 208]);
    expect(r).toMatchObject({ len: 8, status: E.EINVAL });
  });

  it('[AVP-MEDIA-15] does not need a reset for any command, only for a broken ring', () => {
    const { drv, lb } = cameraRig(ring);
    for (const junk of [new Uint8Array(3), new Uint8Array(100).fill(0xff), P.header(3), ioctlCmd(0xffff_ffff, 0xffff_ffff)]) drv.raw([junk], [64]);
    expect(needsReset(lb)).toBe(false);
    lb.queues[P.MEDIA_COMMANDQ].add([{ addr: 0x7fff_0000, len: 8, writable: false }]);
    lb.device.queueNotify(P.MEDIA_COMMANDQ);
    expect(needsReset(lb)).toBe(true);
  });
});
