// Device ID and feature bits of the console device (VIRTIO 1.4 §5.3.1, §5.3.3).

export const VIRTIO_ID_CONSOLE = 3;

// #region feature-bits
/** `cols` and `rows` in the configuration space are valid (§5.3.4). */
export const VIRTIO_CONSOLE_F_SIZE = 0;
/** Several ports, `max_nr_ports` valid, control queues in use (§5.3.6.2). */
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
/** `emerg_wr` works: one character out without any queue (§5.3.5). */
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;
// #endregion feature-bits
