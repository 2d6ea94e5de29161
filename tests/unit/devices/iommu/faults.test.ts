// Fault reporting on the event queue (VIRTIO 1.4 §5.13.6.9), on both ring layouts: what a
// report says for each kind of refused access, buffers that are too small or missing, the
// backlog, the budget per endpoint, and that every fault not reported is counted.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { IOMMU_EVENTQ } from '../../../../src/lib/devices/iommu/device.ts';
import * as P from '../../../../src/lib/devices/iommu/protocol.ts';
import { dmaRead, dmaWrite, GUEST_RAM, needsReset, PAGE, rig } from './harness.ts';

const R = P.VIRTIO_IOMMU_FAULT_F_READ;
const W = P.VIRTIO_IOMMU_FAULT_F_WRITE;
const A = P.VIRTIO_IOMMU_FAULT_F_ADDRESS;

describe.each(RING_TYPES)('fault reports (%s ring)', (ring) => {
  it('[AVP-IOMMU-64] [AVP-IOMMU-65] reports DOMAIN for an unattached endpoint, MAPPING for an unmapped or forbidden access, UNKNOWN in bypass, each with its address and direction', () => {
    const r = rig(ring);
    r.drv.postEventBuffers(8);
    expect(dmaRead(r, 1, 0x5000, 8)).toBe('IOMMU_FAULT');
    r.drv.attach(1, 1);
    r.drv.map(1, 0x10_0000, PAGE, 0x3000, P.VIRTIO_IOMMU_MAP_F_READ);
    expect(dmaRead(r, 1, 0x20_0010, 4)).toBe('IOMMU_FAULT');
    expect(dmaWrite(r, 1, 0x10_0004, Uint8Array.of(1))).toBe('IOMMU_FAULT');
    r.drv.attach(2, 2, { bypass: true });
    expect(dmaWrite(r, 2, GUEST_RAM + 0x10, Uint8Array.of(1))).toBe('IOMMU_FAULT'); // bypass, but no memory there
    expect(r.drv.faults()).toEqual([
      { reason: P.VIRTIO_IOMMU_FAULT_R_DOMAIN, flags: R | A, endpoint: 1, address: 0x5000n },
      { reason: P.VIRTIO_IOMMU_FAULT_R_MAPPING, flags: R | A, endpoint: 1, address: 0x20_0010n },
      { reason: P.VIRTIO_IOMMU_FAULT_R_MAPPING, flags: W | A, endpoint: 1, address: 0x10_0004n },
      { reason: P.VIRTIO_IOMMU_FAULT_R_UNKNOWN, flags: W | A, endpoint: 2, address: BigInt(GUEST_RAM + 0x10) },
    ]);
    expect(r.dev.faultStats.reported).toBe(4);
  });

  it('[AVP-IOMMU-66] writes 24 bytes with reserved, reserved1 and every undefined flag bit zero', () => {
    const r = rig(ring);
    r.lb.submit(IOMMU_EVENTQ, [], [32]); // a larger buffer: the device still writes one report
    dmaRead(r, 3, 0x1234_5000, 2);
    const [c] = r.lb.poll(IOMMU_EVENTQ);
    expect(c.len).toBe(P.IOMMU_FAULT_SIZE);
    const v = new DataView(c.data.buffer, c.data.byteOffset, c.len);
    expect([v.getUint8(1), v.getUint8(2), v.getUint8(3), v.getUint32(12, true)]).toEqual([0, 0, 0, 0]);
    expect(v.getUint32(4, true) & ~(R | W | A)).toBe(0);
    expect(P.decodeFault(c.data)).toEqual({ reason: P.VIRTIO_IOMMU_FAULT_R_DOMAIN, flags: R | A, endpoint: 3, address: 0x1234_5000n });
  });

  it('[AVP-IOMMU-67] hands back an event buffer too small for a report with used length 0 and keeps the report for the next one', () => {
    const r = rig(ring);
    r.lb.submit(IOMMU_EVENTQ, [], [16]);
    r.lb.submit(IOMMU_EVENTQ, [], [8, 8]); // 16 bytes over two buffers: not split over them either
    r.lb.submit(IOMMU_EVENTQ, [], [24]);
    dmaRead(r, 1, 0x5000, 4);
    const done = r.lb.poll(IOMMU_EVENTQ);
    expect(done.map((c) => c.len)).toEqual([0, 0, 24]);
    expect(P.decodeFault(done[2].data)?.address).toBe(0x5000n);
    expect(r.dev.faultStats.smallBuffers).toBe(2);
    expect(needsReset(r.lb)).toBe(false);
  });

  it('[AVP-IOMMU-68] keeps reports while the driver has no event buffer and delivers them in order once it gives some', () => {
    const r = rig(ring);
    for (const a of [0x1000, 0x2000, 0x3000]) dmaRead(r, 1, a, 4);
    expect(r.dev.pendingFaults).toBe(3);
    expect(r.drv.faults()).toEqual([]);
    r.drv.postEventBuffers(2);
    expect(r.drv.faults().map((f) => f.address)).toEqual([0x1000n, 0x2000n]);
    // faults() gave the two buffers back, so the third report goes out at the next notification.
    r.dev.queueNotify(IOMMU_EVENTQ);
    expect(r.drv.faults().map((f) => f.address)).toEqual([0x3000n]);
    expect(r.dev.pendingFaults).toBe(0);
  });

  it('[AVP-IOMMU-68] [AVP-IOMMU-70] counts the reports a full backlog cannot keep', () => {
    const r = rig(ring, { eventBacklog: 2, faultBudget: { burst: 100, perSecond: 0 } });
    for (let i = 0; i < 5; i++) dmaRead(r, 1, 0x1000 * (i + 1), 4);
    expect(r.dev.pendingFaults).toBe(2);
    expect(r.dev.faultStats.dropped).toBe(3);
    r.drv.postEventBuffers(4);
    expect(r.drv.faults().map((f) => f.address)).toEqual([0x1000n, 0x2000n]);
  });

  it('[AVP-IOMMU-69] [AVP-IOMMU-70] reports at most the budget of one endpoint, counts the rest per endpoint, and refills with model time', () => {
    const clock = new ModelClock();
    const r = rig(ring, { clock, faultBudget: { burst: 4, perSecond: 10 } });
    r.drv.postEventBuffers(32);
    for (let i = 0; i < 10; i++) dmaRead(r, 1, 0x1000, 4);
    dmaRead(r, 2, 0x1000, 4);
    const first = r.drv.faults();
    expect(first.filter((f) => f.endpoint === 1)).toHaveLength(4);
    expect(first.filter((f) => f.endpoint === 2)).toHaveLength(1); // another endpoint's budget is its own
    expect(r.dev.endpointFaults.get(1)).toEqual({ faults: 10, rateLimited: 6 });
    expect(r.dev.faultStats.rateLimited).toBe(6);
    clock.advance(200_000); // 0.2 s at 10 per second: two more
    for (let i = 0; i < 5; i++) dmaRead(r, 1, 0x1000, 4);
    expect(r.drv.faults()).toHaveLength(2);
    expect(r.dev.endpointFaults.get(1)).toEqual({ faults: 15, rateLimited: 9 });
    expect(r.dev.faultStats.reported + r.dev.faultStats.rateLimited).toBe(16);
  });

  it('[AVP-IOMMU-70] counts a fault from an endpoint the device does not manage, without reporting an invalid endpoint', () => {
    const r = rig(ring);
    r.drv.postEventBuffers(2);
    r.dev.fault({ endpoint: 99, address: 0x1000n, len: 4, write: false, reason: 'unmapped' });
    expect(r.drv.faults()).toEqual([]);
    expect(r.dev.faultStats.unknownEndpoint).toBe(1);
  });

  it('[AVP-IOMMU-71] discards and counts the reports still waiting at a device reset, and starts every budget afresh', () => {
    const r = rig(ring, { faultBudget: { burst: 2, perSecond: 0 } });
    for (let i = 0; i < 3; i++) dmaRead(r, 1, 0x1000, 4);
    expect([r.dev.pendingFaults, r.dev.faultStats.rateLimited]).toEqual([2, 1]);
    const lb = new Loopback(r.dev, { ring });
    expect(r.dev.faultStats.discardedAtReset).toBe(2);
    expect(r.dev.pendingFaults).toBe(0);
    lb.submit(IOMMU_EVENTQ, [], [24]);
    dmaRead(r, 1, 0x2000, 4);
    expect(lb.poll(IOMMU_EVENTQ).map((c) => P.decodeFault(c.data)?.address)).toEqual([0x2000n]);
  });

  it('[AVP-IOMMU-68] holds reports while the device is suspended and sends them on resume', () => {
    const r = rig(ring);
    r.drv.postEventBuffers(2);
    r.dev.suspend();
    dmaRead(r, 1, 0x7000, 4);
    expect(r.drv.faults()).toEqual([]);
    r.dev.resume();
    expect(r.drv.faults().map((f) => f.address)).toEqual([0x7000n]);
  });

  it('needs a reset when the event queue itself is broken', () => {
    const r = rig(ring);
    r.lb.queues[IOMMU_EVENTQ].add([{ addr: 0x7fff_0000, len: 24, writable: true }]);
    dmaRead(r, 1, 0x1000, 4);
    expect(needsReset(r.lb)).toBe(true);
  });
});

describe('a driver reading fault reports', () => {
  it('ignores a report with a reserved byte set, and reads unknown reasons as they are', () => {
    const f = P.encodeFault({ reason: 9, flags: A | 0x10, endpoint: 4, address: 0x10n });
    expect(P.decodeFault(f)).toEqual({ reason: 9, flags: A | 0x10, endpoint: 4, address: 0x10n });
    expect(P.describeFault(P.decodeFault(f)!)).toBe('UNKNOWN fault from endpoint 4 at 0x10');
    f[2] = 1;
    expect(P.decodeFault(f)).toBeNull();
    expect(P.decodeFault(f.subarray(0, 20))).toBeNull();
  });
});
