// The PCI configuration header of a virtio function and its chain of vendor-specific
// capabilities (VIRTIO 1.4 §4.1.2, §4.1.4): written by the device model, parsed by the driver.
// The parser never trusts the bytes: a chain that loops, leaves the header or holds a short
// capability is reported, and capabilities the driver must ignore are listed as ignored.
import * as L from './layout.ts';

// #region virtio-cap
/** One virtio structure capability, as found in configuration space. */
export interface VirtioPciCap {
  /** Where the capability starts in configuration space. */
  readonly at: number;
  readonly cfgType: number;
  readonly bar: number;
  readonly id: number;
  /** Offset and length of the structure within the BAR. */
  readonly offset: number;
  readonly length: number;
  /** Notification capability only: bytes between the notify addresses of consecutive offsets. */
  readonly notifyOffMultiplier?: number;
}
// #endregion virtio-cap

export interface HeaderSpec {
  readonly virtioDeviceId: number;
  /** Capabilities in chain order; placed from 0x40 on, each 4-byte aligned. */
  readonly caps: readonly Omit<VirtioPciCap, 'at'>[];
  readonly bar0?: number;
}

/** Builds a 256-byte type-0 configuration header for a modern virtio function. */
export function buildConfigHeader(spec: HeaderSpec): Uint8Array {
  const cfg = new Uint8Array(256);
  const v = new DataView(cfg.buffer);
  v.setUint16(L.PCI_CFG_VENDOR_ID, L.PCI_VENDOR_ID_VIRTIO, true);
  v.setUint16(L.PCI_CFG_DEVICE_ID, L.pciDeviceId(spec.virtioDeviceId), true);
  v.setUint16(L.PCI_CFG_STATUS, L.PCI_STATUS_CAP_LIST, true);
  cfg[L.PCI_CFG_REVISION_ID] = 1; // §4.1.2.1: 1 or higher keeps legacy drivers away
  cfg[L.PCI_CFG_CLASS + 2] = 0xff; // base class: "device does not fit any defined class"
  v.setUint32(L.PCI_CFG_BAR0, spec.bar0 ?? 0, true); // 32-bit memory BAR
  v.setUint16(L.PCI_CFG_SUBSYSTEM_VENDOR_ID, L.PCI_VENDOR_ID_VIRTIO, true);
  v.setUint16(L.PCI_CFG_SUBSYSTEM_ID, 0x40 + spec.virtioDeviceId, true); // §4.1.2.1: 0x40 or higher
  cfg[L.PCI_CFG_INTERRUPT_PIN] = 1; // INTA#
  let at = 0x40;
  cfg[L.PCI_CFG_CAP_PTR] = spec.caps.length > 0 ? at : 0;
  spec.caps.forEach((c, i) => {
    const len = c.cfgType === L.VIRTIO_PCI_CAP_NOTIFY_CFG ? L.VIRTIO_PCI_NOTIFY_CAP_LEN : c.cfgType === L.VIRTIO_PCI_CAP_PCI_CFG ? L.VIRTIO_PCI_CFG_CAP_LEN : L.VIRTIO_PCI_CAP_LEN;
    const next = i + 1 < spec.caps.length ? at + len : 0;
    cfg.set([L.PCI_CAP_ID_VNDR, next, len, c.cfgType, c.bar, c.id], at);
    v.setUint32(at + 8, c.offset, true);
    v.setUint32(at + 12, c.length, true);
    if (c.notifyOffMultiplier !== undefined) v.setUint32(at + 16, c.notifyOffMultiplier, true);
    at = next;
  });
  return cfg;
}

export interface CapScan {
  /** Every well-formed virtio capability, in chain order. */
  readonly caps: readonly VirtioPciCap[];
  /** The first usable capability of each structure type (§4.1.4.1: the driver should use the first). */
  readonly chosen: ReadonlyMap<number, VirtioPciCap>;
  /** Capabilities the driver must ignore, and why (reserved cfg_type or bar). */
  readonly ignored: readonly { at: number; reason: string }[];
  /** Faults: a bad pointer or a loop ends the walk; a malformed capability is skipped. */
  readonly faults: readonly string[];
}

// #region scan-caps
/** Walks the capability list of a configuration header (the driver's side of §4.1.4). */
export function scanCapabilities(cfg: Uint8Array): CapScan {
  const v = new DataView(cfg.buffer, cfg.byteOffset, cfg.byteLength);
  const caps: VirtioPciCap[] = [];
  const chosen = new Map<number, VirtioPciCap>();
  const ignored: { at: number; reason: string }[] = [];
  const faults: string[] = [];
  const seen = new Set<number>();
  if (!(v.getUint16(L.PCI_CFG_STATUS, true) & L.PCI_STATUS_CAP_LIST)) faults.push('the Status register says there is no capability list');
  let at = faults.length === 0 ? cfg[L.PCI_CFG_CAP_PTR] & 0xfc : 0; // the low two bits are reserved (PCI)
  while (at !== 0) {
    if (at < 0x40 || at + 2 > cfg.length) {
      faults.push(`capability pointer 0x${at.toString(16)} is outside 0x40..0x${(cfg.length - 1).toString(16)}`);
      break;
    }
    if (seen.has(at)) {
      faults.push(`capability list loops back to 0x${at.toString(16)}`);
      break;
    }
    seen.add(at);
    const next = cfg[at + 1] & 0xfc;
    if (cfg[at] === L.PCI_CAP_ID_VNDR) {
      const cap = readVirtioCap(cfg, v, at, ignored, faults);
      if (cap) {
        caps.push(cap);
        if (!chosen.has(cap.cfgType)) chosen.set(cap.cfgType, cap);
      }
    }
    at = next;
  }
  return { caps, chosen, ignored, faults };
}

function readVirtioCap(cfg: Uint8Array, v: DataView, at: number, ignored: { at: number; reason: string }[], faults: string[]): VirtioPciCap | null {
  const len = cfg[at + 2];
  if (len < L.VIRTIO_PCI_CAP_LEN || at + len > cfg.length) {
    faults.push(`capability at 0x${at.toString(16)}: cap_len ${len} is below 16 or runs past the header`);
    return null;
  }
  const cfgType = cfg[at + 3];
  const bar = cfg[at + 4];
  // §4.1.4.1: reserved cfg_type or bar values make the driver ignore the capability.
  const known = [1, 2, 3, 4, 5, 8, 9].includes(cfgType);
  if (!known) {
    ignored.push({ at, reason: `reserved cfg_type ${cfgType}` });
    return null;
  }
  if (bar > 5) {
    ignored.push({ at, reason: `reserved bar ${bar}` });
    return null;
  }
  const cap: VirtioPciCap = { at, cfgType, bar, id: cfg[at + 5], offset: v.getUint32(at + 8, true), length: v.getUint32(at + 12, true) };
  if (cfgType !== L.VIRTIO_PCI_CAP_NOTIFY_CFG) return cap;
  if (len < L.VIRTIO_PCI_NOTIFY_CAP_LEN) {
    faults.push(`notification capability at 0x${at.toString(16)}: cap_len ${len} leaves out notify_off_multiplier`);
    return null;
  }
  return { ...cap, notifyOffMultiplier: v.getUint32(at + 16, true) };
}
// #endregion scan-caps

/** Problems with the structures a modern device must present (§4.1.4.3 to §4.1.4.7); empty if none. */
export function checkRequiredCaps(scan: CapScan, hasDeviceConfig: boolean): string[] {
  const problems = [...scan.faults];
  const need: [number, string][] = [
    [L.VIRTIO_PCI_CAP_COMMON_CFG, 'common configuration'],
    [L.VIRTIO_PCI_CAP_NOTIFY_CFG, 'notification'],
    [L.VIRTIO_PCI_CAP_ISR_CFG, 'ISR status'],
    [L.VIRTIO_PCI_CAP_PCI_CFG, 'PCI configuration access'],
  ];
  if (hasDeviceConfig) need.push([L.VIRTIO_PCI_CAP_DEVICE_CFG, 'device-specific configuration']);
  for (const [type, what] of need) if (!scan.chosen.has(type)) problems.push(`no ${what} capability`);
  const common = scan.chosen.get(L.VIRTIO_PCI_CAP_COMMON_CFG);
  if (common && common.offset % 4 !== 0) problems.push('common configuration offset is not 4-byte aligned');
  const device = scan.chosen.get(L.VIRTIO_PCI_CAP_DEVICE_CFG);
  if (device && device.offset % 4 !== 0) problems.push('device configuration offset is not 4-byte aligned');
  const notify = scan.chosen.get(L.VIRTIO_PCI_CAP_NOTIFY_CFG);
  if (notify) {
    const m = notify.notifyOffMultiplier ?? 0;
    if (notify.offset % 2 !== 0) problems.push('notification offset is not 2-byte aligned');
    if (m !== 0 && (m & (m - 1)) !== 0) problems.push(`notify_off_multiplier ${m} is not 0 or a power of 2`);
    if (m === 1) problems.push('notify_off_multiplier 1 is not an even power of 2');
    if (notify.length < 2) problems.push('notification structure shorter than 2 bytes');
  }
  return problems;
}
