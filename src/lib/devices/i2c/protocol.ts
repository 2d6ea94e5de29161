// The I2C adapter device's wire format, VIRTIO 1.4 §5.16 (device ID 34): one queue, one feature
// bit, no configuration, and requests of an 8-byte out header, an optional buffer and a 1-byte
// in header. All fields are little-endian.

export const VIRTIO_ID_I2C_ADAPTER = 34;
export const I2C_REQUESTQ = 0;

// #region i2c-constants
/** §5.16.3: zero-length requests and the M_RD flag; the device must offer it, the driver must accept it. */
export const VIRTIO_I2C_F_ZERO_LENGTH_REQUEST = 0;

/** §5.16.6.1 flags: bit 0 groups a request with the next; bit 1 marks a read. Other bits reserved. */
export const VIRTIO_I2C_FLAGS_FAIL_NEXT = 1 << 0;
export const VIRTIO_I2C_FLAGS_M_RD = 1 << 1;
export const VIRTIO_I2C_FLAGS_DEFINED = VIRTIO_I2C_FLAGS_FAIL_NEXT | VIRTIO_I2C_FLAGS_M_RD;

/** The in header's status. */
export const VIRTIO_I2C_MSG_OK = 0;
export const VIRTIO_I2C_MSG_ERR = 1;
// #endregion i2c-constants

// #region i2c-layout
/** struct virtio_i2c_out_hdr: le16 addr, le16 padding, le32 flags. */
export const I2C_OUT_HDR_SIZE = 8;
/** struct virtio_i2c_in_hdr: u8 status. */
export const I2C_IN_HDR_SIZE = 1;
// #endregion i2c-layout

// #region address-format
/** A target address as the out header's addr field carries it (§5.16.6.1). */
export type I2cAddress = { readonly bits: 7 | 10; readonly addr: number };

/**
 * Decodes the addr field. A 7-bit address A6..A0 sits in bits 7..1 with bits 15..8 clear; a
 * 10-bit address has 0b11110 in bits 7..3, A9..A8 in bits 2..1 and A7..A0 in bits 15..8. Bit 0
 * is always 0. The two forms overlap where bits 7..3 read 0b11110: I2C reserves the 7-bit
 * addresses 0x78 to 0x7B for 10-bit addressing, so the AVP reads such a field as 10-bit.
 * Anything else is no address at all: null.
 */
export function decodeAddress(field: number): I2cAddress | null {
  if (field & 1) return null;
  if ((field & 0xf8) === 0xf0) return { bits: 10, addr: ((field >> 1) & 0x3) << 8 | (field >> 8) };
  if (field >> 8) return null;
  return { bits: 7, addr: field >> 1 };
}

export function encodeAddress(a: I2cAddress): number {
  if (a.bits === 7) {
    if (!Number.isInteger(a.addr) || a.addr < 0 || a.addr > 0x7f) throw new RangeError(`7-bit address ${a.addr}`);
    return a.addr << 1;
  }
  if (!Number.isInteger(a.addr) || a.addr < 0 || a.addr > 0x3ff) throw new RangeError(`10-bit address ${a.addr}`);
  return ((a.addr & 0xff) << 8) | 0xf0 | (((a.addr >> 8) & 0x3) << 1);
}
// #endregion address-format

/** The key a target is attached at and owned under: "7:0x48" or "10:0x2a5". */
export function addressKey(a: I2cAddress): string {
  return `${a.bits}:0x${a.addr.toString(16)}`;
}

/** An out header as a driver builds it. */
export function encodeOutHdr(addrField: number, flags: number, padding = 0): Uint8Array {
  const b = new Uint8Array(I2C_OUT_HDR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, addrField, true);
  v.setUint16(2, padding, true);
  v.setUint32(4, flags >>> 0, true);
  return b;
}
