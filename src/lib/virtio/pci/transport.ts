// The device side of virtio over PCI (VIRTIO 1.4 §4.1) as a register model: a configuration
// header with the virtio capabilities, and one memory BAR holding the common configuration,
// ISR status, device configuration and notification structures. As with MMIO, this file only
// decodes the layout; the rules live in DeviceLifecycle. No access throws.
import { leBytes, leValue } from '../bytes.ts';
import type { VirtioDevice } from '../device.ts';
import { DeviceLifecycle, type LifecycleOptions } from '../lifecycle/device-lifecycle.ts';
import type { LifecycleErrorCode } from '../lifecycle/errors.ts';
import type { QueueArea } from '../lifecycle/queue-setup.ts';
import type { GuestMemory } from '../memory.ts';
import type { AccessWidth } from '../mmio/transport.ts';
import { buildConfigHeader } from './capabilities.ts';
import * as L from './layout.ts';

// #region bar-layout
/** Where this model puts each structure in BAR 0. */
export const BAR0_COMMON = 0x0000;
export const BAR0_ISR = 0x1000;
export const BAR0_DEVICE = 0x2000;
export const BAR0_NOTIFY = 0x3000;
export const BAR0_SIZE = 0x4000;
/** queue_notify_off is the queue index; notify addresses are 4 bytes apart. */
export const NOTIFY_OFF_MULTIPLIER = 4;
// #endregion bar-layout

const AREAS: Record<string, QueueArea> = { queue_desc: 'desc', queue_driver: 'driver', queue_device: 'device' };

export class PciTransport {
  readonly lifecycle: DeviceLifecycle;
  /** The 256-byte configuration header, capabilities included. */
  readonly header: Uint8Array;
  private featureSel = 0;
  private driverFeatureSel = 0;
  private queueSel = 0;

  constructor(device: VirtioDevice, mem: GuestMemory, opts: LifecycleOptions & { bar0?: number } = {}) {
    this.lifecycle = new DeviceLifecycle(device, mem, opts);
    const maxQueues = Math.max(1, this.lifecycle.queueCount());
    this.header = buildConfigHeader({
      virtioDeviceId: device.deviceId,
      bar0: opts.bar0,
      caps: [
        { cfgType: L.VIRTIO_PCI_CAP_COMMON_CFG, bar: 0, id: 0, offset: BAR0_COMMON, length: L.COMMON_CFG_SIZE },
        { cfgType: L.VIRTIO_PCI_CAP_NOTIFY_CFG, bar: 0, id: 0, offset: BAR0_NOTIFY, length: maxQueues * NOTIFY_OFF_MULTIPLIER, notifyOffMultiplier: NOTIFY_OFF_MULTIPLIER },
        { cfgType: L.VIRTIO_PCI_CAP_ISR_CFG, bar: 0, id: 0, offset: BAR0_ISR, length: 1 },
        ...(device.config.size > 0 ? [{ cfgType: L.VIRTIO_PCI_CAP_DEVICE_CFG, bar: 0, id: 0, offset: BAR0_DEVICE, length: device.config.size }] : []),
        { cfgType: L.VIRTIO_PCI_CAP_PCI_CFG, bar: 0, id: 0, offset: 0, length: 0 },
      ],
    });
  }

  get device(): VirtioDevice {
    return this.lifecycle.device;
  }

  /** INTx: asserted while ISR status has a bit set (§4.1.4.5). */
  get interruptAsserted(): boolean {
    return this.lifecycle.interruptStatus !== 0;
  }

  /** A read of the configuration header; the Status register mirrors the interrupt (§4.1.4.5). */
  configRead(offset: number, width: AccessWidth = 4): number {
    if (offset % width !== 0 || offset + width > this.header.length) return this.bad('REGISTER_WIDTH', `config space ${width}-byte read at 0x${offset.toString(16)}`);
    const bytes = this.header.slice(offset, offset + width);
    if (offset <= L.PCI_CFG_STATUS && L.PCI_CFG_STATUS < offset + width && this.interruptAsserted) bytes[L.PCI_CFG_STATUS - offset] |= L.PCI_STATUS_INTERRUPT;
    return leValue(bytes);
  }

  /** The driver may write the Command register only; the capabilities are read-only (§4.1.4.1). */
  configWrite(offset: number, value: number, width: AccessWidth = 4): void {
    if (offset === L.PCI_CFG_COMMAND && width === 2) {
      this.header[offset] = value & 0xff;
      this.header[offset + 1] = (value >>> 8) & 0xff;
      return;
    }
    this.bad('REGISTER_READ_ONLY', `config space write at 0x${offset.toString(16)}`);
  }

  // #region bar-decode
  /** A read of BAR `bar` at `offset`. */
  barRead(bar: number, offset: number, width: AccessWidth = 4): number {
    if (bar !== 0 || offset < 0 || offset >= BAR0_SIZE) return this.bad('REGISTER_UNDEFINED', `BAR${bar} read at 0x${offset.toString(16)}`);
    if (offset < BAR0_ISR) return this.readCommon(offset - BAR0_COMMON, width);
    if (offset < BAR0_DEVICE) {
      if (offset !== BAR0_ISR || width !== 1) return this.bad('REGISTER_WIDTH', `ISR status is one byte at 0x${BAR0_ISR.toString(16)}`);
      return this.lifecycle.takeInterruptStatus(); // §4.1.4.5: reading clears it
    }
    if (offset < BAR0_NOTIFY) return this.readDevice(offset - BAR0_DEVICE, width);
    return this.bad('REGISTER_WRITE_ONLY', 'read of a notification address');
  }

  /** A write of BAR `bar` at `offset`. */
  barWrite(bar: number, offset: number, value: number, width: AccessWidth = 4): void {
    if (bar !== 0 || offset < 0 || offset >= BAR0_SIZE) return void this.bad('REGISTER_UNDEFINED', `BAR${bar} write at 0x${offset.toString(16)}`);
    if (offset < BAR0_ISR) return this.writeCommon(offset - BAR0_COMMON, value >>> 0, width);
    if (offset < BAR0_DEVICE) return void this.bad('REGISTER_READ_ONLY', 'write of ISR status');
    if (offset < BAR0_NOTIFY) return this.writeDevice(offset - BAR0_DEVICE, value, width);
    this.writeNotify(offset - BAR0_NOTIFY, value, width);
  }
  // #endregion bar-decode

  // #region common-read
  private readCommon(offset: number, width: AccessWidth): number {
    const at = L.commonFieldAt(offset, width);
    if (!at) return this.bad(offset < L.COMMON_CFG_SIZE ? 'REGISTER_WIDTH' : 'REGISTER_UNDEFINED', `common configuration ${width}-byte read at ${offset}`);
    const lc = this.lifecycle;
    const q = lc.queue(this.queueSel);
    const area = AREAS[at.field.name];
    if (area) {
      const v = q ? q[area] : 0n;
      return Number(at.half === 'high' ? v >> 32n : v & 0xffff_ffffn);
    }
    switch (at.field.name) {
      case 'device_feature_select': return this.featureSel;
      case 'device_feature': return lc.deviceFeatureWord(this.featureSel);
      case 'driver_feature_select': return this.driverFeatureSel;
      case 'driver_feature': return lc.driverFeatureWord(this.driverFeatureSel);
      case 'config_msix_vector':
      case 'queue_msix_vector': return L.VIRTIO_MSI_NO_VECTOR; // no MSI-X: INTx and ISR status
      case 'num_queues': return lc.queueCount();
      case 'device_status': return lc.status & 0xff;
      case 'config_generation': return lc.configGeneration & 0xff;
      case 'queue_select': return this.queueSel;
      case 'queue_size': return q?.size ?? 0; // §4.1.4.3.1: 0 for a queue the device lacks
      case 'queue_enable': return q?.ready ? 1 : 0;
      case 'queue_notify_off': return q ? this.queueSel : 0;
      case 'queue_reset': return this.bad('FEATURE_NOT_NEGOTIATED', 'queue_reset read: VIRTIO_F_RING_RESET is not offered');
      default: return 0; // queue_notif_config_data, admin queue fields: their features are not offered
    }
  }
  // #endregion common-read

  // #region common-write
  private writeCommon(offset: number, v: number, width: AccessWidth): void {
    const at = L.commonFieldAt(offset, width);
    if (!at) return void this.bad(offset < L.COMMON_CFG_SIZE ? 'REGISTER_WIDTH' : 'REGISTER_UNDEFINED', `common configuration ${width}-byte write at ${offset}`);
    if (at.field.access === 'R') return void this.bad('REGISTER_READ_ONLY', `write of ${at.field.name}`);
    const lc = this.lifecycle;
    const area = AREAS[at.field.name];
    if (area) return lc.setQueueArea(this.queueSel, area, BigInt(v), at.half === 'full' ? 'low' : at.half);
    switch (at.field.name) {
      case 'device_feature_select': this.featureSel = v; return;
      case 'driver_feature_select': this.driverFeatureSel = v; return;
      case 'driver_feature': return lc.writeDriverFeatureWord(this.driverFeatureSel, v);
      case 'config_msix_vector':
      case 'queue_msix_vector': return; // nothing to map without MSI-X; reads stay NO_VECTOR
      case 'device_status':
        if (v === 0) this.featureSel = this.driverFeatureSel = this.queueSel = 0;
        return lc.writeStatus(v);
      case 'queue_select': this.queueSel = v; return;
      case 'queue_size': return lc.setQueueSize(this.queueSel, v);
      case 'queue_enable':
        if (v === 0) return void this.bad('QUEUE_DISABLE_REFUSED', 'queue_enable written with 0 (§4.1.4.3.2)');
        return lc.setQueueReady(this.queueSel, true);
      case 'queue_reset': return void this.bad('FEATURE_NOT_NEGOTIATED', 'queue_reset written: VIRTIO_F_RING_RESET is not offered');
    }
  }
  // #endregion common-write

  private readDevice(offset: number, width: AccessWidth): number {
    if (offset % width !== 0) return this.bad('REGISTER_WIDTH', `device configuration ${width}-byte read at ${offset}`);
    return leValue(this.lifecycle.readConfig(offset, width));
  }

  private writeDevice(offset: number, value: number, width: AccessWidth): void {
    if (offset % width !== 0) return void this.bad('REGISTER_WIDTH', `device configuration ${width}-byte write at ${offset}`);
    this.lifecycle.writeConfig(offset, leBytes(value, width));
  }

  // #region notify-write
  /** §4.1.5.2: the driver writes the queue index at that queue's notify address. */
  private writeNotify(offset: number, value: number, width: AccessWidth): void {
    if (width !== 2 || offset % NOTIFY_OFF_MULTIPLIER !== 0) return void this.bad('REGISTER_WIDTH', `${width}-byte notification at +${offset}`);
    const index = offset / NOTIFY_OFF_MULTIPLIER;
    if ((value & 0xffff) !== index) return void this.bad('NOTIFY_QUEUE_INVALID', `queue index ${value & 0xffff} written at the notify address of queue ${index}`);
    this.lifecycle.notify(index);
  }
  // #endregion notify-write

  private bad(code: LifecycleErrorCode, message: string): number {
    this.lifecycle.record(code, message);
    return 0;
  }
}
