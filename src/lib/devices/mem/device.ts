// The memory device, VIRTIO 1.4 §5.15 (device ID 24, "virtio-mem"): a region of guest physical
// memory in blocks the driver plugs and unplugs on request. The device says how much it wants
// plugged (requested_size); the driver chooses the blocks. Behind the device sits a host (the
// platform's memory pool) that backs plugged blocks and takes unplugged ones back. Every
// request gets a response, ACK, NACK, BUSY or ERROR, and every refusal is recorded by name; only
// a broken ring puts the device into DEVICE_NEEDS_RESET.
import { type DescriptorChain, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChainPrefix } from '../../virtio/chain-io.ts';
import type { ConfigSpace } from '../../virtio/config-space.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { BlockMap, geometryError, type MemGeometry } from './blocks.ts';
import { MEM_ERRORS, type MemErrorCode } from './errors.ts';
import * as P from './protocol.ts';

// #region mem-host
/** What the device needs of the host memory behind it (a platform's pool, or nothing). */
export interface MemHost {
  /** The guest plugs `bytes`: true if the host backs them now, false if it cannot yet (BUSY). */
  plug(bytes: number): boolean;
  /** The guest unplugged `bytes`: the host has them back. */
  unplug(bytes: number): void;
}
// #endregion mem-host

export const UNLIMITED_MEM_HOST: MemHost = { plug: () => true, unplug() {} };

export interface MemDeviceOptions extends MemGeometry {
  /** An ACPI proximity domain: offered as node_id with VIRTIO_MEM_F_ACPI_PXM. Default: none. */
  readonly nodeId?: number;
  /** Offer VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE (and insist on it); default true. */
  readonly unpluggedInaccessible?: boolean;
  /** Offer VIRTIO_MEM_F_PERSISTENT_SUSPEND; default false. */
  readonly persistentSuspend?: boolean;
  /** requested_size when the device is made; default 0. */
  readonly requestedSize?: number;
  /** How far the usable region reaches past requested_size; default 128 MiB. */
  readonly usableExtent?: number;
  readonly host?: MemHost;
}

/** What the guest's mapping of one block may allow, by the rules of §5.15.6. */
export type BlockAccess = 'read-write' | 'read-only' | 'none';

const MiB = 1 << 20;

export class MemDevice extends VirtioDevice {
  readonly deviceId = P.VIRTIO_ID_MEM;
  readonly name = 'virtio-mem';
  readonly blocks: BlockMap;
  readonly host: MemHost;
  /** Refusals by the rule they enforce. */
  readonly errors = new Map<MemErrorCode, number>();
  lastError: MemErrorCode | null = null;
  /** Responses sent, by response type. */
  readonly responses = new Map<number, number>();
  /** Requests longer than 24 bytes: the bytes past the request were ignored (§5.15.6.3.2). */
  trailing = 0;
  private readonly offered: Features;
  private readonly extent: number;
  private accepted: Features = 0n;
  private suspended = false;
  private deferred: ((c: ConfigSpace) => void)[] = [];

  constructor(opts: MemDeviceOptions) {
    super(P.MEM_CONFIG_SIZE);
    const err = geometryError(opts);
    if (err) throw new RangeError(`virtio-mem: ${err}`);
    this.blocks = new BlockMap({ addr: opts.addr, regionSize: opts.regionSize, blockSize: opts.blockSize });
    this.host = opts.host ?? UNLIMITED_MEM_HOST;
    this.extent = opts.usableExtent ?? 128 * MiB;
    if (opts.nodeId !== undefined && (!Number.isInteger(opts.nodeId) || opts.nodeId < 0 || opts.nodeId > 0xffff)) throw new RangeError(`virtio-mem: node_id ${opts.nodeId}: 0 to 65535`);
    let f = 0n;
    if (opts.nodeId !== undefined) f |= bit(P.VIRTIO_MEM_F_ACPI_PXM);
    if (opts.unpluggedInaccessible ?? true) f |= bit(P.VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
    if (opts.persistentSuspend ?? false) f |= bit(P.VIRTIO_MEM_F_PERSISTENT_SUSPEND);
    this.offered = f;
    const requested = this.checkSize(opts.requestedSize ?? 0);
    // #region config-init
    const c = this.config;
    c.setU64(P.MEM_CFG_BLOCK_SIZE, BigInt(opts.blockSize));
    c.setU16(P.MEM_CFG_NODE_ID, opts.nodeId ?? 0); // without ACPI_PXM the driver ignores it (§5.15.4.1)
    c.setU64(P.MEM_CFG_ADDR, BigInt(opts.addr));
    c.setU64(P.MEM_CFG_REGION_SIZE, BigInt(opts.regionSize));
    c.setU64(P.MEM_CFG_USABLE_REGION_SIZE, BigInt(this.fit(requested)));
    c.setU64(P.MEM_CFG_PLUGGED_SIZE, 0n); // §5.15: all blocks unplugged on initial start
    c.setU64(P.MEM_CFG_REQUESTED_SIZE, BigInt(requested));
    // #endregion config-init
  }

  protected deviceFeatures(): Features {
    return this.offered;
  }

  queueCount(): number {
    return 1;
  }

  // #region unplugged-inaccessible
  checkFeatures(accepted: Features): string | null {
    const base = super.checkFeatures(accepted);
    if (base) return base;
    // §5.15.5.2 lets the device stop working for a driver that may still read unplugged memory.
    // The AVP's device refuses it at once: memory a guest gave back may be another guest's
    // next, and only a driver that never reads unplugged blocks lets the platform unmap them.
    if (hasFeature(this.offered, P.VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE) && !hasFeature(accepted, P.VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)) {
      return 'VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE not accepted: unplugged memory must be unreachable';
    }
    this.accepted = accepted;
    return null;
  }
  // #endregion unplugged-inaccessible

  protected onActivate(env: DeviceEnv): void {
    this.accepted = env.features;
  }

  protected onReset(): void {
    // §5.15.5.2: a device reset leaves every block as it was; only a system reset unplugs them.
    for (const d of this.deferred) d(this.config);
    this.deferred = [];
    this.suspended = false;
    this.accepted = 0n;
  }

  get blockSize(): number {
    return this.blocks.geometry.blockSize;
  }
  get requestedSize(): number {
    return Number(this.config.u64(P.MEM_CFG_REQUESTED_SIZE));
  }
  get pluggedSize(): number {
    return Number(this.config.u64(P.MEM_CFG_PLUGGED_SIZE));
  }
  get usableRegionSize(): number {
    return Number(this.config.u64(P.MEM_CFG_USABLE_REGION_SIZE));
  }
  get negotiated(): Features {
    return this.accepted;
  }

  private checkSize(bytes: number): number {
    const { regionSize, blockSize } = this.blocks.geometry;
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > regionSize || bytes % blockSize !== 0) throw new RangeError(`virtio-mem: size ${bytes}: 0 to region_size ${regionSize} in whole blocks of ${blockSize}`);
    return bytes;
  }

  /** The usable region for a requested size: past it by the extent, in whole blocks, within the region. */
  private fit(requested: number): number {
    if (requested === 0) return 0;
    const bs = this.blockSize;
    return Math.min(this.blocks.geometry.regionSize, Math.ceil((requested + this.extent) / bs) * bs);
  }

  private changeConfig(fn: (c: ConfigSpace) => void): void {
    if (this.suspended) this.deferred.push(fn);
    else this.config.update(fn);
  }

  // #region set-requested
  /**
   * The platform asks for `bytes` plugged. The usable region grows to fit, never shrinks here
   * (§5.15.4.2), and the driver hears of it by a configuration change notification.
   */
  setRequestedSize(bytes: number): void {
    const requested = this.checkSize(bytes);
    const usable = Math.max(this.usableRegionSize, this.fit(requested));
    this.changeConfig((c) => {
      c.setU64(P.MEM_CFG_REQUESTED_SIZE, BigInt(requested));
      c.setU64(P.MEM_CFG_USABLE_REGION_SIZE, BigInt(usable));
    });
  }
  // #endregion set-requested

  // #region system-reset
  /**
   * The guest's system reset (not a device reset): every block is unplugged and goes back to
   * the host, and the usable region shrinks to fit requested_size again (§5.15.6.2).
   */
  systemReset(): void {
    const n = this.blocks.clear();
    if (n > 0) this.host.unplug(n * this.blockSize);
    this.config.setU64(P.MEM_CFG_PLUGGED_SIZE, 0n);
    this.config.setU64(P.MEM_CFG_USABLE_REGION_SIZE, BigInt(this.fit(this.requestedSize)));
    this.reset();
  }
  // #endregion system-reset

  // #region block-access
  /**
   * How the platform maps a block into the guest (its stage-2 translation): a plugged block is
   * ordinary RAM; an unplugged one is unmapped, unless the driver may read it, which it may
   * only without UNPLUGGED_INACCESSIBLE and inside the usable region (§5.15.6.2).
   */
  accessOf(block: number): BlockAccess {
    if (this.blocks.isPlugged(block)) return 'read-write';
    const inUsable = block * this.blockSize < this.usableRegionSize;
    return inUsable && !hasFeature(this.offered, P.VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE) ? 'read-only' : 'none';
  }
  // #endregion block-access

  suspend(): void {
    this.suspended = true; // every request is answered when it arrives: nothing is in progress
  }

  resume(): void {
    this.suspended = false;
    if (this.deferred.length) {
      const d = this.deferred;
      this.deferred = [];
      this.config.update((c) => d.forEach((fn) => fn(c)));
    }
    if (this.active) this.queueNotify(P.MEM_GUEST_REQUEST_Q);
  }

  queueNotify(index: number): void {
    if (!this.active || this.suspended || index !== P.MEM_GUEST_REQUEST_Q) return;
    this.drain(P.MEM_GUEST_REQUEST_Q, (chain) => this.serve(chain));
  }

  private refuse(code: MemErrorCode): number {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    this.lastError = code;
    const r = MEM_ERRORS[code].response;
    return r === 'NACK' ? P.VIRTIO_MEM_RESP_NACK : r === 'BUSY' ? P.VIRTIO_MEM_RESP_BUSY : P.VIRTIO_MEM_RESP_ERROR;
  }

  // #region serve
  /** One request: the first 24 device-readable bytes; the 10-byte response in the writable part. */
  private serve(chain: DescriptorChain): number {
    if (totalLength(writableBuffers(chain)) < P.MEM_RESP_SIZE) {
      // Nowhere to say what happened: the device does nothing, so the driver's view and the
      // device's cannot part.
      this.refuse('NO_RESPONSE_ROOM');
      return 0;
    }
    const req = readChainPrefix(this.env.mem, chain, P.MEM_REQ_SIZE + 1);
    if (req.length > P.MEM_REQ_SIZE) this.trailing++;
    const resp = new Uint8Array(P.MEM_RESP_SIZE);
    const out = new DataView(resp.buffer);
    out.setUint16(0, req.length < P.MEM_REQ_SIZE ? this.refuse('REQUEST_TOO_SHORT') : this.execute(new DataView(req.buffer, 0, P.MEM_REQ_SIZE), out), true);
    const type = out.getUint16(0, true);
    this.responses.set(type, (this.responses.get(type) ?? 0) + 1);
    return new ChainWriter(this.env.mem, chain).write(resp);
  }

  /** Runs a whole request; returns the response type (STATE also fills `out`). Padding is ignored (§5.15.6.3.2). */
  private execute(req: DataView, out: DataView): number {
    const type = req.getUint16(0, true);
    if (type === P.VIRTIO_MEM_REQ_UNPLUG_ALL) return this.unplugAll();
    if (type !== P.VIRTIO_MEM_REQ_PLUG && type !== P.VIRTIO_MEM_REQ_UNPLUG && type !== P.VIRTIO_MEM_REQ_STATE) return this.refuse('UNKNOWN_TYPE');
    const addr = req.getBigUint64(8, true);
    const nb = req.getUint16(16, true);
    const bad = this.blocks.rangeError(addr, nb, this.usableRegionSize);
    if (bad) return this.refuse(bad);
    const first = this.blocks.index(addr);
    if (type === P.VIRTIO_MEM_REQ_STATE) {
      out.setUint16(8, this.blocks.stateOf(first, nb), true);
      return P.VIRTIO_MEM_RESP_ACK;
    }
    return type === P.VIRTIO_MEM_REQ_PLUG ? this.plug(first, nb) : this.unplug(first, nb);
  }
  // #endregion serve

  // #region plug
  /** The checks run in this order, and the first that fails answers (AVP-MEM-52). */
  private plug(first: number, nb: number): number {
    if (!this.blocks.all(first, nb, false)) return this.refuse('ALREADY_PLUGGED');
    const bytes = nb * this.blockSize;
    if (this.pluggedSize + bytes > this.requestedSize) return this.refuse('OVER_REQUESTED');
    if (!this.host.plug(bytes)) return this.refuse('HOST_BUSY');
    this.blocks.set(first, nb, true);
    this.setPlugged();
    return P.VIRTIO_MEM_RESP_ACK;
  }

  private unplug(first: number, nb: number): number {
    if (!this.blocks.all(first, nb, true)) return this.refuse('ALREADY_UNPLUGGED');
    this.blocks.set(first, nb, false);
    this.host.unplug(nb * this.blockSize);
    this.setPlugged();
    return P.VIRTIO_MEM_RESP_ACK;
  }
  // #endregion plug

  // #region unplug-all
  private unplugAll(): number {
    const n = this.blocks.clear();
    if (n > 0) this.host.unplug(n * this.blockSize);
    this.setPlugged();
    // §5.15.6.5.2: the usable region may shrink here, and only here, without a notification.
    this.config.setU64(P.MEM_CFG_USABLE_REGION_SIZE, BigInt(this.fit(this.requestedSize)));
    return P.VIRTIO_MEM_RESP_ACK;
  }
  // #endregion unplug-all

  /** plugged_size follows the blocks, without a configuration change notification (§5.15.4.2). */
  private setPlugged(): void {
    this.config.setU64(P.MEM_CFG_PLUGGED_SIZE, BigInt(this.blocks.plugged * this.blockSize));
  }
}

export function memErrorText(code: MemErrorCode): string {
  return MEM_ERRORS[code].text;
}
