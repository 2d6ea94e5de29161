// The virtio-pci layout (VIRTIO 1.4 §4.1): the IDs in the PCI header, the vendor-specific
// capabilities that point at the virtio structures, and the fields of the common configuration
// structure. Only the modern (non-transitional) interface is described: the AVP has no legacy.

// #region pci-ids
/** §4.1.2: every virtio PCI function has this vendor ID. */
export const PCI_VENDOR_ID_VIRTIO = 0x1af4;
/** §4.1.2: a modern device's PCI device ID is 0x1040 plus its VIRTIO device ID. */
export const PCI_DEVICE_ID_BASE = 0x1040;
export const PCI_DEVICE_ID_LAST = 0x107f;

export function pciDeviceId(virtioDeviceId: number): number {
  return PCI_DEVICE_ID_BASE + virtioDeviceId;
}
// #endregion pci-ids

// Offsets in the PCI configuration header (type 0) that this model fills in.
export const PCI_CFG_VENDOR_ID = 0x00;
export const PCI_CFG_DEVICE_ID = 0x02;
export const PCI_CFG_COMMAND = 0x04;
export const PCI_CFG_STATUS = 0x06;
export const PCI_CFG_REVISION_ID = 0x08;
export const PCI_CFG_CLASS = 0x09; // programming interface, subclass, base class
export const PCI_CFG_BAR0 = 0x10;
export const PCI_CFG_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_CFG_SUBSYSTEM_ID = 0x2e;
export const PCI_CFG_CAP_PTR = 0x34;
export const PCI_CFG_INTERRUPT_PIN = 0x3d;
/** PCI Status register bits: INTx pending, and "has a capability list". */
export const PCI_STATUS_INTERRUPT = 0x08;
export const PCI_STATUS_CAP_LIST = 0x10;
/** The generic PCI capability ID of a vendor-specific capability. */
export const PCI_CAP_ID_VNDR = 0x09;

// #region cap-types
/** §4.1.4: cfg_type of a virtio structure capability. */
export const VIRTIO_PCI_CAP_COMMON_CFG = 1;
export const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
export const VIRTIO_PCI_CAP_ISR_CFG = 3;
export const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
export const VIRTIO_PCI_CAP_PCI_CFG = 5;
export const VIRTIO_PCI_CAP_SHARED_MEMORY_CFG = 8;
export const VIRTIO_PCI_CAP_VENDOR_CFG = 9;

/**
 * struct virtio_pci_cap (§4.1.4), 16 bytes: cap_vndr u8 @0, cap_next u8 @1, cap_len u8 @2,
 * cfg_type u8 @3, bar u8 @4, id u8 @5, padding[2] @6, offset le32 @8, length le32 @12.
 * The notification capability adds notify_off_multiplier le32 @16 (20 bytes); the PCI
 * configuration access capability adds pci_cfg_data[4] @16 (20 bytes).
 */
export const VIRTIO_PCI_CAP_LEN = 16;
export const VIRTIO_PCI_NOTIFY_CAP_LEN = 20;
export const VIRTIO_PCI_CFG_CAP_LEN = 20;
// #endregion cap-types

export type FieldAccess = 'RW' | 'R';

export interface CommonCfgField {
  readonly name: string;
  readonly offset: number;
  readonly width: 1 | 2 | 4 | 8;
  /** As the driver sees it (§4.1.4.3): some fields are read-only for the driver. */
  readonly access: FieldAccess;
}

// #region common-cfg
/** struct virtio_pci_common_cfg (§4.1.4.3): 64 bytes, little-endian. */
export const COMMON_CFG_FIELDS: readonly CommonCfgField[] = [
  { name: 'device_feature_select', offset: 0, width: 4, access: 'RW' },
  { name: 'device_feature', offset: 4, width: 4, access: 'R' },
  { name: 'driver_feature_select', offset: 8, width: 4, access: 'RW' },
  { name: 'driver_feature', offset: 12, width: 4, access: 'RW' },
  { name: 'config_msix_vector', offset: 16, width: 2, access: 'RW' },
  { name: 'num_queues', offset: 18, width: 2, access: 'R' },
  { name: 'device_status', offset: 20, width: 1, access: 'RW' },
  { name: 'config_generation', offset: 21, width: 1, access: 'R' },
  { name: 'queue_select', offset: 22, width: 2, access: 'RW' },
  { name: 'queue_size', offset: 24, width: 2, access: 'RW' },
  { name: 'queue_msix_vector', offset: 26, width: 2, access: 'RW' },
  { name: 'queue_enable', offset: 28, width: 2, access: 'RW' },
  { name: 'queue_notify_off', offset: 30, width: 2, access: 'R' },
  { name: 'queue_desc', offset: 32, width: 8, access: 'RW' },
  { name: 'queue_driver', offset: 40, width: 8, access: 'RW' },
  { name: 'queue_device', offset: 48, width: 8, access: 'RW' },
  { name: 'queue_notif_config_data', offset: 56, width: 2, access: 'R' },
  { name: 'queue_reset', offset: 58, width: 2, access: 'RW' },
  { name: 'admin_queue_index', offset: 60, width: 2, access: 'R' },
  { name: 'admin_queue_num', offset: 62, width: 2, access: 'R' },
];
export const COMMON_CFG_SIZE = 64;
// #endregion common-cfg

const BY_NAME = new Map(COMMON_CFG_FIELDS.map((f) => [f.name, f]));

/** The offset of a common configuration field, by its VIRTIO name. */
export function commonOffset(name: string): number {
  const f = BY_NAME.get(name);
  if (!f) throw new Error(`no common configuration field named ${name}`);
  return f.offset;
}

/**
 * The field an access of `width` bytes at `offset` addresses: the field itself, or one 32-bit
 * half of a 64-bit field (§4.1.3.1 lets a driver split those). Undefined for anything else.
 */
export function commonFieldAt(offset: number, width: number): { field: CommonCfgField; half: 'full' | 'low' | 'high' } | undefined {
  for (const field of COMMON_CFG_FIELDS) {
    if (offset === field.offset && width === field.width) return { field, half: 'full' };
    if (field.width === 8 && width === 4 && (offset === field.offset || offset === field.offset + 4)) {
      return { field, half: offset === field.offset ? 'low' : 'high' };
    }
  }
  return undefined;
}

/** "No MSI-X vector" (§4.1.5.1.2): what the vector fields read when nothing is mapped. */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;
