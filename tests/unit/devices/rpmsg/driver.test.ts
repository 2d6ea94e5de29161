// The guest side of rpmsg (Linux's virtio_rpmsg_bus and rpmsg_ns, modelled in driver.ts) on
// both ring layouts: endpoint addresses, what it refuses to send, how it checks what it
// receives, channels from announcements, and its receive buffers. Malformed messages come from a
// scripted device that writes whatever a test tells it to.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ChainWriter } from '../../../../src/lib/virtio/chain-io.ts';
import { VirtioDevice } from '../../../../src/lib/virtio/device.ts';
import { bit, type Features } from '../../../../src/lib/virtio/feature-bits.ts';
import * as P from '../../../../src/lib/devices/rpmsg/protocol.ts';
import { RpmsgDriver } from '../../../../src/lib/devices/rpmsg/driver.ts';
import type { RpmsgDevice } from '../../../../src/lib/devices/rpmsg/device.ts';
import { guest, ISLAND, msg, platformRig, text } from './harness.ts';

/** A device of ID 7 that writes exactly the bytes and used length a test gives it. */
class ScriptedRpmsg extends VirtioDevice {
  readonly deviceId = 7;
  readonly name = 'scripted-rpmsg';
  sent: Uint8Array[] = [];
  constructor() {
    super(0);
  }
  protected deviceFeatures(): Features {
    return bit(P.VIRTIO_RPMSG_F_NS);
  }
  queueCount(): number {
    return 2;
  }
  queueNotify(index: number): void {
    if (index === P.RPMSG_TX_QUEUE) this.drain(P.RPMSG_TX_QUEUE, () => 0);
  }
  /** Writes `bytes` into the next receive buffer and reports `len` as its used length. */
  deliver(bytes: Uint8Array, len = bytes.length): void {
    const q = this.queue(P.RPMSG_RX_QUEUE)!;
    const r = q.pop();
    if (r.kind !== 'chain') throw new Error('no receive buffer');
    new ChainWriter(this.env.mem, r.chain).write(bytes);
    q.push(r.chain, len);
  }
}

function scripted(ring: (typeof RING_TYPES)[number]) {
  const dev = new ScriptedRpmsg();
  const lb = new Loopback(dev, { ring, queueSize: 8 });
  return { dev, lb, drv: new RpmsgDriver(lb) };
}

const ns = (name: string, addr: number, flags: number) => msg(addr, 53, P.encodeNs({ name, addr, flags }));

describe.each(RING_TYPES)('rpmsg driver: endpoints and sending (%s ring)', (ring) => {
  it('[AVP-CORE-20] gives endpoints the lowest free address from 1024 up, channel endpoints included', () => {
    const g = guest(ring);
    g.drv.register('rpmsg-client-sample', { message: () => {} });
    expect(g.drv.channel('rpmsg-client-sample')!.ept).toBe(1024);
    const a = g.drv.createEndpoint(() => {});
    const b = g.drv.createEndpoint(() => {});
    expect([a, b]).toEqual([1025, 1026]);
    g.drv.destroyEndpoint(1025);
    expect(g.drv.createEndpoint(() => {})).toBe(1025);
    expect(g.drv.createEndpoint(() => {}, 1026)).toBeNull(); // taken
    expect(g.drv.createEndpoint(() => {}, 60)).toBe(60); // a predefined address, asked for by number
    expect(P.RPMSG_RESERVED_ADDRESSES).toBe(1024);
  });

  it('[AVP-CORE-21] never sends with RPMSG_ADDR_ANY as source or destination (EINVAL)', () => {
    const g = guest(ring);
    const dev = g.lb.device as RpmsgDevice;
    expect(g.drv.send(P.RPMSG_ADDR_ANY, 1024, text('x'))).toBe('EINVAL');
    expect(g.drv.send(1024, P.RPMSG_ADDR_ANY, text('x'))).toBe('EINVAL');
    expect(dev.stats.toCore + dev.stats.errors.size).toBe(0);
    expect(P.RPMSG_ADDR_ANY).toBe(0xffffffff);
  });

  it('[AVP-CORE-22] refuses a payload over 496 bytes (EMSGSIZE) and sends 496', () => {
    const g = guest(ring);
    const got: number[] = [];
    g.drv.register('rpmsg-client-sample', { message: (_c, _s, p) => got.push(p.length) });
    const ch = g.drv.channel('rpmsg-client-sample')!;
    expect(g.drv.send(ch.ept!, ch.dst, new Uint8Array(497))).toBe('EMSGSIZE');
    expect(g.drv.send(ch.ept!, ch.dst, new Uint8Array(496))).toBeNull();
    g.drv.poll();
    expect(got).toEqual([496]);
    expect(P.RPMSG_MAX_PAYLOAD).toBe(496);
  });

  it('[AVP-CORE-6] sees every transmit buffer come back with used length 0, and runs out of them only while they are out (ENOMEM)', () => {
    const g = guest(ring, platformRig(), 'cluster', ISLAND, { drv: { txBuffers: 2 } });
    const core = g.platform.core(ISLAND);
    core.hang(); // a stalled core keeps what it is given
    expect(g.drv.send(0x800, 1024, text('1'))).toBeNull();
    expect(g.drv.send(0x800, 1024, text('2'))).toBeNull();
    expect(g.drv.send(0x800, 1024, text('3'))).toBe('ENOMEM');
    g.clock.advance(60_000); // the watchdog fires and the buffers come back
    expect(g.drv.send(0x800, 1024, text('4'))).toBeNull();
    expect(g.drv.txCompleted).toBe(3);
    expect(g.drv.txNonZeroUsed).toBe(0);
  });
});

describe.each(RING_TYPES)('rpmsg driver: receiving (%s ring)', (ring) => {
  it('[AVP-CORE-23] discards a message with a used length under 16, or a len past the used length less 16, and counts each', () => {
    const s = scripted(ring);
    const got: string[] = [];
    const ept = s.drv.createEndpoint((src, p) => got.push(`${src}:${new TextDecoder().decode(p)}`))!;
    const good = msg(7, ept, text('fine'));
    s.dev.deliver(good, 15);
    s.dev.deliver(good, 0);
    const long = msg(7, ept, text('fine'));
    new DataView(long.buffer).setUint16(12, 5, true);
    s.dev.deliver(long);
    s.dev.deliver(good);
    s.drv.poll();
    expect(got).toEqual(['7:fine']);
    expect([s.drv.error('RX_SHORT'), s.drv.error('RX_LEN_EXCEEDS_USED')]).toEqual([2, 1]);
  });

  it('[AVP-CORE-23] counts a message for an address with no endpoint (RX_NO_RECIPIENT)', () => {
    const s = scripted(ring);
    s.dev.deliver(msg(7, 4000, text('lost')));
    s.drv.poll();
    expect(s.drv.error('RX_NO_RECIPIENT')).toBe(1);
    expect(s.drv.received).toBe(0);
  });

  it('[AVP-CORE-24] ignores an announcement whose payload is not 40 bytes (NS_BAD_SIZE)', () => {
    const s = scripted(ring);
    const bad = new Uint8Array(39);
    bad.set(text('rpmsg-client-sample'));
    s.dev.deliver(msg(1024, 53, bad));
    const long = new Uint8Array(44);
    long.set(P.encodeNs({ name: 'rpmsg-client-sample', addr: 1024, flags: 0 }));
    s.dev.deliver(msg(1024, 53, long));
    s.drv.poll();
    expect(s.drv.channels).toEqual([]);
    expect(s.drv.error('NS_BAD_SIZE')).toBe(2);
  });

  it('[AVP-CORE-49] does not trust the name to end: byte 31 counts as NUL', () => {
    const s = scripted(ring);
    const m = P.encodeNs({ name: 'x', addr: 1030, flags: 0 });
    m.fill(0x41, 0, 32); // 32 letters, no NUL
    s.dev.deliver(msg(1030, 53, m));
    s.drv.poll();
    expect(s.drv.channels.map((c) => c.name)).toEqual(['A'.repeat(31)]);
  });

  it('[AVP-CORE-25] removes a channel on DESTROY: the client is told and its endpoint goes, so later messages find no receiver', () => {
    const s = scripted(ring);
    const log: string[] = [];
    s.drv.register('vehicle-signals', { probe: (ch) => log.push(`probe ${ch.dst}`), message: (_c, src) => log.push(`msg from ${src}`), remove: (ch) => log.push(`remove ${ch.dst}`) });
    s.dev.deliver(ns('vehicle-signals', 1025, P.RPMSG_NS_CREATE));
    s.drv.poll();
    const ept = s.drv.channel('vehicle-signals')!.ept!;
    s.dev.deliver(msg(1025, ept, text('s1')));
    s.dev.deliver(ns('vehicle-signals', 1025, P.RPMSG_NS_DESTROY));
    s.dev.deliver(msg(1025, ept, text('stale')));
    s.drv.poll();
    expect(log).toEqual(['probe 1025', 'msg from 1025', 'remove 1025']);
    expect(s.drv.channels).toEqual([]);
    expect(s.drv.hasEndpoint(ept)).toBe(false);
    expect(s.drv.error('RX_NO_RECIPIENT')).toBe(1);
  });

  it('[AVP-CORE-25] counts a DESTROY of an unknown channel and a second CREATE of one that exists', () => {
    const s = scripted(ring);
    s.dev.deliver(ns('a', 1024, P.RPMSG_NS_DESTROY));
    s.dev.deliver(ns('a', 1024, P.RPMSG_NS_CREATE));
    s.dev.deliver(ns('a', 1024, P.RPMSG_NS_CREATE));
    s.drv.poll();
    expect([s.drv.error('NS_UNKNOWN_CHANNEL'), s.drv.error('NS_DUPLICATE'), s.drv.channels.length]).toEqual([1, 1, 1]);
  });

  it('[AVP-CORE-26] keeps every receive buffer posted: each one, malformed or not, goes back after its message', () => {
    const s = scripted(ring);
    const free = () => s.lb.queues[P.RPMSG_RX_QUEUE].numFree();
    const before = free();
    s.dev.deliver(new Uint8Array(4), 4);
    s.dev.deliver(msg(7, 5000, text('x')));
    s.dev.deliver(ns('y', 1024, 0));
    expect(s.drv.poll()).toBe(3);
    expect(free()).toBe(before);
    for (let i = 0; i < 20; i++) {
      s.dev.deliver(msg(7, 5000, text('x')));
      s.drv.poll();
    }
    expect(free()).toBe(before);
  });

  it('[AVP-CORE-26] posts 512-byte receive buffers, as many as the queue holds up to 256', () => {
    const s = scripted(ring);
    expect(s.drv.bufSize).toBe(512);
    expect(s.lb.queues[P.RPMSG_RX_QUEUE].numFree()).toBe(0); // 8 entries, 8 buffers
    s.dev.deliver(new Uint8Array(512).fill(1), 512);
    expect(s.drv.poll()).toBe(1);
  });
});
