// The virtio Bluetooth device (ID 40, as Linux defines it) on both ring layouts: features and
// configuration, the framing of tx and rx buffers, every way a buffer is refused, the backlog,
// the command flow control through the ring, device reset and suspend.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { bit, hasFeature, VIRTIO_F_SUSPEND } from '../../../../src/lib/virtio/feature-bits.ts';
import { answer, bt, cmd, needsReset, PHONE, postRx, rig, rx, scanParams, sendTx, solo, statusOf, topUpRx } from './harness.ts';

const reset = () => bt.commandPacket(bt.OP_RESET);

describe.each(RING_TYPES)('virtio-bt device and configuration (%s ring)', (ring) => {
  it('[AVP-BT-1] has device ID 40 and two queues, tx (0) then rx (1)', () => {
    const g = solo(ring);
    expect(g.dev.deviceId).toBe(40);
    expect(bt.VIRTIO_ID_BT).toBe(40);
    expect([bt.BT_TX_QUEUE, bt.BT_RX_QUEUE]).toEqual([0, 1]);
    expect(g.dev.queueCount()).toBe(2);
    expect(g.lb.queues.length).toBe(2);
    // Commands go on queue 0 and their answers come back on queue 1.
    postRx(g, 1);
    expect(g.lb.request(0, [reset()], []).len).toBe(0);
    expect(rx(g)[0].event).toMatchObject({ kind: 'command-complete', opcode: bt.OP_RESET });
  });

  it('[AVP-BT-2] [AVP-BT-3] offers VIRTIO_BT_F_CONFIG_V2 (and VIRTIO_F_SUSPEND), none of VND_HCI, MSFT_EXT and AOSP_EXT', () => {
    const g = solo(ring);
    const f = g.dev.offeredFeatures();
    expect(hasFeature(f, bt.VIRTIO_BT_F_CONFIG_V2)).toBe(true);
    expect(hasFeature(f, VIRTIO_F_SUSPEND)).toBe(true);
    for (const b of [bt.VIRTIO_BT_F_VND_HCI, bt.VIRTIO_BT_F_MSFT_EXT, bt.VIRTIO_BT_F_AOSP_EXT]) expect(hasFeature(f, b)).toBe(false);
    expect(g.dev.checkFeatures(f | bit(bt.VIRTIO_BT_F_VND_HCI))).toMatch(/did not offer/);
    // The vendor setup commands Linux would send with VND_HCI are not answered: nothing to offer them on.
    expect(statusOf(answer(g, 0xfc08))).toBe(bt.HCI_UNKNOWN_COMMAND);
  });

  it('[AVP-BT-4] [AVP-BT-5] [AVP-BT-6] presents struct virtio_bt_config_v2 when CONFIG_V2 is accepted and the packed layout otherwise, type 0 (primary)', () => {
    const v2 = solo(ring);
    expect(hasFeature(v2.lb.features, bt.VIRTIO_BT_F_CONFIG_V2)).toBe(true); // the driver accepts it
    expect(v2.dev.configLayout).toBe('v2');
    expect(v2.dev.config.read(bt.BT_CONFIG_V2.type, 1)[0]).toBe(bt.VIRTIO_BT_CONFIG_TYPE_PRIMARY);
    expect(v2.dev.config.u16(bt.BT_CONFIG_V2.vendor)).toBe(bt.VIRTIO_BT_CONFIG_VENDOR_NONE);
    expect(bt.BT_CONFIG_V2.vendor % 2).toBe(0);
    expect(bt.BT_CONFIG_V2.msftOpcode % 2).toBe(0);

    const p = new bt.BtPlatform({ controllers: [{ id: 'c', guests: [{ name: 'old', address: '02:00:00:00:00:0B', sees: 'all' }] }] });
    const dev = p.device('old');
    new Loopback(dev, { ring, features: ~bit(bt.VIRTIO_BT_F_CONFIG_V2) & ((1n << 128n) - 1n) });
    expect(dev.configLayout).toBe('v1');
    expect([...dev.config.read(0, 5)]).toEqual([0, 0, 0, 0, 0]);
    expect([bt.BT_CONFIG_V1.vendor, bt.BT_CONFIG_V1.msftOpcode]).toEqual([1, 3]);
  });
});

describe.each(RING_TYPES)('virtio-bt tx buffers (%s ring)', (ring) => {
  it('[AVP-BT-7] reads one H4 packet across any split of the device-readable part', () => {
    const g = solo(ring);
    const pkt = bt.commandPacket(bt.OP_LE_SET_SCAN_PARAMETERS, scanParams(1, 0x40, 0x20));
    postRx(g, 1);
    expect(sendTx(g, [pkt.subarray(0, 1), pkt.subarray(1, 3), pkt.subarray(3, 5), pkt.subarray(5)])).toBe(0);
    const [r] = rx(g);
    expect(r.event).toMatchObject({ kind: 'command-complete', opcode: bt.OP_LE_SET_SCAN_PARAMETERS });
    expect(g.vc.scanParameters).toMatchObject({ type: 1, interval: 0x40, window: 0x20 });
  });

  it('[AVP-BT-8] [AVP-BT-9] refuses, by name and with a count, a buffer that is not exactly one packet, and answers nothing for it', () => {
    const g = solo(ring);
    postRx(g, 4);
    const cases: [Uint8Array[], number[], bt.BtLinkError][] = [
      [[], [8], 'EMPTY_PACKET'], // only device-writable buffers
      [[Uint8Array.of(0x04, 0x0e, 0x00)], [], 'BAD_PACKET_TYPE'], // an event, from the host
      [[Uint8Array.of(0x00, 0x03, 0x0c, 0x00)], [], 'BAD_PACKET_TYPE'],
      [[Uint8Array.of(0x06)], [], 'BAD_PACKET_TYPE'],
      [[Uint8Array.of(0x01, 0x03, 0x0c)], [], 'TRUNCATED_HEADER'],
      [[Uint8Array.of(0x02, 0x01, 0x00, 0x05)], [], 'TRUNCATED_HEADER'],
      [[Uint8Array.of(0x05, 0x01, 0x00, 0x00)], [], 'TRUNCATED_HEADER'],
      [[Uint8Array.of(0x01, 0x03, 0x0c, 0x01)], [], 'LENGTH_MISMATCH'], // says 1, carries 0
      [[Uint8Array.of(0x01, 0x03, 0x0c, 0x00, 0xaa)], [], 'LENGTH_MISMATCH'], // says 0, carries 1
      [[Uint8Array.of(0x02, 0x01, 0x00, 0x0a, 0x00, 1, 2, 3, 4, 5)], [], 'LENGTH_MISMATCH'],
      [[Uint8Array.of(0x03, 0x01, 0x00, 0x02, 9)], [], 'LENGTH_MISMATCH'],
      [[Uint8Array.of(0x05, 0x01, 0x00, 0x03, 0xc0, 1, 2)], [], 'LENGTH_MISMATCH'], // 14-bit length 3, 2 bytes
    ];
    const want = new Map<string, number>();
    for (const [out, inl, err] of cases) {
      expect(g.lb.request(bt.BT_TX_QUEUE, out, inl).len).toBe(0);
      want.set(err, (want.get(err) ?? 0) + 1);
    }
    for (const [err, n] of want) expect(g.dev.errors(err as bt.BtLinkError)).toBe(n);
    expect(rx(g)).toEqual([]); // no answer, no event for any of them
    expect(g.vc.stats.commands.size).toBe(0); // nothing reached the controller
    expect(g.dev.stats.txPackets).toBe(cases.length);
  });

  it('[AVP-BT-9] returns every tx buffer with used length 0: commands, data and refused buffers alike', () => {
    const g = solo(ring);
    postRx(g, 2);
    expect(sendTx(g, [reset()])).toBe(0);
    expect(sendTx(g, [bt.aclPacket(0x0042, Uint8Array.of(1, 2, 3))])).toBe(0);
    expect(sendTx(g, [Uint8Array.of(0xff)])).toBe(0);
    expect(g.lb.request(bt.BT_TX_QUEUE, [reset()], [16]).len).toBe(0); // even with room offered
  });

  it('[AVP-BT-10] never needs a reset for what a buffer holds, and still answers afterwards; a broken ring does', () => {
    const g = solo(ring);
    postRx(g, 1);
    for (const junk of [Uint8Array.of(0x01), Uint8Array.of(0x04, 0, 0), new Uint8Array(300).fill(0x01), Uint8Array.of(0x02, 0xff, 0xff, 0xff, 0xff)]) sendTx(g, [junk]);
    expect(needsReset(g)).toBe(false);
    expect(sendTx(g, [reset()])).toBe(0);
    expect(rx(g)[0].event).toMatchObject({ kind: 'command-complete', opcode: bt.OP_RESET });
    g.lb.queues[bt.BT_TX_QUEUE].add([{ addr: 0x7fff_0000, len: 4, writable: false }]);
    g.dev.queueNotify(bt.BT_TX_QUEUE);
    expect(needsReset(g)).toBe(true);
  });
});

describe.each(RING_TYPES)('virtio-bt rx buffers (%s ring)', (ring) => {
  it('[AVP-BT-11] writes one whole packet per rx buffer, across its writable parts, with the packet size as used length', () => {
    const g = solo(ring);
    g.lb.submit(bt.BT_RX_QUEUE, [], [3, 997]); // the packet straddles the two parts
    postRx(g, 1);
    sendTx(g, [bt.commandPacket(bt.OP_READ_BD_ADDR)]);
    sendTx(g, [reset()]);
    const got = rx(g);
    expect(got.map((r) => r.len)).toEqual([1 + 2 + 3 + 7, 1 + 2 + 4]);
    expect(got.every((r) => r.bytes[0] === bt.H4_EVENT)).toBe(true);
    expect(got[0].event).toMatchObject({ kind: 'command-complete', opcode: bt.OP_READ_BD_ADDR });
    expect(bt.addrString((got[0].event as { ret: Uint8Array }).ret.subarray(1))).toBe('02:00:00:00:00:0A');
  });

  it('[AVP-BT-12] hands back an rx buffer too small for the packet, or with readable parts, unused and counted; the packet waits for the next', () => {
    const g = solo(ring);
    g.lb.submit(bt.BT_RX_QUEUE, [], [5]); // Command Complete for Reset is 7 bytes
    g.lb.submit(bt.BT_RX_QUEUE, [Uint8Array.of(1, 2)], [64]); // readable part in an rx buffer
    postRx(g, 1);
    sendTx(g, [reset()]);
    const got = rx(g);
    expect(got.map((r) => r.len)).toEqual([0, 0, 7]);
    expect(got[2].event).toMatchObject({ kind: 'command-complete', opcode: bt.OP_RESET });
    expect(g.dev.errors('BAD_RX_BUFFER')).toBe(2);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-BT-13] delivers packets in the order the controller made them', () => {
    const r = rig(ring);
    const g = r.ivi;
    cmd(g, bt.OP_SET_EVENT_MASK, bt.le64(bt.DEFAULT_EVENT_MASK | bt.EVENT_MASK_LE_META));
    cmd(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0));
    r.platform.clock.advance(160_000); // phone at 3 ms, headphones at 7 ms, phone at 103 ms, headphones at 157 ms
    sendTx(g, [bt.commandPacket(bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(0, 0))]); // its answer after the reports
    postRx(g, 8);
    const kinds = rx(g).map((x) => (x.event?.kind === 'advertising-report' ? x.event.report.address : x.event?.kind));
    expect(kinds).toEqual([PHONE, 'C4:7D:12:00:5E:01', PHONE, 'C4:7D:12:00:5E:01', 'command-complete']);
  });

  it('[AVP-BT-14] holds a bounded backlog of reports, drops the oldest first and counts it, and never drops a command answer', () => {
    const r = rig(ring, { backlog: 3 });
    const g = r.ivi;
    const one = (op: number, p: Uint8Array) => {
      postRx(g, 1);
      sendTx(g, [bt.commandPacket(op, p)]);
      return rx(g);
    };
    one(bt.OP_SET_EVENT_MASK, bt.le64(bt.DEFAULT_EVENT_MASK | bt.EVENT_MASK_LE_META));
    one(bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0));
    // No rx buffer from here: phone at 3, 103, 203, 303 ms; headphones at 7, 157, 307 ms.
    r.platform.clock.advance(400_000);
    expect(g.vc.stats.reports).toBe(7);
    expect(g.dev.pending).toBe(3);
    expect(g.dev.stats.dropped.report).toBe(4);
    sendTx(g, [bt.commandPacket(bt.OP_READ_BD_ADDR)]); // its answer waits beyond the bound
    expect(g.dev.pending).toBe(4);
    r.platform.clock.advance(100_000); // phone at 403, headphones at 457: the two oldest reports go
    expect(g.dev.pending).toBe(4);
    expect(g.dev.stats.dropped.report).toBe(6);
    postRx(g, 8);
    const got = rx(g).map((x) => (x.event?.kind === 'advertising-report' ? x.event.report.address : x.event?.kind));
    expect(got).toEqual(['C4:7D:12:00:5E:01', 'command-complete', PHONE, 'C4:7D:12:00:5E:01']);
  });

  it('[AVP-BT-15] holds at most one undelivered answer: the next tx buffer stays in the ring until an rx buffer takes it', () => {
    const g = solo(ring);
    const id1 = g.lb.submit(bt.BT_TX_QUEUE, [bt.commandPacket(bt.OP_READ_BD_ADDR)], []);
    expect(g.lb.poll(bt.BT_TX_QUEUE).map((c) => c.id)).toEqual([id1]); // taken, answer waiting
    const id2 = g.lb.submit(bt.BT_TX_QUEUE, [reset()], []);
    expect(g.lb.poll(bt.BT_TX_QUEUE)).toEqual([]); // left in the ring
    expect(g.dev.pending).toBe(1);
    postRx(g, 1);
    expect(g.lb.poll(bt.BT_TX_QUEUE).map((c) => c.id)).toEqual([id2]); // taken once the first answer went
    expect(rx(g)[0].event).toMatchObject({ opcode: bt.OP_READ_BD_ADDR });
    expect(g.dev.pending).toBe(1); // the Reset answer, waiting for the next buffer
    postRx(g, 1);
    expect(rx(g)[0].event).toMatchObject({ opcode: bt.OP_RESET });
  });
});

describe.each(RING_TYPES)('virtio-bt device reset and suspend (%s ring)', (ring) => {
  it('[AVP-BT-33] a device reset returns the controller to its power-on state and ends the guest\'s links', () => {
    const r = rig(ring, { iviSees: 'all' });
    const host = new bt.BtHost(r.ivi.lb);
    host.init();
    host.startScan({ active: true });
    host.connect(PHONE, 1);
    r.platform.clock.advance(10_000);
    expect(r.ivi.vc.connections.size).toBe(1);
    r.platform.clock.advance(50_000); // reports waiting
    r.ivi.dev.reset();
    expect(r.ivi.vc.scanEnabled).toBe(false);
    expect(r.ivi.vc.connections.size).toBe(0);
    expect(r.platform.controller('bt0').linkOwners().size).toBe(0);
    expect(r.ivi.dev.pending).toBe(0);
    expect(r.ivi.dev.configLayout).toBe('v1');
    expect(r.ivi.vc.eventMasks.eventMask).toBe(bt.DEFAULT_EVENT_MASK);
    // The driver starts again: the controller answers as new.
    const g = { ...r.ivi, lb: new Loopback(r.ivi.dev, { ring }) };
    expect(statusOf(answer(g, bt.OP_RESET))).toBe(0);
  });

  it('[AVP-BT-34] while suspended, leaves both queues alone; what the controller sent waits and is delivered on resume', () => {
    const r = rig(ring);
    const g = r.ivi;
    cmd(g, bt.OP_SET_EVENT_MASK, bt.le64(bt.DEFAULT_EVENT_MASK | bt.EVENT_MASK_LE_META));
    cmd(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0));
    rx(g);
    topUpRx(g, 8);
    g.dev.suspend();
    r.platform.clock.advance(110_000); // three reports
    g.lb.submit(bt.BT_TX_QUEUE, [reset()], []);
    expect(g.lb.poll(bt.BT_RX_QUEUE)).toEqual([]);
    expect(g.lb.poll(bt.BT_TX_QUEUE)).toEqual([]);
    expect(g.dev.pending).toBe(3);
    g.dev.resume();
    const got = rx(g).map((x) => x.event?.kind);
    expect(got).toEqual(['advertising-report', 'advertising-report', 'advertising-report', 'command-complete']);
  });
});

describe.each(RING_TYPES)('the guest host over virtio-bt (%s ring)', (ring) => {
  it('[AVP-BT-16] [AVP-BT-17] sends one packet per tx buffer and keeps rx buffers posted that fit any event and any ACL packet', () => {
    const g = solo(ring);
    const host = new bt.BtHost(g.lb);
    expect(host.rxBufferSize).toBeGreaterThanOrEqual(bt.MAX_EVENT_PACKET);
    expect(host.rxBufferSize).toBeGreaterThanOrEqual(1 + 4 + bt.CONTROLLER_IDENTITY.leAclLength);
    host.init();
    expect(g.dev.stats.txPackets).toBe(10);
    expect(g.dev.stats.errors.size).toBe(0);
  });

  it('[AVP-BT-18] drops an rx buffer whose used length is 0 or too large, whose type is unknown, or that is shorter than its header', () => {
    const g = solo(ring);
    const host = new bt.BtHost(g.lb, { rxBufferSize: 300 });
    host.receive(new Uint8Array(300), 0);
    host.receive(new Uint8Array(300), 301);
    host.receive(Uint8Array.of(0x09, 0, 0), 3);
    host.receive(Uint8Array.of(0x04, 0x0e), 2); // event header is 2 bytes after the indicator
    host.receive(Uint8Array.of(0x02, 0x01, 0x00), 3); // ACL header is 4
    expect(host.refused).toEqual({ badLength: 2, badType: 1, shortPacket: 2 });
    expect(host.take()).toEqual([]);
  });
});

