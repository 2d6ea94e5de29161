// Draining a device's backlog of waiting messages into the event buffers a driver posts: the
// helper the event, notification and receive queues of several device models share. Each test
// runs on both ring layouts, with a real driver queue posting the buffers.
import { describe, expect, it } from 'vitest';
import type { DescriptorChain } from '../../../src/lib/virtio/chain.ts';
import { deliverBacklog, type Delivery, holdsWhole } from '../../../src/lib/virtio/event-delivery.ts';
import { bit, VIRTIO_F_RING_PACKED } from '../../../src/lib/virtio/feature-bits.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { createDeviceQueue, createDriverQueue, type RingType } from '../../../src/lib/virtio/queue-factory.ts';
import type { DriverBuffer } from '../../../src/lib/virtio/queue.ts';
import { RING_TYPES } from '../../support/rings.ts';

const MEM = 0x10000;
/** Where the n-th posted buffer lives; buffers are filled with this byte before posting. */
const bufAddr = (n: number) => 0x8000 + 0x100 * n;
const FILL = 0xee;

interface Msg {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** What the model does with it when the buffer at hand is too small. */
  readonly droppable?: boolean;
}

const msg = (name: string, len: number, droppable = false): Msg => ({ name, bytes: new Uint8Array(len).fill(name.charCodeAt(0)), droppable });

function setup(ring: RingType) {
  const mem = GuestMemory.create(MEM);
  const features = ring === 'packed' ? bit(VIRTIO_F_RING_PACKED) : 0n;
  const config = ring === 'packed' ? { size: 8, descAddr: 0x1000, driverAddr: 0x2000, deviceAddr: 0x2010 } : { size: 8, descAddr: 0x1000, driverAddr: 0x2000, deviceAddr: 0x3000 };
  const drv = createDriverQueue(mem, config, features);
  const dev = createDeviceQueue(mem, config, features);
  let posted = 0;
  /** Posts one device-writable buffer of `len` bytes (after `readable` device-readable ones); returns its token. */
  const post = (len: number, readable = 0): number => {
    const n = posted++;
    const bufs: DriverBuffer[] = [];
    if (readable > 0) bufs.push({ addr: bufAddr(n) + 0x80, len: readable, writable: false });
    mem.write(bufAddr(n), new Uint8Array(len).fill(FILL));
    bufs.push({ addr: bufAddr(n), len, writable: true });
    return drv.add(bufs);
  };
  const used = () => {
    const out: { id: number; len: number }[] = [];
    for (let u = drv.pollUsed(); u; u = drv.pollUsed()) out.push({ id: u.id, len: u.len });
    return out;
  };
  const delivered: string[] = [];
  const rejected: { chain: number; name: string; dropped: boolean }[] = [];
  const d: Delivery<Msg> = {
    fits: (chain, m) => holdsWhole(chain, m.bytes.length),
    dropWhenUnfit: (m) => m.droppable === true,
    encode: (m) => m.bytes,
    delivered: (m) => void delivered.push(m.name),
    rejected: (chain, m, dropped) => void rejected.push({ chain: chain.id, name: m.name, dropped }),
  };
  return { mem, drv, dev, post, used, d, delivered, rejected };
}

describe.each(RING_TYPES)('deliverBacklog (%s ring)', (ring) => {
  it('delivers oldest first, one message per buffer, with the used length of the message', () => {
    const { mem, dev, post, used, d, delivered } = setup(ring);
    const backlog = [msg('A', 4), msg('B', 6), msg('C', 2)];
    const ids = [post(8), post(8)];
    expect(deliverBacklog(mem, dev, backlog, d)).toEqual({ pushed: true, error: null });
    expect(used()).toEqual([
      { id: ids[0], len: 4 },
      { id: ids[1], len: 6 },
    ]);
    expect(Array.from(mem.read(bufAddr(0), 5))).toEqual([65, 65, 65, 65, FILL]);
    expect(Array.from(mem.read(bufAddr(1), 7))).toEqual([66, 66, 66, 66, 66, 66, FILL]);
    expect(delivered).toEqual(['A', 'B']);
    expect(backlog.map((m) => m.name)).toEqual(['C']);
    // The next buffer takes the one left.
    const last = post(8);
    expect(deliverBacklog(mem, dev, backlog, d).pushed).toBe(true);
    expect(used()).toEqual([{ id: last, len: 2 }]);
    expect(backlog).toEqual([]);
  });

  it('hands a buffer that does not fit back with used length 0, and the message waits', () => {
    const { mem, dev, post, used, d, delivered, rejected } = setup(ring);
    const a = msg('A', 6);
    const backlog = [a, msg('B', 2)];
    const small = post(5);
    const withReadable = post(8, 4);
    expect(deliverBacklog(mem, dev, backlog, d)).toEqual({ pushed: true, error: null });
    expect(used()).toEqual([
      { id: small, len: 0 },
      { id: withReadable, len: 0 },
    ]);
    expect(Array.from(mem.read(bufAddr(0), 5))).toEqual(new Array(5).fill(FILL)); // nothing written
    expect(Array.from(mem.read(bufAddr(1), 8))).toEqual(new Array(8).fill(FILL));
    expect(rejected).toEqual([
      { chain: small, name: 'A', dropped: false },
      { chain: withReadable, name: 'A', dropped: false },
    ]);
    expect(delivered).toEqual([]);
    expect(backlog[0]).toBe(a);
    expect(backlog).toHaveLength(2);
    // A buffer that holds it exactly: the waiting message, still first, goes there.
    const exact = post(6);
    deliverBacklog(mem, dev, backlog, d);
    expect(used()).toEqual([{ id: exact, len: 6 }]);
    expect(delivered).toEqual(['A']);
  });

  it('drops a message the model gives up when it does not fit, and reports it', () => {
    const { mem, dev, post, used, d, delivered, rejected } = setup(ring);
    const backlog = [msg('N', 6, true), msg('B', 4)];
    const small = post(4);
    const big = post(8);
    expect(deliverBacklog(mem, dev, backlog, d)).toEqual({ pushed: true, error: null });
    // The small buffer goes back unused even though B would have fitted it: one decision per buffer.
    expect(used()).toEqual([
      { id: small, len: 0 },
      { id: big, len: 4 },
    ]);
    expect(rejected).toEqual([{ chain: small, name: 'N', dropped: true }]);
    expect(delivered).toEqual(['B']);
    expect(backlog).toEqual([]);
  });

  it('stops at a ring error and returns it, leaving the message at the head', () => {
    const { mem, dev, drv, post, used, d, delivered, rejected } = setup(ring);
    const b = msg('B', 2);
    const backlog = [msg('A', 2), b];
    const good = post(8);
    drv.add([{ addr: MEM + 0x1000, len: 8, writable: true }]); // outside guest memory
    const r = deliverBacklog(mem, dev, backlog, d);
    expect(r.pushed).toBe(true);
    expect(r.error?.code).toBe('ADDR_OUT_OF_RANGE');
    expect(r.error).toBe(dev.error);
    expect(used()).toEqual([{ id: good, len: 2 }]);
    expect(delivered).toEqual(['A']);
    expect(rejected).toEqual([]);
    expect(backlog).toEqual([b]);
    // Nothing pushed before the error: pushed is false, the backlog untouched.
    const again = deliverBacklog(mem, dev, backlog, d);
    expect(again).toEqual({ pushed: false, error: dev.error });
    expect(backlog).toEqual([b]);
  });

  it('leaves the backlog untouched when the driver has posted nothing', () => {
    const { mem, dev, used, d, delivered, rejected } = setup(ring);
    const backlog = [msg('A', 2), msg('B', 2)];
    const before = [...backlog];
    expect(deliverBacklog(mem, dev, backlog, d)).toEqual({ pushed: false, error: null });
    expect(backlog).toEqual(before);
    expect(used()).toEqual([]);
    expect(delivered).toEqual([]);
    expect(rejected).toEqual([]);
  });

  it('takes no buffer when nothing waits', () => {
    const { mem, dev, post, used, d } = setup(ring);
    const id = post(8);
    expect(deliverBacklog(mem, dev, [], d)).toEqual({ pushed: false, error: null });
    expect(used()).toEqual([]);
    const r = dev.pop(); // the buffer is still there for the next message
    expect(r.kind === 'chain' ? r.chain.id : r.kind).toBe(id);
  });
});

describe.each(RING_TYPES)('holdsWhole (%s ring)', (ring) => {
  it('accepts a device-writable chain of at least the size, and nothing with a device-readable part', () => {
    const { dev, post } = setup(ring);
    post(8);
    post(8, 4);
    const chains: DescriptorChain[] = [];
    for (let r = dev.pop(); r.kind === 'chain'; r = dev.pop()) chains.push(r.chain);
    expect(chains).toHaveLength(2);
    expect(holdsWhole(chains[0], 8)).toBe(true);
    expect(holdsWhole(chains[0], 9)).toBe(false);
    expect(holdsWhole(chains[1], 8)).toBe(false);
  });
});
