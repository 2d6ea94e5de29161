// Feature bits of the network device (VIRTIO 1.4 §5.1.3) and the dependencies between them
// (§5.1.3.1). The model offers only a subset (NET_OFFERED in device.ts); the full list is here
// so that a driver's choice can be checked against the rules whatever it asks for.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';

// #region feature-bits
export const VIRTIO_NET_F_CSUM = 0;
export const VIRTIO_NET_F_GUEST_CSUM = 1;
export const VIRTIO_NET_F_CTRL_GUEST_OFFLOADS = 2;
export const VIRTIO_NET_F_MTU = 3;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_GUEST_TSO4 = 7;
export const VIRTIO_NET_F_GUEST_TSO6 = 8;
export const VIRTIO_NET_F_GUEST_ECN = 9;
export const VIRTIO_NET_F_GUEST_UFO = 10;
export const VIRTIO_NET_F_HOST_TSO4 = 11;
export const VIRTIO_NET_F_HOST_TSO6 = 12;
export const VIRTIO_NET_F_HOST_ECN = 13;
export const VIRTIO_NET_F_HOST_UFO = 14;
export const VIRTIO_NET_F_MRG_RXBUF = 15;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_F_CTRL_VQ = 17;
export const VIRTIO_NET_F_CTRL_RX = 18;
export const VIRTIO_NET_F_CTRL_VLAN = 19;
export const VIRTIO_NET_F_CTRL_RX_EXTRA = 20;
export const VIRTIO_NET_F_GUEST_ANNOUNCE = 21;
export const VIRTIO_NET_F_MQ = 22;
export const VIRTIO_NET_F_CTRL_MAC_ADDR = 23;
export const VIRTIO_NET_F_DEVICE_STATS = 50;
export const VIRTIO_NET_F_HASH_TUNNEL = 51;
export const VIRTIO_NET_F_VQ_NOTF_COAL = 52;
export const VIRTIO_NET_F_NOTF_COAL = 53;
export const VIRTIO_NET_F_GUEST_USO4 = 54;
export const VIRTIO_NET_F_GUEST_USO6 = 55;
export const VIRTIO_NET_F_HOST_USO = 56;
export const VIRTIO_NET_F_HASH_REPORT = 57;
export const VIRTIO_NET_F_GUEST_HDRLEN = 59;
export const VIRTIO_NET_F_RSS = 60;
export const VIRTIO_NET_F_RSC_EXT = 61;
export const VIRTIO_NET_F_STANDBY = 62;
export const VIRTIO_NET_F_SPEED_DUPLEX = 63;
export const VIRTIO_NET_F_RSS_CONTEXT = 64;
export const VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO = 65;
export const VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM = 66;
export const VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO = 67;
export const VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM = 68;
export const VIRTIO_NET_F_OUT_NET_HEADER = 69;
export const VIRTIO_NET_F_IPSEC = 70;
// #endregion feature-bits

/** A feature that needs others: all of `all`, and at least one of `any` when given (§5.1.3.1). */
interface Dependency {
  readonly bit: number;
  readonly all?: readonly number[];
  readonly any?: readonly number[];
}

// #region feature-dependencies
export const NET_FEATURE_DEPENDENCIES: readonly Dependency[] = [
  { bit: VIRTIO_NET_F_GUEST_TSO4, all: [VIRTIO_NET_F_GUEST_CSUM] },
  { bit: VIRTIO_NET_F_GUEST_TSO6, all: [VIRTIO_NET_F_GUEST_CSUM] },
  { bit: VIRTIO_NET_F_GUEST_ECN, any: [VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6] },
  { bit: VIRTIO_NET_F_GUEST_UFO, all: [VIRTIO_NET_F_GUEST_CSUM] },
  { bit: VIRTIO_NET_F_GUEST_USO4, all: [VIRTIO_NET_F_GUEST_CSUM] },
  { bit: VIRTIO_NET_F_GUEST_USO6, all: [VIRTIO_NET_F_GUEST_CSUM] },
  {
    bit: VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
    all: [VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_F_GUEST_USO6],
  },
  { bit: VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM, all: [VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO] },
  { bit: VIRTIO_NET_F_HOST_TSO4, all: [VIRTIO_NET_F_CSUM] },
  { bit: VIRTIO_NET_F_HOST_TSO6, all: [VIRTIO_NET_F_CSUM] },
  { bit: VIRTIO_NET_F_HOST_ECN, any: [VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6] },
  { bit: VIRTIO_NET_F_HOST_UFO, all: [VIRTIO_NET_F_CSUM] },
  { bit: VIRTIO_NET_F_HOST_USO, all: [VIRTIO_NET_F_CSUM] },
  { bit: VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO, all: [VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_USO] },
  { bit: VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM, all: [VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO] },
  { bit: VIRTIO_NET_F_CTRL_RX, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_CTRL_VLAN, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_GUEST_ANNOUNCE, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_MQ, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_CTRL_MAC_ADDR, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_NOTF_COAL, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_RSC_EXT, any: [VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6] },
  { bit: VIRTIO_NET_F_RSS, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_VQ_NOTF_COAL, all: [VIRTIO_NET_F_CTRL_VQ] },
  { bit: VIRTIO_NET_F_HASH_TUNNEL, all: [VIRTIO_NET_F_CTRL_VQ], any: [VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT] },
  { bit: VIRTIO_NET_F_RSS_CONTEXT, all: [VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_RSS] },
];

/** The first dependency of §5.1.3.1 that `accepted` breaks, as a message; null if none. */
export function netDependencyError(accepted: Features): string | null {
  for (const d of NET_FEATURE_DEPENDENCIES) {
    if (!hasFeature(accepted, d.bit)) continue;
    const missing = (d.all ?? []).filter((b) => !hasFeature(accepted, b));
    if (missing.length > 0) return `feature ${d.bit} requires feature(s) ${missing.join(', ')} (§5.1.3.1)`;
    if (d.any && !d.any.some((b) => hasFeature(accepted, b))) {
      return `feature ${d.bit} requires one of feature(s) ${d.any.join(', ')} (§5.1.3.1)`;
    }
  }
  return null;
}
// #endregion feature-dependencies
