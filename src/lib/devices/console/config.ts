// struct virtio_console_config (VIRTIO 1.4 §5.3.4): little-endian fields at fixed offsets.
// `cols`/`rows` mean something with VIRTIO_CONSOLE_F_SIZE, `max_nr_ports` with
// VIRTIO_CONSOLE_F_MULTIPORT, and `emerg_wr` (VIRTIO_CONSOLE_F_EMERG_WRITE) is the one field
// a driver writes: a doorbell that always reads as 0.

// #region config-layout
export const CONSOLE_CFG_COLS = 0; //          le16  VIRTIO_CONSOLE_F_SIZE, port 0 only
export const CONSOLE_CFG_ROWS = 2; //          le16  VIRTIO_CONSOLE_F_SIZE, port 0 only
export const CONSOLE_CFG_MAX_NR_PORTS = 4; //  le32  VIRTIO_CONSOLE_F_MULTIPORT
export const CONSOLE_CFG_EMERG_WR = 8; //      le32  VIRTIO_CONSOLE_F_EMERG_WRITE, driver writes
export const CONSOLE_CONFIG_SIZE = 12;
// #endregion config-layout
