// Link status, speed and duplex (§5.1.4): what the driver reads and when it is told.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as F from '../../../../src/lib/devices/net/features.ts';
import {
  NET_CFG_SPEED,
  NET_CFG_STATUS,
  VIRTIO_NET_DUPLEX_FULL,
  VIRTIO_NET_DUPLEX_HALF,
  VIRTIO_NET_S_LINK_UP,
  VIRTIO_NET_SPEED_UNKNOWN,
} from '../../../../src/lib/devices/net/config.ts';
import { NetDevice } from '../../../../src/lib/devices/net/device.ts';
import { ALL, frame, guest, MAC_A, MAC_B, needsReset, withoutBits } from './harness.ts';

describe.each(RING_TYPES)('link status (%s ring)', (ring) => {
  it('[AVP-NET-24] shows the link in bit 0 of status and raises one notification per change', () => {
    const g = guest(ring);
    expect(g.drv.status & VIRTIO_NET_S_LINK_UP).toBe(1);
    const n0 = g.lb.configNotifications;
    const gen0 = g.dev.config.generation;
    g.dev.setLink({ up: false });
    expect(g.drv.status & VIRTIO_NET_S_LINK_UP).toBe(0);
    expect(g.lb.configNotifications).toBe(n0 + 1);
    g.dev.setLink({ up: false }); // no change, no notification
    expect(g.lb.configNotifications).toBe(n0 + 1);
    g.dev.setLink({ up: true });
    expect(g.drv.status & VIRTIO_NET_S_LINK_UP).toBe(1);
    expect(g.lb.configNotifications).toBe(n0 + 2);
    expect(g.dev.config.generation).toBe(gen0 + 2);
  });

  it('[AVP-NET-34] while the link is down, delivers nothing and drops transmitted packets, returning their buffers', () => {
    const g = guest(ring);
    g.drv.postRx(2);
    g.dev.setLink({ up: false });
    expect(g.dev.receive(frame(MAC_A, MAC_B))).toBe('link-down');
    expect(g.drv.send(frame(MAC_B, MAC_A))).toBe(0);
    expect(g.tap.received).toHaveLength(0);
    expect(g.dev.stats.txDrops['link-down']).toBe(1);
    expect(g.dev.stats.rxDrops['link-down']).toBe(1);
    expect(needsReset(g)).toBe(false);
    g.dev.setLink({ up: true });
    const f = frame(MAC_A, MAC_B);
    expect(g.dev.receive(f)).toBe('delivered');
    expect(g.drv.receive().map((p) => p.frame)).toEqual([f]);
  });

  it('[AVP-NET-24] keeps the link state across a reset, and starts with the link the host set', () => {
    const g = guest(ring, { linkUp: false });
    expect(g.drv.status & VIRTIO_NET_S_LINK_UP).toBe(0);
    g.dev.setLink({ up: true });
    g.dev.reset();
    expect(g.dev.config.u16(NET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP).toBe(1);
  });

  it('[AVP-NET-25] [AVP-NET-33] takes the link down before it changes speed or duplex under a link that is up', () => {
    const g = guest(ring, { speed: 1000 });
    const seen: { up: number; speed: number }[] = [];
    g.dev.config.setChangeListener(() => seen.push({ up: g.dev.config.u16(NET_CFG_STATUS) & 1, speed: g.dev.config.u32(NET_CFG_SPEED) }));
    g.dev.setLink({ speed: 100 });
    expect(seen).toEqual([{ up: 0, speed: 1000 }, { up: 1, speed: 100 }]);
    seen.length = 0;
    g.dev.setLink({ up: false });
    g.dev.setLink({ speed: 10, duplex: VIRTIO_NET_DUPLEX_HALF });
    expect(seen).toEqual([{ up: 0, speed: 100 }, { up: 0, speed: 10 }]);
    expect(g.drv.duplex).toBe(VIRTIO_NET_DUPLEX_HALF);
  });

  it('[AVP-TSN-6] offers VIRTIO_NET_F_SPEED_DUPLEX and reports the rate the platform configured', () => {
    const g = guest(ring, { speed: 100 });
    expect((g.lb.features >> BigInt(F.VIRTIO_NET_F_SPEED_DUPLEX)) & 1n).toBe(1n);
    expect(g.dev.config.u32(NET_CFG_SPEED)).toBe(100);
    g.dev.setLink({ speed: 1000 });
    expect(g.drv.speed).toBe(1000);
  });

  it('reports speed in Mbit/s and duplex, with the unknown values allowed', () => {
    const g = guest(ring, { speed: 100, duplex: VIRTIO_NET_DUPLEX_FULL });
    expect([g.drv.speed, g.drv.duplex]).toEqual([100, 1]);
    g.dev.setLink({ speed: VIRTIO_NET_SPEED_UNKNOWN, duplex: 0xff });
    expect([g.drv.speed, g.drv.duplex]).toEqual([0xffffffff, 0xff]);
    expect(() => g.dev.setLink({ speed: 0x80000000 })).toThrow(RangeError);
    expect(() => g.dev.setLink({ duplex: 2 })).toThrow(RangeError);
    expect(() => new NetDevice({ speed: -1 })).toThrow(RangeError);
  });

  it('without VIRTIO_NET_F_STATUS the link still gates traffic (the driver assumes it is up)', () => {
    const g = guest(ring, { mac: MAC_A }, { features: withoutBits(ALL, F.VIRTIO_NET_F_STATUS) });
    g.drv.postRx(1);
    g.dev.setLink({ up: false });
    expect(g.dev.receive(frame(MAC_A, MAC_B))).toBe('link-down');
  });
});
