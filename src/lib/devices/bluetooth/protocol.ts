// The virtio Bluetooth device as Linux defines it. VIRTIO 1.4 reserves device ID 40 for
// "Bluetooth device" in its table of device IDs (§5) and specifies nothing else: no feature
// bits, no configuration layout, no queues. Everything here comes from Linux, file by file:
// include/uapi/linux/virtio_bt.h (feature bits, the two configuration layouts and their
// values) and drivers/bluetooth/virtio_bt.c (the queues and the framing of a buffer).

// #region virtio-constants
/** VIRTIO_ID_BT in include/uapi/linux/virtio_ids.h; "reserved" in VIRTIO 1.4 §5. */
export const VIRTIO_ID_BT = 40;

/** Queue 0 "tx": the driver's HCI packets to the controller (VIRTBT_VQ_TX). */
export const BT_TX_QUEUE = 0;
/** Queue 1 "rx": the controller's HCI packets to the driver (VIRTBT_VQ_RX). */
export const BT_RX_QUEUE = 1;

// Device feature bits (include/uapi/linux/virtio_bt.h).
/** The controller answers the setup commands of the vendor named in `vendor`. */
export const VIRTIO_BT_F_VND_HCI = 0;
/** The controller has Microsoft's HCI extension, reached through `msft_opcode`. */
export const VIRTIO_BT_F_MSFT_EXT = 1;
/** The controller has Android's (AOSP) HCI extension. */
export const VIRTIO_BT_F_AOSP_EXT = 2;
/** The configuration uses struct virtio_bt_config_v2, whose 16-bit fields are aligned. */
export const VIRTIO_BT_F_CONFIG_V2 = 3;

/** `type`: a primary controller. Newer kernels accept only this value. */
export const VIRTIO_BT_CONFIG_TYPE_PRIMARY = 0;
/** `type`: an AMP controller; accepted by kernels that still had AMP support. */
export const VIRTIO_BT_CONFIG_TYPE_AMP = 1;

/** `vendor` values; Linux reads the field only when VIRTIO_BT_F_VND_HCI is negotiated. */
export const VIRTIO_BT_CONFIG_VENDOR_NONE = 0;
export const VIRTIO_BT_CONFIG_VENDOR_ZEPHYR = 1;
export const VIRTIO_BT_CONFIG_VENDOR_INTEL = 2;
export const VIRTIO_BT_CONFIG_VENDOR_REALTEK = 3;
// #endregion virtio-constants

// #region config-layout
/** struct virtio_bt_config: packed, so `vendor` and `msft_opcode` sit at odd offsets. */
export const BT_CONFIG_V1 = { type: 0, vendor: 1, msftOpcode: 3, size: 5 } as const;
/** struct virtio_bt_config_v2: a padding byte (`alignment`) puts both u16 fields on even offsets. */
export const BT_CONFIG_V2 = { type: 0, alignment: 1, vendor: 2, msftOpcode: 4, size: 6 } as const;
// #endregion config-layout

// #region h4
/**
 * Each buffer on either queue is one packet of the UART transport's framing (Bluetooth Core
 * 5.4, Vol 4, Part A): a one-byte packet indicator, then the HCI packet (Vol 4, Part E, 5.4).
 * virtbt_send_frame pushes the indicator in front of the packet; virtbt_rx_handle pulls it off.
 */
export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_SCO = 0x03;
export const H4_EVENT = 0x04;
export const H4_ISO = 0x05;

/** Header bytes after the indicator, by packet type (Vol 4, Part E, 5.4.1 to 5.4.5). */
export const HCI_HEADER_SIZE: Readonly<Record<number, number>> = {
  [H4_COMMAND]: 3, // opcode (2), Parameter_Total_Length (1)
  [H4_ACL]: 4, // handle and flags (2), Data_Total_Length (2)
  [H4_SCO]: 3, // handle and flags (2), Data_Total_Length (1)
  [H4_EVENT]: 2, // Event_Code (1), Parameter_Total_Length (1)
  [H4_ISO]: 4, // handle and flags (2), ISO_Data_Load_Length (14 bits) and RFU (2 bits)
};

/** Packet types a host may send to a controller (an event goes the other way only). */
export const HOST_PACKET_TYPES: readonly number[] = [H4_COMMAND, H4_ACL, H4_SCO, H4_ISO];
// #endregion h4

/**
 * The size of the rx buffers Linux posts: 1000 bytes (VIRTBT_RX_BUF_SIZE); bluetooth-next later
 * made it one byte more than the largest HCI frame. The model's host uses the smaller size.
 */
export const LINUX_RX_BUFFER_SIZE = 1000;

/** The largest event on the rx queue: indicator, header and 255 parameter bytes. */
export const MAX_EVENT_PACKET = 1 + 2 + 255;
