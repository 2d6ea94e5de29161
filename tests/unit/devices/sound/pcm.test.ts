// PCM stream control (VIRTIO 1.4 §5.14.6.6): the command lifecycle, SET_PARAMS and its
// verdicts, the latency classes' limits, and what RELEASE does with held messages.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { encodeSetParams, type PcmParams } from '../../../../src/lib/devices/sound/params.ts';
import { PCM_TRANSITIONS, type PcmCommand, type PcmState } from '../../../../src/lib/devices/sound/pcm-state.ts';
import * as P from '../../../../src/lib/devices/sound/protocol.ts';
import { chimeTopology } from '../../../../src/lib/devices/sound/topology.ts';
import { guest, MEDIA, MIC, needsReset, ready, stereo } from './harness.ts';

const { VIRTIO_SND_S_OK: OK, VIRTIO_SND_S_BAD_MSG: BAD, VIRTIO_SND_S_NOT_SUPP: NOTSUPP, VIRTIO_SND_S_IO_ERR: IOERR } = P;
const COMMANDS: PcmCommand[] = ['SET_PARAMS', 'PREPARE', 'START', 'STOP', 'RELEASE'];

describe.each(RING_TYPES)('sound PCM control (%s ring)', (ring) => {
  it('[AVP-SND-13] [AVP-SND-14] accepts exactly the commands the lifecycle allows in each state, BAD_MSG otherwise', () => {
    // Reach every state, then try every command there on a fresh device.
    const paths: Record<PcmState, PcmCommand[]> = {
      idle: [], 'params-set': ['SET_PARAMS'], prepared: ['SET_PARAMS', 'PREPARE'], running: ['SET_PARAMS', 'PREPARE', 'START'],
      stopped: ['SET_PARAMS', 'PREPARE', 'START', 'STOP'], released: ['SET_PARAMS', 'PREPARE', 'RELEASE'],
    };
    const send = (g: ReturnType<typeof guest>, c: PcmCommand) => (c === 'SET_PARAMS' ? g.drv.setParams(0, MEDIA) : g.drv.pcm(c, 0));
    for (const [state, path] of Object.entries(paths) as [PcmState, PcmCommand[]][]) {
      for (const cmd of COMMANDS) {
        const g = guest(ring);
        for (const c of path) expect(send(g, c)).toBe(OK);
        expect(g.dev.streamState(0)).toBe(state);
        const ok = PCM_TRANSITIONS[state].includes(cmd);
        expect(send(g, cmd), `${cmd} in ${state}`).toBe(ok ? OK : BAD);
        if (!ok) expect(g.dev.streamState(0)).toBe(state);
        expect(needsReset(g)).toBe(false);
      }
    }
  });

  it('[AVP-SND-14] starts every stream, and returns it after a reset, with no parameters', () => {
    const g = guest(ring);
    expect(g.drv.pcm('PREPARE', 0)).toBe(BAD);
    ready(g, 0, MEDIA, true);
    g.dev.reset();
    expect(g.dev.streamState(0)).toBe('idle');
  });

  it('[AVP-SND-15] [AVP-SND-18] answers BAD_MSG to undefined values, bad periods and nonzero padding, changing nothing', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA);
    const bad: PcmParams[] = [
      { ...MEDIA, format: 25 }, { ...MEDIA, rate: 16 }, { ...MEDIA, features: 1 << 5 }, { ...MEDIA, features: 0b11 },
      { ...MEDIA, periodBytes: 0 }, { ...MEDIA, bufferBytes: 0 }, { ...MEDIA, bufferBytes: 1000 },
    ];
    for (const p of bad) expect(g.drv.setParams(0, p)).toBe(BAD);
    expect(g.drv.status(encodeSetParams(0, MEDIA, 1))).toBe(BAD);
    expect(g.drv.status(encodeSetParams(0, MEDIA).subarray(0, 23))).toBe(BAD);
    expect(g.dev.streamState(0)).toBe('prepared');
    // The stream keeps its parameters: 960-byte periods are still whole frames and fit.
    expect(g.drv.pcm('START', 0)).toBe(OK);
  });

  it('[AVP-SND-16] [AVP-SND-18] answers NOT_SUPP to defined values the stream does not offer', () => {
    const g = guest(ring);
    const unsupported: PcmParams[] = [
      { ...MEDIA, format: 17 }, { ...MEDIA, rate: 6 }, { ...MEDIA, channels: 3 }, { ...MEDIA, channels: 0 },
      { ...MEDIA, features: 1 << 2 }, { ...MEDIA, features: 1 << 0 },
    ];
    for (const p of unsupported) expect(g.drv.setParams(0, p)).toBe(NOTSUPP);
    expect(g.dev.streamState(0)).toBe('idle');
    expect(g.dev.stats.controlRejects['unsupported-params']).toBe(6);
    expect(g.drv.setParams(2, MIC)).toBe(OK); // the microphone offers 16 kHz
  });

  it('[AVP-SND-17] answers BAD_MSG to a period that is not a whole number of frames', () => {
    const g = guest(ring);
    expect(g.drv.setParams(0, { ...MEDIA, periodBytes: 962, bufferBytes: 962 * 2 })).toBe(BAD);
    expect(g.drv.setParams(0, { ...MEDIA, channels: 1, periodBytes: 962, bufferBytes: 962 * 2 })).toBe(OK);
  });

  it('[AVP-SND-36] refuses a period or buffer longer than the stream\'s latency class allows with NOT_SUPP', () => {
    const g = guest(ring, { topology: chimeTopology() });
    const chime: PcmParams = { ...MEDIA, channels: 1, periodBytes: 960, bufferBytes: 1920 }; // 10 ms, 20 ms
    expect(g.drv.setParams(0, chime)).toBe(OK);
    expect(g.drv.setParams(0, { ...chime, bufferBytes: 1920 + 960 })).toBe(NOTSUPP);
    expect(g.drv.setParams(0, { ...chime, periodBytes: 1920, bufferBytes: 1920 })).toBe(NOTSUPP);
    expect(g.dev.stats.controlRejects['over-latency-budget']).toBe(2);
    // The same 30 ms buffer is fine for media.
    const m = guest(ring);
    expect(m.drv.setParams(0, { ...chime, bufferBytes: 2880 })).toBe(OK);
    expect(m.drv.setParams(0, { ...MEDIA, periodBytes: 960 * 25, bufferBytes: 960 * 25 })).toBe(NOTSUPP); // 125 ms period
  });

  it('[AVP-SND-19] [AVP-SND-20] completes every held message on RELEASE before answering; unplayed output as IO_ERR', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA, true);
    g.drv.write(0, stereo(240, 100));
    g.drv.write(0, stereo(240, 100));
    g.dev.advance(2_500); // half of the first message played
    expect(g.drv.pcm('STOP', 0)).toBe(OK);
    expect(g.drv.written()).toEqual([]);
    expect(g.drv.pcm('RELEASE', 0)).toBe(OK);
    expect(g.dev.pendingMessages(0)).toBe(0);
    const done = g.drv.written();
    expect(done.map((d) => [P.statusName(d.status), d.len])).toEqual([['IO_ERR', 8], ['IO_ERR', 8]]);
    expect(g.dev.stats.ioRejects.released).toBe(2);
  });

  it('[AVP-SND-20] completes input messages on RELEASE with what they recorded and OK', () => {
    const g = guest(ring);
    ready(g, 2, MIC, true);
    g.dev.attachSource(2, (n, c) => new Int16Array(n * c).fill(-2));
    g.drv.read(2, 320);
    g.drv.read(2, 320);
    g.dev.advance(2_000); // 32 frames = 64 bytes into the first message
    expect(g.drv.pcm('STOP', 0 + 2)).toBe(OK);
    expect(g.drv.pcm('RELEASE', 2)).toBe(OK);
    const r = g.drv.recorded();
    expect(r.map((x) => [P.statusName(x.status), x.len, x.frames.length])).toEqual([['OK', 72, 64], ['OK', 8, 0]]);
    expect([...r[0].frames.subarray(0, 2)]).toEqual([0xfe, 0xff]);
  });

  it('[AVP-SND-20] completes pre-buffered output as IO_ERR when SET_PARAMS replaces the parameters', () => {
    const g = guest(ring);
    ready(g, 0, MEDIA);
    g.drv.write(0, stereo(240, 1));
    expect(g.drv.setParams(0, { ...MEDIA, channels: 1 })).toBe(OK);
    expect(g.drv.written().map((d) => P.statusName(d.status))).toEqual(['IO_ERR']);
    expect(IOERR).toBe(0x8003);
  });
});
