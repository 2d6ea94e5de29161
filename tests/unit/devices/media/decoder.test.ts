// The decoder over virtio-media (V4L2 memory-to-memory): bitstream on the OUTPUT queue, frames
// on the CAPTURE queue, the source-change event, timestamps, and bad bitstream.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as E from '../../../../src/lib/devices/media/errno.ts';
import * as V from '../../../../src/lib/devices/media/v4l2.ts';
import type { MediaDriver, MediaEvent } from '../../../../src/lib/devices/media/driver.ts';
import { renderScene } from '../../../../src/lib/devices/media/scene.ts';
import { toyDecode, toyEncode } from '../../../../src/lib/devices/media/toy-codec.ts';
import { decoderRig, needsReset } from './harness.ts';

const OUT = V.V4L2_BUF_TYPE_VIDEO_OUTPUT;
const CAP = V.V4L2_BUF_TYPE_VIDEO_CAPTURE;
const frame = (n: number) => toyEncode(32, 24, renderScene(32, 24, V.V4L2_PIX_FMT_RGB24, n));
const dq = (evs: MediaEvent[], type: number) => evs.flatMap((e) => (e.kind === 'dqbuf' && e.buffer.type === type ? [e.buffer] : []));

/** OUTPUT side set up and streaming, `n` buffers of bitstream queued with timestamps 1000 * (i + 1). */
function feed(drv: MediaDriver, session: number, bits: Uint8Array[]): void {
  drv.reqbufs(session, OUT, bits.length);
  bits.forEach((b, i) => expect(drv.qbuf(session, OUT, i, 4096, { data: b, timestampUs: 1000 * (i + 1) }).status).toBe(0));
  expect(drv.streamon(session, OUT)).toBe(0);
}

describe.each(RING_TYPES)('decoder (%s ring)', (ring) => {
  it('the toy codec round-trips and refuses malformed input', () => {
    const rgb = renderScene(32, 24, V.V4L2_PIX_FMT_RGB24, 3);
    const d = toyDecode(toyEncode(32, 24, rgb));
    expect(d.ok && d.rgb).toEqual(rgb);
    const bad = toyEncode(32, 24, rgb);
    expect(toyDecode(bad.subarray(0, bad.length - 4)).ok).toBe(false);
  });

  it('[AVP-MEDIA-31] reports the resolution with a SOURCE_CHANGE event to a subscribed session only', () => {
    const { drv } = decoderRig(ring);
    const a = drv.open().session;
    const b = drv.open().session;
    expect(drv.subscribe(a, V.V4L2_EVENT_SOURCE_CHANGE)).toBe(0);
    expect(drv.subscribe(a, V.V4L2_EVENT_EOS)).toBe(E.EINVAL);
    expect(drv.gFmt(a, CAP).pix.width).toBe(0); // not known yet
    feed(drv, a, [frame(0)]);
    feed(drv, b, [frame(0)]);
    const evs = drv.events().filter((e) => e.kind === 'event');
    expect(evs).toEqual([{ kind: 'event', session: a, event: { type: V.V4L2_EVENT_SOURCE_CHANGE, u32: V.V4L2_EVENT_SRC_CH_RESOLUTION, sequence: 0, timestampUs: 0 } }]);
    expect(drv.gFmt(a, CAP).pix).toMatchObject({ width: 32, height: 24, pixelformat: V.V4L2_PIX_FMT_RGB24, sizeimage: 32 * 24 * 3 });
  });

  it('[AVP-MEDIA-29] returns each frame with the timestamp of its bitstream buffer', () => {
    const { drv, dev } = decoderRig(ring);
    const s = drv.open().session;
    expect(V.fourccName(drv.enumFmt(s, OUT, 0).pixelformat)).toBe('ARLE');
    feed(drv, s, [frame(0), frame(1), frame(2)]);
    drv.reqbufs(s, CAP, 2);
    for (let i = 0; i < 2; i++) drv.qbuf(s, CAP, i, 32 * 24 * 3);
    drv.streamon(s, CAP);
    let evs = drv.events();
    expect(dq(evs, CAP).map((b) => [b.index, b.timestampUs, b.bytesused])).toEqual([[0, 1000, 2304], [1, 2000, 2304]]);
    expect(dq(evs, OUT).map((b) => b.index)).toEqual([0, 1]);
    expect(dq(evs, CAP).every((b) => (b.flags & V.V4L2_BUF_FLAG_TIMESTAMP_COPY) !== 0)).toBe(true);
    expect(drv.read(s, CAP, 1, 2304)).toEqual(renderScene(32, 24, V.V4L2_PIX_FMT_RGB24, 1));
    drv.qbuf(s, CAP, 0, 32 * 24 * 3); // the third frame waited for a CAPTURE buffer
    evs = drv.events();
    expect(dq(evs, CAP).map((b) => b.timestampUs)).toEqual([3000]);
    expect(dev.stats.framesDecoded).toBe(3);
  });

  it('[AVP-MEDIA-30] marks the frame of undecodable bitstream V4L2_BUF_FLAG_ERROR and goes on decoding', () => {
    const { drv, dev, lb } = decoderRig(ring);
    const s = drv.open().session;
    const broken = frame(1).slice();
    broken[12] = 0; // an empty run
    feed(drv, s, [frame(0), broken, frame(2)]);
    drv.reqbufs(s, CAP, 3);
    for (let i = 0; i < 3; i++) drv.qbuf(s, CAP, i, 32 * 24 * 3);
    drv.streamon(s, CAP);
    const evs = drv.events();
    expect(dq(evs, CAP).map((b) => [b.timestampUs, b.bytesused, (b.flags & V.V4L2_BUF_FLAG_ERROR) !== 0])).toEqual([[1000, 2304, false], [2000, 0, true], [3000, 2304, false]]);
    expect(dq(evs, OUT).map((b) => (b.flags & V.V4L2_BUF_FLAG_ERROR) !== 0)).toEqual([false, true, false]);
    expect(dev.stats.decodeErrors).toBe(1);
    expect(evs.some((e) => e.kind === 'error')).toBe(false);
    expect(needsReset(lb)).toBe(false);
    // An OUTPUT buffer without bitstream is refused at QBUF.
    expect(drv.qbuf(s, OUT, 0, 4096, { data: new Uint8Array(0) }).status).toBe(E.EINVAL);
  });
});
