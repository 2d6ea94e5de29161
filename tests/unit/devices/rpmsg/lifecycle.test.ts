// The remoteproc life cycle the platform gives a core and what a guest sees of it, on both ring
// layouts: ownership, crash detection, what happens to messages and buffers at a crash,
// recovery within its bound or failure, the crash limit, a guest's reset, and who may talk to
// which core.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit } from '../../../../src/lib/virtio/feature-bits.ts';
import * as P from '../../../../src/lib/devices/rpmsg/protocol.ts';
import { decodeSample, type EchoService, type VehicleSignalsService } from '../../../../src/lib/devices/rpmsg/services.ts';
import type { RpmsgDevice } from '../../../../src/lib/devices/rpmsg/device.ts';
import { DSP, dspImage, guest, ISLAND, islandImage, msg, needsReset, platformRig, rawTx, text } from './harness.ts';

type Ring = (typeof RING_TYPES)[number];

/** The cluster subscribed to vehicle-signals and bound to echo, logging what it sees in order. */
function watched(ring: Ring, r = platformRig(), name = 'cluster', rxBuffers?: number) {
  const g = guest(ring, r, name, ISLAND, { drv: { rxBuffers } });
  const log: string[] = [];
  g.drv.register('rpmsg-client-sample', { probe: (ch) => log.push(`+echo@${ch.dst}`), message: (_c, _s, p) => log.push(`echo ${new TextDecoder().decode(p)}`), remove: (ch) => log.push(`-echo@${ch.dst}`) });
  g.drv.register('vehicle-signals', {
    probe: (ch, d) => {
      log.push(`+signals@${ch.dst}`);
      d.send(ch.ept!, ch.dst, text('subscribe'));
    },
    message: (_c, _s, p) => log.push(`sample ${decodeSample(p)!.seq}`),
    remove: (ch) => log.push(`-signals@${ch.dst}`),
  });
  g.drv.poll(); // with few buffers, the second announcement arrives on a later poll
  return { ...g, log, dev: g.lb.device as RpmsgDevice, core: g.platform.core(ISLAND) };
}

describe.each(RING_TYPES)('ownership and links (%s ring)', (ring) => {
  it('[AVP-CORE-37] lets only the owner load, start and stop a core (NOT_OWNER for everyone else)', () => {
    const r = platformRig();
    expect(r.platform.load('cluster', DSP, dspImage())).toMatchObject({ ok: false, error: 'NOT_OWNER' });
    expect(r.platform.load('ivi', DSP, dspImage())).toEqual({ ok: true });
    expect(r.platform.start('cluster', DSP)).toMatchObject({ ok: false, error: 'NOT_OWNER' });
    expect(r.platform.start('ivi', DSP)).toEqual({ ok: true });
    expect(r.platform.stop('ivi', ISLAND)).toMatchObject({ ok: false, error: 'NOT_OWNER' });
    expect(r.platform.stop('cluster', DSP)).toMatchObject({ ok: false, error: 'NOT_OWNER' });
    expect(r.platform.core(DSP).config.owner).toBe('ivi');
    r.clock.advance(5_000);
    expect(r.platform.core(DSP).state).toBe('running');
    expect(r.platform.load('ivi', DSP, dspImage())).toMatchObject({ ok: false, error: 'BAD_STATE' });
    expect(r.platform.stop('ivi', DSP)).toEqual({ ok: true });
    expect(r.platform.core(DSP).state).toBe('offline');
    expect(r.platform.stop('ivi', DSP)).toMatchObject({ ok: false, error: 'BAD_STATE' });
    expect(r.platform.start('ivi', 'gpu-core')).toMatchObject({ ok: false, error: 'UNKNOWN_CORE' });
  });

  it('[AVP-CORE-43] gives a guest a link only where configured, and announces only the services granted to it', () => {
    const r = platformRig();
    expect(r.platform.link('cluster', DSP)).toBeUndefined();
    const ivi = guest(ring, r, 'ivi');
    expect(ivi.drv.channels.map((c) => [c.name, c.dst])).toEqual([['vehicle-signals', 1025]]);
    const cluster = guest(ring, r, 'cluster');
    expect(cluster.drv.channels.map((c) => c.name)).toEqual(['rpmsg-client-sample', 'vehicle-signals']);
  });

  it('[AVP-CORE-44] refuses a message to a service the guest was not granted (ACCESS_DENIED), and the service never sees it', () => {
    const r = platformRig();
    const ivi = guest(ring, r, 'ivi');
    const cluster = guest(ring, r, 'cluster');
    expect(rawTx(ivi.lb, [msg(0x800, 1024, text('echo?'))])).toBe(0); // echo is the cluster's
    expect(rawTx(cluster.lb, [msg(0x800, 1026, text('diag?'))])).toBe(0); // diag is nobody's
    expect((ivi.lb.device as RpmsgDevice).errors('ACCESS_DENIED')).toBe(1);
    expect((cluster.lb.device as RpmsgDevice).errors('ACCESS_DENIED')).toBe(1);
    expect((r.platform.core(ISLAND).service('rpmsg-client-sample') as EchoService).stats.received).toBe(0);
    expect((r.platform.core(ISLAND).service('diag') as EchoService).stats.received).toBe(0);
    expect(ivi.drv.poll() + cluster.drv.poll()).toBe(0);
  });

  it('[AVP-CORE-45] delivers a service’s messages only over the link of the endpoint they are for', () => {
    const r = platformRig();
    const c = watched(ring, r, 'cluster');
    const i = watched(ring, r, 'ivi');
    // both guests' signal endpoints have local addresses of their own; the island keeps them apart by link
    c.drv.send(c.drv.channel('rpmsg-client-sample')!.ept!, 1024, text('only for the cluster'));
    r.clock.advance(20_000);
    c.drv.poll();
    i.drv.poll();
    expect(c.log).toEqual(['+echo@1024', '+signals@1025', 'echo only for the cluster', 'sample 0', 'sample 1']);
    expect(i.log).toEqual(['+signals@1025', 'sample 0', 'sample 1']);
    c.drv.send(c.drv.channel('vehicle-signals')!.ept!, 1025, text('unsubscribe'));
    r.clock.advance(10_000);
    c.drv.poll();
    i.drv.poll();
    expect(c.log.at(-1)).toBe('sample 1');
    expect(i.log.at(-1)).toBe('sample 2');
  });
});

describe.each(RING_TYPES)('crash detection and recovery (%s ring)', (ring) => {
  it('[AVP-CORE-38] detects a reported fault at once, and a hang within the watchdog timeout of the last heartbeat', () => {
    const g = watched(ring);
    g.clock.advance(5_000); // 25 ms: the run began at 20 ms
    g.core.fault('mmu-fault');
    expect(g.core.crashes).toEqual([{ kind: 'mmu-fault', detectedAt: 25_000, happenedAt: 25_000 }]);
    g.clock.advance(25_000); // recovered at 50 ms (5 ms reload, 20 ms boot)
    expect(g.core.state).toBe('running');
    g.clock.advance(17_000); // 67 ms: heartbeats at 50 and 60 ms
    g.core.hang();
    g.clock.advance(42_999);
    expect(g.core.state).toBe('running'); // 60 + 50 = 110 ms not reached
    g.clock.advance(1);
    expect(g.core.crashes[1]).toEqual({ kind: 'watchdog', detectedAt: 110_000, happenedAt: 67_000 });
    expect(g.core.crashes[1].detectedAt - g.core.crashes[1].happenedAt).toBeLessThanOrEqual(g.core.config.watchdogUs);
  });

  it('[AVP-CORE-39] [AVP-CORE-18] recovers within the bound: DESTROY for each service, then a new run announced with CREATE, nothing of the old run after', () => {
    const g = watched(ring);
    g.clock.advance(20_000);
    g.drv.poll();
    g.core.fault('fatal-error'); // at 40 ms
    g.drv.poll();
    expect(g.core.state).toBe('crashed');
    g.clock.advance(25_000); // 5 ms reload + 20 ms boot
    expect(g.core.state).toBe('running');
    expect(g.core.runs).toBe(2);
    g.drv.poll(); // the new announcements; the clients bind again and subscribe
    g.clock.advance(10_000);
    g.drv.poll();
    expect(g.log).toEqual(['+echo@1024', '+signals@1025', 'sample 0', 'sample 1', '-echo@1024', '-signals@1025', '+echo@1024', '+signals@1025', 'sample 0']);
    expect(g.platform.log.map((e) => `${e.at} ${e.what}`).slice(-3)).toEqual(['40000 crash (fatal-error) detected', '40000 recovering: reload and boot take 25000 µs, bound 100000 µs', '65000 recovered: run 2, services rpmsg-client-sample@1024, vehicle-signals@1025, diag@1026']);
    expect(g.drv.errors.size).toBe(0);
  });

  it('[AVP-CORE-39] checks the image again at recovery: one changed since approval leaves the core failed', () => {
    const img = islandImage();
    const g = watched(ring, platformRig({}, img));
    (img.code as Uint8Array)[0] ^= 0xff; // memory holding the image was corrupted
    g.core.fault('fatal-error');
    expect(g.core.state).toBe('failed');
    expect(g.core.failure).toMatch(/^reload refused: island-1.0: digest [0-9a-f]{16}… is not approved/);
  });

  it('[AVP-CORE-40] leaves a core failed when it is not running within the recovery bound, its services announced gone, until its owner starts it', () => {
    const g = watched(ring, platformRig({ recoveryBoundUs: 20_000 })); // reload and boot take 25 ms
    g.clock.advance(5_000);
    g.core.fault('fatal-error'); // at 25 ms
    g.clock.advance(19_999);
    expect(g.core.state).toBe('crashed');
    g.clock.advance(1);
    expect([g.core.state, g.core.failure]).toEqual(['failed', 'not running 20000 µs after the crash was detected']);
    g.clock.advance(100_000);
    g.drv.poll();
    expect(g.log).toEqual(['+echo@1024', '+signals@1025', '-echo@1024', '-signals@1025']);
    expect(g.platform.start('platform', ISLAND)).toEqual({ ok: true });
    g.clock.advance(20_000);
    g.drv.poll();
    expect(g.log.slice(4)).toEqual(['+echo@1024', '+signals@1025']);
  });

  it('[AVP-CORE-41] stops recovering after maxRecoveries crashes within the window', () => {
    const g = watched(ring, platformRig({ maxRecoveries: 2, recoveryWindowUs: 1_000_000 }));
    for (let i = 0; i < 2; i++) {
      g.core.fault('fatal-error');
      g.clock.advance(25_000);
      expect(g.core.state).toBe('running');
    }
    g.core.fault('fatal-error');
    expect([g.core.state, g.core.failure]).toEqual(['failed', '3 crashes within 1000000 µs']);
    // outside the window, crashes no longer count
    const h = watched(ring, platformRig({ maxRecoveries: 1, recoveryWindowUs: 50_000 }));
    h.core.fault('fatal-error');
    h.clock.advance(60_000);
    h.core.fault('fatal-error');
    expect(h.core.state).toBe('crashed');
  });
});

describe.each(RING_TYPES)('what the guest sees at a crash (%s ring)', (ring) => {
  it('[AVP-CORE-28] throws away what the crashed run sent and the guest had not received, and counts it', () => {
    const g = watched(ring, platformRig(), 'cluster', 2);
    g.drv.poll();
    g.clock.advance(50_000); // five samples: two in buffers, three waiting
    expect(g.dev.pending).toBe(3);
    g.core.fault('fatal-error');
    expect(g.dev.stats.discardedAtCrash).toBe(3);
    for (let i = 0; i < 4; i++) g.drv.poll();
    expect(g.log).toEqual(['+echo@1024', '+signals@1025', 'sample 0', 'sample 1', '-echo@1024', '-signals@1025']);
  });

  it('[AVP-CORE-29] hands back every transmit buffer with used length 0 while the core is not running (LINK_DOWN)', () => {
    const r = platformRig({}, islandImage(), false);
    const g = guest(ring, r);
    const tx = () => rawTx(g.lb, [msg(0x800, 1024, text('x'))]);
    expect(tx()).toBe(0); // offline
    r.platform.load('platform', ISLAND, islandImage());
    r.platform.start('platform', ISLAND);
    expect(tx()).toBe(0); // booting
    r.clock.advance(20_000);
    r.platform.core(ISLAND).fault('mmu-fault');
    expect(tx()).toBe(0); // crashed
    expect((g.lb.device as RpmsgDevice).errors('LINK_DOWN')).toBe(3);
  });

  it('[AVP-CORE-30] hands back, at the crash, every transmit buffer a stalled core had not taken', () => {
    const g = watched(ring);
    g.core.hang();
    const ids = [0, 1, 2].map(() => g.lb.submit(P.RPMSG_TX_QUEUE, [msg(0x800, 1024, text('?'))], []));
    expect(g.lb.poll(P.RPMSG_TX_QUEUE)).toEqual([]);
    expect(g.dev.heldCount).toBe(3);
    g.clock.advance(50_000);
    const back = g.lb.poll(P.RPMSG_TX_QUEUE);
    expect(back.map((c) => [c.id, c.len])).toEqual(ids.map((id) => [id, 0]));
    expect([g.dev.heldCount, g.dev.stats.returnedHeld, g.dev.errors('LINK_DOWN')]).toEqual([0, 3, 3]);
  });

  it('[AVP-CORE-27] sets DEVICE_NEEDS_RESET on the link of a driver without VIRTIO_RPMSG_F_NS when the core crashes or stops', () => {
    for (const how of ['crash', 'stop'] as const) {
      const r = platformRig();
      const lb = new Loopback(r.platform.link('cluster', ISLAND)!, { ring, features: ~bit(P.VIRTIO_RPMSG_F_NS) & ((1n << 64n) - 1n) });
      expect(needsReset(lb)).toBe(false);
      if (how === 'crash') r.platform.core(ISLAND).fault('fatal-error');
      else r.platform.stop('platform', ISLAND);
      expect(needsReset(lb)).toBe(true);
      expect(lb.error?.code).toBe('LINK_DOWN');
    }
  });

  it('[AVP-CORE-31] delivers nothing sent before a reset of the link, and its services forget the guest', () => {
    const g = watched(ring, platformRig(), 'cluster', 1);
    g.clock.advance(30_000); // one sample in the buffer, two waiting
    const signals = g.core.service('vehicle-signals') as VehicleSignalsService;
    expect([g.dev.pending, signals.subscriberCount]).toEqual([2, 1]);
    g.dev.reset();
    expect([g.dev.stats.discardedAtReset, g.dev.pending, signals.subscriberCount]).toEqual([2, 0, 0]);
    const lb = new Loopback(g.dev, { ring, queueSize: 16 });
    lb.submit(P.RPMSG_RX_QUEUE, [], [512]);
    lb.submit(P.RPMSG_RX_QUEUE, [], [512]);
    lb.submit(P.RPMSG_RX_QUEUE, [], [512]);
    g.clock.advance(30_000);
    // only the announcements of the services, fresh: no sample of the old subscription
    expect(lb.poll(P.RPMSG_RX_QUEUE).map((c) => P.decodeHeader(c.data).dst)).toEqual([53, 53]);
  });
});

