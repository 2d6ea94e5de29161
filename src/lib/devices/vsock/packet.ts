// The packet format of the socket device (VIRTIO 1.4 §5.10.6): a 44-byte little-endian header,
// struct virtio_vsock_hdr, followed by `len` payload bytes; and the 4-byte event of the event
// queue (§5.10.6.7). Only the codec lives here: what a packet means is decided elsewhere.

// #region hdr-layout
export const VSOCK_HDR_SRC_CID = 0; //    le64  upper 32 bits reserved, zero
export const VSOCK_HDR_DST_CID = 8; //    le64  upper 32 bits reserved, zero
export const VSOCK_HDR_SRC_PORT = 16; //  le32
export const VSOCK_HDR_DST_PORT = 20; //  le32
export const VSOCK_HDR_LEN = 24; //       le32  payload bytes after the header
export const VSOCK_HDR_TYPE = 28; //      le16  VIRTIO_VSOCK_TYPE_*
export const VSOCK_HDR_OP = 30; //        le16  VIRTIO_VSOCK_OP_*
export const VSOCK_HDR_FLAGS = 32; //     le32  shutdown bits, or SEQ_EOM / SEQ_EOR on RW
export const VSOCK_HDR_BUF_ALLOC = 36; // le32  sender's receive buffer for this socket
export const VSOCK_HDR_FWD_CNT = 40; //   le32  sender's free-running count of bytes consumed
export const VSOCK_HDR_SIZE = 44;
// #endregion hdr-layout

// #region ops-types
export const VIRTIO_VSOCK_OP_INVALID = 0;
export const VIRTIO_VSOCK_OP_REQUEST = 1;
export const VIRTIO_VSOCK_OP_RESPONSE = 2;
export const VIRTIO_VSOCK_OP_RST = 3;
export const VIRTIO_VSOCK_OP_SHUTDOWN = 4;
export const VIRTIO_VSOCK_OP_RW = 5;
export const VIRTIO_VSOCK_OP_CREDIT_UPDATE = 6;
export const VIRTIO_VSOCK_OP_CREDIT_REQUEST = 7;

export const VIRTIO_VSOCK_TYPE_STREAM = 1;
export const VIRTIO_VSOCK_TYPE_SEQPACKET = 2;

// VIRTIO names the shutdown flags by bit number (§5.10.6.5); the masks are what `flags` holds.
export const VIRTIO_VSOCK_SHUTDOWN_F_RECEIVE = 0;
export const VIRTIO_VSOCK_SHUTDOWN_F_SEND = 1;
export const VSOCK_SHUTDOWN_RECEIVE = 1 << VIRTIO_VSOCK_SHUTDOWN_F_RECEIVE;
export const VSOCK_SHUTDOWN_SEND = 1 << VIRTIO_VSOCK_SHUTDOWN_F_SEND;
export const VSOCK_SHUTDOWN_BOTH = VSOCK_SHUTDOWN_RECEIVE | VSOCK_SHUTDOWN_SEND;

// Seqpacket boundaries on RW packets (§5.10.6.6), already masks.
export const VIRTIO_VSOCK_SEQ_EOM = 1 << 0;
export const VIRTIO_VSOCK_SEQ_EOR = 1 << 1;

export const VIRTIO_VSOCK_EVENT_TRANSPORT_RESET = 0;
export const VSOCK_EVENT_SIZE = 4; // struct virtio_vsock_event { le32 id; }
// #endregion ops-types

export interface VsockHdr {
  readonly srcCid: bigint;
  readonly dstCid: bigint;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly len: number;
  readonly type: number;
  readonly op: number;
  readonly flags: number;
  readonly bufAlloc: number;
  readonly fwdCnt: number;
}

/** A header and its payload; `hdr.len` always equals `payload.length` for packets built here. */
export interface VsockPacket {
  readonly hdr: VsockHdr;
  readonly payload: Uint8Array;
}

const OP_NAMES = ['INVALID', 'REQUEST', 'RESPONSE', 'RST', 'SHUTDOWN', 'RW', 'CREDIT_UPDATE', 'CREDIT_REQUEST'];

/** The op's name for logs, e.g. "RW", or "op 9" for one VIRTIO does not define. */
export function opName(op: number): string {
  return OP_NAMES[op] ?? `op ${op}`;
}

export function isKnownOp(op: number): boolean {
  return op >= VIRTIO_VSOCK_OP_REQUEST && op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST;
}

// #region hdr-codec
/** The 44 header bytes; fields not given are zero. */
export function encodeHdr(h: Partial<VsockHdr>): Uint8Array {
  const out = new Uint8Array(VSOCK_HDR_SIZE);
  const v = new DataView(out.buffer);
  v.setBigUint64(VSOCK_HDR_SRC_CID, BigInt.asUintN(64, h.srcCid ?? 0n), true);
  v.setBigUint64(VSOCK_HDR_DST_CID, BigInt.asUintN(64, h.dstCid ?? 0n), true);
  v.setUint32(VSOCK_HDR_SRC_PORT, (h.srcPort ?? 0) >>> 0, true);
  v.setUint32(VSOCK_HDR_DST_PORT, (h.dstPort ?? 0) >>> 0, true);
  v.setUint32(VSOCK_HDR_LEN, (h.len ?? 0) >>> 0, true);
  v.setUint16(VSOCK_HDR_TYPE, (h.type ?? 0) & 0xffff, true);
  v.setUint16(VSOCK_HDR_OP, (h.op ?? 0) & 0xffff, true);
  v.setUint32(VSOCK_HDR_FLAGS, (h.flags ?? 0) >>> 0, true);
  v.setUint32(VSOCK_HDR_BUF_ALLOC, (h.bufAlloc ?? 0) >>> 0, true);
  v.setUint32(VSOCK_HDR_FWD_CNT, (h.fwdCnt ?? 0) >>> 0, true);
  return out;
}

/** Reads a header from the first 44 bytes; null if there are fewer. */
export function decodeHdr(bytes: Uint8Array): VsockHdr | null {
  if (bytes.length < VSOCK_HDR_SIZE) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, VSOCK_HDR_SIZE);
  return {
    srcCid: v.getBigUint64(VSOCK_HDR_SRC_CID, true),
    dstCid: v.getBigUint64(VSOCK_HDR_DST_CID, true),
    srcPort: v.getUint32(VSOCK_HDR_SRC_PORT, true),
    dstPort: v.getUint32(VSOCK_HDR_DST_PORT, true),
    len: v.getUint32(VSOCK_HDR_LEN, true),
    type: v.getUint16(VSOCK_HDR_TYPE, true),
    op: v.getUint16(VSOCK_HDR_OP, true),
    flags: v.getUint32(VSOCK_HDR_FLAGS, true),
    bufAlloc: v.getUint32(VSOCK_HDR_BUF_ALLOC, true),
    fwdCnt: v.getUint32(VSOCK_HDR_FWD_CNT, true),
  };
}
// #endregion hdr-codec

/** Builds a packet whose `len` is the payload's length. */
export function makePacket(h: Omit<VsockHdr, 'len'>, payload: Uint8Array = new Uint8Array(0)): VsockPacket {
  return { hdr: { ...h, len: payload.length }, payload };
}

/** Header and payload as one byte string, as a driver puts it on the tx queue. */
export function encodePacket(p: VsockPacket): Uint8Array {
  const out = new Uint8Array(VSOCK_HDR_SIZE + p.payload.length);
  out.set(encodeHdr(p.hdr), 0);
  out.set(p.payload, VSOCK_HDR_SIZE);
  return out;
}

/**
 * A packet from a byte string: the header and the first `len` bytes after it. Null if the
 * header is short or `len` runs past the bytes; bytes past `len` are ignored (§5.10.6).
 */
export function decodePacket(bytes: Uint8Array): VsockPacket | null {
  const hdr = decodeHdr(bytes);
  if (!hdr || hdr.len > bytes.length - VSOCK_HDR_SIZE) return null;
  return { hdr, payload: bytes.slice(VSOCK_HDR_SIZE, VSOCK_HDR_SIZE + hdr.len) };
}

export function encodeEvent(id: number): Uint8Array {
  const out = new Uint8Array(VSOCK_EVENT_SIZE);
  new DataView(out.buffer).setUint32(0, id >>> 0, true);
  return out;
}

export function decodeEvent(bytes: Uint8Array): number | null {
  if (bytes.length < VSOCK_EVENT_SIZE) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, VSOCK_EVENT_SIZE).getUint32(0, true);
}

/** One line for logs: "3:1024 -> 2:5000 RW len 12 (stream) buf_alloc 64 fwd_cnt 0". */
export function describePacket(p: VsockPacket): string {
  const h = p.hdr;
  const type = h.type === VIRTIO_VSOCK_TYPE_STREAM ? 'stream' : h.type === VIRTIO_VSOCK_TYPE_SEQPACKET ? 'seqpacket' : `type ${h.type}`;
  const flags = h.flags !== 0 ? ` flags 0x${h.flags.toString(16)}` : '';
  return `${h.srcCid}:${h.srcPort} -> ${h.dstCid}:${h.dstPort} ${opName(h.op)} len ${h.len} (${type})${flags} buf_alloc ${h.bufAlloc} fwd_cnt ${h.fwdCnt}`;
}

/** The RST that answers `p`: addresses swapped, same type, no payload, no credit (§5.10.6.5). */
export function rstReplyTo(p: VsockPacket): VsockPacket {
  const h = p.hdr;
  return makePacket({ srcCid: h.dstCid, dstCid: h.srcCid, srcPort: h.dstPort, dstPort: h.srcPort, type: h.type, op: VIRTIO_VSOCK_OP_RST, flags: 0, bufAlloc: 0, fwdCnt: 0 });
}

/** A RST from one address to another, without a packet to answer (a connection torn down). */
export function rstBetween(from: { cid: bigint; port: number }, to: { cid: bigint; port: number }, type: number): VsockPacket {
  return makePacket({ srcCid: from.cid, dstCid: to.cid, srcPort: from.port, dstPort: to.port, type, op: VIRTIO_VSOCK_OP_RST, flags: 0, bufAlloc: 0, fwdCnt: 0 });
}
