// Budgets enforced by the block, network, CAN and socket device models, on both ring layouts:
// over budget, requests stay in the ring, untaken and unanswered, until tokens return.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../support/rings.ts';
import { type BudgetLimits, ManualClock } from '../../../src/lib/devices/budget.ts';
import { Loopback } from '../../../src/lib/virtio/loopback.ts';
import { MemoryBlockBackend } from '../../../src/lib/devices/block/backend.ts';
import { BlockDevice } from '../../../src/lib/devices/block/device.ts';
import { BlockDriver } from '../../../src/lib/devices/block/driver.ts';
import { encodeBlkHeader, VIRTIO_BLK_S_OK, VIRTIO_BLK_T_OUT } from '../../../src/lib/devices/block/request.ts';
import { NetDevice } from '../../../src/lib/devices/net/device.ts';
import { cable, NetTap } from '../../../src/lib/devices/net/backend.ts';
import { encodeNetHdr, netHdrSize } from '../../../src/lib/devices/net/net-hdr.ts';
import { CanBus } from '../../../src/lib/devices/can/bus.ts';
import { CAN_TXQ, CanDevice } from '../../../src/lib/devices/can/device.ts';
import { CanDriver } from '../../../src/lib/devices/can/driver.ts';
import { CanTap } from '../../../src/lib/devices/can/tap.ts';
import { VSOCK_TX_QUEUE, VsockDevice } from '../../../src/lib/devices/vsock/device.ts';
import { encodeHdr, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_TYPE_STREAM } from '../../../src/lib/devices/vsock/packet.ts';
import { VsockSwitch } from '../../../src/lib/devices/vsock/switch.ts';
import { buildFrame } from '../../../src/lib/devices/net/ethernet.ts';

/** Two requests at once, then one per millisecond of model time. */
const TWO_PER_BURST: BudgetLimits = { requests: { perSecond: 1000, burst: 2 } };

describe.each(RING_TYPES)('%s ring', (ring) => {
  describe('block', () => {
    const setup = (limits: BudgetLimits | null) => {
      const clock = new ManualClock();
      const disk = new MemoryBlockBackend({ sectors: 64 });
      const dev = new BlockDevice(disk, { budget: limits ? { clock, limits } : null });
      const lb = new Loopback(dev, { ring });
      return { clock, disk, dev, lb };
    };
    const write = (lb: Loopback, sector: number) => lb.submit(0, [encodeBlkHeader({ type: VIRTIO_BLK_T_OUT, sector }), new Uint8Array(512).fill(sector + 1)], [1]);

    it('[AVP-SAFE-4] [AVP-SAFE-5] [AVP-SAFE-11] [AVP-SAFE-13] leaves requests over budget in the ring, unanswered, and takes them in order when tokens return', () => {
      const { clock, disk, dev, lb } = setup(TWO_PER_BURST);
      const ids = [0, 1, 2, 3, 4].map((s) => write(lb, s));
      const first = lb.poll(0);
      expect(first.map((c) => c.id)).toEqual(ids.slice(0, 2));
      expect(dev.stats.requests).toBe(2); // the others were not even looked at
      expect(dev.budget!.held).toEqual([0]);
      const probe = new Uint8Array(512);
      disk.read(2, probe);
      expect(probe[0]).toBe(0); // nothing of request 3 reached the disk
      clock.advanceTo(1000);
      dev.budgetTick();
      expect(lb.poll(0).map((c) => c.id)).toEqual([ids[2]]);
      clock.advanceTo(3000);
      dev.budgetTick();
      const rest = lb.poll(0);
      expect(rest.map((c) => c.id)).toEqual(ids.slice(3));
      for (const c of [...first, ...rest]) expect(c.data[c.len - 1]).toBe(VIRTIO_BLK_S_OK); // every one carried out, none failed
      for (let s = 0; s < 5; s++) {
        disk.read(s, probe);
        expect(probe[0]).toBe(s + 1);
      }
    });

    it('[AVP-SAFE-6] counts the requests that waited for tokens', () => {
      const { clock, dev, lb } = setup(TWO_PER_BURST);
      for (let s = 0; s < 5; s++) write(lb, s);
      clock.advanceTo(10_000);
      dev.budgetTick(); // a full bucket again: two more
      clock.advanceTo(20_000);
      dev.budgetTick(); // the last one, and the ring is found empty
      expect(dev.budget!.stats).toMatchObject({ taken: 5, throttled: 3, stops: 1 });
      expect(dev.budget!.held).toEqual([]);
    });

    it('[AVP-SAFE-7] serves a queue whose notification was deferred once notification tokens return, losing no request', () => {
      const { clock, dev, lb } = setup({ notifications: { perSecond: 1000, burst: 1 } });
      const a = write(lb, 0);
      const b = write(lb, 1); // second notification in the same instant: over budget
      expect(lb.poll(0).map((c) => c.id)).toEqual([a]);
      expect(dev.budget!.stats.deferredNotifications).toBe(1);
      clock.advanceTo(1);
      dev.budgetTick();
      expect(lb.poll(0).map((c) => c.id)).toEqual([b]);
    });

    it('[AVP-SAFE-8] a device reset does not give the guest new tokens', () => {
      const { dev, lb } = setup({ requests: { perSecond: 1000, burst: 1 } });
      write(lb, 0);
      expect(lb.poll(0)).toHaveLength(1);
      const lb2 = new Loopback(dev, { ring }); // reset and a fresh driver, at the same model time
      write(lb2, 1);
      expect(lb2.poll(0)).toHaveLength(0);
      expect(dev.budget!.held).toEqual([0]);
    });

    it('[AVP-SAFE-12] without a budget, every request is taken at once as before', () => {
      const { dev, lb } = setup(null);
      for (let s = 0; s < 5; s++) write(lb, s);
      expect(lb.poll(0)).toHaveLength(5);
      expect(dev.budget).toBeNull();
      expect(new BlockDriver(lb).read(0, 1).status).toBe(VIRTIO_BLK_S_OK);
    });
  });

  describe('network', () => {
    it('[AVP-SAFE-4] [AVP-SAFE-5] [AVP-SAFE-11] [AVP-SAFE-14] holds transmit buffers over budget and sends their frames, none dropped, when tokens return', () => {
      const clock = new ManualClock();
      // 1500 bytes at once, then 1000 bytes per millisecond.
      const dev = new NetDevice({ mac: '52:54:00:00:00:0a', budget: { clock, limits: { bytes: { perSecond: 1_000_000, burst: 1500 } } } });
      const tap = new NetTap();
      cable(dev, tap);
      const lb = new Loopback(dev, { ring });
      const hs = netHdrSize(lb.features);
      const frames = [0, 1, 2, 3].map((i) => buildFrame({ dst: '52:54:00:00:00:0b', src: '52:54:00:00:00:0a', ethertype: 0x88b5, payload: new Uint8Array(986).fill(i) }));
      const ids = frames.map((f) => lb.submit(1, [encodeNetHdr({}, hs), f], []));
      // 1000 + hs bytes each: the first is taken, the second too (the bucket is not yet in debt), then the device stops.
      expect(lb.poll(1).map((c) => c.id)).toEqual(ids.slice(0, 2));
      expect(tap.received).toHaveLength(2);
      expect(dev.budget!.held).toEqual([1]);
      clock.advanceTo(20_000);
      dev.budgetTick();
      expect(lb.poll(1).map((c) => c.id)).toEqual(ids.slice(2));
      expect(tap.received.map((f) => f[14])).toEqual([0, 1, 2, 3]);
      expect(Object.values(dev.stats.txDrops).reduce((a, b) => a + b, 0)).toBe(0);
      expect(dev.budget!.stats.throttled).toBe(2);
    });
  });

  describe('CAN', () => {
    const setup = () => {
      const clock = new ManualClock();
      const bus = new CanBus({ bitrate: 500_000 });
      const dev = new CanDevice({ budget: { clock, limits: TWO_PER_BURST } });
      bus.attach(dev, { name: 'ivi' });
      const tap = new CanTap();
      bus.attach(tap, { name: 'tap' });
      const lb = new Loopback(dev, { ring });
      const drv = new CanDriver(lb);
      drv.postRx(4);
      expect(drv.start()).toBe(0);
      return { clock, bus, dev, lb, drv, tap };
    };

    it('[AVP-SAFE-4] [AVP-SAFE-5] [AVP-SAFE-11] [AVP-SAFE-15] leaves transmit requests over budget in Txq, never answered NOT_OK, and sends them in order later', () => {
      const { clock, dev, drv, bus } = setup();
      const sent = [0x100, 0x101, 0x102, 0x103].map((id) => drv.send({ id, data: [id & 0xff] }));
      expect(sent.map((s) => s.status)).toEqual([0, 0, 'pending', 'pending']);
      expect(bus.stats.frames).toBe(2);
      clock.advanceTo(2000);
      dev.budgetTick();
      expect(sent.map((s) => drv.txStatus(s.id))).toEqual([0, 0, 0, 0]);
      expect(bus.stats.frames).toBe(4);
      expect(Object.values(dev.stats.txRejected).reduce((a, b) => a + b, 0)).toBe(0);
      expect(dev.budget!.stats.throttled).toBe(2);
    });

    it('[AVP-SAFE-10] keeps Controlq out of the budget: a guest over budget can still stop its controller', () => {
      const { dev, drv } = setup();
      for (let i = 0; i < 4; i++) drv.send({ id: 0x200 + i, data: [i] });
      expect(dev.budget!.held).toEqual([CAN_TXQ]);
      expect(drv.stop()).toBe(0);
      expect(dev.controller).toBe('stopped');
    });
  });

  describe('socket', () => {
    it('[AVP-SAFE-4] [AVP-SAFE-5] [AVP-SAFE-11] [AVP-SAFE-16] leaves tx packets over budget in the tx queue and forwards them when tokens return', () => {
      const clock = new ManualClock();
      const sw = new VsockSwitch();
      const dev = new VsockDevice({ guestCid: 3, budget: { clock, limits: TWO_PER_BURST } });
      sw.attach(dev);
      const lb = new Loopback(dev, { ring });
      const pkt = (port: number) => encodeHdr({ srcCid: 3n, dstCid: 2n, srcPort: port, dstPort: 9, type: VIRTIO_VSOCK_TYPE_STREAM, op: VIRTIO_VSOCK_OP_RST });
      const ids = [1, 2, 3, 4].map((p) => lb.submit(VSOCK_TX_QUEUE, [pkt(p)], []));
      expect(lb.poll(VSOCK_TX_QUEUE).map((c) => c.id)).toEqual(ids.slice(0, 2));
      expect(dev.stats.txPackets).toBe(2);
      clock.advanceTo(2000);
      dev.budgetTick();
      expect(lb.poll(VSOCK_TX_QUEUE).map((c) => c.id)).toEqual(ids.slice(2));
      expect(dev.stats.txPackets).toBe(4);
      expect(Object.values(dev.stats.txDrops).reduce((a, b) => a + b, 0)).toBe(0);
      expect(dev.budget!.stats.throttled).toBe(2);
    });
  });
});
