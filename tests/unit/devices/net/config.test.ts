// Queue layout, feature negotiation and the configuration space of the network device.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { featureSet, hasFeature, VIRTIO_F_VERSION_1 } from '../../../../src/lib/virtio/feature-bits.ts';
import { NetDevice, VIRTIO_ID_NET } from '../../../../src/lib/devices/net/device.ts';
import * as F from '../../../../src/lib/devices/net/features.ts';
import {
  NET_CFG_DUPLEX,
  NET_CFG_MAC,
  NET_CFG_MAX_VIRTQUEUE_PAIRS,
  NET_CFG_MTU,
  NET_CFG_SPEED,
  NET_CFG_STATUS,
  NET_CONFIG_SIZE,
  VIRTIO_NET_DUPLEX_FULL,
  VIRTIO_NET_S_LINK_UP,
} from '../../../../src/lib/devices/net/config.ts';
import { ctrlMacAddr } from '../../../../src/lib/devices/net/control.ts';
import { parseMac } from '../../../../src/lib/devices/net/ethernet.ts';
import { ALL, guest, MAC_A, withoutBits } from './harness.ts';

describe('network device identity', () => {
  it('has device ID 1 and a 28-byte struct virtio_net_config', () => {
    const d = new NetDevice();
    expect(d.deviceId).toBe(VIRTIO_ID_NET);
    expect(VIRTIO_ID_NET).toBe(1);
    expect(d.config.size).toBe(NET_CONFIG_SIZE);
    expect(NET_CONFIG_SIZE).toBe(28);
  });
});

describe.each(RING_TYPES)('network device configuration (%s ring)', (ring) => {
  it('[AVP-NET-1] puts receiveq/transmitq pairs first and the controlq at index 2N', () => {
    const one = guest(ring);
    expect(one.lb.queues.length).toBe(3);
    expect(one.dev.controlQueueIndex(one.lb.features)).toBe(2);
    expect(one.drv.ctrlQueue).toBe(2);

    const four = guest(ring, { maxQueuePairs: 4 });
    expect(hasFeature(four.lb.features, F.VIRTIO_NET_F_MQ)).toBe(true);
    expect(four.lb.queues.length).toBe(9);
    expect(four.dev.controlQueueIndex(four.lb.features)).toBe(8);

    // Without VIRTIO_NET_F_MQ the driver gets one pair even if the device has more.
    const noMq = guest(ring, { maxQueuePairs: 4 }, { features: withoutBits(ALL, F.VIRTIO_NET_F_MQ) });
    expect(noMq.lb.queues.length).toBe(3);
    expect(noMq.dev.controlQueueIndex(noMq.lb.features)).toBe(2);
  });

  it('[AVP-NET-1] has no controlq without VIRTIO_NET_F_CTRL_VQ', () => {
    const deps = [F.VIRTIO_NET_F_CTRL_VQ, F.VIRTIO_NET_F_CTRL_RX, F.VIRTIO_NET_F_CTRL_VLAN, F.VIRTIO_NET_F_CTRL_RX_EXTRA,
      F.VIRTIO_NET_F_GUEST_ANNOUNCE, F.VIRTIO_NET_F_MQ, F.VIRTIO_NET_F_CTRL_MAC_ADDR];
    const g = guest(ring, { maxQueuePairs: 2 }, { features: withoutBits(ALL, ...deps) });
    expect(g.lb.queues.length).toBe(2);
    expect(g.dev.controlQueueIndex(g.lb.features)).toBeNull();
    expect(() => g.drv.control(new Uint8Array([0, 0, 1]))).toThrow(/CTRL_VQ/);
  });

  it('[AVP-NET-3] lays out mac, status, max_virtqueue_pairs, mtu, speed and duplex at offsets 0, 6, 8, 10, 12, 16', () => {
    const g = guest(ring, { mac: MAC_A, mtu: 1400, maxQueuePairs: 3, speed: 100 });
    const c = g.dev.config;
    expect([...c.read(NET_CFG_MAC, 6)]).toEqual([...parseMac(MAC_A)]);
    expect(NET_CFG_STATUS).toBe(6);
    expect(c.u16(6) & VIRTIO_NET_S_LINK_UP).toBe(1);
    expect(NET_CFG_MAX_VIRTQUEUE_PAIRS).toBe(8);
    expect(c.u16(8)).toBe(3);
    expect(NET_CFG_MTU).toBe(10);
    expect(c.u16(10)).toBe(1400);
    expect(NET_CFG_SPEED).toBe(12);
    expect(c.u32(12)).toBe(100);
    expect(NET_CFG_DUPLEX).toBe(16);
    expect(c.u8(16)).toBe(VIRTIO_NET_DUPLEX_FULL);
  });

  it('[AVP-NET-3] ignores driver writes to the configuration space', () => {
    const g = guest(ring, { mtu: 1500 });
    const before = new Uint8Array(g.dev.config.bytes);
    g.dev.writeConfig(0, new Uint8Array([2, 0, 0, 0, 0, 1, 0, 0, 9, 0, 0x10, 0]));
    expect([...g.dev.config.bytes]).toEqual([...before]);
    expect(g.dev.config.generation).toBe(0);
  });

  it('[AVP-NET-4] keeps mtu unchanged across traffic, control commands and reset', () => {
    const g = guest(ring, { mtu: 9000 });
    expect(g.drv.mtu).toBe(9000);
    g.drv.control(ctrlMacAddr(parseMac('02:00:00:00:00:01')));
    g.dev.setLink({ up: false });
    g.dev.setLink({ up: true, speed: 10 });
    g.dev.reset();
    expect(g.dev.config.u16(NET_CFG_MTU)).toBe(9000);
  });
});

describe('network device limits', () => {
  it('[AVP-NET-4] refuses an mtu outside 68..65535 and max_virtqueue_pairs outside 1..0x8000', () => {
    expect(() => new NetDevice({ mtu: 67 })).toThrow(RangeError);
    expect(() => new NetDevice({ mtu: 65536 })).toThrow(RangeError);
    expect(new NetDevice({ mtu: 68 }).config.u16(NET_CFG_MTU)).toBe(68);
    expect(new NetDevice({ mtu: 65535 }).config.u16(NET_CFG_MTU)).toBe(65535);
    expect(() => new NetDevice({ maxQueuePairs: 0 })).toThrow(RangeError);
    expect(() => new NetDevice({ maxQueuePairs: 0x8001 })).toThrow(RangeError);
    expect(new NetDevice({ maxQueuePairs: 0x8000 }).config.u16(NET_CFG_MAX_VIRTQUEUE_PAIRS)).toBe(0x8000);
  });

  it('[AVP-NET-5] offers VIRTIO_NET_F_MAC and VIRTIO_NET_F_MTU with a platform-assigned unicast address', () => {
    const d = new NetDevice({ mac: MAC_A });
    expect(hasFeature(d.offeredFeatures(), F.VIRTIO_NET_F_MAC)).toBe(true);
    expect(hasFeature(d.offeredFeatures(), F.VIRTIO_NET_F_MTU)).toBe(true);
    expect(d.config.u16(NET_CFG_MTU)).toBeGreaterThanOrEqual(1280);
    expect(hasFeature(new NetDevice().offeredFeatures(), F.VIRTIO_NET_F_MAC)).toBe(false);
    expect(() => new NetDevice({ mac: '01:00:5e:00:00:01' })).toThrow(/unicast/);
  });

  it('offers the documented subset and no offload it does not implement', () => {
    const f = new NetDevice({ mac: MAC_A, maxQueuePairs: 2 }).offeredFeatures();
    for (const b of [F.VIRTIO_NET_F_CSUM, F.VIRTIO_NET_F_MTU, F.VIRTIO_NET_F_MAC, F.VIRTIO_NET_F_MRG_RXBUF, F.VIRTIO_NET_F_STATUS,
      F.VIRTIO_NET_F_CTRL_VQ, F.VIRTIO_NET_F_CTRL_RX, F.VIRTIO_NET_F_CTRL_VLAN, F.VIRTIO_NET_F_CTRL_RX_EXTRA,
      F.VIRTIO_NET_F_GUEST_ANNOUNCE, F.VIRTIO_NET_F_MQ, F.VIRTIO_NET_F_CTRL_MAC_ADDR, F.VIRTIO_NET_F_SPEED_DUPLEX]) {
      expect(hasFeature(f, b), `bit ${b}`).toBe(true);
    }
    for (const b of [F.VIRTIO_NET_F_GUEST_CSUM, F.VIRTIO_NET_F_HOST_TSO4, F.VIRTIO_NET_F_HOST_TSO6, F.VIRTIO_NET_F_HOST_UFO,
      F.VIRTIO_NET_F_HOST_USO, F.VIRTIO_NET_F_GUEST_TSO4, F.VIRTIO_NET_F_HASH_REPORT, F.VIRTIO_NET_F_RSS, F.VIRTIO_NET_F_NOTF_COAL]) {
      expect(hasFeature(f, b), `bit ${b}`).toBe(false);
    }
  });
});

describe('[AVP-NET-2] feature dependencies (§5.1.3.1)', () => {
  const d = new NetDevice({ mac: MAC_A, maxQueuePairs: 2 });
  const base = featureSet(VIRTIO_F_VERSION_1);

  it('refuses each control feature without VIRTIO_NET_F_CTRL_VQ', () => {
    for (const b of [F.VIRTIO_NET_F_CTRL_RX, F.VIRTIO_NET_F_CTRL_VLAN, F.VIRTIO_NET_F_GUEST_ANNOUNCE, F.VIRTIO_NET_F_MQ, F.VIRTIO_NET_F_CTRL_MAC_ADDR]) {
      expect(d.checkFeatures(base | featureSet(b)), `bit ${b}`).toMatch(/requires feature\(s\) 17/);
      expect(d.checkFeatures(base | featureSet(b, F.VIRTIO_NET_F_CTRL_VQ)), `bit ${b}`).toBeNull();
    }
  });

  it('knows the offload dependencies, including the one-of rules', () => {
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_HOST_TSO4))).toMatch(/requires feature\(s\) 0/);
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_HOST_ECN, F.VIRTIO_NET_F_CSUM))).toMatch(/one of/);
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_HOST_ECN, F.VIRTIO_NET_F_HOST_TSO6, F.VIRTIO_NET_F_CSUM))).toBeNull();
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_GUEST_TSO4))).toMatch(/requires feature\(s\) 1/);
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_RSS_CONTEXT, F.VIRTIO_NET_F_CTRL_VQ))).toMatch(/60/);
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_HASH_TUNNEL, F.VIRTIO_NET_F_CTRL_VQ))).toMatch(/one of/);
    expect(F.netDependencyError(featureSet(F.VIRTIO_NET_F_HASH_TUNNEL, F.VIRTIO_NET_F_CTRL_VQ, F.VIRTIO_NET_F_HASH_REPORT))).toBeNull();
  });

  it('still refuses features the device did not offer', () => {
    expect(d.checkFeatures(base | featureSet(F.VIRTIO_NET_F_GUEST_CSUM))).toMatch(/did not offer/);
  });
});
