// The memory device's requests (VIRTIO 1.4 §5.15.6) on both ring layouts: PLUG, UNPLUG,
// UNPLUG_ALL and STATE with their responses, every refusal and the order of the checks.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { MemDevice, type MemHost } from '../../../../src/lib/devices/mem/device.ts';
import { MemDriver } from '../../../../src/lib/devices/mem/driver.ts';
import { MEM_ERRORS } from '../../../../src/lib/devices/mem/errors.ts';
import * as P from '../../../../src/lib/devices/mem/protocol.ts';
import { at, BS, errorCount, MiB, needsReset, raw, rig } from './harness.ts';

const { VIRTIO_MEM_REQ_PLUG: PLUG, VIRTIO_MEM_REQ_UNPLUG: UNPLUG, VIRTIO_MEM_REQ_UNPLUG_ALL: UNPLUG_ALL, VIRTIO_MEM_REQ_STATE: STATE } = P;
const { VIRTIO_MEM_RESP_ACK: ACK, VIRTIO_MEM_RESP_NACK: NACK, VIRTIO_MEM_RESP_BUSY: BUSY, VIRTIO_MEM_RESP_ERROR: ERROR } = P;
const req = P.encodeMemRequest;

describe.each(RING_TYPES)('memory device requests (%s ring)', (ring) => {
  it('[AVP-MEM-38] has device ID 24 and one queue, the guest-request queue', () => {
    const r = rig(ring);
    expect(r.dev.deviceId).toBe(24);
    expect(P.VIRTIO_ID_MEM).toBe(24);
    expect(r.lb.queues.length).toBe(1);
    expect(r.drv.plug(0)).toBe(ACK);
  });

  it('[AVP-MEM-44] reads the first 24 device-readable bytes whatever the split, ignores bytes past them, and writes a 10-byte response across the writable buffers', () => {
    const r = rig(ring);
    const b = req(PLUG, at(2), 3);
    const got = raw(r, [b.subarray(0, 5), b.subarray(5, 17), b.subarray(17)], [3, 7]);
    expect([got.len, got.type]).toEqual([10, ACK]);
    expect(r.dev.pluggedSize).toBe(3 * BS);
    const long = raw(r, [req(STATE, at(2), 3), new Uint8Array(8).fill(0xee)], [10, 6]);
    expect([long.len, long.type, long.state]).toEqual([10, ACK, P.VIRTIO_MEM_STATE_PLUGGED]);
    expect(r.dev.trailing).toBe(1);
    expect([P.MEM_REQ_SIZE, P.MEM_RESP_SIZE]).toEqual([24, 10]);
  });

  it('[AVP-MEM-45] does not execute a request with fewer than 10 writable bytes, and uses it with used length 0', () => {
    const r = rig(ring);
    for (const inLens of [[], [9], [4, 5]]) expect(raw(r, [req(PLUG, at(0), 1)], inLens).len).toBe(0);
    expect(r.dev.pluggedSize).toBe(0);
    expect(errorCount(r, 'NO_RESPONSE_ROOM')).toBe(3);
    expect(needsReset(r)).toBe(false);
  });

  it('[AVP-MEM-46] answers ERROR to a request shorter than 24 bytes or of an unknown type, changing nothing', () => {
    const r = rig(ring);
    expect(raw(r, [req(PLUG, at(0), 1).subarray(0, 23)]).type).toBe(ERROR);
    expect(raw(r, [req(UNPLUG_ALL).subarray(0, 2)]).type).toBe(ERROR);
    for (const t of [4, 0x100, 0xffff]) expect(raw(r, [req(t, at(0), 1)]).type).toBe(ERROR);
    expect(errorCount(r, 'REQUEST_TOO_SHORT')).toBe(2);
    expect(errorCount(r, 'UNKNOWN_TYPE')).toBe(3);
    expect(r.dev.pluggedSize).toBe(0);
    expect(needsReset(r)).toBe(false);
  });

  it('[AVP-MEM-47] ignores the padding of a request and, in UNPLUG_ALL, everything but the type', () => {
    const r = rig(ring);
    const b = req(PLUG, at(1), 2);
    b.fill(0xff, 2, 8);
    b.fill(0xff, 18, 24);
    expect(raw(r, [b]).type).toBe(ACK);
    const all = req(UNPLUG_ALL, 0xdead_beefn, 0xffff);
    all.fill(0x77, 2, 8);
    expect(raw(r, [all]).type).toBe(ACK);
    expect(r.dev.pluggedSize).toBe(0);
    // The response's padding is zero.
    const s = raw(r, [req(STATE, at(0), 1)]);
    expect([...s.data.subarray(2, 8)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('[AVP-MEM-48] answers ERROR to PLUG, UNPLUG and STATE with an unaligned address, no blocks, or a block outside the usable region', () => {
    const r = rig(ring);
    const usable = r.dev.usableRegionSize / BS; // 16 blocks
    for (const t of [PLUG, UNPLUG, STATE]) {
      expect(raw(r, [req(t, at(1) + 4096n, 1)]).type).toBe(ERROR);
      expect(raw(r, [req(t, at(1), 0)]).type).toBe(ERROR);
      expect(raw(r, [req(t, at(usable - 1), 2)]).type).toBe(ERROR);
      expect(raw(r, [req(t, at(0) - BigInt(BS), 1)]).type).toBe(ERROR);
      expect(raw(r, [req(t, (1n << 64n) - BigInt(BS), 2)]).type).toBe(ERROR); // would wrap past 2^64
    }
    expect([errorCount(r, 'MISALIGNED'), errorCount(r, 'NO_BLOCKS'), errorCount(r, 'OUTSIDE_USABLE')]).toEqual([3, 3, 9]);
    expect(raw(r, [req(PLUG, at(usable - 1), 1)]).type).toBe(ACK); // the last usable block is fine
  });

  it('[AVP-MEM-49] answers ERROR to a PLUG naming a plugged block and an UNPLUG naming an unplugged one', () => {
    const r = rig(ring);
    r.drv.plug(4, 2);
    expect(raw(r, [req(PLUG, at(5), 2)]).type).toBe(ERROR);
    expect(raw(r, [req(UNPLUG, at(3), 2)]).type).toBe(ERROR);
    expect([errorCount(r, 'ALREADY_PLUGGED'), errorCount(r, 'ALREADY_UNPLUGGED')]).toEqual([1, 1]);
    expect(r.dev.pluggedSize).toBe(2 * BS);
  });

  it('[AVP-MEM-50] answers NACK to a PLUG that would take plugged_size past requested_size', () => {
    const r = rig(ring); // requested 16 MiB: 8 blocks
    expect(r.drv.plug(0, 6)).toBe(ACK);
    expect(raw(r, [req(PLUG, at(6), 3)]).type).toBe(NACK);
    expect(errorCount(r, 'OVER_REQUESTED')).toBe(1);
    expect(r.dev.pluggedSize).toBe(6 * BS);
    expect(r.drv.plug(6, 2)).toBe(ACK);
    expect(raw(r, [req(PLUG, at(8), 1)]).type).toBe(NACK);
  });

  it('[AVP-MEM-51] runs the checks in order: range, block state, requested size, host', () => {
    const host: MemHost = { plug: () => false, unplug() {} };
    const r = rig(ring, { host });
    r.dev.setRequestedSize(0);
    // Unaligned and also past requested: ERROR for the range.
    expect(raw(r, [req(PLUG, at(0) + 1n, 1)]).type).toBe(ERROR);
    expect(r.dev.lastError).toBe('MISALIGNED');
    // Past requested size and the host refuses: NACK, the host is never asked.
    expect(raw(r, [req(PLUG, at(0), 1)]).type).toBe(NACK);
    r.dev.setRequestedSize(8 * MiB);
    expect(raw(r, [req(PLUG, at(0), 1)]).type).toBe(BUSY);
    expect(r.dev.lastError).toBe('HOST_BUSY');
    // A plugged block past requested: ERROR for its state, not NACK.
    const r2 = rig(ring);
    r2.drv.plug(0, 8);
    expect(raw(r2, [req(PLUG, at(0), 1)]).type).toBe(ERROR);
    expect(r2.dev.lastError).toBe('ALREADY_PLUGGED');
  });

  it('[AVP-MEM-52] answers BUSY, never ACK, when the host cannot back the blocks, and plugs nothing', () => {
    let room = 2 * BS;
    const host: MemHost = {
      plug: (b) => (b <= room ? ((room -= b), true) : false),
      unplug: (b) => {
        room += b;
      },
    };
    const r = rig(ring, { host });
    expect(raw(r, [req(PLUG, at(0), 3)]).type).toBe(BUSY);
    expect(r.dev.pluggedSize).toBe(0);
    expect(r.dev.blocks.isPlugged(0)).toBe(false);
    expect(r.drv.plug(0, 2)).toBe(ACK);
    expect(r.drv.plug(2, 1)).toBe(BUSY);
    r.drv.unplug(0);
    expect(r.drv.plug(2, 1)).toBe(ACK);
    expect(MEM_ERRORS.HOST_BUSY.response).toBe('BUSY');
  });

  it('[AVP-MEM-53] acknowledges a PLUG or UNPLUG that succeeded and shows it in plugged_size', () => {
    const r = rig(ring);
    expect(r.drv.plug(0, 4)).toBe(ACK);
    expect(r.dev.config.u64(P.MEM_CFG_PLUGGED_SIZE)).toBe(BigInt(4 * BS));
    expect(r.drv.unplug(1, 2)).toBe(ACK);
    expect(r.dev.config.u64(P.MEM_CFG_PLUGGED_SIZE)).toBe(BigInt(2 * BS));
    expect([0, 1, 2, 3].map((b) => r.dev.blocks.isPlugged(b))).toEqual([true, false, false, true]);
  });

  it('[AVP-MEM-54] acknowledges UNPLUG_ALL with every block unplugged and plugged_size 0', () => {
    const r = rig(ring);
    r.drv.plug(0, 3);
    r.drv.plug(10, 2);
    expect(r.drv.unplugAll()).toBe(ACK);
    expect(r.dev.pluggedSize).toBe(0);
    expect(r.dev.blocks.plugged).toBe(0);
    expect(r.drv.unplugAll()).toBe(ACK); // nothing plugged: still ACK
  });

  it('[AVP-MEM-55] answers STATE with ACK and PLUGGED, UNPLUGGED or MIXED', () => {
    const r = rig(ring);
    r.drv.plug(2, 2);
    expect(r.drv.state(2, 2)).toEqual({ type: ACK, state: P.VIRTIO_MEM_STATE_PLUGGED });
    expect(r.drv.state(4, 3)).toEqual({ type: ACK, state: P.VIRTIO_MEM_STATE_UNPLUGGED });
    expect(r.drv.state(1, 2)).toEqual({ type: ACK, state: P.VIRTIO_MEM_STATE_MIXED });
    expect(r.dev.responses.get(ACK)).toBe(4);
  });

  it('[AVP-MEM-11] records each refusal under the name of its error condition, counted, with the last one kept', () => {
    const r = rig(ring);
    raw(r, [req(PLUG, at(0), 0)]);
    raw(r, [req(9)]);
    raw(r, [req(9)]);
    expect(Object.fromEntries(r.dev.errors)).toEqual({ NO_BLOCKS: 1, UNKNOWN_TYPE: 2 });
    expect(r.dev.lastError).toBe('UNKNOWN_TYPE');
    expect(r.dev.responses.get(ERROR)).toBe(3);
  });

  it('[AVP-MEM-12] needs a reset for a broken ring, never for a request', () => {
    const r = rig(ring);
    for (const b of [new Uint8Array(0), new Uint8Array(24).fill(0xff), new Uint8Array(40).fill(0x01)]) r.lb.submit(0, b.length ? [b] : [], [10]);
    expect(needsReset(r)).toBe(false);
    r.lb.queues[0].add([{ addr: 0x7fff_0000, len: 24, writable: false }]);
    r.dev.queueNotify(0);
    expect(needsReset(r)).toBe(true);
  });
});

describe.each(RING_TYPES)('memory device host (%s ring)', (ring) => {
  it('[AVP-MEM-53] tells the host of every byte plugged and unplugged', () => {
    const moves: number[] = [];
    const dev = new MemDevice({ addr: 0, regionSize: 16 * MiB, blockSize: BS, requestedSize: 8 * MiB, host: { plug: (b) => (moves.push(b), true), unplug: (b) => void moves.push(-b) } });
    const drv = new MemDriver(new Loopback(dev, { ring }));
    drv.plug(0, 2);
    drv.unplug(1);
    drv.plug(3);
    drv.unplugAll();
    expect(moves).toEqual([2 * BS, -BS, BS, -2 * BS]);
  });
});
