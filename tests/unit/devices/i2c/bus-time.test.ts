// Bus time on a shared I2C bus: the platform's ownership table, one transaction at a time in
// turn, each guest's budget per period, the longest transaction, the latency bound another
// guest can rely on, and suspend. All in model time.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/i2c/protocol.ts';
import { I2cBus } from '../../../../src/lib/devices/i2c/bus.ts';
import { BusArbiter, policyError } from '../../../../src/lib/devices/i2c/arbiter.ts';
import { CLUSTER_TIME, EEPROM, IVI_TIME, rig, SENSOR } from './harness.ts';

const readSensor = [{ addr: SENSOR, write: Uint8Array.of(0) }, { addr: SENSOR, read: 2 }];
/** An EEPROM read of `n` bytes: 1 + 9·(1+n) + 1 clocks of 2.5 µs at 400 kHz. */
const eepromRead = (n: number) => [{ addr: EEPROM, read: n }];

describe.each(RING_TYPES)('I2C bus time (%s ring)', (ring) => {
  it('[AVP-BUS-2] refuses an ownership table that gives one address to two guests, and a policy that could never be granted', () => {
    expect(() => new I2cBus({ owners: { a: { addresses: [0x48] }, b: { addresses: [0x50, 0x48] } } })).toThrow(/owned by both a and b/);
    expect(() => new I2cBus({ owners: { a: { addresses: [{ bits: 10, addr: 0x48 }] }, b: { addresses: [0x48] } } })).not.toThrow(); // 10-bit 0x48 is another address
    expect(policyError({ budgetUs: 1000, periodUs: 10_000, maxTransactionUs: 2000 })).toMatch(/exceeds budgetUs/);
    expect(() => new BusArbiter().join('g', { budgetUs: 20_000, periodUs: 10_000, maxTransactionUs: 10 }, { nextCost: () => null, run: () => 0, finish: () => {} })).toThrow(/exceeds periodUs/);
  });

  it('[AVP-BUS-3] puts one transaction on the bus at a time and gives the bus to the guests with work in turn', () => {
    const r = rig(ring, { timed: true });
    const sensorUs = r.bus.micros(1 + 9 * 2 + 1 + 9 * 3 + 1); // 120 µs
    const eepromUs = r.bus.micros(1 + 9 * 11 + 1); // 10 bytes: 101 clocks, 253 µs
    const txs = [
      ...[0, 1, 2].map(() => ({ who: 'cluster', ids: r.cluster.drv.send(readSensor), segs: readSensor, drv: r.cluster.drv, at: -1 })),
      ...[0, 1, 2].map(() => ({ who: 'ivi', ids: r.ivi.drv.send(eepromRead(10)), segs: eepromRead(10), drv: r.ivi.drv, at: -1 })),
    ];
    for (let t = 1; t <= 2_000; t++) {
      r.clock!.advance(1);
      for (const x of txs) if (x.at < 0 && x.drv.collect(x.ids, x.segs)) x.at = t;
    }
    const done = [...txs].sort((a, b) => a.at - b.at);
    expect(done.map((x) => x.who)).toEqual(['cluster', 'ivi', 'cluster', 'ivi', 'cluster', 'ivi']);
    // Back to back, never overlapping: each ends one transaction's time after the one before.
    let end = 0;
    for (const x of done) {
      end += x.who === 'cluster' ? sensorUs : eepromUs;
      expect(x.at).toBe(end);
    }
  });

  it('[AVP-BUS-4] holds a guest that has spent its budget until the next period, without failing or dropping its requests', () => {
    const r = rig(ring, { timed: true });
    const cost = r.bus.micros(1 + 9 * 81 + 1); // 80-byte read: 1828 µs
    expect(cost).toBe(1828);
    const ids = [0, 1, 2, 3, 4].map(() => r.ivi.drv.send(eepromRead(80)));
    r.clock!.advance(9_999);
    expect(ids.map((id) => r.ivi.drv.completion(id[0]) !== undefined)).toEqual([true, true, true, false, false]);
    expect(r.ivi.dev.port.usedAt(9_999)).toBe(3 * cost);
    expect(r.ivi.dev.port.usedAt(9_999)).toBeLessThanOrEqual(IVI_TIME.budgetUs);
    r.clock!.advance(1 + cost);
    expect(r.ivi.drv.completion(ids[3][0])?.data.at(-1)).toBe(P.VIRTIO_I2C_MSG_OK); // ran at t = 10000
    r.clock!.advance(cost);
    expect(ids.every((id) => r.ivi.drv.collect(id, eepromRead(80))?.ok)).toBe(true);
    expect(r.ivi.dev.port.stats.budgetWaits).toBeGreaterThan(0);
    expect(r.ivi.dev.stats.failures.size).toBe(0);
  });

  it('[AVP-BUS-5] refuses a transaction longer than the guest may hold the bus, before it reaches the bus', () => {
    const r = rig(ring, { timed: true });
    // 50 bytes: 1 + 9·51 + 1 = 461 clocks = 1153 µs > the cluster's 1000 µs.
    const ids = r.cluster.drv.send([{ addr: SENSOR, write: Uint8Array.of(0) }, { addr: SENSOR, read: 50 }]);
    const t = r.cluster.drv.collect(ids, [{ addr: SENSOR, write: Uint8Array.of(0) }, { addr: SENSOR, read: 50 }]);
    expect(t!.statuses).toEqual([P.VIRTIO_I2C_MSG_ERR, P.VIRTIO_I2C_MSG_ERR]); // at once, no model time
    expect([r.sensor.reads, r.sensor.stops, r.bus.arbiter.busy]).toEqual([0, 0, false]);
    expect(r.cluster.dev.stats.failures.get('too-long')).toBe(1);
    expect(CLUSTER_TIME.maxTransactionUs).toBe(1000);
  });

  it('[AVP-BUS-6] keeps a guest within its budget to the latency bound while another guest floods the bus', () => {
    const r = rig(ring, { timed: true });
    const flood = eepromRead(127); // 1 + 9·128 + 1 = 1154 clocks: 2885 µs, under the IVI's 3000 µs
    const own = r.bus.micros(1 + 9 * 2 + 1 + 9 * 3 + 1);
    const bound = r.bus.arbiter.latencyBoundUs('cluster', own);
    expect(bound).toBe(IVI_TIME.maxTransactionUs + own);
    let outstanding: number[][] = [];
    for (let ms = 0; ms < 50; ms++) {
      // The IVI keeps four reads queued at all times.
      outstanding = outstanding.filter((ids) => !r.ivi.drv.collect(ids, flood));
      while (outstanding.length < 4) outstanding.push(r.ivi.drv.send(flood));
      const ids = r.cluster.drv.send(readSensor); // the cluster's 1 kHz sensor poll
      r.clock!.advance(1_000);
      // Answered within the millisecond or later, but never later than the bound.
      while (!r.cluster.drv.collect(ids, readSensor)) r.clock!.advance(100);
    }
    expect(r.cluster.dev.stats.failures.size).toBe(0);
    expect(r.cluster.dev.stats.maxLatencyUs).toBeGreaterThan(1_000); // the flood is felt...
    expect(r.cluster.dev.stats.maxLatencyUs).toBeLessThanOrEqual(bound); // ...but bounded
    for (let t = 0; t < r.clock!.now; t += IVI_TIME.periodUs) expect(r.ivi.dev.port.usedAt(t)).toBeLessThanOrEqual(IVI_TIME.budgetUs);
  });

  it('[AVP-BUS-7] on suspend answers the transaction on the bus with its result and every other taken request with ERR, running none later', () => {
    const r = rig(ring, { timed: true });
    const a = r.cluster.drv.send(readSensor); // on the bus
    const b = r.cluster.drv.send(readSensor); // waiting for the bus
    const open = r.cluster.lb.submit(P.I2C_REQUESTQ, [P.encodeOutHdr(SENSOR << 1, P.VIRTIO_I2C_FLAGS_FAIL_NEXT), Uint8Array.of(0)], [1]);
    expect(r.bus.arbiter.busy).toBe(true);
    r.cluster.dev.suspend();
    expect(r.cluster.drv.collect(a, readSensor)!.ok).toBe(true);
    expect(r.cluster.drv.collect(b, readSensor)!.statuses).toEqual([P.VIRTIO_I2C_MSG_ERR, P.VIRTIO_I2C_MSG_ERR]);
    expect(r.cluster.drv.completion(open)!.data[0]).toBe(P.VIRTIO_I2C_MSG_ERR);
    r.clock!.advance(10_000);
    expect(r.sensor.reads).toBe(1);
    expect(r.cluster.dev.stats.failures.get('suspended')).toBe(3);
    r.cluster.dev.resume();
    const c = r.cluster.drv.send(readSensor);
    r.clock!.advance(200);
    expect(r.cluster.drv.collect(c, readSensor)!.ok).toBe(true);
  });
});
