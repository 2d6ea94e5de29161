// The GPU device's configuration space, struct virtio_gpu_config (VIRTIO 1.4 §5.7.4): five
// little-endian 32-bit words. events_read is the device's to set, events_clear the driver's to
// write (write-one-to-clear), and the two counts never change while the device runs.

// #region config-layout
export const GPU_CFG_EVENTS_READ = 0; //    le32, read-only for the driver
export const GPU_CFG_EVENTS_CLEAR = 4; //   le32, write 1s to clear bits of events_read
export const GPU_CFG_NUM_SCANOUTS = 8; //   le32, 1..16
export const GPU_CFG_NUM_CAPSETS = 12; //   le32, 0 or more
export const GPU_CFG_BLOB_ALIGNMENT = 16; // le32, valid only with VIRTIO_GPU_F_BLOB_ALIGNMENT
export const GPU_CONFIG_SIZE = 20;

/** events_read bit: the display configuration changed; the driver should ask again. */
export const VIRTIO_GPU_EVENT_DISPLAY = 1 << 0;
// #endregion config-layout
