// The parameter check of a transfer (§5.21.6.4: the device verifies every field of the head
// and answers VIRTIO_SPI_PARAM_ERR when one is invalid or asks for something the configuration
// does not offer). Each refusal has its own reason, so a test, a log or a platform's
// statistics can tell them apart; on the wire they are all PARAM_ERR.
import type { SpiCaps } from './config.ts';
import * as P from './protocol.ts';

// #region spi-param-faults
export type SpiParamFault =
  | 'bad-chip-select' //      chip_select_id at or past cs_max_number
  | 'not-owned' //            the platform's table gives the chip select to another guest, or to none
  | 'bad-bits-per-word' //    0, above 32, or not in bits_per_word_mask
  | 'bad-cs-change' //        not 0 or 1, or 1 without cs_change_supported
  | 'bad-nbits' //            tx_nbits or rx_nbits not 0, 1, 2, 4 or 8, or a width not supported
  | 'reserved' //             a reserved byte of the head is not 0
  | 'bad-mode' //             a mode bit §5.21.6.1 does not define, or a setting mode_func_supported does not offer
  | 'bad-freq' //             freq 0, or above a nonzero max_freq_hz
  | 'bad-delay' //            a delay above its maximum (0: the delay is not supported at all)
  | 'empty' //                neither tx_buf nor rx_buf: a transfer of no words
  | 'length-mismatch' //      full duplex with tx_buf and rx_buf of different lengths
  | 'partial-word'; //        a length that is not a whole number of words
// #endregion spi-param-faults

/** Bytes a word takes in the buffers: 1 up to 8 bits, 2 up to 16, 4 up to 32. */
export function bytesPerWord(bitsPerWord: number): number {
  return bitsPerWord <= 8 ? 1 : bitsPerWord <= 16 ? 2 : 4;
}

const NBITS = new Map([
  [0, 0],
  [1, 0],
  [2, P.SPI_NBITS_DUAL],
  [4, P.SPI_NBITS_QUAD],
  [8, P.SPI_NBITS_OCTAL],
]);

// #region check-head
/** The first reason the head (with buffers of `txLen` and `rxLen` bytes) is refused, or null. */
export function checkTransfer(h: P.SpiHead, c: SpiCaps, txLen: number, rxLen: number): SpiParamFault | null {
  if (h.chipSelect >= c.csMaxNumber) return 'bad-chip-select';
  if (h.bitsPerWord === 0 || h.bitsPerWord > 32) return 'bad-bits-per-word';
  if (c.bitsPerWordMask !== 0 && ((c.bitsPerWordMask >>> (h.bitsPerWord - 1)) & 1) === 0) return 'bad-bits-per-word';
  if (h.csChange > 1 || (h.csChange === 1 && !c.csChangeSupported)) return 'bad-cs-change';
  for (const [n, supported] of [[h.txNbits, c.txNbits], [h.rxNbits, c.rxNbits]] as const) {
    const need = NBITS.get(n);
    if (need === undefined || (need & supported) !== need) return 'bad-nbits';
  }
  if (h.reserved.some((b) => b !== 0)) return 'reserved';
  if (h.mode & ~P.VIRTIO_SPI_MODE_DEFINED) return 'bad-mode';
  const needs: [number, number][] = [
    [P.VIRTIO_SPI_CPHA, h.mode & P.VIRTIO_SPI_CPHA ? P.SPI_MF_CPHA_1 : P.SPI_MF_CPHA_0],
    [P.VIRTIO_SPI_CPOL, h.mode & P.VIRTIO_SPI_CPOL ? P.SPI_MF_CPOL_1 : P.SPI_MF_CPOL_0],
    [P.VIRTIO_SPI_CS_HIGH, h.mode & P.VIRTIO_SPI_CS_HIGH ? P.SPI_MF_CS_HIGH : 0],
    [P.VIRTIO_SPI_MODE_LSB_FIRST, h.mode & P.VIRTIO_SPI_MODE_LSB_FIRST ? P.SPI_MF_LSB_FIRST : 0],
    [P.VIRTIO_SPI_MODE_LOOP, h.mode & P.VIRTIO_SPI_MODE_LOOP ? P.SPI_MF_LOOPBACK : 0],
  ];
  if (needs.some(([, need]) => (c.modeFunc & need) !== need)) return 'bad-mode';
  if (h.freq === 0 || (c.maxFreqHz !== 0 && h.freq > c.maxFreqHz)) return 'bad-freq';
  const delays: [number, number][] = [
    [h.wordDelayNs, c.maxWordDelayNs],
    [h.csSetupNs, c.maxCsSetupNs],
    [h.csHoldNs, c.maxCsHoldNs],
    [h.csInactiveNs, c.maxCsInactiveNs],
  ];
  if (delays.some(([ask, max]) => ask > max)) return 'bad-delay';
  if (txLen === 0 && rxLen === 0) return 'empty';
  if (txLen > 0 && rxLen > 0 && txLen !== rxLen) return 'length-mismatch'; // §5.21.6.4
  const bpw = bytesPerWord(h.bitsPerWord);
  if (txLen % bpw !== 0 || rxLen % bpw !== 0) return 'partial-word';
  return null;
}
// #endregion check-head

// #region transfer-time
/**
 * Nanoseconds a transfer holds the bus: the chip-select setup if it asserts the chip select,
 * the clock periods of its words (fewer with DUAL, QUAD or OCTAL lines), the delays between
 * words, and the hold and inactive times if it deasserts the chip select afterwards.
 */
export function transferNs(h: P.SpiHead, txLen: number, rxLen: number, asserts: boolean, deasserts: boolean): number {
  const words = Math.max(txLen, rxLen) / bytesPerWord(h.bitsPerWord);
  const lanes = (n: number) => (n <= 1 ? 1 : n);
  const clocks = Math.max(txLen > 0 ? (words * h.bitsPerWord) / lanes(h.txNbits) : 0, rxLen > 0 ? (words * h.bitsPerWord) / lanes(h.rxNbits) : 0);
  return (asserts ? h.csSetupNs : 0) + Math.ceil((clocks * 1e9) / h.freq) + Math.max(0, words - 1) * h.wordDelayNs + (deasserts ? h.csHoldNs + h.csInactiveNs : 0);
}
// #endregion transfer-time
