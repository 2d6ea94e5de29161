// PCM I/O messages (VIRTIO 1.4 §5.14.6.8): output paced by the model clock, input filled as
// it is recorded, the status at the end, and IO_ERR for every malformed message.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { SND_RXQ, SND_TXQ } from '../../../../src/lib/devices/sound/config.ts';
import * as P from '../../../../src/lib/devices/sound/protocol.ts';
import { guest, MEDIA, MIC, needsReset, ready, stereo } from './harness.ts';

const { le32 } = P;

describe.each(RING_TYPES)('sound txq and rxq (%s ring)', (ring) => {
  it('[AVP-SND-21] [AVP-SND-22] completes an output message only once its last frame has been played at the stream rate', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA);
    const got: number[] = [];
    g.dev.connect(0, { write: (s) => got.push(...s) });
    g.drv.write(0, stereo(240, 7)); // 5 ms at 48 kHz
    g.drv.write(0, stereo(240, 9));
    g.dev.advance(50_000); // prepared, not started: nothing is played
    expect(g.drv.written()).toEqual([]);
    expect(g.drv.pcm('START', 0)).toBe(0x8000);
    g.dev.advance(4_979); // 238 frames
    expect(g.drv.written()).toEqual([]);
    expect(got.length).toBe(238 * 2);
    g.dev.advance(21); // 5 ms: frame 240 played
    expect(g.drv.written().map((d) => d.status)).toEqual([P.VIRTIO_SND_S_OK]);
    expect(got.length).toBe(480);
    g.dev.advance(5_000);
    expect(g.drv.written().length).toBe(1);
    expect(got.slice(478, 482)).toEqual([7, 7, 9, 9]);
  });

  it('[AVP-SND-27] reports as latency the bytes still held behind a completed message', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA, true);
    for (let i = 0; i < 3; i++) g.drv.write(0, stereo(240, 1));
    g.dev.advance(5_000);
    expect(g.drv.written().map((d) => d.latencyBytes)).toEqual([1920]);
    g.dev.advance(10_000);
    expect(g.drv.written().map((d) => d.latencyBytes)).toEqual([960, 0]);
  });

  it('[AVP-SND-23] completes an input message when it is full, with the frames then the status at the end', () => {
    const g = guest(ring);
    ready(g, 2, MIC);
    let n = 0;
    g.dev.attachSource(2, (frames) => Int16Array.from({ length: frames }, () => n++));
    g.drv.read(2, 320);
    expect(g.drv.pcm('START', 2)).toBe(0x8000);
    g.dev.advance(9_999); // 159 frames at 16 kHz
    expect(g.drv.recorded()).toEqual([]);
    g.dev.advance(1);
    const [r] = g.drv.recorded();
    expect([r.len, P.statusName(r.status), r.frames.length]).toEqual([328, 'OK', 320]);
    const v = new DataView(r.frames.buffer, r.frames.byteOffset);
    expect([v.getInt16(0, true), v.getInt16(318, true)]).toEqual([0, 159]);
  });

  it('[AVP-SND-24] answers IO_ERR to malformed output messages and keeps playing the good ones', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA, true);
    const frames = stereo(240, 1);
    g.drv.rawIo(SND_TXQ, [le32(0).subarray(0, 3)], [8]); // no whole stream_id
    g.drv.rawIo(SND_TXQ, [le32(3), frames], [8]); // no such stream
    g.drv.rawIo(SND_TXQ, [le32(2), frames], [8]); // an input stream
    g.drv.rawIo(SND_TXQ, [le32(0), frames.subarray(0, 958)], [8]); // half a frame at the end
    g.drv.rawIo(SND_TXQ, [le32(0), frames], [8, 8]); // more than a status to write
    g.drv.rawIo(SND_TXQ, [le32(1), frames.subarray(0, 480)], [8]); // stream 1 is not prepared
    const r = g.drv.written();
    expect(r.map((d) => P.statusName(d.status))).toEqual(Array(6).fill('IO_ERR'));
    expect(r.map((d) => d.len)).toEqual([8, 8, 8, 8, 16, 8]);
    expect(g.dev.stats.ioRejects).toEqual({ 'short-header': 1, 'bad-stream': 2, 'partial-frame': 1, 'bad-shape': 1, 'wrong-state': 1 });
    g.drv.write(0, frames);
    g.dev.advance(5_000);
    expect(g.drv.written().map((d) => P.statusName(d.status))).toEqual(['OK']);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-SND-24] answers IO_ERR to malformed input messages, the status at the end of the writable area', () => {
    const g = guest(ring);
    ready(g, 2, MIC, true);
    g.drv.rawIo(SND_RXQ, [le32(2), new Uint8Array(2)], [320, 8]); // more than a header to read
    g.drv.rawIo(SND_RXQ, [le32(0)], [320, 8]); // an output stream
    g.drv.rawIo(SND_RXQ, [le32(2)], [321, 8]); // half a frame of room
    const r = g.drv.recorded();
    expect(r.map((x) => [P.statusName(x.status), x.len])).toEqual([['IO_ERR', 8], ['IO_ERR', 8], ['IO_ERR', 8]]);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-SND-25] hands back an I/O message with no room for a status with used length 0', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA, true);
    g.drv.rawIo(SND_TXQ, [le32(0), stereo(1, 0)], []);
    g.drv.rawIo(SND_TXQ, [le32(0), stereo(1, 0)], [7]);
    g.drv.rawIo(SND_RXQ, [le32(2)], [4, 3]);
    expect(g.drv.written().map((d) => d.len)).toEqual([0, 0]);
    expect(g.drv.recorded().map((d) => d.len)).toEqual([0]);
    expect(g.dev.stats.ioRejects['no-status-room']).toBe(3);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-SND-26] holds no more than buffer_bytes for a stream: a message beyond it gets IO_ERR', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA);
    for (let i = 0; i < 4; i++) g.drv.write(0, stereo(240, 1));
    expect(g.dev.queuedBytes(0)).toBe(MEDIA.bufferBytes);
    g.drv.write(0, stereo(1, 1));
    expect(g.drv.written().map((d) => P.statusName(d.status))).toEqual(['IO_ERR']);
    expect(g.dev.stats.ioRejects['over-buffer']).toBe(1);
    // Once a period has played there is room again.
    g.drv.pcm('START', 0);
    g.dev.advance(5_000);
    g.drv.write(0, stereo(240, 1));
    expect(g.drv.written().map((d) => P.statusName(d.status))).toEqual(['OK']);
    expect(g.dev.queuedBytes(0)).toBe(MEDIA.bufferBytes);
  });

  it('[AVP-SND-32] plays silence through an underrun, never old frames, and keeps time', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA, true);
    const got: number[] = [];
    g.dev.connect(0, { write: (s) => got.push(...s) });
    g.drv.write(0, stereo(240, 5));
    g.dev.advance(10_000); // 5 ms of data, then 5 ms of nothing
    expect(got.length).toBe(480 * 2);
    expect(got.slice(480)).toEqual(Array(480).fill(0));
    g.drv.write(0, stereo(240, 6));
    g.dev.advance(5_000);
    expect(got.slice(960)).toEqual(Array(480).fill(6)); // the new frames play at once, not after the gap
    expect(g.dev.streamState(0)).toBe('running');
    expect([g.dev.stats.underruns, g.dev.stats.underrunFrames]).toEqual([1, 240]);
  });

  it('[AVP-SND-33] drops input frames with no buffer to take them and keeps recording', () => {
    const g = guest(ring);
    ready(g, 2, MIC, true);
    g.dev.advance(5_000); // 80 frames, no buffer
    g.drv.read(2, 320);
    g.dev.advance(10_000);
    expect(g.drv.recorded().map((r) => r.len)).toEqual([328]);
    expect([g.dev.stats.overruns, g.dev.stats.overrunFrames]).toEqual([1, 80]);
  });
});
