// The SPI controller device's wire format, VIRTIO 1.4 §5.21 (device ID 45): the configuration
// that states what the controller supports, the 32-byte transfer head, and the result byte.
// All multi-byte fields are little-endian. The device has no feature bits (§5.21.3).

export const VIRTIO_ID_SPI = 45;
export const SPI_REQUESTQ = 0;

// #region spi-config-layout
/** struct virtio_spi_config (§5.21.4), every field read-only for the driver. */
export const SPI_CFG_CS_MAX_NUMBER = 0; //        u8   chip selects: IDs 0 .. cs_max_number-1
export const SPI_CFG_CS_CHANGE_SUPPORTED = 1; //  u8   1: cs_change=1 is supported
export const SPI_CFG_TX_NBITS_SUPPORTED = 2; //   u8   bit 0 DUAL, bit 1 QUAD, bit 2 OCTAL (SINGLE always)
export const SPI_CFG_RX_NBITS_SUPPORTED = 3; //   u8   the same, for reading
export const SPI_CFG_BITS_PER_WORD_MASK = 4; //   le32 bit n: bits_per_word n+1 supported; 0: any
export const SPI_CFG_MODE_FUNC_SUPPORTED = 8; //  le32 CPHA, CPOL, CS_HIGH, LSB_FIRST, LOOP support
export const SPI_CFG_MAX_FREQ_HZ = 12; //         le32 0: no limit
export const SPI_CFG_MAX_WORD_DELAY_NS = 16; //   le32 0: word delay unsupported
export const SPI_CFG_MAX_CS_SETUP_NS = 20; //     le32 0: no delay after asserting chip select
export const SPI_CFG_MAX_CS_HOLD_NS = 24; //      le32 0: no delay before deasserting it
export const SPI_CFG_MAX_CS_INACTIVE_NS = 28; //  le32 0: no delay after deasserting it
export const SPI_CONFIG_SIZE = 32;

/** tx_nbits_supported / rx_nbits_supported bits. */
export const SPI_NBITS_DUAL = 1 << 0;
export const SPI_NBITS_QUAD = 1 << 1;
export const SPI_NBITS_OCTAL = 1 << 2;

/** mode_func_supported: two bits each for CPHA and CPOL (0b01: 0 only, 0b10: 1 only, 0b11: both). */
export const SPI_MF_CPHA_0 = 1 << 0;
export const SPI_MF_CPHA_1 = 1 << 1;
export const SPI_MF_CPOL_0 = 1 << 2;
export const SPI_MF_CPOL_1 = 1 << 3;
export const SPI_MF_CS_HIGH = 1 << 4;
export const SPI_MF_LSB_FIRST = 1 << 5;
export const SPI_MF_LOOPBACK = 1 << 6;
// #endregion spi-config-layout

// #region spi-transfer-head
/** struct virtio_spi_transfer_head (§5.21.6.1). */
export const SPI_HEAD_CHIP_SELECT_ID = 0; //        u8
export const SPI_HEAD_BITS_PER_WORD = 1; //         u8
export const SPI_HEAD_CS_CHANGE = 2; //             u8   1: deassert, then assert again before the next transfer
export const SPI_HEAD_TX_NBITS = 3; //              u8   0 or 1 SINGLE, 2 DUAL, 4 QUAD, 8 OCTAL
export const SPI_HEAD_RX_NBITS = 4; //              u8
export const SPI_HEAD_RESERVED = 5; //              u8[3]
export const SPI_HEAD_MODE = 8; //                  le32
export const SPI_HEAD_FREQ = 12; //                 le32 Hz
export const SPI_HEAD_WORD_DELAY_NS = 16; //        le32
export const SPI_HEAD_CS_SETUP_NS = 20; //          le32
export const SPI_HEAD_CS_DELAY_HOLD_NS = 24; //     le32
export const SPI_HEAD_CS_CHANGE_DELAY_INACTIVE_NS = 28; // le32
export const SPI_HEAD_SIZE = 32;

/** mode bits of the head. */
export const VIRTIO_SPI_CPHA = 1 << 0;
export const VIRTIO_SPI_CPOL = 1 << 1;
export const VIRTIO_SPI_CS_HIGH = 1 << 2;
export const VIRTIO_SPI_MODE_LSB_FIRST = 1 << 3;
export const VIRTIO_SPI_MODE_LOOP = 1 << 4;
export const VIRTIO_SPI_MODE_DEFINED = 0x1f;

/** struct virtio_spi_transfer_result: u8 result. */
export const SPI_RESULT_SIZE = 1;
export const VIRTIO_SPI_TRANS_OK = 0;
export const VIRTIO_SPI_PARAM_ERR = 1;
export const VIRTIO_SPI_TRANS_ERR = 2;
// #endregion spi-transfer-head

export interface SpiHead {
  readonly chipSelect: number;
  readonly bitsPerWord: number;
  readonly csChange: number;
  readonly txNbits: number;
  readonly rxNbits: number;
  readonly reserved: readonly number[];
  readonly mode: number;
  readonly freq: number;
  readonly wordDelayNs: number;
  readonly csSetupNs: number;
  readonly csHoldNs: number;
  readonly csInactiveNs: number;
}

export function decodeHead(b: Uint8Array): SpiHead {
  const v = new DataView(b.buffer, b.byteOffset, SPI_HEAD_SIZE);
  return {
    chipSelect: b[SPI_HEAD_CHIP_SELECT_ID],
    bitsPerWord: b[SPI_HEAD_BITS_PER_WORD],
    csChange: b[SPI_HEAD_CS_CHANGE],
    txNbits: b[SPI_HEAD_TX_NBITS],
    rxNbits: b[SPI_HEAD_RX_NBITS],
    reserved: [...b.subarray(SPI_HEAD_RESERVED, SPI_HEAD_RESERVED + 3)],
    mode: v.getUint32(SPI_HEAD_MODE, true),
    freq: v.getUint32(SPI_HEAD_FREQ, true),
    wordDelayNs: v.getUint32(SPI_HEAD_WORD_DELAY_NS, true),
    csSetupNs: v.getUint32(SPI_HEAD_CS_SETUP_NS, true),
    csHoldNs: v.getUint32(SPI_HEAD_CS_DELAY_HOLD_NS, true),
    csInactiveNs: v.getUint32(SPI_HEAD_CS_CHANGE_DELAY_INACTIVE_NS, true),
  };
}

export type SpiHeadInit = Partial<Omit<SpiHead, 'reserved'>> & { readonly reserved?: readonly number[] };

/** A head as a driver builds it: 8 bits per word, SPI mode 0, 1 MHz unless given. */
export function encodeHead(h: SpiHeadInit = {}): Uint8Array {
  const b = new Uint8Array(SPI_HEAD_SIZE);
  const v = new DataView(b.buffer);
  b[SPI_HEAD_CHIP_SELECT_ID] = h.chipSelect ?? 0;
  b[SPI_HEAD_BITS_PER_WORD] = h.bitsPerWord ?? 8;
  b[SPI_HEAD_CS_CHANGE] = h.csChange ?? 0;
  b[SPI_HEAD_TX_NBITS] = h.txNbits ?? 1;
  b[SPI_HEAD_RX_NBITS] = h.rxNbits ?? 1;
  b.set((h.reserved ?? [0, 0, 0]).slice(0, 3), SPI_HEAD_RESERVED);
  v.setUint32(SPI_HEAD_MODE, h.mode ?? 0, true);
  v.setUint32(SPI_HEAD_FREQ, h.freq ?? 1_000_000, true);
  v.setUint32(SPI_HEAD_WORD_DELAY_NS, h.wordDelayNs ?? 0, true);
  v.setUint32(SPI_HEAD_CS_SETUP_NS, h.csSetupNs ?? 0, true);
  v.setUint32(SPI_HEAD_CS_DELAY_HOLD_NS, h.csHoldNs ?? 0, true);
  v.setUint32(SPI_HEAD_CS_CHANGE_DELAY_INACTIVE_NS, h.csInactiveNs ?? 0, true);
  return b;
}
