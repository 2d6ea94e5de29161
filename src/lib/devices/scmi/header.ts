// The SCMI message header and status codes (Arm DEN0056, SCMI version 3.2, 4.1), as every
// message on the SCMI device's queues carries them (VIRTIO 1.4 §5.17.6: each buffer holds one
// message, header first). Every field of every SCMI message is little-endian.

export const VIRTIO_ID_SCMI = 32;
/** §5.17.2: the driver's commands and their responses. */
export const SCMI_CMDQ = 0;
/** §5.17.2: notifications and delayed responses; only with VIRTIO_SCMI_F_P2A_CHANNELS. */
export const SCMI_EVENTQ = 1;

// #region feature-bits
/** §5.17.3: the device sends notifications or delayed responses; the eventq exists. */
export const VIRTIO_SCMI_F_P2A_CHANNELS = 0;
/** §5.17.3: the device has an SCMI statistics shared memory region. */
export const VIRTIO_SCMI_F_SHARED_MEMORY = 1;
// #endregion feature-bits

// #region header
/**
 * The 32-bit header: bits 7:0 message ID, 9:8 message type, 17:10 protocol ID, 27:18 token,
 * 31:28 reserved (zero). The platform hands a command's header back unchanged, token included,
 * so the agent can match a response, or a delayed response, to its command.
 */
export interface ScmiHeader {
  readonly messageId: number;
  readonly type: number;
  readonly protocolId: number;
  readonly token: number;
  /** Bits 31:28, which must be zero. */
  readonly reserved: number;
}

export const MSG_TYPE_COMMAND = 0;
export const MSG_TYPE_DELAYED_RESPONSE = 2;
export const MSG_TYPE_NOTIFICATION = 3;
/** Tokens are 10 bits: at most 1024 messages can be told apart at once. */
export const SCMI_TOKEN_MAX = 0x3ff;

export function packHeader(h: Omit<ScmiHeader, 'reserved'> & { reserved?: number }): number {
  return (
    ((h.messageId & 0xff) | ((h.type & 0x3) << 8) | ((h.protocolId & 0xff) << 10) | ((h.token & SCMI_TOKEN_MAX) << 18) | (((h.reserved ?? 0) & 0xf) << 28)) >>>
    0
  );
}

export function unpackHeader(word: number): ScmiHeader {
  return { messageId: word & 0xff, type: (word >>> 8) & 0x3, protocolId: (word >>> 10) & 0xff, token: (word >>> 18) & SCMI_TOKEN_MAX, reserved: (word >>> 28) & 0xf };
}
// #endregion header

// #region status-codes
/** SCMI status codes: a signed 32-bit integer, the first return value of every response. */
export const SCMI_SUCCESS = 0;
export const SCMI_NOT_SUPPORTED = -1;
export const SCMI_INVALID_PARAMETERS = -2;
export const SCMI_DENIED = -3;
export const SCMI_NOT_FOUND = -4;
export const SCMI_OUT_OF_RANGE = -5;
export const SCMI_BUSY = -6;
export const SCMI_COMMS_ERROR = -7;
export const SCMI_GENERIC_ERROR = -8;
export const SCMI_HARDWARE_ERROR = -9;
export const SCMI_PROTOCOL_ERROR = -10;
// #endregion status-codes

const STATUS_NAMES = new Map<number, string>([
  [SCMI_SUCCESS, 'SUCCESS'],
  [SCMI_NOT_SUPPORTED, 'NOT_SUPPORTED'],
  [SCMI_INVALID_PARAMETERS, 'INVALID_PARAMETERS'],
  [SCMI_DENIED, 'DENIED'],
  [SCMI_NOT_FOUND, 'NOT_FOUND'],
  [SCMI_OUT_OF_RANGE, 'OUT_OF_RANGE'],
  [SCMI_BUSY, 'BUSY'],
  [SCMI_COMMS_ERROR, 'COMMS_ERROR'],
  [SCMI_GENERIC_ERROR, 'GENERIC_ERROR'],
  [SCMI_HARDWARE_ERROR, 'HARDWARE_ERROR'],
  [SCMI_PROTOCOL_ERROR, 'PROTOCOL_ERROR'],
]);

export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `status ${status}`;
}

/** Bytes of a header plus a status: all a response carries when its status is not SUCCESS (§5.17.6.1.1). */
export const SCMI_HEADER_AND_STATUS = 8;
