// Properties of the SPI controller under malformed transfers. Whatever a driver puts on the
// requestq (random bytes; heads with any field out of range; tx and rx buffers of any length,
// split anywhere; several transfers made available together), the device never throws and never
// needs a reset, answers each transfer with a result as the last byte of a fully written
// device-writable part, answers PARAM_ERR where the chapter says it must, leaves rx_buf zero
// unless the result is OK, never selects a peripheral the guest does not own, and a well-formed
// transfer afterwards still works.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut } from '../support/cut.ts';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { SpiBus } from '../../src/lib/devices/spi/bus.ts';
import { SpiControllerDevice } from '../../src/lib/devices/spi/device.ts';
import { SpiDriver } from '../../src/lib/devices/spi/driver.ts';
import { Adc, NorFlash } from '../../src/lib/devices/spi/peripherals.ts';

// The rules apart from the model (§5.21.4, §5.21.6.4, the chapter), for the default controller:
// 4 chip selects, the guest owns 0; bits per word 8, 16 or 32; DUAL and QUAD; CPHA, CPOL, LSB
// first and loopback but not CS_HIGH; at most 50 MHz; every delay at most 10 µs.
function mustParamErr(head: Uint8Array, txLen: number, rxLen: number): boolean {
  if (head.length < 32) return true;
  const v = new DataView(head.buffer, head.byteOffset, 32);
  const [cs, bpw, csc, txn, rxn] = [head[0], head[1], head[2], head[3], head[4]];
  if (cs !== 0 || ![8, 16, 32].includes(bpw) || csc > 1 || ![0, 1, 2, 4].includes(txn) || ![0, 1, 2, 4].includes(rxn)) return true;
  if (head[5] || head[6] || head[7]) return true;
  const mode = v.getUint32(8, true);
  if (mode & ~0x1f || mode & 0x4) return true;
  const freq = v.getUint32(12, true);
  if (freq === 0 || freq > 50_000_000) return true;
  for (const at of [16, 20, 24, 28]) if (v.getUint32(at, true) > 10_000) return true;
  const w = bpw <= 8 ? 1 : bpw <= 16 ? 2 : 4;
  return (txLen === 0 && rxLen === 0) || (txLen > 0 && rxLen > 0 && txLen !== rxLen) || txLen % w !== 0 || rxLen % w !== 0;
}

const xferArb = fc.record({
  random: fc.option(fc.uint8Array({ maxLength: 40 }), { freq: 8 }),
  cs: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(5) }),
  bpw: fc.oneof({ weight: 4, arbitrary: fc.constant(8) }, { weight: 1, arbitrary: fc.constantFrom(0, 12, 16, 32, 33, 255) }),
  csChange: fc.oneof({ weight: 4, arbitrary: fc.nat(1) }, { weight: 1, arbitrary: fc.constant(2) }),
  nbits: fc.constantFrom(0, 1, 1, 2, 3, 4, 8),
  reserved: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) }),
  mode: fc.oneof({ weight: 4, arbitrary: fc.nat(3) }, { weight: 1, arbitrary: fc.constantFrom(4, 8, 16, 32, 0xffffffff) }),
  freq: fc.oneof({ weight: 4, arbitrary: fc.constant(1_000_000) }, { weight: 1, arbitrary: fc.constantFrom(0, 50_000_000, 50_000_001) }),
  delay: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(10_000, 10_001) }),
  tx: fc.uint8Array({ maxLength: 6 }),
  rx: fc.nat(6),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
});

describe.each(RING_TYPES)('SPI under malformed transfers (%s ring)', (ring) => {
  it('[AVP-BUS-37] [AVP-BUS-38] [AVP-BUS-39] [AVP-BUS-43] [AVP-BUS-44] never throws or needs a reset, answers PARAM_ERR where it must, zeros rx_buf on failure, leaves foreign peripherals alone, and keeps working', () => {
    fc.assert(
      fc.property(fc.array(fc.array(xferArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (batches) => {
        const bus = new SpiBus({ owners: { ivi: { chipSelects: [0] }, cluster: { chipSelects: [1] } } });
        const flash = new NorFlash();
        const adc = new Adc();
        bus.attach(0, flash).attach(1, adc);
        const lb = new Loopback(new SpiControllerDevice({ bus, guest: 'ivi' }), { ring });
        const drv = new SpiDriver(lb);
        for (const batch of batches) {
          const raws = batch.map((x) => {
            let head: Uint8Array;
            let tx: Uint8Array;
            if (x.random) {
              head = x.random.subarray(0, 32);
              tx = x.random.subarray(32);
            } else {
              head = new Uint8Array(32);
              const v = new DataView(head.buffer);
              head.set([x.cs, x.bpw, x.csChange, x.nbits, x.nbits === 3 ? 1 : x.nbits, x.reserved, 0, 0]);
              v.setUint32(8, x.mode >>> 0, true);
              v.setUint32(12, x.freq, true);
              for (const at of [16, 20, 24, 28]) v.setUint32(at, x.delay, true);
              tx = x.tx;
            }
            const out = cut(Uint8Array.from([...head, ...tx]), x.cuts);
            return { head, tx, out, in: [...(x.rx ? [x.rx] : []), 1] };
          });
          const ids = drv.raw(raws.map((r) => ({ out: r.out, in: r.in })));
          const res = drv.collect(ids)!;
          expect(res).not.toBeNull();
          res.forEach((c, i) => {
            const rxLen = raws[i].in.length - 1 ? raws[i].in[0] : 0;
            expect(c.len).toBe(rxLen + 1);
            expect([0, 1, 2]).toContain(c.result);
            if (mustParamErr(raws[i].head, raws[i].tx.length, rxLen)) expect(c.result).toBe(1);
            if (c.result !== 0) expect([...c.rx].every((b) => b === 0)).toBe(true);
          });
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        }
        expect(adc.conversions).toBe(0);
        const id = drv.transfer({ tx: Uint8Array.of(0x9f, 0, 0, 0), rx: 4 });
        expect([id.result, ...id.rx]).toEqual([0, 0xff, ...NorFlash.JEDEC_ID]);
      }),
      { numRuns: 100 },
    );
  });
});
