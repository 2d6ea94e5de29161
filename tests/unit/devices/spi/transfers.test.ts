// The SPI controller's requestq (VIRTIO 1.4 §5.21.6): configuration, the parameter check,
// chip-select frames, results, and the platform's chip-select table and bus time.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as P from '../../../../src/lib/devices/spi/protocol.ts';
import { DEFAULT_SPI_CAPS } from '../../../../src/lib/devices/spi/config.ts';
import { SpiBus } from '../../../../src/lib/devices/spi/bus.ts';
import { Adc, NorFlash } from '../../../../src/lib/devices/spi/peripherals.ts';
import { adcConvert, ADC_CS, FLASH_CS, FREE_CS, flashRead, rig } from './harness.ts';

const OK = P.VIRTIO_SPI_TRANS_OK;
const PARAM = P.VIRTIO_SPI_PARAM_ERR;
const TRANS = P.VIRTIO_SPI_TRANS_ERR;

describe.each(RING_TYPES)('SPI requestq (%s ring)', (ring) => {
  it('[AVP-BUS-36] has device ID 45, one queue, no feature bits, and a configuration stating the controller', () => {
    const r = rig(ring);
    expect([r.ivi.dev.deviceId, r.ivi.lb.queues.length]).toEqual([45, 1]);
    expect(r.ivi.dev.offeredFeatures() & 0xffffffn).toBe(0n);
    expect(r.ivi.drv.caps()).toEqual(DEFAULT_SPI_CAPS);
    expect([...r.ivi.dev.config.read(0, 8)]).toEqual([4, 1, 3, 3, 0x80, 0x80, 0x00, 0x80]);
    expect(r.cluster.dev.config.read(0, 32)).toEqual(r.ivi.dev.config.read(0, 32));
  });

  it('[AVP-BUS-37] answers PARAM_ERR for a head field the configuration does not allow, and runs nothing', () => {
    const r = rig(ring);
    const bad: P.SpiHeadInit[] = [
      { chipSelect: 4 },
      { bitsPerWord: 12 },
      { bitsPerWord: 33 },
      { csChange: 2 },
      { txNbits: 3 },
      { rxNbits: 8 },
      { mode: P.VIRTIO_SPI_CS_HIGH },
      { freq: 50_000_001 },
      { wordDelayNs: 10_001 },
      { csSetupNs: 20_000 },
      { csHoldNs: 10_001 },
      { csInactiveNs: 10_001 },
    ];
    const res = r.ivi.drv.send(bad.map((head) => ({ head, tx: Uint8Array.of(0x9f, 0, 0, 0), rx: 4 })));
    expect(r.ivi.drv.collect(res)!.map((x) => x.result)).toEqual(bad.map(() => PARAM));
    expect(r.flash.log).toEqual([]);
    const f = r.ivi.dev.stats.failures;
    expect([f.get('bad-chip-select'), f.get('bad-bits-per-word'), f.get('bad-cs-change'), f.get('bad-nbits'), f.get('bad-mode'), f.get('bad-freq'), f.get('bad-delay')]).toEqual([1, 2, 1, 2, 1, 1, 4]);
    // Allowed settings pass: QUAD read, 16-bit words, mode 3, LSB first, loopback.
    for (const head of [{ rxNbits: 4 }, { bitsPerWord: 16 }, { mode: P.VIRTIO_SPI_CPHA | P.VIRTIO_SPI_CPOL }, { mode: P.VIRTIO_SPI_MODE_LSB_FIRST }, { mode: P.VIRTIO_SPI_MODE_LOOP }]) {
      expect(r.ivi.drv.transfer({ head, tx: Uint8Array.of(0x05, 0), rx: 2 }).result).toBe(OK);
    }
  });

  it('[AVP-BUS-38] answers PARAM_ERR for a full-duplex transfer whose tx_buf and rx_buf differ in length', () => {
    const r = rig(ring);
    expect(r.ivi.drv.transfer({ tx: Uint8Array.of(0x9f, 0, 0), rx: 4 }).result).toBe(PARAM);
    expect(r.ivi.dev.stats.failures.get('length-mismatch')).toBe(1);
    expect(r.flash.log).toEqual([]);
  });

  it('[AVP-BUS-39] answers PARAM_ERR for a reserved byte, an undefined mode bit, a 0 Hz clock, an empty transfer or a partial word', () => {
    const r = rig(ring);
    const res = r.ivi.drv.send([
      { head: { reserved: [0, 1, 0] }, tx: Uint8Array.of(0x05), rx: 1 },
      { head: { mode: 1 << 5 }, tx: Uint8Array.of(0x05), rx: 1 },
      { head: { freq: 0 }, tx: Uint8Array.of(0x05), rx: 1 },
      {},
      { head: { bitsPerWord: 16 }, tx: Uint8Array.of(0x05, 0, 0), rx: 3 },
    ]);
    expect(r.ivi.drv.collect(res)!.map((x) => x.result)).toEqual([PARAM, PARAM, PARAM, PARAM, PARAM]);
    const f = r.ivi.dev.stats.failures;
    expect([f.get('reserved'), f.get('bad-mode'), f.get('bad-freq'), f.get('empty'), f.get('partial-word')]).toEqual([1, 1, 1, 1, 1]);
    expect(r.flash.log).toEqual([]);
  });

  it('[AVP-BUS-40] keeps the chip select active across transfers made available together, toggles it after cs_change 1, and releases it after the last', () => {
    const r = rig(ring);
    r.flash.bytes.set([0x11, 0x22, 0x33, 0x44], 0x100);
    const [cmd, data] = r.ivi.drv.message(flashRead(0x100, 4));
    expect([cmd.result, data.result, ...data.rx]).toEqual([OK, OK, 0x11, 0x22, 0x33, 0x44]);
    // The same two transfers one at a time, as Linux's driver sends them: two frames, and the
    // data transfer is a new command to the flash (opcode 0xff), so it reads nothing.
    r.ivi.drv.transfer(flashRead(0x100, 4)[0]);
    expect([...r.ivi.drv.transfer(flashRead(0x100, 4)[1]).rx]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(r.flash.log.slice(-2)).toEqual([0x03, 0xff]);
    // WREN then PAGE PROGRAM needs the chip select to go inactive between them: cs_change 1.
    r.ivi.drv.message([{ tx: Uint8Array.of(0x06) }, { tx: Uint8Array.of(0x02, 0, 0x02, 0, 0xa5) }]);
    expect(r.flash.bytes[0x200]).toBe(0xff); // one command 06 02 ...: not a program
    r.ivi.drv.message([{ head: { csChange: 1 }, tx: Uint8Array.of(0x06) }, { tx: Uint8Array.of(0x02, 0, 0x02, 0, 0xa5) }]);
    expect(r.flash.bytes[0x200]).toBe(0xa5);
    // cs_change 1 on the last transfer does not keep the chip select: the next command starts clean.
    r.ivi.drv.message([{ head: { csChange: 1 }, tx: Uint8Array.of(0x9f) }]);
    expect([...r.ivi.drv.transfer({ tx: Uint8Array.of(0x9f, 0, 0, 0), rx: 4 }).rx]).toEqual([0xff, ...NorFlash.JEDEC_ID]);
  });

  it('[AVP-BUS-41] the driver makes the transfers of one message available together: one frame per chip select', () => {
    const r = rig(ring);
    const before = r.ivi.dev.stats.frames;
    r.ivi.drv.message([...flashRead(0, 8), { tx: Uint8Array.of(0x05), rx: 1 }]);
    expect(r.ivi.dev.stats.frames - before).toBe(1);
    // Two conversions made available together: one frame, so the ADC sees one six-byte command
    // and converts once; sent one by one, each is its own frame and conversion.
    const frames = r.cluster.dev.stats.frames;
    expect(r.cluster.drv.message([adcConvert(0), adcConvert(1)]).map((x) => x.result)).toEqual([OK, OK]);
    expect([r.cluster.dev.stats.frames - frames, r.adc.conversions]).toEqual([1, 1]);
    r.cluster.drv.transfer(adcConvert(0));
    r.cluster.drv.transfer(adcConvert(1));
    expect([r.cluster.dev.stats.frames - frames, r.adc.conversions]).toEqual([3, 3]);
  });

  it('[AVP-BUS-42] ends a frame at its first failing transfer: the rest are not run and get TRANS_ERR, or PARAM_ERR if invalid themselves', () => {
    const r = rig(ring);
    r.bus.injectFaults(1);
    const a = r.ivi.drv.message([{ head: { csChange: 1 }, tx: Uint8Array.of(0x06) }, { tx: Uint8Array.of(0x20, 0, 0, 0) }]);
    expect(a.map((x) => x.result)).toEqual([TRANS, TRANS]);
    expect(r.flash.log).toEqual([]);
    const b = r.ivi.drv.message([{ tx: Uint8Array.of(0x05), rx: 1 }, { head: { freq: 0 }, rx: 1 }, { rx: 1 }, { head: { bitsPerWord: 12 }, rx: 1 }]);
    expect(b.map((x) => x.result)).toEqual([OK, PARAM, TRANS, PARAM]);
    expect(r.ivi.dev.stats.failures.get('frame-aborted')).toBe(2);
    expect(r.ivi.dev.stats.failures.get('transfer-failed')).toBe(1);
  });

  it('[AVP-BUS-43] leaves zeros in rx_buf when a transfer does not succeed', () => {
    const r = rig(ring);
    r.bus.injectFaults(1);
    const t = r.ivi.drv.transfer({ tx: Uint8Array.of(0x9f, 0, 0, 0), rx: 4 });
    expect([t.len, t.result, ...t.rx]).toEqual([5, TRANS, 0, 0, 0, 0]);
    const p = r.ivi.drv.transfer({ head: { chipSelect: ADC_CS }, rx: 3 });
    expect([p.len, p.result, ...p.rx]).toEqual([4, PARAM, 0, 0, 0]);
  });

  it('[AVP-BUS-44] answers PARAM_ERR for a chip select the guest does not own, without selecting the peripheral', () => {
    const r = rig(ring);
    r.adc.inputsMv[0] = 3300;
    expect(r.ivi.drv.transfer(adcConvert(0)).result).toBe(PARAM);
    expect(r.ivi.drv.transfer({ head: { chipSelect: FREE_CS }, rx: 2 }).result).toBe(PARAM);
    expect(r.cluster.drv.transfer({ head: { chipSelect: FLASH_CS }, tx: Uint8Array.of(0x9f, 0, 0, 0), rx: 4 }).result).toBe(PARAM);
    expect([r.adc.conversions, r.flash.log.length]).toEqual([0, 0]);
    expect(r.ivi.dev.stats.failures.get('not-owned')).toBe(2);
    expect(Adc.decode(r.cluster.drv.transfer(adcConvert(0)).rx)).toBe(1023);
  });

  it('[AVP-BUS-45] returns a transfer with no device-writable byte with used length 0 and counts it', () => {
    const r = rig(ring);
    const [id] = r.ivi.drv.raw([{ out: [P.encodeHead(), Uint8Array.of(0x06)], in: [] }]);
    expect(r.ivi.drv.completion(id)!.len).toBe(0);
    const [short] = r.ivi.drv.raw([{ out: [P.encodeHead().subarray(0, 31)], in: [] }]);
    expect(r.ivi.drv.completion(short)!.len).toBe(0);
    expect(r.ivi.dev.stats.failures.get('no-result-room')).toBe(2);
    expect(r.flash.log).toEqual([]);
    const [headOnly] = r.ivi.drv.raw([{ out: [P.encodeHead().subarray(0, 20)], in: [1] }]);
    expect(r.ivi.drv.completion(headOnly)!.data[0]).toBe(PARAM);
    expect(r.ivi.dev.stats.failures.get('short-head')).toBe(1);
  });

  it('[AVP-BUS-2] refuses a table that gives a chip select to two guests or names one past cs_max_number', () => {
    expect(() => new SpiBus({ owners: { a: { chipSelects: [0] }, b: { chipSelects: [0] } } })).toThrow(/owned by both/);
    expect(() => new SpiBus({ owners: { a: { chipSelects: [4] } } })).toThrow(/past cs_max_number/);
  });

  it('[AVP-BUS-5] refuses a transfer that would make a frame longer than the guest may hold the bus: PARAM_ERR, never on the wire', () => {
    const r = rig(ring, { timed: true });
    // A 4-byte command (32 µs at 1 MHz), then a 256-byte read (2048 µs): 2080 µs > the IVI's 2000 µs.
    const ids = r.ivi.drv.send(flashRead(0, 256));
    r.clock!.advance(100);
    expect(r.ivi.drv.collect(ids)!.map((x) => x.result)).toEqual([OK, PARAM]);
    expect(r.flash.log).toEqual([0x03]); // the command alone went out, and the chip select went inactive
    const alone = r.ivi.drv.send([{ rx: 300 }]);
    expect(r.ivi.drv.collect(alone)!.map((x) => x.result)).toEqual([PARAM]); // at once, no bus time
    expect(r.ivi.dev.stats.failures.get('too-long')).toBe(2);
    expect(r.flash.log).toEqual([0x03]);
  });

  it('[AVP-BUS-7] on suspend answers the frame on the bus with its result and frames not run yet with TRANS_ERR', () => {
    const r = rig(ring, { timed: true });
    const a = r.cluster.drv.send([adcConvert(2)]);
    const b = r.cluster.drv.send([adcConvert(3)]);
    expect(r.bus.arbiter.busy).toBe(true);
    r.cluster.dev.suspend();
    expect(r.cluster.drv.collect(a)!.map((x) => x.result)).toEqual([OK]);
    expect(r.cluster.drv.collect(b)!.map((x) => x.result)).toEqual([TRANS]);
    r.clock!.advance(1_000);
    expect(r.adc.conversions).toBe(1);
    r.cluster.dev.resume();
    const c = r.cluster.drv.send([adcConvert(1)]);
    r.clock!.advance(100);
    expect(r.cluster.drv.collect(c)!.map((x) => x.result)).toEqual([OK]);
  });
});
