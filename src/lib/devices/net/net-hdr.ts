// struct virtio_net_hdr (VIRTIO 1.4 §5.1.9): the header in front of every packet on the
// receive and transmit queues. Its size depends only on the negotiated features; in the 1.x
// interface `num_buffers` is always present, so the smallest header is 12 bytes whether or
// not VIRTIO_NET_F_MRG_RXBUF was negotiated (the 10-byte form is legacy only, §5.1.9.1).
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';
import {
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_IPSEC,
  VIRTIO_NET_F_OUT_NET_HEADER,
} from './features.ts';

// #region hdr-constants
/** `flags` bits. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;
export const VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM = 8;
export const VIRTIO_NET_HDR_F_SECURITY = 16;
export const VIRTIO_NET_HDR_F_SECURITY_ERR = 32;
export const VIRTIO_NET_HDR_F_SECURITY_SA_SOFT_EXPIRY_WARN = 64;

/** `gso_type` values and bits. */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 = 0x20;
export const VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6 = 0x40;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;
// #endregion hdr-constants

// #region hdr-layout
/** Byte offsets of the fields every header has (§5.1.9). */
export const HDR_FLAGS = 0; //        u8
export const HDR_GSO_TYPE = 1; //     u8
export const HDR_HDR_LEN = 2; //      le16
export const HDR_GSO_SIZE = 4; //     le16
export const HDR_CSUM_START = 6; //   le16
export const HDR_CSUM_OFFSET = 8; //  le16
export const HDR_NUM_BUFFERS = 10; // le16
// Present only with larger headers: hash_value le32 at 12, hash_report le16 at 16,
// padding_reserved le16 at 18; outer_th_offset le16 at 20, inner_nh_offset le16 at 22;
// outer_nh_offset le16 at 24 and 6 more bytes (padding or ipsec_resource_hdr) to 32.

/** The header size the driver and device use with `features` (§5.1.9.3). */
export function netHdrSize(features: Features): number {
  if (hasFeature(features, VIRTIO_NET_F_OUT_NET_HEADER) || hasFeature(features, VIRTIO_NET_F_IPSEC)) return 32;
  if (hasFeature(features, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO) || hasFeature(features, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO)) return 24;
  if (hasFeature(features, VIRTIO_NET_F_HASH_REPORT)) return 20;
  return 12;
}
// #endregion hdr-layout

/** The fields of the basic header; the larger forms' extra fields are carried as zero here. */
export interface NetHdr {
  readonly flags: number;
  readonly gsoType: number;
  readonly hdrLen: number;
  readonly gsoSize: number;
  readonly csumStart: number;
  readonly csumOffset: number;
  readonly numBuffers: number;
}

export const EMPTY_NET_HDR: NetHdr = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 0 };

/** Encodes a header of `size` bytes (12, 20, 24 or 32); bytes past the basic fields are zero. */
export function encodeNetHdr(h: Partial<NetHdr>, size = 12): Uint8Array {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const f = { ...EMPTY_NET_HDR, ...h };
  v.setUint8(HDR_FLAGS, f.flags);
  v.setUint8(HDR_GSO_TYPE, f.gsoType);
  v.setUint16(HDR_HDR_LEN, f.hdrLen, true);
  v.setUint16(HDR_GSO_SIZE, f.gsoSize, true);
  v.setUint16(HDR_CSUM_START, f.csumStart, true);
  v.setUint16(HDR_CSUM_OFFSET, f.csumOffset, true);
  v.setUint16(HDR_NUM_BUFFERS, f.numBuffers, true);
  return out;
}

/** Decodes the basic fields from the first 12 bytes of `bytes`. */
export function decodeNetHdr(bytes: Uint8Array): NetHdr {
  if (bytes.length < 12) throw new RangeError(`virtio_net_hdr needs 12 bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, 12);
  return {
    flags: v.getUint8(HDR_FLAGS),
    gsoType: v.getUint8(HDR_GSO_TYPE),
    hdrLen: v.getUint16(HDR_HDR_LEN, true),
    gsoSize: v.getUint16(HDR_GSO_SIZE, true),
    csumStart: v.getUint16(HDR_CSUM_START, true),
    csumOffset: v.getUint16(HDR_CSUM_OFFSET, true),
    numBuffers: v.getUint16(HDR_NUM_BUFFERS, true),
  };
}
