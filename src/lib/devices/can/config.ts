// The CAN device's configuration space, struct virtio_can_config (VIRTIO 1.4 §5.20.4): one
// little-endian 16-bit status word, read-only for the driver. Bit 0 reports that the
// controller left the STARTED state on its own because it went bus-off (§5.20.5.4).

// #region config-layout
export const CAN_CFG_STATUS = 0; //   le16 status, always present
export const CAN_CONFIG_SIZE = 2;

/** status bit 0: the controller is stopped because of a bus-off condition. */
export const VIRTIO_CAN_S_CTRL_BUSOFF = 1 << 0;
// #endregion config-layout
