// The guest side of virtio over PCI: match the IDs, walk the capability list to find the
// structures, then run the same initialization as every transport (driver-init.ts) through
// the fields of the common configuration structure (§4.1.5).
import type { DriverTransport, InitOptions } from '../driver-init.ts';
import { TransportDriver } from '../transport-driver.ts';
import { readConfigConsistently } from '../config-read.ts';
import type { Completion } from '../driver-requests.ts';
import type { Features } from '../feature-bits.ts';
import { INT_CONFIG_CHANGE, INT_USED_BUFFER } from '../lifecycle/device-lifecycle.ts';
import type { GuestMemory } from '../memory.ts';
import { DEVICE_NEEDS_RESET } from '../status.ts';
import { checkRequiredCaps, scanCapabilities, type VirtioPciCap } from './capabilities.ts';
import * as L from './layout.ts';

/** What a driver needs of a PCI function: its configuration header and its BARs. */
export interface PciFunction {
  configRead(offset: number, width?: 1 | 2 | 4): number;
  barRead(bar: number, offset: number, width?: 1 | 2 | 4): number;
  barWrite(bar: number, offset: number, value: number, width?: 1 | 2 | 4): void;
}

export interface PciProbe {
  readonly virtioDeviceId: number;
  readonly common: VirtioPciCap;
  readonly notify: VirtioPciCap;
  readonly isr: VirtioPciCap;
  readonly device: VirtioPciCap | null;
}

export class PciDriver extends TransportDriver {
  readonly fn: PciFunction;
  private found: PciProbe | null = null;

  constructor(fn: PciFunction, mem: GuestMemory, heap: { addr: number; size: number }) {
    super(mem, heap);
    this.fn = fn;
  }

  // #region pci-probe
  /** §4.1.2.2 and §4.1.4.1: match the IDs (any revision), then find the first of each structure. */
  probe(): { ok: true; probe: PciProbe } | { ok: false; reason: string } {
    const vendor = this.fn.configRead(L.PCI_CFG_VENDOR_ID, 2);
    const did = this.fn.configRead(L.PCI_CFG_DEVICE_ID, 2);
    if (vendor !== L.PCI_VENDOR_ID_VIRTIO) return { ok: false, reason: `vendor ID 0x${vendor.toString(16)} is not 0x1af4` };
    if (did < L.PCI_DEVICE_ID_BASE || did > L.PCI_DEVICE_ID_LAST) return { ok: false, reason: `device ID 0x${did.toString(16)} is not a modern virtio ID (0x1040..0x107f)` };
    const header = new Uint8Array(256);
    for (let at = 0; at < 256; at += 4) new DataView(header.buffer).setUint32(at, this.fn.configRead(at, 4), true);
    const scan = scanCapabilities(header);
    const problems = checkRequiredCaps(scan, false);
    if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
    const get = (t: number) => scan.chosen.get(t) ?? null;
    const probe = { virtioDeviceId: did - L.PCI_DEVICE_ID_BASE, common: get(L.VIRTIO_PCI_CAP_COMMON_CFG)!, notify: get(L.VIRTIO_PCI_CAP_NOTIFY_CFG)!, isr: get(L.VIRTIO_PCI_CAP_ISR_CFG)!, device: get(L.VIRTIO_PCI_CAP_DEVICE_CFG) };
    this.found = probe;
    return { ok: true, probe };
  }
  // #endregion pci-probe

  init(opts: InitOptions = {}): { ok: true; deviceId: number; features: Features; queues: number } | { ok: false; reason: string; status: number } {
    const p = this.probe();
    if (!p.ok) return { ok: false, reason: p.reason, status: 0 };
    const r = this.initialize(this.ops(p.probe), opts);
    if (!r.ok) return r;
    return { ok: true, deviceId: p.probe.virtioDeviceId, features: r.features, queues: r.requests.queues.length };
  }

  // #region pci-ops
  /** The operations of §3.1.1 as common configuration accesses (§4.1.4.3, §4.1.5.1). */
  private ops(p: PciProbe): DriverTransport {
    const { bar, offset } = p.common;
    const r = (name: string, w: 1 | 2 | 4) => this.fn.barRead(bar, offset + L.commonOffset(name), w);
    const w = (name: string, v: number, width: 1 | 2 | 4) => this.fn.barWrite(bar, offset + L.commonOffset(name), v, width);
    const w64 = (name: string, v: number) => {
      w(name, v >>> 0, 4);
      this.fn.barWrite(bar, offset + L.commonOffset(name) + 4, Math.floor(v / 2 ** 32), 4);
    };
    let selected = 0;
    return {
      readStatus: () => r('device_status', 1),
      writeStatus: (v) => w('device_status', v, 1),
      readDeviceFeatures: (sel) => (w('device_feature_select', sel, 4), r('device_feature', 4)),
      writeDriverFeatures: (sel, v) => (w('driver_feature_select', sel, 4), w('driver_feature', v, 4)),
      selectQueue: (i) => {
        selected = i;
        w('queue_select', i, 2);
      },
      // queue_size starts at the maximum; a queue past num_queues is absent (§4.1.5.1.3).
      queueSizeMax: () => (selected < r('num_queues', 2) ? r('queue_size', 2) : 0),
      queueEnabled: () => r('queue_enable', 2) !== 0,
      writeQueue: (q) => {
        w('queue_size', q.size, 2);
        w64('queue_desc', q.descAddr);
        w64('queue_driver', q.driverAddr);
        w64('queue_device', q.deviceAddr);
      },
      enableQueue: () => w('queue_enable', 1, 2),
      notify: (i) => {
        w('queue_select', i, 2);
        const off = r('queue_notify_off', 2);
        this.fn.barWrite(p.notify.bar, p.notify.offset + off * (p.notify.notifyOffMultiplier ?? 0), i, 2);
      },
    };
  }
  // #endregion pci-ops

  // #region pci-interrupt
  /** INTx handler (§4.1.5.3, §4.1.5.4): reading ISR status tells why and clears it. */
  handleInterrupt(): { isr: number; completions: Map<number, Completion[]>; configChanged: boolean; needsReset: boolean } {
    const p = this.live() && this.found!;
    const isr = this.fn.barRead(p.isr.bar, p.isr.offset, 1);
    const completions = isr & INT_USED_BUFFER ? this.requests!.pollAll() : new Map<number, Completion[]>();
    const configChanged = (isr & INT_CONFIG_CHANGE) !== 0;
    const status = this.fn.barRead(p.common.bar, p.common.offset + L.commonOffset('device_status'), 1);
    return { isr, completions, configChanged, needsReset: configChanged && (status & DEVICE_NEEDS_RESET) !== 0 };
  }
  // #endregion pci-interrupt

  /** Reads device configuration consistently, using config_generation (§2.5.1, §4.1.4.3). */
  readConfig(offset: number, len: number, maxTries = 8): Uint8Array {
    const p = this.found;
    if (!p?.device) throw new Error('the device has no device-specific configuration structure');
    const dev = p.device;
    const generation = () => this.fn.barRead(p.common.bar, p.common.offset + L.commonOffset('config_generation'), 1);
    return readConfigConsistently(generation, (at, width) => this.fn.barRead(dev.bar, dev.offset + at, width), offset, len, maxTries);
  }

}
