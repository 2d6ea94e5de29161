// Ethernet frames as the network device and the virtual switch see them: 6-byte addresses,
// an optional IEEE 802.1Q tag (TPID 0x8100 then PCP:3 DEI:1 VID:12), and an EtherType.
// The virtio network device carries whole frames from the destination address on, without
// preamble or FCS (§5.1.9).

export const ETH_ALEN = 6;
/** Destination, source and EtherType: the header the MTU does not count. */
export const ETH_HLEN = 14;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_IPV4 = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_ARP = 0x0806;
/** The EtherType of IEEE 1588 / 802.1AS (gPTP) messages. */
export const ETH_P_1588 = 0x88f7;

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

// #region mac-classes
export function isBroadcast(mac: Uint8Array): boolean {
  return mac.length === ETH_ALEN && mac.every((b) => b === 0xff);
}

/** Group (multicast or broadcast) addresses have the I/G bit, bit 0 of the first byte, set. */
export function isMulticast(mac: Uint8Array): boolean {
  return (mac[0] & 1) === 1;
}

/**
 * IEEE 802.1Q reserves 01-80-C2-00-00-00 … 0F for protocols that stay on one link (STP, LLDP,
 * the gPTP peer-delay address 01-80-C2-00-00-0E, …); a C-VLAN bridge never forwards them.
 */
export function isLinkLocalReserved(mac: Uint8Array): boolean {
  return mac[0] === 0x01 && mac[1] === 0x80 && mac[2] === 0xc2 && mac[3] === 0 && mac[4] === 0 && mac[5] <= 0x0f;
}
// #endregion mac-classes

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Parses "52:54:00:12:34:56" (or with '-'); throws on anything else. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== ETH_ALEN || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${s}`);
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return [...mac.subarray(0, ETH_ALEN)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Accepts a MAC as bytes or text; returns a private 6-byte copy. */
export function toMac(mac: Uint8Array | string): Uint8Array {
  if (typeof mac === 'string') return parseMac(mac);
  if (mac.length !== ETH_ALEN) throw new Error(`a MAC address has 6 bytes, got ${mac.length}`);
  return new Uint8Array(mac);
}

// #region vlan-tag
export interface VlanTag {
  /** Priority code point, 0..7 (IEEE 802.1Q). */
  readonly pcp: number;
  /** Drop eligible indicator. */
  readonly dei: boolean;
  /** VLAN identifier, 0..4095 (0: priority-tagged, no VLAN). */
  readonly vid: number;
}

export interface EthFrame {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly vlan: VlanTag | null;
  readonly ethertype: number;
  readonly payload: Uint8Array;
}

/** Splits a frame into its header fields and payload; null if shorter than its own header. */
export function parseFrame(frame: Uint8Array): EthFrame | null {
  if (frame.length < ETH_HLEN) return null;
  const tpid = (frame[12] << 8) | frame[13];
  if (tpid === ETH_P_8021Q) {
    if (frame.length < ETH_HLEN + 4) return null;
    const tci = (frame[14] << 8) | frame[15];
    return {
      dst: frame.subarray(0, 6),
      src: frame.subarray(6, 12),
      vlan: { pcp: tci >> 13, dei: ((tci >> 12) & 1) === 1, vid: tci & 0xfff },
      ethertype: (frame[16] << 8) | frame[17],
      payload: frame.subarray(18),
    };
  }
  return { dst: frame.subarray(0, 6), src: frame.subarray(6, 12), vlan: null, ethertype: tpid, payload: frame.subarray(14) };
}

/** Builds a frame; with `vlan`, an 802.1Q tag goes between the source address and the EtherType. */
export function buildFrame(f: {
  dst: Uint8Array | string;
  src: Uint8Array | string;
  ethertype: number;
  payload: Uint8Array;
  vlan?: VlanTag | null;
}): Uint8Array {
  const tagLen = f.vlan ? 4 : 0;
  const out = new Uint8Array(ETH_HLEN + tagLen + f.payload.length);
  out.set(toMac(f.dst), 0);
  out.set(toMac(f.src), 6);
  let at = 12;
  if (f.vlan) {
    const { pcp, dei, vid } = f.vlan;
    if (pcp < 0 || pcp > 7 || vid < 0 || vid > 4095) throw new RangeError(`bad VLAN tag pcp=${pcp} vid=${vid}`);
    const tci = (pcp << 13) | (dei ? 1 << 12 : 0) | vid;
    out.set([ETH_P_8021Q >> 8, ETH_P_8021Q & 0xff, tci >> 8, tci & 0xff], at);
    at += 4;
  }
  out.set([f.ethertype >> 8, f.ethertype & 0xff], at);
  out.set(f.payload, at + 2);
  return out;
}

/** The frame with its 802.1Q tag removed (a copy); the frame itself if untagged. */
export function untag(frame: Uint8Array): Uint8Array {
  const p = parseFrame(frame);
  if (!p || !p.vlan) return frame;
  const out = new Uint8Array(frame.length - 4);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return out;
}

/** The untagged frame with `tag` inserted after the source address. */
export function withTag(frame: Uint8Array, tag: VlanTag): Uint8Array {
  const p = parseFrame(frame);
  if (!p) throw new RangeError('frame shorter than an Ethernet header');
  return buildFrame({ dst: p.dst, src: p.src, ethertype: p.ethertype, payload: p.payload, vlan: tag });
}
// #endregion vlan-tag

/** Header length the MTU does not count: 14, or 18 with an 802.1Q tag. */
export function l2HeaderLength(frame: Uint8Array): number {
  return frame.length >= 14 && ((frame[12] << 8) | frame[13]) === ETH_P_8021Q ? ETH_HLEN + 4 : ETH_HLEN;
}
