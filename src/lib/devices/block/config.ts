// The block device's configuration space, struct virtio_blk_config (VIRTIO 1.4 §5.2.4):
// little-endian fields at fixed offsets. Only `capacity` is always meaningful; every other
// field is valid when the feature beside it is offered. The model keeps the whole 96-byte
// structure, zoned characteristics included, and leaves fields of absent features zero.

// #region config-layout
export const BLK_CFG_CAPACITY = 0; //                       le64  in 512-byte sectors, always
export const BLK_CFG_SIZE_MAX = 8; //                       le32  VIRTIO_BLK_F_SIZE_MAX
export const BLK_CFG_SEG_MAX = 12; //                       le32  VIRTIO_BLK_F_SEG_MAX
export const BLK_CFG_GEOMETRY_CYLINDERS = 16; //            le16  VIRTIO_BLK_F_GEOMETRY
export const BLK_CFG_GEOMETRY_HEADS = 18; //                u8
export const BLK_CFG_GEOMETRY_SECTORS = 19; //              u8
export const BLK_CFG_BLK_SIZE = 20; //                      le32  VIRTIO_BLK_F_BLK_SIZE
export const BLK_CFG_PHYSICAL_BLOCK_EXP = 24; //            u8    VIRTIO_BLK_F_TOPOLOGY
export const BLK_CFG_ALIGNMENT_OFFSET = 25; //              u8
export const BLK_CFG_MIN_IO_SIZE = 26; //                   le16
export const BLK_CFG_OPT_IO_SIZE = 28; //                   le32
export const BLK_CFG_WRITEBACK = 32; //                     u8    VIRTIO_BLK_F_CONFIG_WCE
export const BLK_CFG_UNUSED0 = 33; //                       u8    padding, always 0
export const BLK_CFG_NUM_QUEUES = 34; //                    le16  VIRTIO_BLK_F_MQ
export const BLK_CFG_MAX_DISCARD_SECTORS = 36; //           le32  VIRTIO_BLK_F_DISCARD
export const BLK_CFG_MAX_DISCARD_SEG = 40; //               le32
export const BLK_CFG_DISCARD_SECTOR_ALIGNMENT = 44; //      le32
export const BLK_CFG_MAX_WRITE_ZEROES_SECTORS = 48; //      le32  VIRTIO_BLK_F_WRITE_ZEROES
export const BLK_CFG_MAX_WRITE_ZEROES_SEG = 52; //          le32
export const BLK_CFG_WRITE_ZEROES_MAY_UNMAP = 56; //        u8
export const BLK_CFG_UNUSED1 = 57; //                       u8[3] padding, always 0
export const BLK_CFG_MAX_SECURE_ERASE_SECTORS = 60; //      le32  VIRTIO_BLK_F_SECURE_ERASE
export const BLK_CFG_MAX_SECURE_ERASE_SEG = 64; //          le32
export const BLK_CFG_SECURE_ERASE_SECTOR_ALIGNMENT = 68; // le32
export const BLK_CFG_ZONED = 72; //                         struct virtio_blk_zoned_characteristics, VIRTIO_BLK_F_ZONED:
export const BLK_CFG_ZONE_SECTORS = 72; //                  le32
export const BLK_CFG_MAX_OPEN_ZONES = 76; //                le32
export const BLK_CFG_MAX_ACTIVE_ZONES = 80; //              le32
export const BLK_CFG_MAX_APPEND_SECTORS = 84; //            le32
export const BLK_CFG_WRITE_GRANULARITY = 88; //             le32
export const BLK_CFG_ZONED_MODEL = 92; //                   u8
export const BLK_CFG_UNUSED2 = 93; //                       u8[3] padding
export const BLK_CONFIG_SIZE = 96;
// #endregion config-layout

/** The unit of `capacity`, `sector` and every sector count in the protocol, whatever blk_size says. */
export const SECTOR_SIZE = 512;

/** Values of `writeback` (§5.2.5). */
export const VIRTIO_BLK_WRITETHROUGH = 0;
export const VIRTIO_BLK_WRITEBACK = 1;

/** Values of `zoned.model` (§5.2.4); the model is not zoned and never offers VIRTIO_BLK_F_ZONED. */
export const VIRTIO_BLK_Z_NONE = 0;
export const VIRTIO_BLK_Z_HM = 1;
export const VIRTIO_BLK_Z_HA = 2;
