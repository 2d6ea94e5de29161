// The device side of virtio-mmio version 2 (VIRTIO 1.4 §4.2.2) as a register model: the
// hypervisor's trap handler calls read() and write() with the offset and width of each guest
// access. This file only decodes the layout; what a register does lives in DeviceLifecycle, so
// MMIO and PCI share one set of lifecycle rules. No access throws: a bad one is recorded in
// `lifecycle.log` with its code, reads of it return 0 and writes of it are dropped.
import { leBytes, leValue } from '../bytes.ts';
import type { VirtioDevice } from '../device.ts';
import type { GuestMemory } from '../memory.ts';
import { DeviceLifecycle, type LifecycleOptions } from '../lifecycle/device-lifecycle.ts';
import type { LifecycleErrorCode } from '../lifecycle/errors.ts';
import type { QueueArea } from '../lifecycle/queue-setup.ts';
import * as R from './registers.ts';

export type AccessWidth = 1 | 2 | 4;

export interface MmioTransportOptions extends LifecycleOptions {
  /** VendorID register; the MMIO transport leaves its value to the platform (§4.2.2). */
  readonly vendorId?: number;
}

/** The platform's default VendorID: the PCI vendor ID VIRTIO devices use. */
export const DEFAULT_MMIO_VENDOR_ID = 0x1af4;

const AREA_REGISTERS: Record<number, { area: QueueArea; half: 'low' | 'high' }> = {
  [R.MMIO_QUEUE_DESC_LOW]: { area: 'desc', half: 'low' },
  [R.MMIO_QUEUE_DESC_HIGH]: { area: 'desc', half: 'high' },
  [R.MMIO_QUEUE_DRIVER_LOW]: { area: 'driver', half: 'low' },
  [R.MMIO_QUEUE_DRIVER_HIGH]: { area: 'driver', half: 'high' },
  [R.MMIO_QUEUE_DEVICE_LOW]: { area: 'device', half: 'low' },
  [R.MMIO_QUEUE_DEVICE_HIGH]: { area: 'device', half: 'high' },
};

export class MmioTransport {
  readonly lifecycle: DeviceLifecycle;
  readonly vendorId: number;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  /** §4.2.2.2: the driver writes each selector before the register it selects for. */
  private deviceSelWritten = false;
  private driverSelWritten = false;
  private queueSel = 0;

  constructor(device: VirtioDevice, mem: GuestMemory, opts: MmioTransportOptions = {}) {
    this.lifecycle = new DeviceLifecycle(device, mem, opts);
    this.vendorId = opts.vendorId ?? DEFAULT_MMIO_VENDOR_ID;
  }

  get device(): VirtioDevice {
    return this.lifecycle.device;
  }

  // #region mmio-read
  /** A guest read of `width` bytes at `offset`; returns the value, little-endian. */
  read(offset: number, width: AccessWidth = 4): number {
    if (offset >= R.MMIO_CONFIG) return this.readConfig(offset - R.MMIO_CONFIG, width);
    const reg = this.control(offset, width, 'read');
    if (!reg) return 0;
    const lc = this.lifecycle;
    switch (offset) {
      case R.MMIO_MAGIC_VALUE:
        return R.MMIO_MAGIC;
      case R.MMIO_VERSION:
        return R.MMIO_VERSION_2;
      case R.MMIO_DEVICE_ID:
        return this.device.deviceId;
      case R.MMIO_VENDOR_ID:
        return this.vendorId;
      case R.MMIO_DEVICE_FEATURES:
        if (!this.deviceSelWritten) this.violation('SELECTOR_NOT_WRITTEN', 'DeviceFeatures read before DeviceFeaturesSel was written');
        return lc.deviceFeatureWord(this.deviceFeaturesSel);
      case R.MMIO_QUEUE_SIZE_MAX:
        return lc.maxQueueSize(this.queueSel);
      case R.MMIO_QUEUE_READY:
        return lc.queue(this.queueSel)?.ready ? 1 : 0;
      case R.MMIO_INTERRUPT_STATUS:
        return lc.interruptStatus;
      case R.MMIO_STATUS:
        return lc.status;
      case R.MMIO_SHM_LEN_LOW:
      case R.MMIO_SHM_LEN_HIGH:
      case R.MMIO_SHM_BASE_LOW:
      case R.MMIO_SHM_BASE_HIGH:
        // No device model here has shared memory regions: every ID reads as unused (§4.2.2).
        return 0xffff_ffff;
      case R.MMIO_QUEUE_RESET:
        this.violation('FEATURE_NOT_NEGOTIATED', 'QueueReset read: VIRTIO_F_RING_RESET is not offered');
        return 0;
      case R.MMIO_CONFIG_GENERATION:
        return lc.configGeneration;
      default:
        return 0; // unreachable: control() has checked the table
    }
  }
  // #endregion mmio-read

  // #region mmio-write
  /** A guest write of `width` bytes at `offset`. */
  write(offset: number, value: number, width: AccessWidth = 4): void {
    if (offset >= R.MMIO_CONFIG) return this.writeConfig(offset - R.MMIO_CONFIG, value, width);
    if (!this.control(offset, width, 'write')) return;
    const v = value >>> 0;
    const lc = this.lifecycle;
    const area = AREA_REGISTERS[offset];
    if (area) return lc.setQueueArea(this.queueSel, area.area, BigInt(v), area.half);
    switch (offset) {
      case R.MMIO_DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = v;
        this.deviceSelWritten = true;
        return;
      case R.MMIO_DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = v;
        this.driverSelWritten = true;
        return;
      case R.MMIO_DRIVER_FEATURES:
        if (!this.driverSelWritten) this.violation('SELECTOR_NOT_WRITTEN', 'DriverFeatures written before DriverFeaturesSel');
        return lc.writeDriverFeatureWord(this.driverFeaturesSel, v);
      case R.MMIO_QUEUE_SEL:
        this.queueSel = v;
        return;
      case R.MMIO_QUEUE_SIZE:
        return lc.setQueueSize(this.queueSel, v);
      case R.MMIO_QUEUE_READY:
        return lc.setQueueReady(this.queueSel, v !== 0);
      case R.MMIO_QUEUE_NOTIFY:
        // Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index (§4.2.3.3).
        return lc.notify(v);
      case R.MMIO_INTERRUPT_ACK:
        return lc.acknowledge(v);
      case R.MMIO_STATUS:
        if (v === 0) this.resetSelectors();
        return lc.writeStatus(v);
      case R.MMIO_SHM_SEL:
        return; // selects among no regions
      case R.MMIO_QUEUE_RESET:
        return this.violation('FEATURE_NOT_NEGOTIATED', 'QueueReset written: VIRTIO_F_RING_RESET is not offered');
    }
  }
  // #endregion mmio-write

  /** The interrupt line: asserted while InterruptStatus has a bit set (§4.2.3.4). */
  get interruptAsserted(): boolean {
    return this.lifecycle.interruptStatus !== 0;
  }

  // #region mmio-access-check
  /**
   * §4.2.2.2: control registers take 32-bit aligned accesses only, at offsets the table
   * defines, reads of R or RW registers and writes of W or RW ones.
   */
  private control(offset: number, width: AccessWidth, kind: 'read' | 'write'): R.MmioRegister | null {
    const reg = R.mmioRegisterAt(offset);
    if (!reg) {
      this.violation('REGISTER_UNDEFINED', `${kind} of ${R.mmioRegisterName(offset)}: no register there`);
      return null;
    }
    if (width !== 4) {
      this.violation('REGISTER_WIDTH', `${width}-byte ${kind} of ${reg.name}: control registers are 32-bit`);
      return null;
    }
    if (kind === 'read' && reg.access === 'W') {
      this.violation('REGISTER_WRITE_ONLY', `read of write-only ${reg.name}`);
      return null;
    }
    if (kind === 'write' && reg.access === 'R') {
      this.violation('REGISTER_READ_ONLY', `write of read-only ${reg.name}`);
      return null;
    }
    return reg;
  }
  // #endregion mmio-access-check

  // #region mmio-config
  /**
   * The configuration space at 0x100 (§4.2.2): 1, 2 or 4 bytes at an offset aligned to the
   * width (§4.2.2.2 asks for 8-bit, aligned 16-bit or aligned 32-bit accesses).
   */
  private readConfig(offset: number, width: AccessWidth): number {
    if (!this.configAccessOk(offset, width, 'read')) return 0;
    return leValue(this.lifecycle.readConfig(offset, width));
  }

  private writeConfig(offset: number, value: number, width: AccessWidth): void {
    if (!this.configAccessOk(offset, width, 'write')) return;
    this.lifecycle.writeConfig(offset, leBytes(value, width));
  }

  private configAccessOk(offset: number, width: AccessWidth, kind: string): boolean {
    if ((width !== 1 && width !== 2 && width !== 4) || offset % width !== 0) {
      this.violation('REGISTER_WIDTH', `${width}-byte ${kind} of Config+0x${offset.toString(16)}: not an aligned 1, 2 or 4-byte access`);
      return false;
    }
    return true;
  }
  // #endregion mmio-config

  private resetSelectors(): void {
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.deviceSelWritten = false;
    this.driverSelWritten = false;
    this.queueSel = 0;
  }

  private violation(code: LifecycleErrorCode, message: string): void {
    this.lifecycle.record(code, message);
  }
}
