// Properties of the virtio Bluetooth device under malformed tx buffers, on both ring layouts.
// Whatever a driver puts on the tx queue (valid commands, commands of the wrong length, random
// opcodes, data packets, bytes flipped, cut short or run long, type bytes of any value, split
// anywhere over descriptors) and whatever rx buffers it offers (too small ones included), the
// device never throws and never needs a reset; it refuses exactly the buffers that an
// independent statement of the framing rules refuses, under the same name; it answers every
// well-framed command exactly once, in order, with its opcode; and every rx buffer it fills
// holds one whole packet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import * as bt from '../../src/lib/devices/bluetooth/index.ts';

/** The framing rules, stated apart from the parser: the error a buffer earns, or what it is. */
function oracle(b: Uint8Array): bt.HciFramingError | 'command' | 'data' {
  if (b.length === 0) return 'EMPTY_PACKET';
  const hdr: Record<number, number> = { 1: 3, 2: 4, 3: 3, 5: 4 };
  const h = hdr[b[0]];
  if (h === undefined) return 'BAD_PACKET_TYPE';
  if (b.length - 1 < h) return 'TRUNCATED_HEADER';
  const declared = b[0] === 1 || b[0] === 3 ? b[3] : b[0] === 2 ? b[3] | (b[4] << 8) : (b[3] | (b[4] << 8)) & 0x3fff;
  if (declared !== b.length - 1 - h) return 'LENGTH_MISMATCH';
  return b[0] === 1 ? 'command' : 'data';
}

type Shape = 'known' | 'wrong-length' | 'random-op' | 'acl' | 'raw';
interface Tx {
  shape: Shape;
  pick: number;
  op: number;
  params: number[];
  flips: { at: number; bit: number }[];
  extra: number;
  cuts: number[];
  rx: number[];
}

const txArb: fc.Arbitrary<Tx> = fc.record({
  shape: fc.constantFrom<Shape>('known', 'known', 'wrong-length', 'random-op', 'acl', 'raw'),
  pick: fc.nat(100),
  op: fc.integer({ min: 0, max: 0xffff }),
  params: fc.array(fc.nat(255), { maxLength: 40 }),
  flips: fc.oneof({ weight: 3, arbitrary: fc.constant([] as { at: number; bit: number }[]) }, { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat(60), bit: fc.nat(7) }), { minLength: 1, maxLength: 2 }) }),
  extra: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -6, max: 6 }) }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  rx: fc.array(fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 400 })), { maxLength: 2 }),
});

function build(t: Tx): Uint8Array {
  const table = bt.COMMAND_TABLE;
  const c = table[t.pick % table.length];
  const params = Uint8Array.from({ length: 64 }, (_, i) => t.params[i % Math.max(t.params.length, 1)] ?? 0);
  let bytes: Uint8Array;
  switch (t.shape) {
    case 'known':
      bytes = bt.commandPacket(c.op, params.subarray(0, c.paramLength));
      break;
    case 'wrong-length':
      bytes = bt.commandPacket(c.op, params.subarray(0, (c.paramLength + 1 + (t.pick % 3)) % 64));
      break;
    case 'random-op':
      bytes = bt.commandPacket(t.op, Uint8Array.from(t.params));
      break;
    case 'acl':
      bytes = bt.aclPacket(t.op & 0x0fff, Uint8Array.from(t.params));
      break;
    default:
      bytes = Uint8Array.from(t.params);
  }
  bytes = bytes.slice();
  for (const f of t.flips) if (bytes.length > 0) bytes[f.at % bytes.length] ^= 1 << f.bit;
  if (t.extra > 0) bytes = Uint8Array.of(...bytes, ...new Array(t.extra).fill(0x5a));
  if (t.extra < 0) bytes = bytes.subarray(0, Math.max(0, bytes.length + t.extra));
  return bytes;
}

describe.each(RING_TYPES)('virtio-bt under malformed tx buffers (%s ring)', (ring) => {
  it('[AVP-BT-7] [AVP-BT-8] [AVP-BT-10] [AVP-BT-11] [AVP-BT-12] [AVP-BT-15] [AVP-BT-19] never throws or needs a reset, refuses exactly the misframed buffers by name, answers each command once in order, and fills rx buffers with whole packets only', () => {
    fc.assert(
      fc.property(fc.array(txArb, { minLength: 1, maxLength: 14 }), (txs) => {
        const p = new bt.BtPlatform({ advertisers: bt.vehicleRadioScene(), controllers: [{ id: 'c', guests: [{ name: 'g', address: '02:00:00:00:00:0C', sees: 'all' }] }] });
        const dev = p.device('g', { backlog: 8 });
        const lb = new Loopback(dev, { ring, memSize: 1 << 20 });
        const sizes = new Map<number, number>();
        const want = new Map<string, number>();
        const commands: number[] = [];
        const rxDone: { len: number; data: Uint8Array; size: number }[] = [];
        const drain = () => {
          for (const c of lb.poll(bt.BT_RX_QUEUE)) rxDone.push({ len: c.len, data: c.data, size: sizes.get(c.id)! });
        };
        let txSent = 0;
        let txDone = 0;
        for (const t of txs) {
          for (const size of t.rx) sizes.set(lb.submit(bt.BT_RX_QUEUE, [], [size]), size);
          const bytes = build(t);
          const o = oracle(bytes);
          if (o === 'command') commands.push(bytes[1] | (bytes[2] << 8));
          else if (o === 'data') want.set('UNKNOWN_HANDLE', (want.get('UNKNOWN_HANDLE') ?? 0) + 1);
          else want.set(o, (want.get(o) ?? 0) + 1);
          const parts = cut(bytes, t.cuts);
          lb.submit(bt.BT_TX_QUEUE, parts, parts.length === 0 ? [8] : []);
          txSent++;
          txDone += lb.poll(bt.BT_TX_QUEUE).length;
          drain();
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        }
        // Enough room for everything still waiting: every tx buffer then comes back.
        for (let i = 0; i < 2 * txs.length + 4; i++) sizes.set(lb.submit(bt.BT_RX_QUEUE, [], [300]), 300);
        txDone += lb.poll(bt.BT_TX_QUEUE).length;
        drain();
        expect(txDone).toBe(txSent);
        for (const [e, n] of want) expect(dev.errors(e as bt.BtLinkError), e).toBe(n);
        const framing = bt.HCI_FRAMING_ERRORS.reduce((n, e) => n + dev.errors(e), 0);
        expect(framing).toBe([...want].filter(([e]) => e !== 'UNKNOWN_HANDLE').reduce((n, [, v]) => n + v, 0));
        const answers: number[] = [];
        for (const r of rxDone) {
          expect(r.len).toBeLessThanOrEqual(r.size);
          if (r.len === 0) {
            continue; // a buffer too small for the packet: handed back unused
          }
          const e = bt.decodeControllerPacket(r.data);
          expect(e).not.toBeNull();
          if (e!.kind === 'command-complete' || e!.kind === 'command-status') answers.push(e!.opcode);
        }
        expect(answers).toEqual(commands);
        expect(dev.pending).toBe(0);
        expect(lb.error).toBeNull();
        expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});
