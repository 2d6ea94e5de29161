// Device identity, queues, configuration space, CIDs and feature negotiation (§5.10.1–§5.10.5).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { COMMON_FEATURES } from '../../../../src/lib/virtio/device.ts';
import { featureSet } from '../../../../src/lib/virtio/feature-bits.ts';
import * as C from '../../../../src/lib/devices/vsock/config.ts';
import * as F from '../../../../src/lib/devices/vsock/features.ts';
import { VsockDevice } from '../../../../src/lib/devices/vsock/device.ts';
import { VsockDriver } from '../../../../src/lib/devices/vsock/driver.ts';
import { VIRTIO_VSOCK_TYPE_SEQPACKET, VIRTIO_VSOCK_TYPE_STREAM } from '../../../../src/lib/devices/vsock/packet.ts';
import { VsockSwitch } from '../../../../src/lib/devices/vsock/switch.ts';
import { ALL, guest, withoutBits, world } from './harness.ts';

const { VIRTIO_VSOCK_F_STREAM: STREAM, VIRTIO_VSOCK_F_SEQPACKET: SEQ, VIRTIO_VSOCK_F_NO_IMPLIED_STREAM: NIS } = F;

describe.each(RING_TYPES)('socket device identity (%s ring)', (ring) => {
  it('[AVP-VSOCK-1] has device ID 19, queues rx, tx and event, and guest_cid as an le64 at offset 0', () => {
    const dev = new VsockDevice({ guestCid: 0x12345678 });
    expect(dev.deviceId).toBe(19);
    expect(F.VIRTIO_ID_VSOCK).toBe(19);
    expect(dev.config.size).toBe(8);
    expect(C.VSOCK_CFG_GUEST_CID).toBe(0);
    expect([...dev.config.read(0, 8)]).toEqual([0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]);
    const lb = new Loopback(dev, { ring });
    expect(lb.queues.length).toBe(3);
    expect(new VsockDriver(lb).cid).toBe(0x12345678n);
  });

  it('[AVP-VSOCK-4] offers NO_IMPLIED_STREAM together with both socket types', () => {
    const dev = new VsockDevice({ guestCid: 3 });
    expect(F.VIRTIO_VSOCK_F_STREAM).toBe(0);
    expect(F.VIRTIO_VSOCK_F_SEQPACKET).toBe(1);
    expect(F.VIRTIO_VSOCK_F_NO_IMPLIED_STREAM).toBe(2);
    expect(dev.offeredFeatures()).toBe(featureSet(STREAM, SEQ, NIS) | COMMON_FEATURES);
    const drv = new VsockDriver(new Loopback(dev, { ring }));
    expect(drv.noImpliedStream).toBe(true);
  });
});

describe('CIDs', () => {
  it('[AVP-VSOCK-2] a device never takes a reserved or over-wide CID', () => {
    for (const cid of [0n, 1n, 2n, 0xffffffffn, 0xffffffffffffffffn, 0x100000003n]) {
      expect(C.isValidGuestCid(cid)).toBe(false);
      expect(() => new VsockDevice({ guestCid: cid })).toThrow(RangeError);
    }
    for (const cid of [3n, 4n, 0xfffffffen]) expect(C.isValidGuestCid(cid)).toBe(true);
    expect(C.VSOCK_RESERVED_CIDS).toEqual([0n, 1n, 2n, 0xffffffffn, 0xffffffffffffffffn]);
  });

  it('[AVP-VSOCK-2] no two guests on a switch share a CID, and a migration cannot take a taken or reserved one', () => {
    const sw = new VsockSwitch();
    const a = new VsockDevice({ guestCid: 3 });
    sw.attach(a);
    expect(() => sw.attach(new VsockDevice({ guestCid: 3 }))).toThrow(/already attached/);
    sw.attach(new VsockDevice({ guestCid: 4 }));
    expect(() => sw.transportReset(3n, 4n)).toThrow(/already attached/);
    expect(() => sw.transportReset(3n, 2n)).toThrow(RangeError);
    expect(sw.guest(3n)).toBe(a);
  });

  it.each(RING_TYPES)('[AVP-VSOCK-3] keeps its CID across a device reset and a new driver (%s ring)', (ring) => {
    const w = world();
    const g = guest(w, ring, 42);
    expect(g.drv.cid).toBe(42n);
    g.dev.reset();
    const again = new VsockDriver(new Loopback(g.dev, { ring }));
    expect(again.cid).toBe(42n);
    expect(g.dev.cid).toBe(42n);
    // Only a transport reset changes it, and the driver is told.
    w.sw.transportReset(42n, 43n);
    again.pump();
    expect(again.cid).toBe(43n);
    g.dev.reset();
    expect(g.dev.cid).toBe(43n); // the platform's new assignment stays
  });
});

describe.each(RING_TYPES)('socket types from the negotiated features (%s ring)', (ring) => {
  const base = withoutBits(ALL, STREAM, SEQ, NIS);
  const types = (features: bigint) => {
    const dev = new VsockDevice({ guestCid: 3 });
    new Loopback(dev, { ring, features });
    return [dev.allowsType(VIRTIO_VSOCK_TYPE_STREAM), dev.allowsType(VIRTIO_VSOCK_TYPE_SEQPACKET), dev.allowsType(3)];
  };

  it('[AVP-VSOCK-5] stream without any type bit; seqpacket only with F_SEQPACKET; with NO_IMPLIED_STREAM, stream only with F_STREAM', () => {
    expect(types(base)).toEqual([true, false, false]);
    expect(types(base | featureSet(STREAM))).toEqual([true, false, false]);
    expect(types(base | featureSet(SEQ, NIS))).toEqual([false, true, false]);
    expect(types(base | featureSet(STREAM, SEQ, NIS))).toEqual([true, true, false]);
    expect(types(base | featureSet(STREAM, NIS))).toEqual([true, false, false]);
  });

  it('[AVP-VSOCK-6] treats F_SEQPACKET without NO_IMPLIED_STREAM as allowing stream too', () => {
    expect(types(base | featureSet(SEQ))).toEqual([true, true, false]);
    expect(F.streamAllowed(featureSet(SEQ))).toBe(true);
  });

  it('[AVP-VSOCK-7] refuses FEATURES_OK for NO_IMPLIED_STREAM without any socket type', () => {
    const dev = new VsockDevice({ guestCid: 3 });
    expect(() => new Loopback(dev, { ring, features: base | featureSet(NIS) })).toThrow(/FEATURES_OK refused.*NO_IMPLIED_STREAM/);
    expect(F.vsockDependencyError(featureSet(NIS))).not.toBeNull();
    expect(F.vsockDependencyError(featureSet(NIS, SEQ))).toBeNull();
    expect(F.vsockDependencyError(0n)).toBeNull();
  });

  it('[AVP-VSOCK-5] a device offering only seqpacket leaves a driver without stream sockets', () => {
    const dev = new VsockDevice({ guestCid: 3, features: featureSet(SEQ, NIS) });
    const lb = new Loopback(dev, { ring });
    expect(dev.allowsType(VIRTIO_VSOCK_TYPE_STREAM)).toBe(false);
    const drv = new VsockDriver(lb);
    expect(() => drv.sockets.listen(1, { type: VIRTIO_VSOCK_TYPE_SEQPACKET })).not.toThrow();
  });
});
