// The virtio-mmio register layout, version 2 (VIRTIO 1.4 §4.2.2). Offsets are from the base of
// the device's MMIO window; every control register is 32 bits wide. The legacy layout
// (version 1, §4.2.4) is not modelled: the AVP has no legacy devices.

// #region mmio-registers
export const MMIO_MAGIC_VALUE = 0x000;
export const MMIO_VERSION = 0x004;
export const MMIO_DEVICE_ID = 0x008;
export const MMIO_VENDOR_ID = 0x00c;
export const MMIO_DEVICE_FEATURES = 0x010;
export const MMIO_DEVICE_FEATURES_SEL = 0x014;
export const MMIO_DRIVER_FEATURES = 0x020;
export const MMIO_DRIVER_FEATURES_SEL = 0x024;
export const MMIO_QUEUE_SEL = 0x030;
export const MMIO_QUEUE_SIZE_MAX = 0x034;
export const MMIO_QUEUE_SIZE = 0x038;
export const MMIO_QUEUE_READY = 0x044;
export const MMIO_QUEUE_NOTIFY = 0x050;
export const MMIO_INTERRUPT_STATUS = 0x060;
export const MMIO_INTERRUPT_ACK = 0x064;
export const MMIO_STATUS = 0x070;
export const MMIO_QUEUE_DESC_LOW = 0x080;
export const MMIO_QUEUE_DESC_HIGH = 0x084;
export const MMIO_QUEUE_DRIVER_LOW = 0x090;
export const MMIO_QUEUE_DRIVER_HIGH = 0x094;
export const MMIO_QUEUE_DEVICE_LOW = 0x0a0;
export const MMIO_QUEUE_DEVICE_HIGH = 0x0a4;
export const MMIO_SHM_SEL = 0x0ac;
export const MMIO_SHM_LEN_LOW = 0x0b0;
export const MMIO_SHM_LEN_HIGH = 0x0b4;
export const MMIO_SHM_BASE_LOW = 0x0b8;
export const MMIO_SHM_BASE_HIGH = 0x0bc;
export const MMIO_QUEUE_RESET = 0x0c0;
export const MMIO_CONFIG_GENERATION = 0x0fc;
/** The device-specific configuration space starts here. */
export const MMIO_CONFIG = 0x100;

/** "virt" in little-endian ASCII (§4.2.2). */
export const MMIO_MAGIC = 0x74726976;
/** The non-legacy register layout (§4.2.2). */
export const MMIO_VERSION_2 = 2;
// #endregion mmio-registers

export type RegisterAccess = 'R' | 'W' | 'RW';

export interface MmioRegister {
  readonly name: string;
  readonly offset: number;
  readonly access: RegisterAccess;
}

const reg = (name: string, offset: number, access: RegisterAccess): MmioRegister => ({ name, offset, access });

/** The control registers of §4.2.2 in offset order: the table the transport decodes. */
export const MMIO_REGISTERS: readonly MmioRegister[] = [
  reg('MagicValue', MMIO_MAGIC_VALUE, 'R'),
  reg('Version', MMIO_VERSION, 'R'),
  reg('DeviceID', MMIO_DEVICE_ID, 'R'),
  reg('VendorID', MMIO_VENDOR_ID, 'R'),
  reg('DeviceFeatures', MMIO_DEVICE_FEATURES, 'R'),
  reg('DeviceFeaturesSel', MMIO_DEVICE_FEATURES_SEL, 'W'),
  reg('DriverFeatures', MMIO_DRIVER_FEATURES, 'W'),
  reg('DriverFeaturesSel', MMIO_DRIVER_FEATURES_SEL, 'W'),
  reg('QueueSel', MMIO_QUEUE_SEL, 'W'),
  reg('QueueSizeMax', MMIO_QUEUE_SIZE_MAX, 'R'),
  reg('QueueSize', MMIO_QUEUE_SIZE, 'W'),
  reg('QueueReady', MMIO_QUEUE_READY, 'RW'),
  reg('QueueNotify', MMIO_QUEUE_NOTIFY, 'W'),
  reg('InterruptStatus', MMIO_INTERRUPT_STATUS, 'R'),
  reg('InterruptACK', MMIO_INTERRUPT_ACK, 'W'),
  reg('Status', MMIO_STATUS, 'RW'),
  reg('QueueDescLow', MMIO_QUEUE_DESC_LOW, 'W'),
  reg('QueueDescHigh', MMIO_QUEUE_DESC_HIGH, 'W'),
  reg('QueueDriverLow', MMIO_QUEUE_DRIVER_LOW, 'W'),
  reg('QueueDriverHigh', MMIO_QUEUE_DRIVER_HIGH, 'W'),
  reg('QueueDeviceLow', MMIO_QUEUE_DEVICE_LOW, 'W'),
  reg('QueueDeviceHigh', MMIO_QUEUE_DEVICE_HIGH, 'W'),
  reg('SHMSel', MMIO_SHM_SEL, 'W'),
  reg('SHMLenLow', MMIO_SHM_LEN_LOW, 'R'),
  reg('SHMLenHigh', MMIO_SHM_LEN_HIGH, 'R'),
  reg('SHMBaseLow', MMIO_SHM_BASE_LOW, 'R'),
  reg('SHMBaseHigh', MMIO_SHM_BASE_HIGH, 'R'),
  reg('QueueReset', MMIO_QUEUE_RESET, 'RW'),
  reg('ConfigGeneration', MMIO_CONFIG_GENERATION, 'R'),
];

const BY_OFFSET = new Map(MMIO_REGISTERS.map((r) => [r.offset, r]));

/** The control register at `offset`, or undefined for a hole in the layout. */
export function mmioRegisterAt(offset: number): MmioRegister | undefined {
  return BY_OFFSET.get(offset);
}

/** A register's name, or its offset in hex for a hole; for logs and errors. */
export function mmioRegisterName(offset: number): string {
  return BY_OFFSET.get(offset)?.name ?? (offset >= MMIO_CONFIG ? `Config+0x${(offset - MMIO_CONFIG).toString(16)}` : `0x${offset.toString(16).padStart(3, '0')}`);
}
