// The RTC device's messages, VIRTIO 1.4 §5.23 (device ID 17): the message types, status codes,
// clock types, hardware counter identifiers and flags, and the byte layout of every request and
// response. All fields are little-endian; every request starts with an 8-byte head (le16
// msg_type, 6 reserved bytes) and every response with an 8-byte head (u8 status, 7 reserved).

export const VIRTIO_ID_RTC = 17;
export const RTC_REQUESTQ = 0;
export const RTC_ALARMQ = 1;

// #region rtc-constants
/** §5.23.3: the device supports alarms, and the alarmq exists. */
export const VIRTIO_RTC_F_ALARM = 0;

export const VIRTIO_RTC_REQ_READ = 0x0001;
export const VIRTIO_RTC_REQ_READ_CROSS = 0x0002;
export const VIRTIO_RTC_REQ_CFG = 0x1000;
export const VIRTIO_RTC_REQ_CLOCK_CAP = 0x1001;
export const VIRTIO_RTC_REQ_CROSS_CAP = 0x1002;
export const VIRTIO_RTC_REQ_READ_ALARM = 0x1003;
export const VIRTIO_RTC_REQ_SET_ALARM = 0x1004;
export const VIRTIO_RTC_REQ_SET_ALARM_ENABLED = 0x1005;
export const VIRTIO_RTC_NOTIF_ALARM = 0x2000;

export const VIRTIO_RTC_S_OK = 0;
export const VIRTIO_RTC_S_EOPNOTSUPP = 2;
export const VIRTIO_RTC_S_ENODEV = 3;
export const VIRTIO_RTC_S_EINVAL = 4;
export const VIRTIO_RTC_S_EIO = 5;

export const VIRTIO_RTC_CLOCK_UTC = 0;
export const VIRTIO_RTC_CLOCK_TAI = 1;
export const VIRTIO_RTC_CLOCK_MONOTONIC = 2;
export const VIRTIO_RTC_CLOCK_UTC_SMEARED = 3;
export const VIRTIO_RTC_CLOCK_UTC_MAYBE_SMEARED = 4;

export const VIRTIO_RTC_SMEAR_UNSPECIFIED = 0;
export const VIRTIO_RTC_SMEAR_NOON_LINEAR = 1;
export const VIRTIO_RTC_SMEAR_UTC_SLS = 2;

export const VIRTIO_RTC_COUNTER_ARM_VCT = 0;
export const VIRTIO_RTC_COUNTER_X86_TSC = 1;
export const VIRTIO_RTC_COUNTER_INVALID = 0xff;

export const VIRTIO_RTC_FLAG_ALARM_CAP = 1 << 0;
export const VIRTIO_RTC_FLAG_CROSS_CAP = 1 << 0;
export const VIRTIO_RTC_FLAG_ALARM_ENABLED = 1 << 0;
// #endregion rtc-constants

export const RTC_HEAD_SIZE = 8;

// #region rtc-layouts
/** Bytes of each request (head included) and of its response (head included), by msg_type. */
export const RTC_MESSAGE_SIZES: ReadonlyMap<number, { readonly req: number; readonly resp: number; readonly alarm: boolean }> = new Map([
  [VIRTIO_RTC_REQ_CFG, { req: 8, resp: 16, alarm: false }], // resp: le16 num_clocks, 6 reserved
  [VIRTIO_RTC_REQ_CLOCK_CAP, { req: 16, resp: 16, alarm: false }], // req: le16 clock_id; resp: u8 type, u8 leap_second_smearing, u8 flags
  [VIRTIO_RTC_REQ_CROSS_CAP, { req: 16, resp: 16, alarm: false }], // req: le16 clock_id, u8 hw_counter; resp: u8 flags
  [VIRTIO_RTC_REQ_READ, { req: 16, resp: 16, alarm: false }], // req: le16 clock_id; resp: le64 clock_reading
  [VIRTIO_RTC_REQ_READ_CROSS, { req: 16, resp: 24, alarm: false }], // resp: le64 clock_reading, le64 counter_cycles
  [VIRTIO_RTC_REQ_READ_ALARM, { req: 16, resp: 24, alarm: true }], // resp: le64 alarm_time, u8 flags, 7 reserved
  [VIRTIO_RTC_REQ_SET_ALARM, { req: 24, resp: 8, alarm: true }], // req: le64 alarm_time, le16 clock_id, u8 flags, 5 reserved
  [VIRTIO_RTC_REQ_SET_ALARM_ENABLED, { req: 16, resp: 8, alarm: true }], // req: le16 clock_id, u8 flags, 5 reserved
]);

/** The alarmq notification: le16 msg_type, 6 reserved, le16 clock_id, 6 reserved. */
export const RTC_NOTIF_ALARM_SIZE = 16;
// #endregion rtc-layouts

/** Where a request keeps its clock_id (every request but CFG). */
export function clockIdOffset(msgType: number): number {
  return msgType === VIRTIO_RTC_REQ_SET_ALARM ? 16 : 8;
}

/** The bytes of a request that are reserved and must be zero (offsets into the request). */
export function reservedRanges(msgType: number): readonly (readonly [number, number])[] {
  switch (msgType) {
    case VIRTIO_RTC_REQ_CFG:
      return [[2, 8]];
    case VIRTIO_RTC_REQ_CROSS_CAP:
    case VIRTIO_RTC_REQ_READ_CROSS:
    case VIRTIO_RTC_REQ_SET_ALARM_ENABLED:
      return [[2, 8], [11, 16]];
    case VIRTIO_RTC_REQ_SET_ALARM:
      return [[2, 8], [19, 24]];
    default:
      return [[2, 8], [10, 16]];
  }
}

/** A request as a guest driver builds it. */
export function encodeRequest(msgType: number, fields: { clockId?: number; hwCounter?: number; alarmTime?: bigint; flags?: number } = {}): Uint8Array {
  const size = RTC_MESSAGE_SIZES.get(msgType)?.req ?? RTC_HEAD_SIZE;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint16(0, msgType, true);
  if (size > 8) v.setUint16(clockIdOffset(msgType), fields.clockId ?? 0, true);
  if (msgType === VIRTIO_RTC_REQ_CROSS_CAP || msgType === VIRTIO_RTC_REQ_READ_CROSS) b[10] = fields.hwCounter ?? 0;
  if (msgType === VIRTIO_RTC_REQ_SET_ALARM) {
    v.setBigUint64(8, fields.alarmTime ?? 0n, true);
    b[18] = fields.flags ?? 0;
  }
  if (msgType === VIRTIO_RTC_REQ_SET_ALARM_ENABLED) b[10] = fields.flags ?? 0;
  return b;
}
