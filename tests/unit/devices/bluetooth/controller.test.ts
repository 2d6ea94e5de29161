// The virtual controller command by command, on both ring layouts: the start-up commands a host
// sends, unknown opcodes and wrong parameter lengths, HCI_Reset, LE scanning on the model radio
// (parameters, enable, masks, passive and active, duplicates, windows), and LE connections with
// their data and encryption.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { answer, bt, cmd, createParams, PHONE, postRx, rig, rx, scanParams, sendTx, solo, statusOf, topUpRx } from './harness.ts';

const HEADPHONES = 'C4:7D:12:00:5E:01';
const LE_META_ON = bt.le64(bt.DEFAULT_EVENT_MASK | bt.EVENT_MASK_LE_META);
type G = ReturnType<typeof solo>;

function scanning(g: G, opts: { type?: number; interval?: number; window?: number; dups?: number } = {}): void {
  expect(statusOf(answer(g, bt.OP_SET_EVENT_MASK, LE_META_ON))).toBe(0);
  expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_PARAMETERS, scanParams(opts.type ?? 0, opts.interval ?? 0x60, opts.window ?? 0x60)))).toBe(0);
  expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, opts.dups ?? 0)))).toBe(0);
}

/** Reports received after advancing the clock by `us`, as [address, event type]. */
function reportsAfter(g: G, us: number): [string, number][] {
  topUpRx(g, 48);
  g.platform.clock.advance(us);
  return rx(g).flatMap((r) => (r.event?.kind === 'advertising-report' ? [[r.event.report.address, r.event.report.eventType] as [string, number]] : []));
}

describe.each(RING_TYPES)('HCI commands at start-up (%s ring)', (ring) => {
  it('[AVP-BT-19] answers each command it implements once, with its opcode and Num_HCI_Command_Packets 1, by Command Status only for those that complete later', () => {
    const g = solo(ring);
    for (const c of bt.COMMAND_TABLE) {
      const params = new Uint8Array(c.paramLength);
      if (c.op === bt.OP_LE_SET_SCAN_PARAMETERS) params.set(scanParams(0, 0x10, 0x10));
      if (c.op === bt.OP_LE_CREATE_CONNECTION) params.set(createParams());
      if (c.op === bt.OP_DISCONNECT) params[2] = 0x13;
      const evs = cmd(g, c.op, params).filter((e) => e.kind === 'command-complete' || e.kind === 'command-status');
      expect(evs.length, bt.hex16(c.op)).toBe(1);
      expect(evs[0]).toMatchObject({ kind: c.answer === 'complete' ? 'command-complete' : 'command-status', opcode: c.op, numCommands: 1 });
    }
    expect(bt.COMMAND_TABLE.filter((c) => c.answer === 'status').map((c) => c.op)).toEqual([bt.OP_DISCONNECT, bt.OP_LE_CREATE_CONNECTION, bt.OP_LE_ENABLE_ENCRYPTION]);
  });

  it('[AVP-BT-20] answers an unknown or vendor-specific opcode with Command Status, Unknown HCI Command (0x01), and changes nothing', () => {
    const g = solo(ring);
    const masks = g.vc.eventMasks;
    for (const op of [0x0c14 /* Read_Local_Name */, 0x2008 /* LE_Set_Advertising_Data */, 0x2041 /* LE_Set_Extended_Scan_Parameters */, 0xfc08, 0xfc05, 0xfc6d, 0xfd53, 0xffff]) {
      const evs = cmd(g, op, Uint8Array.of(1, 2, 3));
      expect(evs).toEqual([{ kind: 'command-status', status: bt.HCI_UNKNOWN_COMMAND, numCommands: 1, opcode: op }]);
    }
    expect(g.vc.stats.unknownCommands).toBe(8);
    expect(g.vc.eventMasks).toEqual(masks);
    expect(g.vc.scanEnabled).toBe(false);
  });

  it('[AVP-BT-21] lists in Supported_Commands exactly the commands it answers other than with Unknown HCI Command', () => {
    const g = solo(ring);
    const e = answer(g, bt.OP_READ_LOCAL_COMMANDS);
    const bits = (e as { ret: Uint8Array }).ret.slice(1);
    expect(bits.length).toBe(64);
    expect([...bits]).toEqual([...bt.supportedCommands()]);
    // Spot checks against Vol 4, Part E, 6.27: Reset and Set_Event_Mask, Read_BD_ADDR, LE scan commands.
    expect(bits[5] & 0xc0).toBe(0xc0);
    expect(bits[15] & 0x02).toBe(0x02);
    expect(bits[26] & 0x0c).toBe(0x0c);
    // Every bit set is a command of the table, and each of those is answered.
    let set = 0;
    for (let o = 0; o < 64; o++) for (let b = 0; b < 8; b++) if (bits[o] & (1 << b)) set++;
    expect(set).toBe(bt.COMMAND_TABLE.filter((c) => c.bit).length);
    for (const c of bt.COMMAND_TABLE) expect(statusOf(answer(g, c.op, new Uint8Array(c.paramLength + 1)))).not.toBe(bt.HCI_UNKNOWN_COMMAND);
  });

  it('[AVP-BT-22] answers a known command whose parameter length is wrong with Invalid HCI Command Parameters in its usual event, with no effect', () => {
    const g = solo(ring);
    for (const c of bt.COMMAND_TABLE) {
      for (const len of [c.paramLength + 1, c.paramLength - 1].filter((n) => n >= 0)) {
        const a = answer(g, c.op, new Uint8Array(len).fill(0x01));
        expect(a.kind).toBe(c.answer === 'complete' ? 'command-complete' : 'command-status');
        expect(statusOf(a)).toBe(bt.HCI_INVALID_PARAMETERS);
        if (a.kind === 'command-complete') expect(a.ret.length).toBe(1);
      }
    }
    expect(g.vc.eventMasks).toEqual({ eventMask: bt.DEFAULT_EVENT_MASK, leEventMask: bt.DEFAULT_LE_EVENT_MASK });
    expect(g.vc.scanEnabled).toBe(false);
    expect(g.vc.connecting).toBe(false);
    expect(g.vc.ownRandomAddress).toBeNull();
  });

  it('[AVP-BT-23] reports an LE-only Core 5.4 controller and answers the start-up sequence Linux sends with Success', () => {
    const g = solo(ring);
    const host = new bt.BtHost(g.lb);
    const info = host.init();
    expect(info).toMatchObject({ address: '02:00:00:00:00:0A', hciVersion: 0x0d, leOnly: true, leAclLength: 251, leAclPackets: 4 });
    const sent = [...g.vc.stats.commands.keys()];
    expect(sent).toEqual([bt.OP_RESET, bt.OP_READ_LOCAL_FEATURES, bt.OP_READ_LOCAL_VERSION, bt.OP_READ_BD_ADDR, bt.OP_READ_LOCAL_COMMANDS, bt.OP_LE_READ_LOCAL_FEATURES, bt.OP_LE_READ_BUFFER_SIZE, bt.OP_LE_READ_SUPPORTED_STATES, bt.OP_SET_EVENT_MASK, bt.OP_LE_SET_EVENT_MASK]);
    expect(g.vc.stats.unknownCommands).toBe(0);
    const lmp = (answer(g, bt.OP_READ_LOCAL_FEATURES) as { ret: Uint8Array }).ret;
    expect(lmp[1 + 4] & 0x60).toBe(0x60);
    const buf = (answer(g, bt.OP_READ_BUFFER_SIZE) as { ret: Uint8Array }).ret;
    expect([...buf]).toEqual([0, 251, 0, 0, 4, 0, 0, 0]);
    const states = (answer(g, bt.OP_LE_READ_SUPPORTED_STATES) as { ret: Uint8Array }).ret;
    expect(states[1] & 0x70).toBe(0x70);
    expect(g.vc.eventMasks.eventMask & bt.EVENT_MASK_HARDWARE_ERROR).not.toBe(0n);
  });
});

describe.each(RING_TYPES)('HCI_Reset (%s ring)', (ring) => {
  it('[AVP-BT-24] restores the defaults, ends the guest\'s links and discards undelivered reports before its Command Complete', () => {
    const r = rig(ring, { iviSees: 'all' });
    const g = { ...r.ivi, platform: r.platform };
    scanning(g, { type: 1, interval: 0x40, window: 0x20, dups: 1 });
    answer(g, bt.OP_LE_SET_EVENT_MASK, bt.le64(0x03n));
    answer(g, bt.OP_LE_SET_RANDOM_ADDRESS, bt.addrBytes('C1:22:33:44:55:66'));
    answer(g, bt.OP_LE_CREATE_CONNECTION, createParams());
    rx(g);
    r.platform.clock.advance(300_000); // the link is made; reports fill the posted buffers, then wait
    rx(g);
    expect(g.vc.connections.size).toBe(1);
    expect(g.dev.pending).toBeGreaterThan(0);
    sendTx(g, [bt.commandPacket(bt.OP_RESET)]);
    postRx(g, 16);
    const got = rx(g);
    expect(got.map((x) => x.event?.kind)).toEqual(['command-complete']);
    expect(got[0].event).toMatchObject({ opcode: bt.OP_RESET, ret: Uint8Array.of(0) });
    expect(g.vc.scanEnabled).toBe(false);
    expect(g.vc.filteringDuplicates).toBe(false);
    expect(g.vc.scanParameters).toEqual({ type: 0, interval: 0x10, window: 0x10, ownAddressType: 0, filterPolicy: 0 });
    expect(g.vc.eventMasks).toEqual({ eventMask: bt.DEFAULT_EVENT_MASK, leEventMask: bt.DEFAULT_LE_EVENT_MASK });
    expect(g.vc.ownRandomAddress).toBeNull();
    expect(g.vc.connections.size).toBe(0);
    expect(r.platform.controller('bt0').linkOwners().size).toBe(0);
    // The default Event_Mask leaves LE meta events off: scanning again gives no reports.
    answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0));
    expect(reportsAfter(g, 300_000)).toEqual([]);
  });
});

describe.each(RING_TYPES)('LE scanning (%s ring)', (ring) => {
  it('[AVP-BT-25] checks LE_Set_Scan_Parameters: Command Disallowed while scanning, Invalid HCI Command Parameters out of range, nothing changed on error', () => {
    const g = solo(ring);
    const bad = [scanParams(2, 0x10, 0x10), scanParams(0, 0x0003, 0x0003), scanParams(0, 0x4001, 0x10), scanParams(0, 0x10, 0x0003), scanParams(0, 0x10, 0x11), scanParams(0, 0x10, 0x10, 4), scanParams(0, 0x10, 0x10, 0, 4)];
    for (const p of bad) expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_PARAMETERS, p))).toBe(bt.HCI_INVALID_PARAMETERS);
    expect(g.vc.scanParameters).toEqual({ type: 0, interval: 0x10, window: 0x10, ownAddressType: 0, filterPolicy: 0 });
    expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_PARAMETERS, scanParams(1, 0x4000, 0x0004, 3, 3)))).toBe(0);
    expect(g.vc.scanParameters).toEqual({ type: 1, interval: 0x4000, window: 0x0004, ownAddressType: 3, filterPolicy: 3 });
    answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0));
    expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_PARAMETERS, scanParams(0, 0x10, 0x10)))).toBe(bt.HCI_COMMAND_DISALLOWED);
    expect(g.vc.scanParameters.type).toBe(1);
  });

  it('[AVP-BT-26] checks LE_Set_Scan_Enable, changes only Filter_Duplicates when enabled again, and sends no report after the Command Complete of a disable', () => {
    const g = solo(ring);
    for (const p of [Uint8Array.of(2, 0), Uint8Array.of(1, 2), Uint8Array.of(0xff, 0xff)]) expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_ENABLE, p))).toBe(bt.HCI_INVALID_PARAMETERS);
    expect(g.vc.scanEnabled).toBe(false);
    scanning(g, { dups: 1 });
    const first = reportsAfter(g, 1_000_000);
    expect(first.length).toBe(4); // each advertiser once
    expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 1)))).toBe(0); // enabled again: the filter is not reset
    expect(reportsAfter(g, 1_000_000)).toEqual([]);
    expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0)))).toBe(0); // filter off: reports flow
    expect(reportsAfter(g, 200_000).length).toBeGreaterThan(0);
    g.platform.clock.advance(50_000); // reports waiting in the device
    sendTx(g, [bt.commandPacket(bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(0, 0))]);
    g.platform.clock.advance(1_000_000);
    postRx(g, 16);
    const kinds = rx(g).map((x) => x.event?.kind);
    expect(kinds[kinds.length - 1]).toBe('command-complete'); // nothing after it
    expect(statusOf(answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(0, 0)))).toBe(0); // disabling again: no effect
  });

  it('[AVP-BT-27] reports an advertisement only with scanning on and both masks set, one report per event, with the received fields', () => {
    const g = solo(ring);
    answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 0));
    expect(reportsAfter(g, 200_000)).toEqual([]); // default Event_Mask: no LE meta events
    answer(g, bt.OP_SET_EVENT_MASK, LE_META_ON);
    answer(g, bt.OP_LE_SET_EVENT_MASK, bt.le64(bt.LE_MASK_CONNECTION_COMPLETE));
    expect(reportsAfter(g, 200_000)).toEqual([]); // LE Advertising Report masked
    answer(g, bt.OP_LE_SET_EVENT_MASK, bt.le64(bt.DEFAULT_LE_EVENT_MASK));
    postRx(g, 16);
    g.platform.clock.advance(15_000); // phone at 203, headphones 307 are later; tyres at 511, 513... none yet in (400, 415]
    g.platform.clock.advance(100_000);
    const got = rx(g).flatMap((x) => (x.event?.kind === 'advertising-report' ? [{ bytes: x.bytes, r: x.event.report }] : []));
    const phone = bt.vehicleRadioScene()[0];
    const p = got.find((x) => x.r.address === PHONE)!;
    expect(p.r).toEqual({ eventType: bt.ADV_IND, addressType: bt.ADDR_RANDOM, address: PHONE, data: phone.data, rssi: -52 });
    expect(p.bytes[3]).toBe(bt.LE_ADVERTISING_REPORT);
    expect(p.bytes[4]).toBe(1); // Num_Reports
    expect(bt.adLocalName(p.r.data)).toBe("Anna's phone");
    answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(0, 0));
    expect(reportsAfter(g, 1_000_000)).toEqual([]);
  });

  it('[AVP-BT-28] sends scan responses only when scanning actively, and only for scannable advertisers with one', () => {
    const passive = solo(ring);
    scanning(passive, { type: 0 });
    expect(reportsAfter(passive, 1_000_000).filter(([, t]) => t === bt.SCAN_RSP)).toEqual([]);
    const active = solo(ring);
    scanning(active, { type: 1 });
    const got = reportsAfter(active, 1_000_000);
    const rsp = got.filter(([, t]) => t === bt.SCAN_RSP).map(([a]) => a);
    expect(new Set(rsp)).toEqual(new Set([HEADPHONES])); // the phone has no scan response; tyres are not scannable
    expect(got.filter(([a, t]) => a === HEADPHONES && t === bt.ADV_IND).length).toBe(rsp.length);
  });

  it('[AVP-BT-29] with Filter_Duplicates, reports each address and event type once per enable', () => {
    const g = solo(ring);
    scanning(g, { type: 1, dups: 1 });
    const got = reportsAfter(g, 2_000_000);
    expect(got.map(([a, t]) => `${a}/${t}`).sort()).toEqual([`${HEADPHONES}/0`, `${HEADPHONES}/4`, `${PHONE}/0`, 'F0:54:00:00:00:11/3', 'F0:54:00:00:00:12/3'].sort());
    answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(0, 0));
    answer(g, bt.OP_LE_SET_SCAN_ENABLE, Uint8Array.of(1, 1)); // a new enable starts afresh
    expect(reportsAfter(g, 2_000_000).length).toBe(5);
    const noFilter = solo(ring);
    scanning(noFilter, { dups: 0 });
    expect(reportsAfter(noFilter, 1_000_000).filter(([a]) => a === PHONE).length).toBe(10);
  });

  it('hears an advertisement only inside a scan window', () => {
    const g = solo(ring);
    // Windows of 10 ms every 100 ms from the enable at 0: [0, 10), [100, 110), ...
    scanning(g, { interval: 0xa0, window: 0x10 });
    const got = reportsAfter(g, 1_000_000);
    // Phone at 3 + 100k ms: always inside; headphones at 7 + 150k: inside at 7, 307, 607, 907; tyres at 11/13 + 500k: never.
    expect(got.filter(([a]) => a === PHONE).length).toBe(10);
    expect(got.filter(([a]) => a === HEADPHONES).length).toBe(4);
    expect(got.filter(([a]) => a.startsWith('F0:54')).length).toBe(0);
    expect(bt.inWindow(110_000, 0, 0xa0, 0x10)).toBe(false);
    expect(bt.inWindow(109_999, 0, 0xa0, 0x10)).toBe(true);
  });
});

describe.each(RING_TYPES)('LE connections (%s ring)', (ring) => {
  it('[AVP-BT-30] checks LE_Create_Connection, answers Command Status, and completes when the peer is heard', () => {
    const g = solo(ring);
    answer(g, bt.OP_SET_EVENT_MASK, LE_META_ON);
    const bad = [createParams({ scanInterval: 3 }), createParams({ scanWindow: 0x61 }), createParams({ peerType: 4 }), createParams({ ownType: 4 }), createParams({ min: 5 }), createParams({ max: 0x0c81 }), createParams({ min: 0x30, max: 0x20 }), createParams({ latency: 0x1f4 }), createParams({ timeout: 9 }), createParams({ filter: 2 })];
    for (const p of bad) expect(answer(g, bt.OP_LE_CREATE_CONNECTION, p)).toMatchObject({ kind: 'command-status', status: bt.HCI_INVALID_PARAMETERS });
    expect(answer(g, bt.OP_LE_CREATE_CONNECTION, createParams({ filter: 1 }))).toMatchObject({ status: bt.HCI_UNSUPPORTED_FEATURE });
    expect(g.vc.connecting).toBe(false);
    expect(answer(g, bt.OP_LE_CREATE_CONNECTION, createParams())).toMatchObject({ kind: 'command-status', status: 0, opcode: bt.OP_LE_CREATE_CONNECTION });
    expect(answer(g, bt.OP_LE_CREATE_CONNECTION, createParams())).toMatchObject({ status: bt.HCI_COMMAND_DISALLOWED });
    postRx(g, 4);
    g.platform.clock.advance(2_000); // the phone first advertises at 3 ms
    expect(rx(g)).toEqual([]);
    g.platform.clock.advance(2_000);
    const [c] = rx(g);
    expect(c.event).toEqual({ kind: 'le-connection-complete', connection: { status: 0, handle: 1, role: 0, peerAddressType: bt.ADDR_RANDOM, peerAddress: PHONE, interval: 0x18, latency: 0, supervisionTimeout: 0x1f4 } });
    expect(g.vc.connecting).toBe(false);
    expect([...g.platform.controller('own').linkOwners()]).toEqual([[1, 'g']]);
  });

  it('[AVP-BT-31] checks Disconnect, ends the guest\'s own link with Disconnection Complete (0x16), and knows no other handle', () => {
    const g = solo(ring);
    answer(g, bt.OP_LE_CREATE_CONNECTION, createParams());
    g.platform.clock.advance(5_000);
    rx(g);
    expect(answer(g, bt.OP_DISCONNECT, Uint8Array.of(0x02, 0x00, 0x13))).toMatchObject({ kind: 'command-status', status: bt.HCI_UNKNOWN_CONNECTION_ID });
    expect(answer(g, bt.OP_DISCONNECT, Uint8Array.of(0x01, 0x00, 0x16))).toMatchObject({ status: bt.HCI_INVALID_PARAMETERS }); // not a reason a host may give
    expect(g.vc.connections.size).toBe(1);
    const evs = cmd(g, bt.OP_DISCONNECT, Uint8Array.of(0x01, 0x00, 0x13));
    expect(evs).toEqual([
      { kind: 'command-status', status: 0, numCommands: 1, opcode: bt.OP_DISCONNECT },
      { kind: 'disconnection-complete', status: 0, handle: 1, reason: bt.HCI_TERMINATED_LOCAL_HOST },
    ]);
    expect(g.vc.connections.size).toBe(0);
    expect(g.platform.controller('own').linkOwners().size).toBe(0);
  });

  it('[AVP-BT-32] forwards ACL data only on the guest\'s own links, returns a credit for each packet, and counts what it refuses', () => {
    const g = solo(ring);
    answer(g, bt.OP_LE_CREATE_CONNECTION, createParams());
    g.platform.clock.advance(5_000);
    rx(g);
    sendTx(g, [bt.aclPacket(1, Uint8Array.of(0x05, 0x00, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x00, 0x00))]); // an ATT request on L2CAP
    sendTx(g, [bt.aclPacket(1, new Uint8Array(251))]);
    sendTx(g, [bt.aclPacket(1, new Uint8Array(252))]);
    sendTx(g, [bt.aclPacket(7, Uint8Array.of(1))]);
    sendTx(g, [Uint8Array.of(0x03, 0x01, 0x00, 0x01, 0xaa)]); // SCO
    sendTx(g, [Uint8Array.of(0x05, 0x01, 0x00, 0x01, 0x00, 0xaa)]); // ISO
    expect(g.platform.controller('own').sent.map((s) => [s.handle, s.peer, s.data.length])).toEqual([[1, 'phone', 9], [1, 'phone', 251]]);
    expect(g.dev.errors('DATA_TOO_LONG')).toBe(1);
    expect(g.dev.errors('UNKNOWN_HANDLE')).toBe(3);
    postRx(g, 4);
    const credits = rx(g).flatMap((x) => (x.event?.kind === 'num-completed-packets' ? [x.event] : []));
    expect(credits.every((c) => c.handle === 1)).toBe(true);
    expect(credits.reduce((n, c) => n + c.count, 0)).toBe(2);
    // Data from the peer comes back on the link.
    g.platform.controller('own').fromPeer('phone', Uint8Array.of(9, 8, 7));
    expect(rx(g).map((x) => x.event)).toEqual([{ kind: 'acl', handle: 1, data: Uint8Array.of(9, 8, 7) }]);
  });

  it('[AVP-BT-41] uses a key a guest gives only on that guest\'s link, and forgets it with the link', () => {
    const r = rig(ring, { iviSees: 'all' });
    const ivi = new bt.BtHost(r.ivi.lb);
    ivi.init();
    ivi.connect(PHONE, bt.ADDR_RANDOM);
    r.platform.clock.advance(5_000);
    ivi.take();
    expect(ivi.encrypt(1, '00'.repeat(16)).status).toBe(0);
    expect(ivi.take()).toEqual([{ kind: 'encryption-change', status: bt.HCI_PIN_OR_KEY_MISSING, handle: 1, enabled: 0 }]);
    expect(r.platform.controller('bt0').keysHeld()).toBe(0);
    ivi.encrypt(1, bt.PHONE_LTK_FOR_IVI);
    expect(ivi.take()).toEqual([{ kind: 'encryption-change', status: 0, handle: 1, enabled: 1 }]);
    expect(r.platform.controller('bt0').keysHeld()).toBe(1);
    // The cluster names the ivi's handle with the same key: it is not its link.
    const cluster = new bt.BtHost(r.cluster.lb);
    cluster.init();
    expect(cluster.encrypt(1, bt.PHONE_LTK_FOR_IVI)).toMatchObject({ via: 'status', status: bt.HCI_UNKNOWN_CONNECTION_ID });
    expect(cluster.take()).toEqual([]);
    ivi.disconnect(1);
    expect(r.platform.controller('bt0').keysHeld()).toBe(0);
    expect(r.ivi.vc.connections.size).toBe(0);
  });
});
