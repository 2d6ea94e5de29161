// The guest side of a GPU device over the in-process Loopback: what a guest's virtio-gpu driver
// does to put pixels on a scanout (create a resource, back it with guest memory, draw there,
// transfer, set the scanout, flush), reduced to a few calls. raw() sends any bytes at all, for
// requests a good driver would never build.
import type { Loopback } from '../../virtio/loopback.ts';
import { GPU_CFG_EVENTS_CLEAR, GPU_CFG_EVENTS_READ, GPU_CFG_NUM_CAPSETS, GPU_CFG_NUM_SCANOUTS } from './config.ts';
import { GPU_CONTROLQ, GPU_CURSORQ } from './device.ts';
import type { GpuScanoutMode } from './display.ts';
import {
  decodeHdr,
  Fields,
  GPU_BYTES_PER_PIXEL,
  GPU_CTRL_HDR_SIZE,
  GPU_DISPLAY_ONE_SIZE,
  GPU_RESP_CAPSET_INFO_SIZE,
  GPU_RESP_DISPLAY_INFO_SIZE,
  GPU_RESP_EDID_SIZE,
  type GpuCtrlHdr,
  type GpuRect,
  gpuRequest,
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
  VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D,
  VIRTIO_GPU_CMD_UPDATE_CURSOR,
  VIRTIO_GPU_FLAG_FENCE,
  VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
} from './protocol.ts';
import { packPixels, type GpuMemEntry } from './resources.ts';

export interface GpuResponse {
  /** The response header, or null if the device wrote less than one. */
  readonly hdr: GpuCtrlHdr | null;
  /** What followed the header. */
  readonly body: Uint8Array;
  readonly len: number;
}

export interface CmdOptions {
  /** Ask for a fence with this fence_id. */
  readonly fence?: bigint;
  readonly ctxId?: number;
  /** Device-writable bytes offered for the response; default what the command's response needs. */
  readonly respLen?: number;
}

interface Backing {
  readonly entries: GpuMemEntry[];
  readonly format: number;
  readonly width: number;
  readonly height: number;
}

export class GpuDriver {
  readonly lb: Loopback;
  private nextId = 1;
  private readonly backings = new Map<number, Backing>();

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  get numScanouts(): number {
    return this.lb.device.config.u32(GPU_CFG_NUM_SCANOUTS);
  }

  get numCapsets(): number {
    return this.lb.device.config.u32(GPU_CFG_NUM_CAPSETS);
  }

  get events(): number {
    return this.lb.device.config.u32(GPU_CFG_EVENTS_READ);
  }

  clearEvents(bits: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, bits >>> 0, true);
    this.lb.device.writeConfig(GPU_CFG_EVENTS_CLEAR, b);
  }

  /** Any request bytes on a queue, with `respLen` writable bytes (0: none). */
  raw(queue: number, out: readonly Uint8Array[], respLen: number): GpuResponse {
    const c = this.lb.request(queue, out, respLen > 0 ? [respLen] : []);
    return {
      hdr: c.len >= GPU_CTRL_HDR_SIZE ? decodeHdr(c.data) : null,
      body: c.data.subarray(Math.min(c.len, GPU_CTRL_HDR_SIZE), c.len),
      len: c.len,
    };
  }

  /** One command: the header for `type` with the options' fence and context, then `fields`. */
  cmd(type: number, fields: readonly (number | bigint)[] = [], o: CmdOptions & { queue?: number; defaultResp?: number } = {}): GpuResponse {
    const hdr = { flags: o.fence !== undefined ? VIRTIO_GPU_FLAG_FENCE : 0, fenceId: o.fence ?? 0n, ctxId: o.ctxId ?? 0 };
    return this.raw(o.queue ?? GPU_CONTROLQ, [gpuRequest(type, fields, hdr)], o.respLen ?? o.defaultResp ?? GPU_CTRL_HDR_SIZE);
  }

  // #region driver-display-info
  displayInfo(o: CmdOptions = {}): { resp: GpuResponse; modes: GpuScanoutMode[] } {
    const resp = this.cmd(VIRTIO_GPU_CMD_GET_DISPLAY_INFO, [], { ...o, defaultResp: GPU_RESP_DISPLAY_INFO_SIZE });
    const modes: GpuScanoutMode[] = [];
    if (resp.body.length >= GPU_RESP_DISPLAY_INFO_SIZE - GPU_CTRL_HDR_SIZE) {
      const f = new Fields(resp.body);
      for (let i = 0; i < this.numScanouts; i++) {
        const r = f.rect(i * GPU_DISPLAY_ONE_SIZE);
        modes.push({ ...r, enabled: f.u32(i * GPU_DISPLAY_ONE_SIZE + 16) !== 0 });
      }
    }
    return { resp, modes };
  }
  // #endregion driver-display-info

  edid(scanout: number, o: CmdOptions = {}): { resp: GpuResponse; edid: Uint8Array } {
    const resp = this.cmd(VIRTIO_GPU_CMD_GET_EDID, [scanout, 0], { ...o, defaultResp: GPU_RESP_EDID_SIZE });
    const size = resp.body.length >= 8 ? new Fields(resp.body).u32(0) : 0;
    return { resp, edid: resp.body.slice(8, 8 + Math.min(size, 1024)) };
  }

  create2d(id: number, width: number, height: number, format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, o: CmdOptions = {}): GpuResponse {
    const r = this.cmd(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, [id, format, width, height], o);
    if (r.hdr?.type === 0x1100) this.nextId = Math.max(this.nextId, id + 1);
    return r;
  }

  unref(id: number, o: CmdOptions = {}): GpuResponse {
    this.backings.delete(id);
    return this.cmd(VIRTIO_GPU_CMD_RESOURCE_UNREF, [id, 0], o);
  }

  /** ATTACH_BACKING with the given entries exactly as written (for malformed lists too). */
  attachEntries(id: number, entries: readonly GpuMemEntry[], o: CmdOptions & { nrEntries?: number } = {}): GpuResponse {
    const fields: (number | bigint)[] = [id, o.nrEntries ?? entries.length];
    for (const e of entries) fields.push(e.addr, e.length, 0);
    return this.cmd(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING, fields, o);
  }

  // #region driver-backing
  /** Allocates guest memory for a width × height image and attaches it in `pieces` entries. */
  allocBacking(id: number, width: number, height: number, format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, pieces = 1, o: CmdOptions = {}): GpuResponse {
    const total = width * height * GPU_BYTES_PER_PIXEL;
    const entries: GpuMemEntry[] = [];
    let left = total;
    for (let i = 0; i < pieces; i++) {
      const len = i === pieces - 1 ? left : Math.floor(total / pieces);
      entries.push({ addr: BigInt(this.lb.alloc(len)), length: len });
      left -= len;
    }
    const r = this.attachEntries(id, entries, o);
    if (r.hdr?.type === 0x1100) this.backings.set(id, { entries, format, width, height });
    return r;
  }
  // #endregion driver-backing

  detach(id: number, o: CmdOptions = {}): GpuResponse {
    this.backings.delete(id);
    return this.cmd(VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING, [id, 0], o);
  }

  /** Draws into the guest backing of resource `id`: `paint(x, y)` gives 0xAARRGGBB. */
  draw(id: number, paint: (x: number, y: number) => number): void {
    const b = this.backings.get(id);
    if (!b) throw new Error(`resource ${id} has no backing this driver allocated`);
    const argb = new Uint32Array(b.width * b.height);
    for (let y = 0; y < b.height; y++) for (let x = 0; x < b.width; x++) argb[y * b.width + x] = paint(x, y);
    const bytes = packPixels(b.format, argb);
    let at = 0;
    for (const e of b.entries) {
      this.lb.mem.write(e.addr, bytes.subarray(at, at + e.length));
      at += e.length;
    }
  }

  transfer(id: number, r: GpuRect, offset = 0n, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, [r.x, r.y, r.width, r.height, offset, id, 0], o);
  }

  setScanout(scanout: number, id: number, r: GpuRect, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_SET_SCANOUT, [r.x, r.y, r.width, r.height, scanout, id], o);
  }

  flush(id: number, r: GpuRect, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_RESOURCE_FLUSH, [r.x, r.y, r.width, r.height, id, 0], o);
  }

  capsetInfo(index: number, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_GET_CAPSET_INFO, [index, 0], { ...o, defaultResp: GPU_RESP_CAPSET_INFO_SIZE });
  }

  capset(id: number, version: number, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_GET_CAPSET, [id, version], { ...o, defaultResp: GPU_CTRL_HDR_SIZE + 4096 });
  }

  updateCursor(scanout: number, x: number, y: number, id: number, hotX = 0, hotY = 0, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_UPDATE_CURSOR, [scanout, x, y, 0, id, hotX, hotY, 0], { ...o, queue: GPU_CURSORQ });
  }

  moveCursor(scanout: number, x: number, y: number, o: CmdOptions = {}): GpuResponse {
    return this.cmd(VIRTIO_GPU_CMD_MOVE_CURSOR, [scanout, x, y, 0, 0, 0, 0, 0], { ...o, queue: GPU_CURSORQ });
  }

  // #region driver-show
  /**
   * What a guest does to show an image: a resource of the scanout's size, backed by guest
   * memory, drawn, transferred, set on the scanout and flushed. Returns the resource ID.
   */
  show(scanout: number, width: number, height: number, paint: (x: number, y: number) => number): number {
    const id = this.nextId++;
    const rect = { x: 0, y: 0, width, height };
    expectOk(this.create2d(id, width, height), 'RESOURCE_CREATE_2D');
    expectOk(this.allocBacking(id, width, height), 'RESOURCE_ATTACH_BACKING');
    this.draw(id, paint);
    expectOk(this.transfer(id, rect), 'TRANSFER_TO_HOST_2D');
    expectOk(this.setScanout(scanout, id, rect), 'SET_SCANOUT');
    expectOk(this.flush(id, rect), 'RESOURCE_FLUSH');
    return id;
  }
  // #endregion driver-show

  /** Redraws resource `id` and flushes it again (the same resource, new pixels). */
  redraw(id: number, width: number, height: number, paint: (x: number, y: number) => number): GpuResponse {
    const rect = { x: 0, y: 0, width, height };
    this.draw(id, paint);
    expectOk(this.transfer(id, rect), 'TRANSFER_TO_HOST_2D');
    return this.flush(id, rect);
  }
}

function expectOk(r: GpuResponse, what: string): void {
  if (r.hdr?.type !== 0x1100) throw new Error(`${what} answered ${r.hdr ? `0x${r.hdr.type.toString(16)}` : 'nothing'}`);
}
