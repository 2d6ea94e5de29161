// The rpmsg device (device ID 7; VIRTIO 1.4 §5 reserves the ID, Linux defines the protocol) on
// both ring layouts: its queues and feature, announcements, the message layout in each
// direction, every way it refuses a message or a buffer, suspend, and its bounds.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit, hasFeature, VIRTIO_F_SUSPEND } from '../../../../src/lib/virtio/feature-bits.ts';
import * as P from '../../../../src/lib/devices/rpmsg/protocol.ts';
import { decodeSample, type EchoService, type VehicleSignalsService } from '../../../../src/lib/devices/rpmsg/services.ts';
import { guest, ISLAND, msg, needsReset, platformRig, rawTx, str, text } from './harness.ts';

const ECHO = 1024;
const SIGNALS = 1025;
const DIAG = 1026;
const ME = 0x800; // a guest endpoint address for raw messages

/** A link driven by hand: no driver, the announcements not yet taken. */
function raw(ring: (typeof RING_TYPES)[number], r = platformRig()) {
  const dev = r.platform.link('cluster', ISLAND)!;
  const lb = new Loopback(dev, { ring, queueSize: 16 });
  return { ...r, dev, lb };
}

/** Posts `n` receive buffers of 512 bytes and returns what comes back at once. */
function post(lb: Loopback, n: number, len = 512) {
  for (let i = 0; i < n; i++) lb.submit(P.RPMSG_RX_QUEUE, [], [len]);
  return lb.poll(P.RPMSG_RX_QUEUE);
}

const echoStats = (r: ReturnType<typeof raw>) => (r.platform.core(ISLAND).service('rpmsg-client-sample') as EchoService).stats;

describe.each(RING_TYPES)('rpmsg device and feature (%s ring)', (ring) => {
  it('[AVP-CORE-1] has device ID 7, two queues (0 receive, 1 transmit) and no configuration space', () => {
    const r = raw(ring);
    expect(r.dev.deviceId).toBe(7);
    expect(P.VIRTIO_ID_RPMSG).toBe(7);
    expect(r.dev.queueCount()).toBe(2);
    expect(r.lb.queues.length).toBe(2);
    expect([P.RPMSG_RX_QUEUE, P.RPMSG_TX_QUEUE]).toEqual([0, 1]);
    expect(r.dev.config.size).toBe(0);
  });

  it('[AVP-CORE-2] [AVP-CORE-3] offers VIRTIO_RPMSG_F_NS (bit 0), and the driver accepts it', () => {
    const g = guest(ring);
    expect(hasFeature(g.lb.device.offeredFeatures(), P.VIRTIO_RPMSG_F_NS)).toBe(true);
    expect(P.VIRTIO_RPMSG_F_NS).toBe(0);
    expect(hasFeature(g.lb.features, 0)).toBe(true);
    expect(g.drv.ns).toBe(true);
  });
});

describe.each(RING_TYPES)('rpmsg announcements (%s ring)', (ring) => {
  it('[AVP-CORE-17] announces each granted service with a 40-byte CREATE to address 53, in order, and no other', () => {
    const r = raw(ring);
    const got = post(r.lb, 3);
    expect(got.map((c) => c.len)).toEqual([56, 56]);
    const expected = (name: string, addr: number) => {
      const ns = new Uint8Array(40);
      ns.set(text(name));
      new DataView(ns.buffer).setUint32(32, addr, true);
      return [...msg(addr, 53, ns)];
    };
    expect([...got[0].data]).toEqual(expected('rpmsg-client-sample', ECHO));
    expect([...got[1].data]).toEqual(expected('vehicle-signals', SIGNALS));
    const h = P.decodeHeader(got[0].data);
    expect([h.dst, h.reserved, h.len, h.flags]).toEqual([P.RPMSG_NS_ADDR, 0, P.RPMSG_NS_MSG_SIZE, 0]);
    expect(P.decodeNs(got[0].data.subarray(16))).toEqual({ name: 'rpmsg-client-sample', addr: ECHO, flags: P.RPMSG_NS_CREATE });
    // the third buffer stays posted: diag (1026) is not the cluster's to know of
    expect(r.dev.announcedServices).toEqual(new Map([[ECHO, 'rpmsg-client-sample'], [SIGNALS, 'vehicle-signals']]));
  });

  it('[AVP-CORE-17] announces before any message of the service: a subscriber gets CREATE, then samples', () => {
    const g = guest(ring);
    const seen: string[] = [];
    g.drv.register('vehicle-signals', { probe: (ch, d) => { seen.push(`probe ${ch.dst}`); d.send(ch.ept!, ch.dst, text('subscribe')); }, message: (_ch, _src, p) => seen.push(`sample ${decodeSample(p)!.seq}`) });
    g.clock.advance(20_000);
    g.drv.poll();
    expect(seen).toEqual(['probe 1025', 'sample 0', 'sample 1']);
  });
});

describe.each(RING_TYPES)('rpmsg messages (%s ring)', (ring) => {
  it('[AVP-CORE-4] [AVP-CORE-5] writes a reply whole from the first byte: the 16-byte header (reserved and flags 0), then the payload, used length 16 + len', () => {
    const r = raw(ring);
    post(r.lb, 2);
    // the guest's reserved and flags are ignored; the reply carries zeros
    const out = msg(ME, ECHO, text('hello'));
    new DataView(out.buffer).setUint32(8, 0xdead, true);
    new DataView(out.buffer).setUint16(14, 0x7, true);
    r.lb.submit(P.RPMSG_RX_QUEUE, [], [7, 9, 600]); // one buffer in three descriptors
    expect(rawTx(r.lb, [out])).toBe(0);
    const [c] = r.lb.poll(P.RPMSG_RX_QUEUE);
    expect(c.len).toBe(16 + 5);
    expect(P.decodeHeader(c.data)).toEqual({ src: ECHO, dst: ME, reserved: 0, len: 5, flags: 0 });
    expect(str(c.data.subarray(16))).toBe('hello');
    expect([...c.data.subarray(0, 16)]).toEqual([0x00, 0x04, 0, 0, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]);
  });

  it('[AVP-CORE-6] returns every transmit buffer with used length 0: delivered, refused, or with a device-writable part', () => {
    const r = raw(ring);
    post(r.lb, 4);
    expect(rawTx(r.lb, [msg(ME, ECHO, text('a'))])).toBe(0);
    expect(rawTx(r.lb, [msg(ME, 0x9999, text('b'))])).toBe(0);
    expect(rawTx(r.lb, [msg(ME, ECHO, text('c'))], [64])).toBe(0);
    expect(rawTx(r.lb, [new Uint8Array(3)])).toBe(0);
    expect(r.lb.poll(P.RPMSG_RX_QUEUE).map((c) => str(c.data.subarray(16)))).toEqual(['a', 'c']);
  });

  it('[AVP-CORE-7] takes payloads of 0 to 496 bytes, in any split over descriptors', () => {
    const r = raw(ring);
    post(r.lb, 8);
    for (const n of [0, 1, 100, 495, 496]) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      const m = msg(ME, ECHO, payload);
      const parts = n > 20 ? [m.subarray(0, 3), m.subarray(3, 20), m.subarray(20)] : [m];
      expect(rawTx(r.lb, parts)).toBe(0);
      const [c] = r.lb.poll(P.RPMSG_RX_QUEUE);
      expect(c.len).toBe(16 + n);
      expect([...c.data.subarray(16)]).toEqual([...payload]);
    }
    expect(r.dev.stats.errors.size).toBe(0);
  });

  it('[AVP-CORE-8] never writes more than 512 bytes: a service payload over 496 bytes is refused with PAYLOAD_TOO_LONG', () => {
    const r = raw(ring);
    post(r.lb, 2);
    r.lb.submit(P.RPMSG_RX_QUEUE, [], [1024]);
    expect(r.dev.send(ECHO, ME, new Uint8Array(497))).toBe('PAYLOAD_TOO_LONG');
    expect(r.lb.poll(P.RPMSG_RX_QUEUE)).toEqual([]);
    expect(r.dev.send(ECHO, ME, new Uint8Array(496))).toBeNull();
    expect(r.lb.poll(P.RPMSG_RX_QUEUE).map((c) => c.len)).toEqual([512]);
    expect(r.dev.stats.refused.get('PAYLOAD_TOO_LONG')).toBe(1);
    expect(r.dev.send(ECHO, P.RPMSG_ADDR_ANY, text('x'))).toBe('BAD_DESTINATION');
  });

  it('[AVP-CORE-9] hands back a receive buffer too small for the next message, or with a readable part, unused and counted, and puts the message in the next', () => {
    const r = raw(ring);
    r.lb.submit(P.RPMSG_RX_QUEUE, [], [55]); // an announcement is 56 bytes
    r.lb.submit(P.RPMSG_RX_QUEUE, [new Uint8Array(4)], [512]); // device-readable part
    r.lb.submit(P.RPMSG_RX_QUEUE, [], [30, 26]); // 56 in two descriptors: fits
    const got = r.lb.poll(P.RPMSG_RX_QUEUE);
    expect(got.map((c) => c.len)).toEqual([0, 0, 56]);
    expect(P.decodeNs(got[2].data.subarray(16)).name).toBe('rpmsg-client-sample');
    expect(r.dev.errors('BAD_RX_BUFFER')).toBe(2);
    expect(post(r.lb, 1).map((c) => P.decodeNs(c.data.subarray(16)).name)).toEqual(['vehicle-signals']);
    expect(needsReset(r.lb)).toBe(false);
  });
});

describe.each(RING_TYPES)('rpmsg refusals (%s ring)', (ring) => {
  // Each refused message: used length 0, counted by name, nothing reaches a service or comes back.
  function refused(ring: (typeof RING_TYPES)[number], parts: Uint8Array[], error: string) {
    const r = raw(ring);
    post(r.lb, 4);
    expect(rawTx(r.lb, parts)).toBe(0);
    expect(r.dev.stats.errors).toEqual(new Map([[error, 1]]));
    expect(r.dev.stats.toCore).toBe(0);
    expect(echoStats(r).received).toBe(0);
    expect(r.lb.poll(P.RPMSG_RX_QUEUE)).toEqual([]);
    // [AVP-CORE-16]: no reset, and a good message still works
    expect(needsReset(r.lb)).toBe(false);
    expect(rawTx(r.lb, [msg(ME, ECHO, text('ok'))])).toBe(0);
    expect(r.lb.poll(P.RPMSG_RX_QUEUE).map((c) => str(c.data.subarray(16)))).toEqual(['ok']);
    return r;
  }

  it('[AVP-CORE-10] [AVP-CORE-16] refuses a transmit buffer longer than 512 bytes (MSG_TOO_LONG), even with a short len', () => {
    const m = new Uint8Array(513);
    m.set(msg(ME, ECHO, text('hi')));
    refused(ring, [m.subarray(0, 200), m.subarray(200)], 'MSG_TOO_LONG');
  });

  it('[AVP-CORE-11] [AVP-CORE-16] refuses a transmit buffer shorter than the 16-byte header (SHORT_MESSAGE)', () => {
    refused(ring, [msg(ME, ECHO, new Uint8Array(0)).subarray(0, 15)], 'SHORT_MESSAGE');
  });

  it('[AVP-CORE-12] [AVP-CORE-16] refuses a header whose len exceeds the bytes after it (LEN_EXCEEDS_BUFFER), never delivering it cut short', () => {
    const m = msg(ME, ECHO, text('abcdef'));
    new DataView(m.buffer).setUint16(12, 7, true);
    refused(ring, [m], 'LEN_EXCEEDS_BUFFER');
  });

  it('[AVP-CORE-13] [AVP-CORE-16] refuses a message from RPMSG_ADDR_ANY or from the name-service address (BAD_SOURCE)', () => {
    refused(ring, [msg(P.RPMSG_ADDR_ANY, ECHO, text('x'))], 'BAD_SOURCE');
    refused(ring, [msg(P.RPMSG_NS_ADDR, ECHO, text('x'))], 'BAD_SOURCE'); // the echo would land in the guest's name service
  });

  it('[AVP-CORE-14] [AVP-CORE-16] refuses a message to an address where the core has no endpoint (UNKNOWN_DESTINATION)', () => {
    for (const dst of [0x9999, 1027, P.RPMSG_ADDR_ANY]) refused(ring, [msg(ME, dst, text('x'))], 'UNKNOWN_DESTINATION');
  });

  it('[AVP-CORE-15] [AVP-CORE-16] refuses an announcement to address 53 whose payload is not 40 bytes (NS_BAD_SIZE)', () => {
    for (const n of [0, 39, 41]) {
      const r = refused(ring, [msg(ME, 53, new Uint8Array(n))], 'NS_BAD_SIZE');
      expect(r.platform.core(ISLAND).guestServices.size).toBe(0);
    }
  });

  it('[AVP-CORE-15] takes a 40-byte announcement of a guest service into the core name service, and its DESTROY', () => {
    const r = raw(ring);
    post(r.lb, 2);
    const core = r.platform.core(ISLAND);
    expect(rawTx(r.lb, [msg(ME, 53, P.encodeNs({ name: 'cluster-telltales', addr: ME, flags: P.RPMSG_NS_CREATE }))])).toBe(0);
    expect(core.guestServices.get(r.dev)).toEqual(new Map([['cluster-telltales', ME]]));
    expect(rawTx(r.lb, [msg(ME, 53, P.encodeNs({ name: 'cluster-telltales', addr: ME, flags: P.RPMSG_NS_DESTROY }))])).toBe(0);
    expect(core.guestServices.get(r.dev)).toEqual(new Map());
    expect(r.dev.stats.errors.size).toBe(0);
  });
});

describe.each(RING_TYPES)('rpmsg suspend and bounds (%s ring)', (ring) => {
  function subscribed(ring: (typeof RING_TYPES)[number], r = platformRig(), rxBuffers?: number) {
    const g = guest(ring, r, 'cluster', ISLAND, { drv: { rxBuffers } });
    const seqs: number[] = [];
    g.drv.register('vehicle-signals', { probe: (ch, d) => void d.send(ch.ept!, ch.dst, text('subscribe')), message: (_c, _s, p) => seqs.push(decodeSample(p)!.seq) });
    return { ...g, seqs, dev: g.lb.device as ReturnType<typeof raw>['dev'] };
  }

  it('[AVP-CORE-19] uses no receive buffer while suspended, and delivers what waited, in order, on resume', () => {
    const g = subscribed(ring);
    expect(hasFeature(g.lb.features, VIRTIO_F_SUSPEND)).toBe(true);
    g.clock.advance(10_000);
    expect(g.drv.poll()).toBe(1);
    g.dev.suspend();
    g.clock.advance(30_000);
    expect(g.drv.poll()).toBe(0);
    expect(g.dev.pending).toBe(3);
    g.dev.resume();
    expect(g.drv.poll()).toBe(3);
    expect(g.seqs).toEqual([0, 1, 2, 3]);
  });

  it('[AVP-CORE-47] writes each message of the core into an available receive buffer when the core sends it', () => {
    const g = subscribed(ring);
    for (let i = 0; i < 10; i++) {
      g.clock.advance(10_000);
      g.drv.poll();
    }
    expect(g.seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(g.dev.stats.maxWaitUs).toBe(0);
    g.clock.advance(55_000); // five samples at once: each went into a buffer at its own time
    g.drv.poll();
    expect(g.dev.stats.maxWaitUs).toBe(0);
  });

  it('[AVP-CORE-46] holds at most its backlog of undelivered messages and refuses further sends with BACKLOG_FULL, keeping the older ones', () => {
    const r = platformRig({ links: [{ guest: 'cluster', services: ['vehicle-signals'], backlog: 4 }] });
    const g = subscribed(ring, r, 2);
    g.drv.poll(); // the subscription goes out; two buffers are posted
    g.clock.advance(100_000); // ten samples: two into buffers, four wait, four refused
    const signals = g.platform.core(ISLAND).service('vehicle-signals') as VehicleSignalsService;
    expect(g.dev.pending).toBe(4);
    expect(g.dev.stats.refused.get('BACKLOG_FULL')).toBe(4);
    expect(signals.stats.refused.get('BACKLOG_FULL')).toBe(4);
    for (let i = 0; i < 4; i++) g.drv.poll();
    expect(g.seqs).toEqual([0, 1, 2, 3, 4, 5]);
    expect(g.dev.stats.maxWaitUs).toBeGreaterThan(0);
  });
});

describe('rpmsg device without VIRTIO_RPMSG_F_NS', () => {
  it('[AVP-CORE-17] makes no announcement when the driver declined the feature', () => {
    const r = platformRig();
    const lb = new Loopback(r.platform.link('cluster', ISLAND)!, { features: ~bit(P.VIRTIO_RPMSG_F_NS) & ((1n << 64n) - 1n) });
    expect(post(lb, 2)).toEqual([]);
    // messages to 53 are then messages to an address the core has no endpoint at
    expect(rawTx(lb, [msg(ME, 53, new Uint8Array(40))])).toBe(0);
    expect((lb.device as ReturnType<typeof raw>['dev']).errors('UNKNOWN_DESTINATION')).toBe(1);
    expect(rawTx(lb, [msg(ME, DIAG, text('x'))])).toBe(0);
  });
});
