// What a physical SPI controller supports, and its statement in the device's configuration
// space (§5.21.4). Every guest's device on the controller shows the same configuration: the
// controller's chip-select numbering and abilities; which chip selects a guest may use is the
// platform's table (bus.ts), not the configuration.
import type { ConfigSpace } from '../../virtio/config-space.ts';
import * as P from './protocol.ts';

// #region spi-caps
export interface SpiCaps {
  readonly csMaxNumber: number;
  readonly csChangeSupported: boolean;
  /** SPI_NBITS_* bits for writing and reading beyond SINGLE. */
  readonly txNbits: number;
  readonly rxNbits: number;
  /** Bit n: bits_per_word n+1; 0: any from 1 to 32. */
  readonly bitsPerWordMask: number;
  readonly modeFunc: number;
  readonly maxFreqHz: number;
  readonly maxWordDelayNs: number;
  readonly maxCsSetupNs: number;
  readonly maxCsHoldNs: number;
  readonly maxCsInactiveNs: number;
}

/** A controller of an automotive SoC: 4 chip selects, modes 0 to 3, 8/16/32-bit words, 50 MHz. */
export const DEFAULT_SPI_CAPS: SpiCaps = {
  csMaxNumber: 4,
  csChangeSupported: true,
  txNbits: P.SPI_NBITS_DUAL | P.SPI_NBITS_QUAD,
  rxNbits: P.SPI_NBITS_DUAL | P.SPI_NBITS_QUAD,
  bitsPerWordMask: ((1 << 7) | (1 << 15) | (1 << 31)) >>> 0,
  modeFunc: P.SPI_MF_CPHA_0 | P.SPI_MF_CPHA_1 | P.SPI_MF_CPOL_0 | P.SPI_MF_CPOL_1 | P.SPI_MF_LSB_FIRST | P.SPI_MF_LOOPBACK,
  maxFreqHz: 50_000_000,
  maxWordDelayNs: 10_000,
  maxCsSetupNs: 10_000,
  maxCsHoldNs: 10_000,
  maxCsInactiveNs: 10_000,
};
// #endregion spi-caps

/** Why the capabilities cannot be stated in the configuration, or null. */
export function capsError(c: SpiCaps): string | null {
  if (!Number.isInteger(c.csMaxNumber) || c.csMaxNumber < 1 || c.csMaxNumber > 0xff) return `csMaxNumber ${c.csMaxNumber}: 1 to 255`;
  for (const [k, v] of [['txNbits', c.txNbits], ['rxNbits', c.rxNbits]] as const) {
    // §5.21.4: bits other than DUAL, QUAD and OCTAL are reserved and 0.
    if (!Number.isInteger(v) || (v & ~0x7) !== 0) return `${k} 0x${v.toString(16)}: only bits 0 to 2`;
  }
  // §5.21.4: at least one CPHA and one CPOL setting must be supported; bits above 6 are not defined.
  if ((c.modeFunc & 0x3) === 0 || (c.modeFunc & 0xc) === 0) return 'modeFunc: at least one CPHA and one CPOL setting';
  if (c.modeFunc & ~0x7f) return `modeFunc 0x${c.modeFunc.toString(16)}: only bits 0 to 6`;
  return null;
}

// #region write-config
export function writeConfig(cfg: ConfigSpace, c: SpiCaps): void {
  cfg.setU8(P.SPI_CFG_CS_MAX_NUMBER, c.csMaxNumber);
  cfg.setU8(P.SPI_CFG_CS_CHANGE_SUPPORTED, c.csChangeSupported ? 1 : 0);
  cfg.setU8(P.SPI_CFG_TX_NBITS_SUPPORTED, c.txNbits);
  cfg.setU8(P.SPI_CFG_RX_NBITS_SUPPORTED, c.rxNbits);
  cfg.setU32(P.SPI_CFG_BITS_PER_WORD_MASK, c.bitsPerWordMask >>> 0);
  cfg.setU32(P.SPI_CFG_MODE_FUNC_SUPPORTED, c.modeFunc);
  cfg.setU32(P.SPI_CFG_MAX_FREQ_HZ, c.maxFreqHz);
  cfg.setU32(P.SPI_CFG_MAX_WORD_DELAY_NS, c.maxWordDelayNs);
  cfg.setU32(P.SPI_CFG_MAX_CS_SETUP_NS, c.maxCsSetupNs);
  cfg.setU32(P.SPI_CFG_MAX_CS_HOLD_NS, c.maxCsHoldNs);
  cfg.setU32(P.SPI_CFG_MAX_CS_INACTIVE_NS, c.maxCsInactiveNs);
}
// #endregion write-config
