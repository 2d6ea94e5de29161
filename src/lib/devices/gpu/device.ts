// The GPU device, VIRTIO 1.4 §5.7 (device ID 16), in its 2D form: controlq (0) carries resource,
// scanout and capset commands, cursorq (1) the pointer. Every request is answered on its own
// queue with a response header; nothing a driver writes stops a queue: a malformed command gets
// a VIRTIO_GPU_RESP_ERR_* response, and only a broken ring, which the queue layer reports, puts
// the device into DEVICE_NEEDS_RESET. Frames go to a display port (display.ts), which on an AVP
// platform is a guest's view of the compositor (compositor.ts).
import type { DescriptorChain } from '../../virtio/chain.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, featureSet, hasFeature } from '../../virtio/feature-bits.ts';
import { type GpuCapset, capsetResponseSize, getCapset, getCapsetInfo } from './capsets.ts';
import {
  GPU_CFG_EVENTS_CLEAR,
  GPU_CFG_EVENTS_READ,
  GPU_CFG_NUM_CAPSETS,
  GPU_CFG_NUM_SCANOUTS,
  GPU_CONFIG_SIZE,
  VIRTIO_GPU_EVENT_DISPLAY,
} from './config.ts';
import { ctxAttachResource, ctxCreate, ctxDestroy, ctxDetachResource, submit3d } from './context-commands.ts';
import { updateCursor, moveCursor } from './cursor-commands.ts';
import { type GpuDisplayPort, StandaloneDisplay } from './display.ts';
import { gpuDependencyError, VIRTIO_GPU_F_CONTEXT_INIT, VIRTIO_GPU_F_EDID, VIRTIO_GPU_F_VIRGL } from './features.ts';
import {
  decodeHdr,
  Fields,
  GPU_CTRL_HDR_SIZE,
  GPU_MEM_ENTRY_SIZE,
  GPU_REQ_SIZE,
  GPU_RESP_CAPSET_INFO_SIZE,
  GPU_RESP_DISPLAY_INFO_SIZE,
  GPU_RESP_EDID_SIZE,
  type GpuCtrlHdr,
  gpuTypeName,
  VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE,
  VIRTIO_GPU_CMD_CTX_CREATE,
  VIRTIO_GPU_CMD_CTX_DESTROY,
  VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE,
  VIRTIO_GPU_CMD_GET_CAPSET,
  VIRTIO_GPU_CMD_GET_CAPSET_INFO,
  VIRTIO_GPU_CMD_GET_DISPLAY_INFO,
  VIRTIO_GPU_CMD_GET_EDID,
  VIRTIO_GPU_CMD_MOVE_CURSOR,
  VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
  VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
  VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
  VIRTIO_GPU_CMD_RESOURCE_FLUSH,
  VIRTIO_GPU_CMD_RESOURCE_UNREF,
  VIRTIO_GPU_CMD_SET_SCANOUT,
  VIRTIO_GPU_CMD_SUBMIT_3D,
  VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
  VIRTIO_GPU_CMD_UPDATE_CURSOR,
  VIRTIO_GPU_FLAG_FENCE,
  VIRTIO_GPU_FLAG_INFO_RING_IDX,
  VIRTIO_GPU_MAX_SCANOUTS,
  VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER,
  VIRTIO_GPU_RESP_ERR_UNSPEC,
} from './protocol.ts';
import { ChainWriter, readableLength, readPrefix, writeResponse } from './request.ts';
import { attachBacking, detachBacking, resourceCreate2d, resourceUnref, transferToHost2d } from './resource-commands.ts';
import { getDisplayInfo, getEdid, resourceFlush, setScanout } from './scanout-commands.ts';
import { type GpuStats, newGpuStats } from './stats.ts';
import { type GpuHandler, type GpuLimits, type GpuRenderer, type GpuResult, type GpuState, err } from './state.ts';

export const VIRTIO_ID_GPU = 16;
export const GPU_CONTROLQ = 0;
export const GPU_CURSORQ = 1;

export interface GpuDeviceOptions {
  /** num_scanouts, 1..16; default 1. */
  readonly scanouts?: number;
  /** Offer VIRTIO_GPU_F_EDID; default true. */
  readonly edid?: boolean;
  /** Capability sets of a host renderer; with any, the device offers VIRGL and CONTEXT_INIT. Default none. */
  readonly capsets?: readonly GpuCapset[];
  /** Receives 3D command streams; default none (SUBMIT_3D answers ERR_UNSPEC). */
  readonly renderer?: GpuRenderer;
  /** Output modes while no display port is connected; default 1024x768 on scanout 0. */
  readonly modes?: readonly ({ width: number; height: number } | null)[];
  readonly limits?: Partial<GpuLimits>;
  readonly maxQueueSize?: number;
}

export const DEFAULT_GPU_LIMITS: GpuLimits = {
  hostMemory: 64 << 20,
  maxResources: 1024,
  maxDimension: 16384,
  maxBackingEntries: 16384,
  maxContexts: 64,
};

/** Bytes of a SUBMIT_3D command stream the device reads at most. */
const MAX_SUBMIT_BYTES = 1 << 20;

// #region dispatch-table
interface CommandSpec {
  readonly queue: number;
  readonly handler: GpuHandler;
  /** The feature the command needs, if any. */
  readonly feature?: number;
  /** The size of a successful response, for the room check before the command runs. */
  readonly respSize: (s: GpuState, f: Fields) => number;
}

const NODATA = () => GPU_CTRL_HDR_SIZE;
const C = GPU_CONTROLQ;

const COMMANDS: ReadonlyMap<number, CommandSpec> = new Map<number, CommandSpec>([
  [VIRTIO_GPU_CMD_GET_DISPLAY_INFO, { queue: C, handler: getDisplayInfo, respSize: () => GPU_RESP_DISPLAY_INFO_SIZE }],
  [VIRTIO_GPU_CMD_GET_EDID, { queue: C, handler: getEdid, feature: VIRTIO_GPU_F_EDID, respSize: () => GPU_RESP_EDID_SIZE }],
  [VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, { queue: C, handler: resourceCreate2d, respSize: NODATA }],
  [VIRTIO_GPU_CMD_RESOURCE_UNREF, { queue: C, handler: resourceUnref, respSize: NODATA }],
  [VIRTIO_GPU_CMD_SET_SCANOUT, { queue: C, handler: setScanout, respSize: NODATA }],
  [VIRTIO_GPU_CMD_RESOURCE_FLUSH, { queue: C, handler: resourceFlush, respSize: NODATA }],
  [VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, { queue: C, handler: transferToHost2d, respSize: NODATA }],
  [VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, { queue: C, handler: attachBacking, respSize: NODATA }],
  [VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, { queue: C, handler: detachBacking, respSize: NODATA }],
  [VIRTIO_GPU_CMD_GET_CAPSET_INFO, { queue: C, handler: getCapsetInfo, respSize: () => GPU_RESP_CAPSET_INFO_SIZE }],
  [VIRTIO_GPU_CMD_GET_CAPSET, { queue: C, handler: getCapset, respSize: (s, f) => capsetResponseSize(s.capsets, f.u32(GPU_CTRL_HDR_SIZE)) }],
  [VIRTIO_GPU_CMD_CTX_CREATE, { queue: C, handler: ctxCreate, feature: VIRTIO_GPU_F_VIRGL, respSize: NODATA }],
  [VIRTIO_GPU_CMD_CTX_DESTROY, { queue: C, handler: ctxDestroy, feature: VIRTIO_GPU_F_VIRGL, respSize: NODATA }],
  [VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, { queue: C, handler: ctxAttachResource, feature: VIRTIO_GPU_F_VIRGL, respSize: NODATA }],
  [VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, { queue: C, handler: ctxDetachResource, feature: VIRTIO_GPU_F_VIRGL, respSize: NODATA }],
  [VIRTIO_GPU_CMD_SUBMIT_3D, { queue: C, handler: submit3d, feature: VIRTIO_GPU_F_VIRGL, respSize: NODATA }],
  [VIRTIO_GPU_CMD_UPDATE_CURSOR, { queue: GPU_CURSORQ, handler: updateCursor, respSize: NODATA }],
  [VIRTIO_GPU_CMD_MOVE_CURSOR, { queue: GPU_CURSORQ, handler: moveCursor, respSize: NODATA }],
]);
// #endregion dispatch-table

export class GpuDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_GPU;
  readonly name = 'virtio-gpu';
  readonly stats: GpuStats = newGpuStats();
  readonly numScanouts: number;
  readonly capsets: readonly GpuCapset[];
  readonly limits: GpuLimits;
  private readonly opts: GpuDeviceOptions;
  private readonly standalone: StandaloneDisplay;
  private port: GpuDisplayPort;
  private state: GpuState | null = null;

  constructor(opts: GpuDeviceOptions = {}) {
    super(GPU_CONFIG_SIZE);
    this.opts = opts;
    const n = opts.scanouts ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > VIRTIO_GPU_MAX_SCANOUTS) throw new RangeError(`scanouts: 1..${VIRTIO_GPU_MAX_SCANOUTS}`);
    const m = opts.maxQueueSize ?? 256;
    if (!Number.isInteger(m) || m < 1 || m > 32768) throw new RangeError('maxQueueSize: 1..32768');
    this.numScanouts = n;
    this.capsets = [...(opts.capsets ?? [])];
    if (new Set(this.capsets.map((c) => c.id)).size !== this.capsets.length) throw new RangeError('capsets: one entry per capset id');
    this.limits = { ...DEFAULT_GPU_LIMITS, ...opts.limits };
    this.standalone = new StandaloneDisplay(opts.modes ?? [{ width: 1024, height: 768 }]);
    this.port = this.standalone;
    this.initConfig();
  }

  // #region offered-features
  /** EDID as configured; VIRGL and CONTEXT_INIT only with capsets of a host renderer. */
  protected deviceFeatures(): Features {
    let f = featureSet();
    if (this.opts.edid ?? true) f |= bit(VIRTIO_GPU_F_EDID);
    if (this.capsets.length > 0) f |= bit(VIRTIO_GPU_F_VIRGL) | bit(VIRTIO_GPU_F_CONTEXT_INIT);
    return f;
  }

  checkFeatures(accepted: Features): string | null {
    return super.checkFeatures(accepted) ?? gpuDependencyError(accepted);
  }
  // #endregion offered-features

  queueCount(_features: Features): number {
    return 2;
  }

  maxQueueSize(_index: number): number {
    return this.opts.maxQueueSize ?? 256;
  }

  // #region config
  private initConfig(): void {
    this.config.setU32(GPU_CFG_EVENTS_READ, 0);
    this.config.setU32(GPU_CFG_NUM_SCANOUTS, this.numScanouts);
    this.config.setU32(GPU_CFG_NUM_CAPSETS, this.capsets.length);
  }

  /** events_clear is write-one-to-clear; every other field ignores driver writes. */
  writeConfig(offset: number, data: Uint8Array): void {
    if (offset !== GPU_CFG_EVENTS_CLEAR || data.length !== 4) return;
    const clear = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
    const read = this.config.u32(GPU_CFG_EVENTS_READ);
    if ((read & clear) === 0) return;
    this.config.update((c) => c.setU32(GPU_CFG_EVENTS_READ, (read & ~clear) >>> 0));
  }

  /** The platform changed an output of this guest: raise VIRTIO_GPU_EVENT_DISPLAY. */
  displayChanged(): void {
    this.config.update((c) => c.setU32(GPU_CFG_EVENTS_READ, c.u32(GPU_CFG_EVENTS_READ) | VIRTIO_GPU_EVENT_DISPLAY));
  }
  // #endregion config

  /** Connects the host's display side (null: the built-in standalone display). */
  connect(port: GpuDisplayPort | null): void {
    this.port = port ?? this.standalone;
    if (this.state) this.state.port = this.port;
  }

  /** The standalone display: frames and cursors while no compositor is connected. */
  get display(): StandaloneDisplay {
    return this.standalone;
  }

  /** Resources the guest holds now (for diagnostics and tests). */
  get resourceCount(): number {
    return this.state?.resources.size ?? 0;
  }

  get hostBytes(): number {
    return this.state?.hostBytes ?? 0;
  }

  protected onActivate(env: DeviceEnv): void {
    this.state = {
      mem: env.mem,
      features: env.features,
      numScanouts: this.numScanouts,
      limits: this.limits,
      capsets: this.capsets,
      port: this.port,
      renderer: this.opts.renderer ?? null,
      resources: new Map(),
      scanouts: Array.from({ length: this.numScanouts }, () => null),
      cursor: null,
      contexts: new Map(),
      hostBytes: 0,
    };
  }

  protected onReset(): void {
    // Everything the old driver made is gone, and nothing of it stays on screen.
    if (this.state) {
      this.state.scanouts.forEach((sc, i) => sc && this.port.present(i, null));
      if (this.state.cursor) this.port.cursor(this.state.cursor.scanout, null);
    }
    this.state = null;
    this.config.setU32(GPU_CFG_EVENTS_READ, 0);
  }

  queueNotify(index: number): void {
    if (!this.active || (index !== GPU_CONTROLQ && index !== GPU_CURSORQ)) return;
    this.drain(index, (chain) => this.serve(index, chain));
  }

  // #region serve
  /** Answers one request; returns the used length. */
  private serve(queue: number, chain: DescriptorChain): number {
    const s = this.state!;
    const w = new ChainWriter(s.mem, chain);
    const room = w.remaining >= GPU_CTRL_HDR_SIZE;
    if (!room && queue === GPU_CONTROLQ) {
      this.stats.unanswerable++; // no room for a response: the command is not executed
      return 0;
    }
    const readable = readableLength(chain);
    const head = readPrefix(s.mem, chain, GPU_CTRL_HDR_SIZE);
    if (head.length < GPU_CTRL_HDR_SIZE) {
      return this.answer(w, room, null, { ok: false, code: VIRTIO_GPU_RESP_ERR_UNSPEC, reason: `request of ${readable} bytes is shorter than the header` }, 'none');
    }
    const hdr = decodeHdr(head);
    return this.answer(w, room, hdr, this.execute(queue, chain, hdr, readable, w.remaining), gpuTypeName(hdr.type));
  }

  private execute(queue: number, chain: DescriptorChain, hdr: GpuCtrlHdr, readable: number, room: number): GpuResult {
    const s = this.state!;
    const spec = COMMANDS.get(hdr.type);
    if (!spec) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, 'unknown or unsupported command');
    if (spec.queue !== queue) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, `command belongs on queue ${spec.queue}`);
    if (spec.feature !== undefined && !hasFeature(s.features, spec.feature)) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, 'command of a feature that was not negotiated');
    if (hdr.flags & VIRTIO_GPU_FLAG_INFO_RING_IDX) {
      if (!hasFeature(s.features, VIRTIO_GPU_F_CONTEXT_INIT)) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, 'ring_idx used without VIRTIO_GPU_F_CONTEXT_INIT');
      if (hdr.ringIdx > 63) return err(VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, `ring_idx ${hdr.ringIdx} above 63`);
    }
    const base = GPU_REQ_SIZE.get(hdr.type)!;
    if (readable < base) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, `request of ${readable} bytes is shorter than the ${base} its command needs`);
    let want = base;
    const first = new Fields(readPrefix(s.mem, chain, base));
    if (hdr.type === VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING) want += Math.min(first.u32(GPU_CTRL_HDR_SIZE + 4), s.limits.maxBackingEntries) * GPU_MEM_ENTRY_SIZE;
    if (hdr.type === VIRTIO_GPU_CMD_SUBMIT_3D) want += Math.min(first.u32(GPU_CTRL_HDR_SIZE), MAX_SUBMIT_BYTES);
    const f = want === base ? first : new Fields(readPrefix(s.mem, chain, want));
    // A response that would not fit is not half-written: the command is refused before it runs.
    const need = spec.respSize(s, f);
    // A cursor command without any response buffer is still executed (drivers send them so).
    if (room < need && !(queue === GPU_CURSORQ && room === 0)) return err(VIRTIO_GPU_RESP_ERR_UNSPEC, `response needs ${need} bytes, the driver offered ${room}`);
    return spec.handler(s, { hdr, f, readable });
  }

  private answer(w: ChainWriter, room: boolean, hdr: GpuCtrlHdr | null, r: GpuResult, command: string): number {
    const type = r.ok ? r.type : r.code;
    const name = gpuTypeName(type).replace('VIRTIO_GPU_RESP_', '');
    this.stats.responses[name] = (this.stats.responses[name] ?? 0) + 1;
    if (!r.ok) this.stats.lastError = { command, response: name, reason: r.reason };
    if (hdr && hdr.flags & VIRTIO_GPU_FLAG_FENCE) {
      // Commands finish before they are answered, so a fenced response always follows the work.
      this.stats.fencesCompleted++;
      this.stats.lastFenceId = hdr.fenceId;
    }
    if (!room) {
      this.stats.cursorWithoutResponse++;
      return 0;
    }
    return writeResponse(w, type, hdr, r.ok ? r.body : undefined);
  }
  // #endregion serve
}
