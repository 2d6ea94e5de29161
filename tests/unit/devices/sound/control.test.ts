// The controlq (VIRTIO 1.4 §5.14.6): the configuration counts, the info queries, jacks, and
// what the device answers to malformed or unsupported requests.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { SND_CFG_CHMAPS, SND_CFG_CONTROLS, SND_CFG_JACKS, SND_CFG_STREAMS, SND_CONTROLQ, SND_EVENTQ, SND_RXQ, SND_TXQ, VIRTIO_ID_SOUND, VIRTIO_SND_F_CTLS } from '../../../../src/lib/devices/sound/config.ts';
import { PCM_FEATURES_DEFINED, PCM_FORMAT_PHYSICAL_BITS, PCM_RATE_HZ } from '../../../../src/lib/devices/sound/formats.ts';
import { decodeChmapInfo, decodeJackInfo, decodePcmInfo } from '../../../../src/lib/devices/sound/info.ts';
import * as P from '../../../../src/lib/devices/sound/protocol.ts';
import { chimeTopology, infotainmentTopology } from '../../../../src/lib/devices/sound/topology.ts';
import { guest, needsReset } from './harness.ts';

const { le32, VIRTIO_SND_S_OK: OK, VIRTIO_SND_S_BAD_MSG: BAD, VIRTIO_SND_S_NOT_SUPP: NOTSUPP } = P;

describe.each(RING_TYPES)('sound controlq (%s ring)', (ring) => {
  it('[AVP-SND-1] is device 25 with controlq, eventq, txq and rxq at 0..3', () => {
    const g = guest(ring);
    expect(g.dev.deviceId).toBe(VIRTIO_ID_SOUND);
    expect(VIRTIO_ID_SOUND).toBe(25);
    expect([SND_CONTROLQ, SND_EVENTQ, SND_TXQ, SND_RXQ]).toEqual([0, 1, 2, 3]);
    expect(g.lb.queues.length).toBe(4);
  });

  it('[AVP-SND-2] reports the counts of its topology and offers no control elements', () => {
    const g = guest(ring);
    const c = g.dev.config;
    expect([c.u32(SND_CFG_JACKS), c.u32(SND_CFG_STREAMS), c.u32(SND_CFG_CHMAPS), c.u32(SND_CFG_CONTROLS)]).toEqual([1, 3, 2, 0]);
    expect(g.lb.features & (1n << BigInt(VIRTIO_SND_F_CTLS))).toBe(0n);
    for (const code of [0x0300, 0x0302, 0x0306]) expect(g.drv.status(le32(code, 0))).toBe(NOTSUPP);
    const cl = guest(ring, { topology: chimeTopology() });
    expect([cl.dev.config.u32(SND_CFG_JACKS), cl.dev.config.u32(SND_CFG_STREAMS)]).toEqual([0, 1]);
  });

  it('[AVP-SND-3] refuses a query range beyond the count with BAD_MSG and no items', () => {
    const g = guest(ring);
    expect(g.drv.query(P.VIRTIO_SND_R_PCM_INFO, 0, 3, 32).status).toBe(OK);
    for (const [start, count] of [[0, 4], [3, 1], [2, 2], [0xffffffff, 1], [1, 0xffffffff]]) {
      const c = g.drv.control(le32(P.VIRTIO_SND_R_PCM_INFO, start, count, 32), 4 + 4 * 32);
      expect([c.len, P.u32At(c.data, 0)]).toEqual([4, BAD]);
    }
    expect(g.drv.query(P.VIRTIO_SND_R_JACK_INFO, 1, 1, 24).status).toBe(BAD);
    expect(g.drv.query(P.VIRTIO_SND_R_CHMAP_INFO, 2, 0, 24).status).toBe(OK); // an empty range at the end
    expect(g.dev.stats.controlRejects['bad-id']).toBe(6);
  });

  it('[AVP-SND-4] pads items to a larger size with zeros and refuses a smaller size or a short response buffer', () => {
    const g = guest(ring);
    const big = g.drv.query(P.VIRTIO_SND_R_PCM_INFO, 1, 2, 40);
    expect(big.status).toBe(OK);
    expect(big.items.map((b) => [...b.subarray(32)])).toEqual([Array(8).fill(0), Array(8).fill(0)]);
    expect(decodePcmInfo(big.items[1]).direction).toBe(P.VIRTIO_SND_D_INPUT);
    expect(g.drv.query(P.VIRTIO_SND_R_PCM_INFO, 0, 1, 31).status).toBe(BAD);
    const short = g.drv.control(le32(P.VIRTIO_SND_R_PCM_INFO, 0, 2, 32), 4 + 32);
    expect([short.len, P.u32At(short.data, 0)]).toEqual([4, BAD]);
    expect(g.dev.stats.controlRejects['bad-query']).toBe(2);
  });

  it('[AVP-SND-5] describes streams with defined values only and zero padding', () => {
    const g = guest(ring);
    const items = g.drv.query(P.VIRTIO_SND_R_PCM_INFO, 0, 3, 32).items;
    for (const b of items) {
      const i = decodePcmInfo(b);
      expect(i.features & ~PCM_FEATURES_DEFINED).toBe(0);
      expect(i.formats >> BigInt(PCM_FORMAT_PHYSICAL_BITS.length)).toBe(0n);
      expect(i.rates >> BigInt(PCM_RATE_HZ.length)).toBe(0n);
      expect([P.VIRTIO_SND_D_OUTPUT, P.VIRTIO_SND_D_INPUT]).toContain(i.direction);
      expect([...b.subarray(27)]).toEqual([0, 0, 0, 0, 0]);
    }
    expect(decodePcmInfo(items[0])).toMatchObject({ formats: 1n << 5n, rates: 1n << 7n, channelsMin: 1, channelsMax: 2 });
    const jack = g.drv.query(P.VIRTIO_SND_R_JACK_INFO, 0, 1, 24).items[0];
    expect([...jack.subarray(17)]).toEqual(Array(7).fill(0));
    expect(decodeJackInfo(jack).features).toBe(0);
  });

  it('[AVP-SND-6] describes channel maps with at most 18 positions and a defined direction', () => {
    const g = guest(ring);
    const maps = g.drv.query(P.VIRTIO_SND_R_CHMAP_INFO, 0, 2, 24).items.map(decodeChmapInfo);
    expect(maps).toEqual([{ hdaFnNid: 0, direction: 0, positions: [3, 4] }, { hdaFnNid: 0, direction: 1, positions: [2] }]);
    for (const b of g.drv.query(P.VIRTIO_SND_R_CHMAP_INFO, 0, 2, 24).items) expect(b[5]).toBeLessThanOrEqual(P.VIRTIO_SND_CHMAP_MAX_SIZE);
  });

  it('[AVP-SND-7] [AVP-SND-8] reports the jack state as it is now, and each change as an event', () => {
    const g = guest(ring);
    g.drv.postEvents(4);
    const connected = () => decodeJackInfo(g.drv.query(P.VIRTIO_SND_R_JACK_INFO, 0, 1, 24).items[0]).connected;
    expect(connected()).toBe(false);
    g.dev.setJack(0, true);
    g.dev.setJack(0, true); // no change, no event
    expect(connected()).toBe(true);
    g.dev.setJack(0, false);
    expect(connected()).toBe(false);
    expect(g.drv.events().map(P.formatEvent)).toEqual(['JACK_CONNECTED 0', 'JACK_DISCONNECTED 0']);
  });

  it('[AVP-SND-9] answers JACK_REMAP with NOT_SUPP, or BAD_MSG for a jack that does not exist', () => {
    const g = guest(ring);
    expect(g.drv.status(le32(P.VIRTIO_SND_R_JACK_REMAP, 0, 1, 2))).toBe(NOTSUPP);
    expect(g.drv.status(le32(P.VIRTIO_SND_R_JACK_REMAP, 1, 1, 2))).toBe(BAD);
    expect(g.drv.status(le32(P.VIRTIO_SND_R_JACK_REMAP, 0, 1))).toBe(BAD); // short
  });

  it('[AVP-SND-10] answers a short request BAD_MSG and an unknown code NOT_SUPP, and keeps working', () => {
    const g = guest(ring);
    expect(P.u32At(g.drv.rawControl([new Uint8Array(3)], [4]).data, 0)).toBe(BAD);
    expect(g.drv.status(le32(P.VIRTIO_SND_R_PCM_INFO, 0, 1))).toBe(BAD); // query_info is 16 bytes
    expect(g.drv.status(le32(P.VIRTIO_SND_R_PCM_START))).toBe(BAD); // no stream_id
    expect(g.drv.status(le32(0x0400, 0))).toBe(NOTSUPP);
    expect(g.drv.status(le32(P.VIRTIO_SND_S_OK, 0))).toBe(NOTSUPP);
    // A request split over descriptors at odd places is one byte stream.
    const req = le32(P.VIRTIO_SND_R_PCM_INFO, 0, 1, 32);
    const c = g.drv.rawControl([req.subarray(0, 3), req.subarray(3, 9), req.subarray(9)], [2, 34]);
    expect([c.len, P.u32At(c.data, 0)]).toEqual([36, OK]);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-SND-11] hands back a request with no room for a status with used length 0', () => {
    const g = guest(ring);
    expect(g.drv.rawControl([le32(P.VIRTIO_SND_R_PCM_INFO, 0, 1, 32)], []).len).toBe(0);
    expect(g.drv.rawControl([le32(P.VIRTIO_SND_R_PCM_INFO, 0, 1, 32)], [3]).len).toBe(0);
    expect(g.dev.stats.controlNoResponseRoom).toBe(2);
    expect(g.drv.query(P.VIRTIO_SND_R_PCM_INFO, 0, 1, 32).status).toBe(OK);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-SND-12] answers a PCM command for a stream that does not exist with BAD_MSG', () => {
    const g = guest(ring);
    for (const code of [P.VIRTIO_SND_R_PCM_PREPARE, P.VIRTIO_SND_R_PCM_START, P.VIRTIO_SND_R_PCM_RELEASE]) expect(g.drv.status(le32(code, 3))).toBe(BAD);
    expect(g.dev.stats.controlRejects['bad-id']).toBe(3);
    expect(infotainmentTopology().streams.length).toBe(3);
  });
});
