// The byte layout of CAN messages (VIRTIO 1.4 §5.20.5) and the frame helpers.
import { describe, expect, it } from 'vitest';
import { CAN_FD_LENGTHS, canFrame, isLegalId, isLegalLength, sameFrame } from '../../../../src/lib/devices/can/frame.ts';
import * as M from '../../../../src/lib/devices/can/message.ts';
import { parseTxRequest } from '../../../../src/lib/devices/can/tx.ts';
import { ALL } from './harness.ts';

describe('CAN message layout', () => {
  it('[AVP-CAN-16] uses the VIRTIO 1.4 constants', () => {
    expect([M.VIRTIO_CAN_TX, M.VIRTIO_CAN_RX, M.VIRTIO_CAN_SET_CTRL_MODE_START, M.VIRTIO_CAN_SET_CTRL_MODE_STOP]).toEqual([0x0001, 0x0101, 0x0201, 0x0202]);
    expect([M.VIRTIO_CAN_RESULT_OK, M.VIRTIO_CAN_RESULT_NOT_OK]).toEqual([0, 1]);
    expect([M.VIRTIO_CAN_FLAGS_RTR, M.VIRTIO_CAN_FLAGS_FD, M.VIRTIO_CAN_FLAGS_EXTENDED]).toEqual([0x2000, 0x4000, 0x8000]);
    expect(M.CAN_MSG_HEADER_SIZE).toBe(16);
  });

  it('[AVP-CAN-16] lays a received frame out little-endian at the VIRTIO offsets', () => {
    const b = M.encodeCanRx(canFrame({ id: 0x1abcdef, extended: true, fd: true, data: [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 1, 2, 3, 4, 5, 6] }));
    expect([...b.subarray(0, 16)]).toEqual([0x01, 0x01, 12, 0, 0, 0, 0, 0, 0x00, 0xc0, 0, 0, 0xef, 0xcd, 0xab, 0x01]);
    expect(b.length).toBe(28);
    const rtr = M.encodeCanRx(canFrame({ id: 0x12, rtr: true, length: 3 }));
    expect([...rtr]).toEqual([0x01, 0x01, 3, 0, 0, 0, 0, 0, 0x00, 0x20, 0, 0, 0x12, 0, 0, 0, 0, 0, 0]);
  });

  it('round-trips a header and a transmit request', () => {
    const h = { msgType: 0x1234, length: 0xfff, reservedClassicDlc: 9, padding: 7, reservedXlPriority: 0x55aa, flags: 0xdeadbeef, canId: 0x87654321 };
    expect(M.decodeCanHeader(M.encodeCanHeader(h))).toEqual(h);
    const f = canFrame({ id: 0x7ff, fd: true, data: new Uint8Array(20).fill(3) });
    const parsed = parseTxRequest(M.encodeCanTx(f), ALL);
    expect(parsed.ok && sameFrame(parsed.frame, f)).toBe(true);
    expect([...M.encodeCanControl(M.VIRTIO_CAN_SET_CTRL_MODE_STOP)]).toEqual([0x02, 0x02]);
  });

  it('names types and results', () => {
    expect(M.canMsgTypeName(M.VIRTIO_CAN_RX)).toBe('VIRTIO_CAN_RX');
    expect(M.canMsgTypeName(7)).toBe('msg_type 0x0007');
    expect(M.canResultName(0)).toBe('VIRTIO_CAN_RESULT_OK');
    expect(M.canResultName(5)).toMatch(/NOT_OK/);
  });

  it('[AVP-CAN-9] knows the legal lengths and identifier ranges', () => {
    expect(CAN_FD_LENGTHS).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]);
    const fdOk = Array.from({ length: 70 }, (_, n) => n).filter((n) => isLegalLength(n, true));
    expect(fdOk).toEqual(CAN_FD_LENGTHS);
    expect(Array.from({ length: 70 }, (_, n) => n).filter((n) => isLegalLength(n, false))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([isLegalId(0x7ff, false), isLegalId(0x800, false), isLegalId(0x1fffffff, true), isLegalId(0x20000000, true), isLegalId(-1, false)]).toEqual([true, false, true, false, false]);
  });
});
