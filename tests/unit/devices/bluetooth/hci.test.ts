// The HCI codec: opcodes, addresses, the parser of host packets and the event encoders, checked
// against byte layouts written out by hand from Bluetooth Core 5.4, Vol 4, Part E.
import { describe, expect, it } from 'vitest';
import * as bt from '../../../../src/lib/devices/bluetooth/index.ts';

describe('HCI codec', () => {
  it('builds opcodes from OGF and OCF', () => {
    expect(bt.OP_RESET).toBe(0x0c03);
    expect(bt.OP_READ_BD_ADDR).toBe(0x1009);
    expect(bt.OP_LE_SET_SCAN_PARAMETERS).toBe(0x200b);
    expect(bt.OP_LE_SET_SCAN_ENABLE).toBe(0x200c);
    expect(bt.OP_LE_CREATE_CONNECTION).toBe(0x200d);
    expect(bt.OP_DISCONNECT).toBe(0x0406);
    expect([bt.ogfOf(0xfc08), bt.ocfOf(0xfc08)]).toEqual([bt.OGF_VENDOR, 0x008]);
  });

  it('writes addresses least significant byte first', () => {
    expect([...bt.addrBytes('C0:FF:EE:00:00:01')]).toEqual([0x01, 0x00, 0x00, 0xee, 0xff, 0xc0]);
    expect(bt.addrString(Uint8Array.of(0x01, 0x00, 0x00, 0xee, 0xff, 0xc0))).toBe('C0:FF:EE:00:00:01');
    expect(() => bt.addrBytes('C0:FF:EE')).toThrow(RangeError);
  });

  it('[AVP-BT-8] parses exactly one packet per buffer and names why anything else is refused', () => {
    expect(bt.parseHostPacket(Uint8Array.of(0x01, 0x03, 0x0c, 0x00))).toEqual({ kind: 'command', opcode: 0x0c03, params: new Uint8Array(0) });
    expect(bt.parseHostPacket(Uint8Array.of(0x02, 0x01, 0x20, 0x02, 0x00, 7, 8))).toEqual({ kind: 'acl', handle: 1, pb: 2, bc: 0, data: Uint8Array.of(7, 8) });
    expect(bt.parseHostPacket(Uint8Array.of(0x05, 0x02, 0x00, 0x01, 0xc0, 9))).toEqual({ kind: 'iso', handle: 2, data: Uint8Array.of(9) });
    expect(bt.parseHostPacket(new Uint8Array(0))).toEqual({ error: 'EMPTY_PACKET' });
    expect(bt.parseHostPacket(Uint8Array.of(0x04, 0x0e, 0x00))).toEqual({ error: 'BAD_PACKET_TYPE' });
    expect(bt.parseHostPacket(Uint8Array.of(0x03, 0x01))).toEqual({ error: 'TRUNCATED_HEADER' });
    expect(bt.parseHostPacket(Uint8Array.of(0x01, 0x03, 0x0c, 0x02, 0x00))).toEqual({ error: 'LENGTH_MISMATCH' });
  });

  it('encodes Command Complete, Command Status and an advertising report', () => {
    expect([...bt.commandComplete(bt.OP_RESET, Uint8Array.of(0))]).toEqual([0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00]);
    expect([...bt.commandStatus(0x01, 0xfc08)]).toEqual([0x04, 0x0f, 0x04, 0x01, 0x01, 0x08, 0xfc]);
    const r = bt.advertisingReport({ eventType: bt.ADV_NONCONN_IND, addressType: bt.ADDR_RANDOM, address: 'F0:54:00:00:00:11', data: Uint8Array.of(2, 1, 4), rssi: -78 });
    expect([...r]).toEqual([0x04, 0x3e, 15, 0x02, 1, 0x03, 0x01, 0x11, 0, 0, 0, 0x54, 0xf0, 3, 2, 1, 4, 0xb2]);
    expect(bt.decodeControllerPacket(r)).toEqual({ kind: 'advertising-report', report: { eventType: 3, addressType: 1, address: 'F0:54:00:00:00:11', data: Uint8Array.of(2, 1, 4), rssi: -78 } });
    expect(bt.decodeControllerPacket(Uint8Array.of(0x04, 0x0e, 0x09, 1))).toBeNull(); // length says 9, carries 1
  });

  it('decodes the model scene\'s advertising data', () => {
    const [phone, , tyre] = bt.vehicleRadioScene();
    expect(bt.adLocalName(phone.data)).toBe("Anna's phone");
    expect(bt.decodeTyre(tyre.data)).toEqual({ kPa: 238, celsius: 19 });
    expect(bt.parseAd(Uint8Array.of(5, 0x09, 0x41))).toEqual([]); // runs past the end
  });
});
