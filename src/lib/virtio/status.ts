// Device status bits, VIRTIO 1.4 §2.1.

// #region status-bits
export const ACKNOWLEDGE = 1;
export const DRIVER = 2;
export const DRIVER_OK = 4;
export const FEATURES_OK = 8;
export const DEVICE_NEEDS_RESET = 64;
export const FAILED = 128;
// #endregion status-bits
