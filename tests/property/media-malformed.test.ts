// Properties of the media device under malformed commands. Whatever a driver puts on the
// commandq (any command code, any length, any session, any ioctl code and payload, cut
// anywhere, with any room for the response), the device never throws and never needs a reset;
// a chain with fewer than 8 writable bytes comes back with used length 0, every other one with
// a response header whose status is 0 or a Linux errno, and that status is the one an
// independent statement of the rules predicts for the structural errors: EINVAL for an
// unknown or short command, EBADF for a session that is not open, ENOTTY for an ioctl the
// device does not implement. Afterwards the device still opens a session and streams.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { CameraDevice, CameraSensor } from '../../src/lib/devices/media/camera.ts';
import { MediaClock } from '../../src/lib/devices/media/clock.ts';
import { DecoderDevice } from '../../src/lib/devices/media/decoder.ts';
import { MediaDriver } from '../../src/lib/devices/media/driver.ts';
import * as E from '../../src/lib/devices/media/errno.ts';
import * as P from '../../src/lib/devices/media/protocol.ts';
import * as V from '../../src/lib/devices/media/v4l2.ts';

/** What the camera implements, written out apart from its code. */
const CAMERA_IOCTLS = [V.VIDIOC_ENUM_FMT, V.VIDIOC_G_FMT, V.VIDIOC_S_FMT, V.VIDIOC_TRY_FMT, V.VIDIOC_REQBUFS, V.VIDIOC_QBUF, V.VIDIOC_STREAMON, V.VIDIOC_STREAMOFF];

const ERRNOS = new Set([0, E.EIO, E.EBADF, E.EBUSY, E.EFAULT, E.EINVAL, E.ENOTTY]);

interface Cmd {
  cmd: number;
  /** 0: the open session; 1: a session never opened; 2: any number. */
  sessionKind: number;
  anySession: number;
  code: number;
  payload: Uint8Array;
  truncate: number | null;
  cuts: number[];
  writable: number[];
}

const cmdArb: fc.Arbitrary<Cmd> = fc.record({
  cmd: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(1, 2, 3, 4, 5) }, { weight: 1, arbitrary: fc.nat(0xffff_ffff) }),
  sessionKind: fc.nat(2),
  anySession: fc.nat(0xffff_ffff),
  code: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...V.IOCTLS.map((s) => s.code), ...V.REPLACED_IOCTLS) }, { weight: 1, arbitrary: fc.nat(255) }),
  payload: fc.uint8Array({ maxLength: 260 }),
  truncate: fc.option(fc.nat(24), { freq: 3 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  writable: fc.oneof({ weight: 4, arbitrary: fc.constant([8 + 208] as number[]) }, { weight: 2, arbitrary: fc.array(fc.integer({ min: 1, max: 240 }), { maxLength: 3 }) }),
});

/** The status the structural rules predict, or null where it depends on the ioctl's own checks. */
function predicted(c: Cmd, bytes: Uint8Array, open: boolean, writableTotal: number): number | null {
  const need = P.CMD_SIZE[c.cmd];
  if (need === undefined || bytes.length < need) return E.EINVAL;
  if (c.cmd === P.VIRTIO_MEDIA_CMD_OPEN) return writableTotal < 16 ? E.EINVAL : 0;
  if (c.cmd === P.VIRTIO_MEDIA_CMD_MUNMAP) return E.EINVAL;
  if (!open) return E.EBADF;
  if (c.cmd === P.VIRTIO_MEDIA_CMD_CLOSE) return 0;
  if (c.cmd === P.VIRTIO_MEDIA_CMD_MMAP) return E.EINVAL;
  const spec = V.ioctlSpec(c.code);
  if (!spec || !CAMERA_IOCTLS.includes(c.code)) return E.ENOTTY;
  if (spec.dir !== 'R' && bytes.length - 16 < spec.size) return E.EINVAL;
  if (spec.dir !== 'W' && writableTotal < 8 + spec.size) return E.EINVAL;
  return null;
}

describe.each(RING_TYPES)('media commandq under malformed commands (%s ring)', (ring) => {
  it('[AVP-MEDIA-6] [AVP-MEDIA-7] [AVP-MEDIA-8] [AVP-MEDIA-10] [AVP-MEDIA-11] [AVP-MEDIA-12] [AVP-MEDIA-15] answers every command with the predicted errno and never needs a reset', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 12 }), (cmds) => {
        const clock = new MediaClock();
        const dev = new CameraDevice({ sensor: new CameraSensor({ clock }) });
        const lb = new Loopback(dev, { ring, memSize: 1 << 18 });
        const drv = new MediaDriver(lb);
        drv.postEvents(4);
        let session = drv.open().session;
        for (const c of cmds) {
          const open = dev.sessions.has(session);
          const target = c.sessionKind === 0 ? session : c.sessionKind === 1 ? 0xdead_beef : c.anySession;
          const isOpen = dev.sessions.has(target);
          let bytes = P.concat(P.header(c.cmd), V.encodeU32(target), c.cmd === P.VIRTIO_MEDIA_CMD_MMAP ? P.concat(V.encodeU32(0), V.encodeU32(0)) : V.encodeU32(c.code), c.payload);
          if (c.truncate !== null) bytes = bytes.subarray(0, c.truncate);
          const parts = cut(bytes, c.cuts);
          if (parts.length + c.writable.length === 0) continue;
          const room = c.writable.reduce((a, b) => a + b, 0);
          const expectStatus = predicted(c, bytes, isOpen, room);
          const r = drv.raw(parts, c.writable);
          if (room < 8) {
            expect(r.len).toBe(0);
          } else {
            expect(r.len).toBeGreaterThanOrEqual(8);
            expect(ERRNOS.has(r.status!)).toBe(true);
            if (expectStatus !== null) expect(r.status).toBe(expectStatus);
          }
          if (!open || !dev.sessions.has(session)) session = drv.open().session;
        }
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(lb.error).toBeNull();
        // Still a working camera.
        const s = drv.open().session;
        expect(drv.reqbufs(s, V.V4L2_BUF_TYPE_VIDEO_CAPTURE, 1).status).toBe(0);
      }),
      { numRuns: 120 },
    );
  });

  it('[AVP-MEDIA-15] [AVP-MEDIA-30] a decoder fed random bitstream returns every buffer and keeps its session', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 6 }), (streams) => {
        const dev = new DecoderDevice();
        const lb = new Loopback(dev, { ring, memSize: 1 << 18 });
        const drv = new MediaDriver(lb);
        drv.postEvents(32);
        const s = drv.open().session;
        const OUT = V.V4L2_BUF_TYPE_VIDEO_OUTPUT;
        drv.reqbufs(s, OUT, streams.length);
        streams.forEach((b, i) => expect(drv.qbuf(s, OUT, i, 4096, { data: b, timestampUs: i + 1 }).status).toBe(0));
        drv.streamon(s, OUT);
        const evs = drv.events();
        expect(evs.some((e) => e.kind === 'error')).toBe(false);
        // Random bytes are never a valid header: each OUTPUT buffer comes back flagged.
        const outs = evs.flatMap((e) => (e.kind === 'dqbuf' && e.buffer.type === OUT ? [e.buffer] : []));
        expect(outs.map((b) => b.index)).toEqual(streams.map((_, i) => i));
        expect(outs.every((b) => (b.flags & V.V4L2_BUF_FLAG_ERROR) !== 0)).toBe(true);
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        expect(dev.sessions.get(s)!.errored).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
