// The eventq (VIRTIO 1.4 §5.14.6.5, §5.14.6.7): jack and PCM notifications, the buffers the
// device cannot use, the bounded backlog, and which PCM events the driver selected.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { SND_EVENTQ } from '../../../../src/lib/devices/sound/config.ts';
import { VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS, VIRTIO_SND_PCM_F_EVT_XRUNS } from '../../../../src/lib/devices/sound/formats.ts';
import * as P from '../../../../src/lib/devices/sound/protocol.ts';
import { chimeTopology, infotainmentTopology } from '../../../../src/lib/devices/sound/topology.ts';
import { guest, MEDIA, needsReset, ready, stereo } from './harness.ts';

describe.each(RING_TYPES)('sound eventq (%s ring)', (ring) => {
  it('[AVP-SND-28] hands back eventq buffers with a readable part or under 8 bytes unused; the event waits', () => {
    const g = guest(ring);
    g.lb.submit(SND_EVENTQ, [new Uint8Array(1)], [8]);
    g.lb.submit(SND_EVENTQ, [], [7]);
    g.lb.submit(SND_EVENTQ, [], [4, 4]);
    g.dev.setJack(0, true);
    const c = g.lb.poll(SND_EVENTQ);
    expect(c.map((x) => x.len)).toEqual([0, 0, 8]);
    expect(P.formatEvent(P.decodeEvent(c[2].data))).toBe('JACK_CONNECTED 0');
    expect(g.dev.stats.badEventBuffers).toBe(2);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-SND-29] holds events while the driver has no buffer, up to the backlog, dropping and counting the newest', () => {
    const g = guest(ring, { eventBacklog: 2 });
    for (const c of [true, false, true, false]) g.dev.setJack(0, c);
    expect([g.dev.heldEvents, g.dev.stats.eventsDropped]).toEqual([2, 2]);
    g.drv.autoRepost = false;
    g.drv.postEvents(4);
    expect(g.drv.events().map(P.formatEvent)).toEqual(['JACK_CONNECTED 0', 'JACK_DISCONNECTED 0']);
  });

  it('[AVP-SND-30] reports an underrun once per episode, and only to a driver that selected EVT_XRUNS', () => {
    const g = guest(ring);
    g.drv.postEvents(8);
    ready(g, 0, MEDIA, true);
    g.dev.advance(20_000);
    g.drv.write(0, stereo(240, 1));
    g.dev.advance(20_000);
    expect(g.drv.events().map(P.formatEvent)).toEqual(['PCM_XRUN 0', 'PCM_XRUN 0']);
    expect(g.dev.stats.underruns).toBe(2);
    const quiet = guest(ring);
    quiet.drv.postEvents(8);
    ready(quiet, 0, { ...MEDIA, features: 0 }, true);
    quiet.dev.advance(20_000);
    expect(quiet.drv.events()).toEqual([]);
    expect(quiet.dev.stats.underruns).toBe(1);
  });

  it('[AVP-SND-31] sends PCM_PERIOD_ELAPSED only to a driver that selected EVT_SHMEM_PERIODS', () => {
    const periods = infotainmentTopology();
    const topology = { ...periods, streams: periods.streams.map((s) => ({ ...s, features: (1 << VIRTIO_SND_PCM_F_EVT_XRUNS) | (1 << VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS) })) };
    for (const select of [true, false]) {
      const g = guest(ring, { topology });
      g.drv.postEvents(8);
      ready(g, 0, { ...MEDIA, features: select ? 1 << VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS : 0 }, false);
      for (let i = 0; i < 3; i++) g.drv.write(0, stereo(240, 1));
      g.drv.pcm('START', 0);
      g.dev.advance(15_000);
      expect(g.drv.events().map(P.formatEvent)).toEqual(select ? ['PCM_PERIOD_ELAPSED 0', 'PCM_PERIOD_ELAPSED 0', 'PCM_PERIOD_ELAPSED 0'] : []);
    }
  });

  it('[AVP-SND-34] tells the platform when a safety stream runs dry', () => {
    const g = guest(ring, { topology: chimeTopology() });
    const faults: number[] = [];
    g.dev.onFault = (id) => faults.push(id);
    ready(g, 0, { ...MEDIA, channels: 1, bufferBytes: 1920 }, true);
    g.dev.advance(10_000);
    expect(faults).toEqual([0]);
    expect(g.dev.stats.safetyUnderruns).toBe(1);
    const media = guest(ring);
    media.dev.onFault = (id) => faults.push(100 + id);
    ready(media, 0, MEDIA, true);
    media.dev.advance(10_000);
    expect(faults).toEqual([0]);
    expect(media.dev.stats.safetyUnderruns).toBe(0);
  });
});
