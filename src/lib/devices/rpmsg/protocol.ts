// The rpmsg wire format as Linux guests use it today. VIRTIO 1.4 reserves device ID 7 for rpmsg
// in its device ID table (§5) and defines nothing more: no device section, no feature bits, no
// message layout. Every fact here is taken from Linux (drivers/rpmsg/virtio_rpmsg_bus.c,
// include/linux/rpmsg/ns.h, include/linux/rpmsg.h, include/linux/mod_devicetable.h) and agrees
// with OpenAMP's remote side (lib/include/openamp/rpmsg.h, rpmsg_virtio.h). All multi-byte
// fields are little-endian once VIRTIO_F_VERSION_1 is negotiated (Linux's __rpmsg16/__rpmsg32
// follow the device's endianness, and the AVP requires VERSION_1 of every device).
import { concatBytes } from '../../virtio/bytes.ts';

// #region constants
/** VIRTIO 1.4 §5, device ID table: "rpmsg". Linux: VIRTIO_ID_RPMSG. */
export const VIRTIO_ID_RPMSG = 7;
/** virtio_rpmsg_bus.c: the remote side supports name-service announcements. */
export const VIRTIO_RPMSG_F_NS = 0;

/** Queue 0: the driver's receive queue (Linux names it "input", vrp->rvq). */
export const RPMSG_RX_QUEUE = 0;
/** Queue 1: the driver's transmit queue ("output", vrp->svq). */
export const RPMSG_TX_QUEUE = 1;

/** sizeof(struct rpmsg_hdr). */
export const RPMSG_HDR_SIZE = 16;
/** MAX_RPMSG_BUF_SIZE: Linux's fixed buffer size, header included, in both directions. */
export const RPMSG_BUF_SIZE = 512;
/** 512 − 16: the longest payload Linux sends (rpmsg_send_offchannel_raw, -EMSGSIZE past it). */
export const RPMSG_MAX_PAYLOAD = RPMSG_BUF_SIZE - RPMSG_HDR_SIZE;
/** MAX_RPMSG_NUM_BUFS: buffers in both directions together, half each way. */
export const RPMSG_MAX_NUM_BUFS = 512;

/** RPMSG_NS_ADDR: the name service's address, on both sides. */
export const RPMSG_NS_ADDR = 53;
/** RPMSG_ADDR_ANY: "allocate one for me"; never a source or destination on the wire. */
export const RPMSG_ADDR_ANY = 0xffff_ffff;
/** RPMSG_RESERVED_ADDRESSES: dynamic addresses start here; below are predefined services. */
export const RPMSG_RESERVED_ADDRESSES = 1024;

/** RPMSG_NAME_SIZE: the service name field, NUL included. */
export const RPMSG_NAME_SIZE = 32;
/** sizeof(struct rpmsg_ns_msg): 32-byte name, le32 addr, le32 flags. */
export const RPMSG_NS_MSG_SIZE = 40;
/** enum rpmsg_ns_flags. */
export const RPMSG_NS_CREATE = 0;
export const RPMSG_NS_DESTROY = 1;
// #endregion constants

// #region header-layout
/** struct rpmsg_hdr: the 16 bytes that start every message, in both directions. */
export interface RpmsgHeader {
  /** le32 at 0: the sender's endpoint address. */
  readonly src: number;
  /** le32 at 4: the receiver's endpoint address. */
  readonly dst: number;
  /** le32 at 8: reserved; Linux writes 0 and ignores it on receipt. */
  readonly reserved: number;
  /** le16 at 12: payload bytes after the header. */
  readonly len: number;
  /** le16 at 14: flags; Linux writes 0 and ignores it on receipt. */
  readonly flags: number;
}

export function encodeHeader(h: RpmsgHeader): Uint8Array {
  const b = new Uint8Array(RPMSG_HDR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, h.src, true);
  v.setUint32(4, h.dst, true);
  v.setUint32(8, h.reserved, true);
  v.setUint16(12, h.len, true);
  v.setUint16(14, h.flags, true);
  return b;
}

/** The header at the start of `bytes`; the caller has checked there are 16 bytes. */
export function decodeHeader(bytes: Uint8Array): RpmsgHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, RPMSG_HDR_SIZE);
  return { src: v.getUint32(0, true), dst: v.getUint32(4, true), reserved: v.getUint32(8, true), len: v.getUint16(12, true), flags: v.getUint16(14, true) };
}
// #endregion header-layout

/** A whole message as a well-behaved sender lays it out: header, then exactly `len` bytes. */
export function encodeMessage(src: number, dst: number, payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError('rpmsg payload: the len field holds at most 65535');
  return concatBytes(encodeHeader({ src, dst, reserved: 0, len: payload.length, flags: 0 }), payload);
}

// #region ns-layout
/** struct rpmsg_ns_msg: a service appearing (CREATE) or going away (DESTROY) at an address. */
export interface NsMessage {
  /** char name[32], NUL-padded: at most 31 bytes of name. */
  readonly name: string;
  /** le32 at 32: the service's endpoint address. */
  readonly addr: number;
  /** le32 at 36: RPMSG_NS_CREATE (0) or RPMSG_NS_DESTROY (1). */
  readonly flags: number;
}

export function encodeNs(m: NsMessage): Uint8Array {
  const name = new TextEncoder().encode(m.name);
  // Linux copies with strscpy_pad into 32 bytes: 31 of name at most, the rest NUL.
  if (name.length >= RPMSG_NAME_SIZE || name.includes(0)) throw new RangeError(`rpmsg service name "${m.name}": 1 to 31 bytes, no NUL`);
  const b = new Uint8Array(RPMSG_NS_MSG_SIZE);
  b.set(name, 0);
  const v = new DataView(b.buffer);
  v.setUint32(32, m.addr, true);
  v.setUint32(36, m.flags, true);
  return b;
}

/**
 * A 40-byte announcement (the caller checks the size). Like rpmsg_ns_cb, it does not trust the
 * sender to terminate the name: byte 31 is treated as NUL whatever it holds.
 */
export function decodeNs(payload: Uint8Array): NsMessage {
  const raw = payload.subarray(0, RPMSG_NAME_SIZE - 1);
  const end = raw.indexOf(0);
  const name = new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
  const v = new DataView(payload.buffer, payload.byteOffset, RPMSG_NS_MSG_SIZE);
  return { name, addr: v.getUint32(32, true), flags: v.getUint32(36, true) };
}
// #endregion ns-layout

/** rpmsg_ns_cb reads only bit 0: anything with it set is a DESTROY. */
export function isDestroy(flags: number): boolean {
  return (flags & RPMSG_NS_DESTROY) !== 0;
}
