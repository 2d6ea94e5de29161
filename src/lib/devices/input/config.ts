// The input device's configuration space, struct virtio_input_config (VIRTIO 1.4 §5.8.4): a
// window of 136 bytes through which the driver asks one question at a time. It writes `select`
// and `subsel`; the device answers with `size` and the first `size` bytes of the union `u`.

// #region config-layout
export const INPUT_CFG_SELECT = 0; //   u8 select     (driver-writable)
export const INPUT_CFG_SUBSEL = 1; //   u8 subsel     (driver-writable)
export const INPUT_CFG_SIZE = 2; //     u8 size       (bytes of u that hold the answer; 0: none)
export const INPUT_CFG_RESERVED = 3; // u8 reserved[5]
export const INPUT_CFG_UNION = 8; //    union { char string[128]; u8 bitmap[128]; absinfo; devids } u
export const INPUT_CFG_UNION_SIZE = 128;
export const INPUT_CONFIG_SIZE = INPUT_CFG_UNION + INPUT_CFG_UNION_SIZE; // 136

// enum virtio_input_config_select
export const VIRTIO_INPUT_CFG_UNSET = 0x00;
export const VIRTIO_INPUT_CFG_ID_NAME = 0x01;
export const VIRTIO_INPUT_CFG_ID_SERIAL = 0x02;
export const VIRTIO_INPUT_CFG_ID_DEVIDS = 0x03;
export const VIRTIO_INPUT_CFG_PROP_BITS = 0x10;
export const VIRTIO_INPUT_CFG_EV_BITS = 0x11;
export const VIRTIO_INPUT_CFG_ABS_INFO = 0x12;

/** struct virtio_input_absinfo: le32 min, max, fuzz, flat, res. */
export const INPUT_ABSINFO_SIZE = 20;
/** struct virtio_input_devids: le16 bustype, vendor, product, version. */
export const INPUT_DEVIDS_SIZE = 8;
// #endregion config-layout

export interface AbsInfo {
  readonly min: number;
  readonly max: number;
  readonly fuzz: number;
  readonly flat: number;
  readonly res: number;
}

export interface DevIds {
  readonly bustype: number;
  readonly vendor: number;
  readonly product: number;
  readonly version: number;
}

/** The absinfo fields as the union holds them; min and max may be negative (two's complement). */
export function encodeAbsInfo(a: AbsInfo): Uint8Array {
  const out = new Uint8Array(INPUT_ABSINFO_SIZE);
  const v = new DataView(out.buffer);
  [a.min, a.max, a.fuzz, a.flat, a.res].forEach((x, i) => v.setInt32(4 * i, x | 0, true));
  return out;
}

export function decodeAbsInfo(b: Uint8Array): AbsInfo {
  const v = new DataView(b.buffer, b.byteOffset, INPUT_ABSINFO_SIZE);
  const f = (i: number) => v.getInt32(4 * i, true);
  return { min: f(0), max: f(1), fuzz: f(2), flat: f(3), res: f(4) };
}

export function encodeDevIds(d: DevIds): Uint8Array {
  const out = new Uint8Array(INPUT_DEVIDS_SIZE);
  const v = new DataView(out.buffer);
  [d.bustype, d.vendor, d.product, d.version].forEach((x, i) => v.setUint16(2 * i, x & 0xffff, true));
  return out;
}

export function decodeDevIds(b: Uint8Array): DevIds {
  const v = new DataView(b.buffer, b.byteOffset, INPUT_DEVIDS_SIZE);
  return { bustype: v.getUint16(0, true), vendor: v.getUint16(2, true), product: v.getUint16(4, true), version: v.getUint16(6, true) };
}
