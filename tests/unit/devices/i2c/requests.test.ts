// The I2C adapter's requestq (VIRTIO 1.4 §5.16.6): the feature, address formats, read and write
// segments, FAIL_NEXT groups, and the ERR of every request the device does not carry out.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { bit } from '../../../../src/lib/virtio/feature-bits.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import * as P from '../../../../src/lib/devices/i2c/protocol.ts';
import { I2cAdapterDevice } from '../../../../src/lib/devices/i2c/device.ts';
import { TemperatureSensor } from '../../../../src/lib/devices/i2c/targets.ts';
import { EEPROM, needsReset, rig, SENSOR, STRAY, TEN_BIT } from './harness.ts';

const OK = P.VIRTIO_I2C_MSG_OK;
const ERR = P.VIRTIO_I2C_MSG_ERR;
const hdr = (addr: number, flags = 0) => P.encodeOutHdr(P.encodeAddress({ bits: 7, addr }), flags);

describe.each(RING_TYPES)('I2C requestq (%s ring)', (ring) => {
  it('[AVP-BUS-24] offers VIRTIO_I2C_F_ZERO_LENGTH_REQUEST and refuses FEATURES_OK to a driver that does not accept it', () => {
    const r = rig(ring);
    expect(r.cluster.dev.deviceId).toBe(34);
    expect(r.cluster.lb.queues.length).toBe(1);
    expect(r.cluster.dev.offeredFeatures() & bit(P.VIRTIO_I2C_F_ZERO_LENGTH_REQUEST)).not.toBe(0n);
    const dev = new I2cAdapterDevice({ bus: r.bus, guest: 'cluster' });
    expect(() => new Loopback(dev, { ring, features: ~bit(P.VIRTIO_I2C_F_ZERO_LENGTH_REQUEST) & ((1n << 64n) - 1n) })).toThrow(/ZERO_LENGTH_REQUEST not accepted/);
  });

  it('[AVP-BUS-25] reads 7-bit and 10-bit addresses, takes bits 7..3 = 11110 as 10-bit, and fails a malformed addr field', () => {
    expect(P.decodeAddress(0x0090)).toEqual({ bits: 7, addr: 0x48 });
    expect(P.decodeAddress(P.encodeAddress({ bits: 10, addr: TEN_BIT }))).toEqual({ bits: 10, addr: TEN_BIT });
    expect(P.encodeAddress({ bits: 10, addr: TEN_BIT })).toBe(0xa5f4);
    expect(P.decodeAddress(0x00f0)).toEqual({ bits: 10, addr: 0 }); // not the 7-bit 0x78
    expect(P.decodeAddress(0x0091)).toBeNull(); // bit 0 set
    expect(P.decodeAddress(0x0190)).toBeNull(); // high byte in a 7-bit address
    const r = rig(ring);
    for (const field of [0x0091, 0x0190, 0xffff]) {
      const c = r.cluster.lb.request(P.I2C_REQUESTQ, [P.encodeOutHdr(field, P.VIRTIO_I2C_FLAGS_M_RD)], [2, 1]);
      expect([c.len, c.data[2]]).toEqual([3, ERR]);
    }
    expect(r.cluster.dev.stats.failures.get('bad-address')).toBe(3);
    // The cluster owns the 10-bit address TEN_BIT; nothing answers there, so the bus NACKs it.
    const ten = r.cluster.drv.transfer([{ addr: { bits: 10, addr: TEN_BIT }, read: 1 }]);
    expect(ten.statuses).toEqual([ERR]);
    expect(r.cluster.dev.stats.failures.get('nack')).toBe(1);
    expect(r.sensor.reads).toBe(0);
  });

  it('[AVP-BUS-26] fails a short header, a reserved flag, a read carrying data or a write with room to read, without touching the bus', () => {
    const r = rig(ring);
    const lb = r.cluster.lb;
    const cases = [
      lb.request(P.I2C_REQUESTQ, [hdr(SENSOR).subarray(0, 7)], [1]),
      lb.request(P.I2C_REQUESTQ, [hdr(SENSOR, 1 << 2)], [1]),
      lb.request(P.I2C_REQUESTQ, [hdr(SENSOR, P.VIRTIO_I2C_FLAGS_M_RD | (1 << 31))], [2, 1]),
      lb.request(P.I2C_REQUESTQ, [hdr(SENSOR, P.VIRTIO_I2C_FLAGS_M_RD), Uint8Array.of(0)], [2, 1]),
      lb.request(P.I2C_REQUESTQ, [hdr(SENSOR), Uint8Array.of(0)], [2, 1]),
    ];
    expect(cases.map((c) => c.data[c.len - 1])).toEqual([ERR, ERR, ERR, ERR, ERR]);
    const f = r.cluster.dev.stats.failures;
    expect([f.get('short-header'), f.get('reserved-flags'), f.get('read-with-data'), f.get('write-with-room')]).toEqual([1, 2, 1, 1]);
    expect([r.sensor.reads, r.sensor.stops, r.sensor.pointerRegister]).toEqual([0, 0, 0]);
    expect(needsReset(lb)).toBe(false);
  });

  it('[AVP-BUS-27] returns a request with no device-writable byte with used length 0 and counts it', () => {
    const r = rig(ring);
    const c = r.cluster.lb.request(P.I2C_REQUESTQ, [hdr(SENSOR), Uint8Array.of(1)], []);
    expect(c.len).toBe(0);
    expect(r.cluster.dev.stats.failures.get('no-status-room')).toBe(1);
    expect(r.sensor.pointerRegister).toBe(0);
    expect(r.cluster.drv.readRegister(SENSOR, 0, 2).ok).toBe(true);
  });

  it('[AVP-BUS-28] places exactly the buffer length of data in a read, writes a write to the part, and answers a zero-length probe', () => {
    const r = rig(ring);
    const t = r.cluster.drv.readRegister(SENSOR, 0, 2);
    expect(t.ok).toBe(true);
    expect(TemperatureSensor.decode((t.data[1][0] << 8) | t.data[1][1])).toBe(21.5);
    // The header split across buffers, the data and the status byte laid over two buffers
    // differently: the same answer (§2.7.4: the split is the driver's choice).
    const h = hdr(SENSOR, P.VIRTIO_I2C_FLAGS_M_RD);
    const c = r.cluster.lb.request(P.I2C_REQUESTQ, [h.subarray(0, 3), h.subarray(3)], [1, 2]);
    expect([c.len, ...c.data]).toEqual([3, 0x15, 0x80, OK]);
    expect(r.ivi.drv.transfer([{ addr: EEPROM, write: Uint8Array.of(0x10, 1, 2, 3) }]).ok).toBe(true);
    expect([...r.eeprom.bytes.subarray(0x10, 0x13)]).toEqual([1, 2, 3]);
    const probe = r.ivi.lb.request(P.I2C_REQUESTQ, [hdr(EEPROM)], [1]);
    expect([probe.len, probe.data[0]]).toEqual([1, OK]);
    const probeRead = r.ivi.lb.request(P.I2C_REQUESTQ, [hdr(EEPROM, P.VIRTIO_I2C_FLAGS_M_RD)], [1]);
    expect([probeRead.len, probeRead.data[0]]).toEqual([1, OK]);
  });

  it('[AVP-BUS-29] runs a FAIL_NEXT group as one transaction with a single STOP, timed as such on the wire', () => {
    const r = rig(ring, { timed: true });
    const segs = [{ addr: SENSOR, write: Uint8Array.of(0) }, { addr: SENSOR, read: 2 }];
    const ids = r.cluster.drv.send(segs);
    // START, address + 1 byte, repeated START, address + 2 bytes, STOP: 1+18+1+27+1 = 48 clocks at 400 kHz.
    r.clock!.advance(119);
    expect(r.cluster.drv.collect(ids, segs)).toBeNull();
    r.clock!.advance(1);
    expect(r.cluster.drv.collect(ids, segs)!.ok).toBe(true);
    expect(r.sensor.stops).toBe(1);
    // The same two messages as two transfers: two STOPs.
    const a = r.cluster.drv.send([segs[0]]);
    const b = r.cluster.drv.send([segs[1]]);
    r.clock!.advance(1000);
    expect([r.cluster.drv.collect(a, [segs[0]])!.ok, r.cluster.drv.collect(b, [segs[1]])!.ok]).toEqual([true, true]);
    expect(r.sensor.stops).toBe(3);
  });

  it('[AVP-BUS-30] runs a group only once its last request is there, and holds no bus time meanwhile', () => {
    const r = rig(ring, { timed: true });
    const first = r.cluster.lb.submit(P.I2C_REQUESTQ, [hdr(SENSOR, P.VIRTIO_I2C_FLAGS_FAIL_NEXT), Uint8Array.of(0)], [1]);
    r.clock!.advance(5_000);
    expect(r.cluster.drv.completion(first)).toBeUndefined();
    expect(r.bus.arbiter.busy).toBe(false);
    // The IVI's transfer goes straight onto the bus while the cluster's group is open.
    const seg = [{ addr: EEPROM, read: 4 }];
    const ivi = r.ivi.drv.send(seg);
    r.clock!.advance(200);
    expect(r.ivi.drv.collect(ivi, seg)!.ok).toBe(true);
    expect(r.ivi.dev.stats.maxLatencyUs).toBeLessThanOrEqual(200);
    const last = r.cluster.lb.submit(P.I2C_REQUESTQ, [hdr(SENSOR, P.VIRTIO_I2C_FLAGS_M_RD)], [2, 1]);
    r.clock!.advance(200);
    expect([r.cluster.drv.completion(first)!.data[0], r.cluster.drv.completion(last)!.data[2]]).toEqual([OK, OK]);
    expect(r.sensor.stops).toBe(1);
  });

  it('[AVP-BUS-31] fails the first failing request of a group and every later one without attempting them', () => {
    const r = rig(ring);
    const t = r.cluster.drv.transfer([{ addr: { bits: 10, addr: TEN_BIT }, write: Uint8Array.of(0) }, { addr: SENSOR, read: 2 }, { addr: SENSOR, read: 2 }]);
    expect(t.statuses).toEqual([ERR, ERR, ERR]);
    expect(r.sensor.reads).toBe(0);
    const u = r.cluster.drv.transfer([{ addr: SENSOR, write: Uint8Array.of(1) }, { addr: STRAY, read: 2 }, { addr: SENSOR, read: 2 }]);
    expect(u.statuses).toEqual([OK, ERR, ERR]);
    expect([r.sensor.pointerRegister, r.sensor.reads, r.stray.reads]).toEqual([1, 0, 0]);
    const f = r.cluster.dev.stats.failures;
    expect([f.get('nack'), f.get('not-owned'), f.get('group-failed')]).toEqual([1, 1, 3]);
  });

  it('[AVP-BUS-32] completes requests in the order they were made available, a malformed one behind a timed one', () => {
    const r = rig(ring, { timed: true });
    const good = r.cluster.lb.submit(P.I2C_REQUESTQ, [hdr(SENSOR, P.VIRTIO_I2C_FLAGS_M_RD)], [2, 1]);
    const bad = r.cluster.lb.submit(P.I2C_REQUESTQ, [hdr(SENSOR).subarray(0, 4)], [1]);
    expect(r.cluster.lb.poll(P.I2C_REQUESTQ)).toEqual([]);
    r.clock!.advance(100);
    expect(r.cluster.lb.poll(P.I2C_REQUESTQ).map((c) => [c.id, c.data[c.len - 1]])).toEqual([
      [good, OK],
      [bad, ERR],
    ]);
  });

  it('[AVP-BUS-33] fails a request to an address the guest does not own without any bus activity', () => {
    const r = rig(ring);
    r.cluster.drv.transfer([{ addr: SENSOR, write: Uint8Array.of(3) }]);
    const before = [r.sensor.reads, r.sensor.stops, r.sensor.pointerRegister];
    const t = r.ivi.drv.transfer([{ addr: SENSOR, write: Uint8Array.of(0) }, { addr: SENSOR, read: 2 }]);
    expect(t.statuses).toEqual([ERR, ERR]);
    expect([r.sensor.reads, r.sensor.stops, r.sensor.pointerRegister]).toEqual(before);
    expect(r.cluster.drv.transfer([{ addr: STRAY, read: 2 }]).ok).toBe(false); // on the bus, but nobody's
    expect(r.stray.reads).toBe(0);
    expect(r.ivi.dev.stats.failures.get('not-owned')).toBe(1);
  });

  it('[AVP-BUS-34] fills the read buffer of a failed read with zeros, never another guest’s or stale bytes', () => {
    const r = rig(ring);
    const c = r.ivi.lb.request(P.I2C_REQUESTQ, [hdr(SENSOR, P.VIRTIO_I2C_FLAGS_M_RD)], [2, 1]);
    expect([c.len, ...c.data]).toEqual([3, 0, 0, ERR]);
    const n = r.cluster.lb.request(P.I2C_REQUESTQ, [P.encodeOutHdr(P.encodeAddress({ bits: 10, addr: TEN_BIT }), P.VIRTIO_I2C_FLAGS_M_RD)], [4, 1]);
    expect([...n.data]).toEqual([0, 0, 0, 0, ERR]);
  });

  it('[AVP-BUS-35] the driver uses no read data of a transfer once a request of it failed', () => {
    const r = rig(ring);
    const t = r.cluster.drv.transfer([{ addr: SENSOR, read: 2 }, { addr: STRAY, read: 2 }]);
    expect(t.ok).toBe(false);
    expect(t.statuses).toEqual([OK, ERR]);
    expect(t.data.map((d) => d.length)).toEqual([2, 0]);
    const u = r.cluster.drv.transfer([{ addr: STRAY, read: 2 }, { addr: SENSOR, read: 2 }]);
    expect(u.data.map((d) => d.length)).toEqual([0, 0]);
  });
});
