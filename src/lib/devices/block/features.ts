// Feature bits of the block device, VIRTIO 1.4 §5.2.3. The legacy-only bits (BARRIER 0,
// SCSI 7) belong to the legacy interface, which this project does not offer, so they are
// absent; bit 7 and bit 0 are never offered.

// #region feature-bits
export const VIRTIO_BLK_F_SIZE_MAX = 1; //       size_max: the largest single data segment
export const VIRTIO_BLK_F_SEG_MAX = 2; //        seg_max: the most data segments in a request
export const VIRTIO_BLK_F_GEOMETRY = 4; //       geometry: cylinders, heads, sectors
export const VIRTIO_BLK_F_RO = 5; //             the device is read-only
export const VIRTIO_BLK_F_BLK_SIZE = 6; //       blk_size: the optimal logical block size
export const VIRTIO_BLK_F_FLUSH = 9; //          VIRTIO_BLK_T_FLUSH is supported
export const VIRTIO_BLK_F_TOPOLOGY = 10; //      topology: physical block, alignment, I/O sizes
export const VIRTIO_BLK_F_CONFIG_WCE = 11; //    writeback: the driver may switch the cache mode
export const VIRTIO_BLK_F_MQ = 12; //            num_queues request queues
export const VIRTIO_BLK_F_DISCARD = 13; //       VIRTIO_BLK_T_DISCARD and its limits
export const VIRTIO_BLK_F_WRITE_ZEROES = 14; //  VIRTIO_BLK_T_WRITE_ZEROES and its limits
export const VIRTIO_BLK_F_LIFETIME = 15; //      VIRTIO_BLK_T_GET_LIFETIME (eMMC/UFS wear data)
export const VIRTIO_BLK_F_SECURE_ERASE = 16; //  VIRTIO_BLK_T_SECURE_ERASE and its limits
export const VIRTIO_BLK_F_ZONED = 17; //         a zoned block device (not modelled here)
// #endregion feature-bits
