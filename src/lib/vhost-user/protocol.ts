// The vhost-user wire format, as QEMU's docs/interop/vhost-user.rst defines it: a 12-byte header
// (request, flags, payload size; native-endian, little-endian on the hosts here) and a payload
// whose shape the request fixes. Pure functions, no system calls: the parser is tested alone.

// #region requests
/** Front-end requests (the ones this back end knows by name). */
export const REQ = {
  GET_FEATURES: 1,
  SET_FEATURES: 2,
  SET_OWNER: 3,
  RESET_OWNER: 4,
  SET_MEM_TABLE: 5,
  SET_LOG_BASE: 6,
  SET_LOG_FD: 7,
  SET_VRING_NUM: 8,
  SET_VRING_ADDR: 9,
  SET_VRING_BASE: 10,
  GET_VRING_BASE: 11,
  SET_VRING_KICK: 12,
  SET_VRING_CALL: 13,
  SET_VRING_ERR: 14,
  GET_PROTOCOL_FEATURES: 15,
  SET_PROTOCOL_FEATURES: 16,
  GET_QUEUE_NUM: 17,
  SET_VRING_ENABLE: 18,
  SEND_RARP: 19,
  NET_SET_MTU: 20,
  SET_BACKEND_REQ_FD: 21,
  IOTLB_MSG: 22,
  SET_VRING_ENDIAN: 23,
  GET_CONFIG: 24,
  SET_CONFIG: 25,
  GET_INFLIGHT_FD: 31,
  SET_INFLIGHT_FD: 32,
  RESET_DEVICE: 34,
  GET_MAX_MEM_SLOTS: 36,
  SET_STATUS: 39,
  GET_STATUS: 40,
} as const;

export const REQ_NAME: Record<number, string> = Object.fromEntries(Object.entries(REQ).map(([k, v]) => [v, k]));

/** Back-end requests, sent on the channel SET_BACKEND_REQ_FD gave. */
export const BACKEND_REQ_CONFIG_CHANGE_MSG = 2;
// #endregion requests

// #region flags
export const FLAG_VERSION = 0x1;
export const FLAG_VERSION_MASK = 0x3;
export const FLAG_REPLY = 0x4;
export const FLAG_NEED_REPLY = 0x8;

/** Virtio feature bit 30: the back end speaks the protocol-feature negotiation. */
export const VHOST_USER_F_PROTOCOL_FEATURES = 30;
/** Virtio feature bit 26: dirty-page logging for migration (not offered here). */
export const VHOST_F_LOG_ALL = 26;

export const PROTOCOL_F = {
  MQ: 0,
  LOG_SHMFD: 1,
  RARP: 2,
  REPLY_ACK: 3,
  NET_MTU: 4,
  BACKEND_REQ: 5,
  CROSS_ENDIAN: 6,
  CONFIG: 9,
  RESET_DEVICE: 13,
} as const;

/** SET_VRING_KICK / CALL / ERR: bit 8 of the u64 says no descriptor came with it. */
export const VRING_NOFD_MASK = 0x100;
export const VRING_IDX_MASK = 0xff;
// #endregion flags

export const HEADER_SIZE = 12;
/** The largest payload accepted: a memory table of 8 regions or a 256-byte configuration read fit well inside it. */
export const MAX_PAYLOAD = 4096;
export const MAX_MEM_REGIONS = 8;

export interface Message {
  readonly request: number;
  readonly flags: number;
  readonly payload: Uint8Array;
  /** Descriptors that came with the message (SCM_RIGHTS). */
  readonly fds: number[];
}

export class ProtocolError extends Error {}

// #region parse
/** The header at the start of `buf` (12 bytes at least); a bad version or size is a ProtocolError. */
export function parseHeader(buf: Uint8Array): { request: number; flags: number; size: number } {
  if (buf.length < HEADER_SIZE) throw new ProtocolError(`truncated header: ${buf.length} bytes`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const request = dv.getUint32(0, true);
  const flags = dv.getUint32(4, true);
  const size = dv.getUint32(8, true);
  if ((flags & FLAG_VERSION_MASK) !== FLAG_VERSION) throw new ProtocolError(`message ${request}: version ${flags & FLAG_VERSION_MASK}, expected 1`);
  if (size > MAX_PAYLOAD) throw new ProtocolError(`message ${request}: payload of ${size} bytes exceeds ${MAX_PAYLOAD}`);
  return { request, flags, size };
}

// #endregion parse

export function encodeMessage(request: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, request, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, payload.length, true);
  out.set(payload, HEADER_SIZE);
  return out;
}

export function u64Payload(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** A payload reader that fails with a ProtocolError on a short payload. */
export class PayloadReader {
  private readonly dv: DataView;
  readonly bytes: Uint8Array;
  constructor(what: string, bytes: Uint8Array, minSize: number) {
    this.bytes = bytes;
    if (bytes.length < minSize) throw new ProtocolError(`${what}: payload of ${bytes.length} bytes, expected at least ${minSize}`);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  u64(off: number): bigint {
    return this.dv.getBigUint64(off, true);
  }
}

// #region payloads
export interface VringState {
  readonly index: number;
  readonly num: number;
}
export function readVringState(what: string, p: Uint8Array): VringState {
  const r = new PayloadReader(what, p, 8);
  return { index: r.u32(0), num: r.u32(4) };
}
export function vringStatePayload(s: VringState): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, s.index, true);
  dv.setUint32(4, s.num >>> 0, true);
  return b;
}

/** SET_VRING_ADDR: the three areas as front-end (QEMU process) virtual addresses. */
export interface VringAddr {
  readonly index: number;
  readonly flags: number;
  readonly desc: bigint;
  readonly used: bigint;
  readonly avail: bigint;
  readonly log: bigint;
}
export function readVringAddr(p: Uint8Array): VringAddr {
  const r = new PayloadReader('SET_VRING_ADDR', p, 40);
  return { index: r.u32(0), flags: r.u32(4), desc: r.u64(8), used: r.u64(16), avail: r.u64(24), log: r.u64(32) };
}

export interface MemRegionDesc {
  readonly guestAddr: bigint;
  readonly size: bigint;
  readonly userAddr: bigint;
  readonly mmapOffset: bigint;
}
export function readMemTable(p: Uint8Array): MemRegionDesc[] {
  const r = new PayloadReader('SET_MEM_TABLE', p, 8);
  const n = r.u32(0);
  if (n === 0 || n > MAX_MEM_REGIONS) throw new ProtocolError(`SET_MEM_TABLE: ${n} regions (1..${MAX_MEM_REGIONS})`);
  const full = new PayloadReader('SET_MEM_TABLE', p, 8 + 32 * n);
  const out: MemRegionDesc[] = [];
  for (let i = 0; i < n; i++) {
    const o = 8 + 32 * i;
    out.push({ guestAddr: full.u64(o), size: full.u64(o + 8), userAddr: full.u64(o + 16), mmapOffset: full.u64(o + 24) });
  }
  return out;
}

export interface ConfigAccess {
  readonly offset: number;
  readonly size: number;
  readonly flags: number;
  readonly data: Uint8Array;
}
export function readConfigAccess(what: string, p: Uint8Array): ConfigAccess {
  const r = new PayloadReader(what, p, 12);
  const offset = r.u32(0);
  const size = r.u32(4);
  if (size > 256) throw new ProtocolError(`${what}: ${size} bytes of configuration (at most 256)`);
  new PayloadReader(what, p, 12 + size);
  return { offset, size, flags: r.u32(8), data: p.slice(12, 12 + size) };
}
export function configPayload(offset: number, flags: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + data.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, offset, true);
  dv.setUint32(4, data.length, true);
  dv.setUint32(8, flags, true);
  b.set(data, 12);
  return b;
}
// #endregion payloads

// #region packed-base
/**
 * The ring position SET_VRING_BASE and GET_VRING_BASE carry. Split: the last available index.
 * Packed: bits 0–14 the next available slot, bit 15 its wrap counter, bits 16–30 the next used
 * slot and bit 31 its wrap counter (QEMU sends and expects both halves).
 */
export function decodePackedBase(num: number): { nextAvail: number; availWrap: boolean; nextUsed: number; usedWrap: boolean } {
  const avail = num & 0xffff;
  const used = num >>> 16;
  return { nextAvail: avail & 0x7fff, availWrap: (avail & 0x8000) !== 0, nextUsed: used & 0x7fff, usedWrap: (used & 0x8000) !== 0 };
}
export function encodePackedBase(s: { nextAvail: number; availWrap: boolean; nextUsed: number; usedWrap: boolean }): number {
  const avail = (s.nextAvail & 0x7fff) | (s.availWrap ? 0x8000 : 0);
  const used = (s.nextUsed & 0x7fff) | (s.usedWrap ? 0x8000 : 0);
  return (avail | (used << 16)) >>> 0;
}
// #endregion packed-base
