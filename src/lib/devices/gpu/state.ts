// What one GPU device holds between commands, and the shape every command handler shares: a
// handler reads its request fields, changes this state, and returns a success response or a
// VIRTIO_GPU_RESP_ERR_* code with a reason for the platform's diagnostics.
import type { Features } from '../../virtio/feature-bits.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { GpuCapset } from './capsets.ts';
import type { GpuDisplayPort, GpuFrame } from './display.ts';
import type { Fields, GpuCtrlHdr, GpuRect } from './protocol.ts';
import type { Resource2D } from './resources.ts';

export interface ScanoutState {
  resourceId: number;
  rect: GpuRect;
}

export interface CursorState {
  scanout: number;
  resourceId: number;
  x: number;
  y: number;
  hotX: number;
  hotY: number;
  /** The pointer image as it was when UPDATE_CURSOR loaded it. */
  image: GpuFrame;
}

export interface GpuLimits {
  /** Host memory for resource images, in bytes. */
  readonly hostMemory: number;
  readonly maxResources: number;
  /** Largest width or height of a 2D resource. */
  readonly maxDimension: number;
  /** Most entries in one ATTACH_BACKING scatter list. */
  readonly maxBackingEntries: number;
  readonly maxContexts: number;
}

/** A host renderer for 3D command streams; the reference model ships none. */
export type GpuRenderer = (ctxId: number, capsetId: number, commands: Uint8Array) => boolean;

export interface GpuState {
  readonly mem: GuestMemory;
  readonly features: Features;
  readonly numScanouts: number;
  readonly limits: GpuLimits;
  readonly capsets: readonly GpuCapset[];
  port: GpuDisplayPort;
  readonly renderer: GpuRenderer | null;
  readonly resources: Map<number, Resource2D>;
  readonly scanouts: (ScanoutState | null)[];
  cursor: CursorState | null;
  /** 3D contexts by ctx_id, with the capset each was created for (0: the device's choice). */
  readonly contexts: Map<number, { capsetId: number; resources: Set<number> }>;
  hostBytes: number;
}

export type GpuResult =
  | { readonly ok: true; readonly type: number; readonly body?: Uint8Array }
  | { readonly ok: false; readonly code: number; readonly reason: string };

export interface GpuRequest {
  readonly hdr: GpuCtrlHdr;
  /** The whole request, header included, as far as the device read it. */
  readonly f: Fields;
  /** Device-readable bytes the driver offered (may exceed what was read). */
  readonly readable: number;
}

export type GpuHandler = (s: GpuState, r: GpuRequest) => GpuResult;

export const ok = (type: number, body?: Uint8Array): GpuResult => ({ ok: true, type, body });
export const err = (code: number, reason: string): GpuResult => ({ ok: false, code, reason });
