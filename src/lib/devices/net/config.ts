// The network device's configuration space, struct virtio_net_config (VIRTIO 1.4 §5.1.4):
// little-endian fields at fixed offsets. Each field after `mac` exists only with the feature
// named beside it; the model keeps the whole 28-byte structure and leaves absent fields zero.

// #region config-layout
export const NET_CFG_MAC = 0; //                      u8[6]  (valid with VIRTIO_NET_F_MAC)
export const NET_CFG_STATUS = 6; //                   le16   VIRTIO_NET_F_STATUS
export const NET_CFG_MAX_VIRTQUEUE_PAIRS = 8; //      le16   VIRTIO_NET_F_MQ or VIRTIO_NET_F_RSS
export const NET_CFG_MTU = 10; //                     le16   VIRTIO_NET_F_MTU
export const NET_CFG_SPEED = 12; //                   le32   VIRTIO_NET_F_SPEED_DUPLEX
export const NET_CFG_DUPLEX = 16; //                  u8     VIRTIO_NET_F_SPEED_DUPLEX
export const NET_CFG_RSS_MAX_KEY_SIZE = 17; //        u8     VIRTIO_NET_F_RSS or HASH_REPORT
export const NET_CFG_RSS_MAX_INDIRECTION_TABLE_LENGTH = 18; // le16 VIRTIO_NET_F_RSS
export const NET_CFG_SUPPORTED_HASH_TYPES = 20; //    le32   VIRTIO_NET_F_RSS or HASH_REPORT
export const NET_CFG_SUPPORTED_TUNNEL_TYPES = 24; //  le32   VIRTIO_NET_F_HASH_TUNNEL
export const NET_CONFIG_SIZE = 28;

/** Bits of `status`. */
export const VIRTIO_NET_S_LINK_UP = 1;
export const VIRTIO_NET_S_ANNOUNCE = 2;

/** `speed` when the speed is not known; known speeds are 0..0x7fffffff Mbit/s. */
export const VIRTIO_NET_SPEED_UNKNOWN = 0xffffffff;
// #endregion config-layout

// #region duplex-values
// §5.1.4 describes 0x01 as full and 0x00 as half duplex, while its normative paragraph
// (§5.1.4.1) swaps the two. The model follows the descriptive text, which is also what the
// common drivers implement; the chapter records the conflict.
export const VIRTIO_NET_DUPLEX_HALF = 0x00;
export const VIRTIO_NET_DUPLEX_FULL = 0x01;
export const VIRTIO_NET_DUPLEX_UNKNOWN = 0xff;
// #endregion duplex-values

/** Limits on `mtu` (§5.1.4.1): the device MUST stay in 68..65535 and SHOULD offer at least 1280. */
export const NET_MTU_MIN = 68;
export const NET_MTU_MAX = 65535;
export const NET_MTU_RECOMMENDED_MIN = 1280;

/** Limits on `max_virtqueue_pairs` (§5.1.4.1, §5.1.9.5). */
export const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN = 1;
export const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX = 0x8000;
