// What a GPU device shows its frames to: the host's display side. The device does not own a
// screen; a platform component (the compositor of compositor.ts, or nothing at all) answers
// which scanouts are connected and at what size, and receives the frames the guest flushes.
// Keeping this an interface is what lets several guests' GPUs share one physical panel.

// #region display-port
export interface GpuScanoutMode {
  /** Preferred position and size, as GET_DISPLAY_INFO reports them. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Connected and shown: the `enabled` field of GET_DISPLAY_INFO. */
  readonly enabled: boolean;
}

/** One flushed scanout image: width × height pixels, 0xAARRGGBB, row by row. */
export interface GpuFrame {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint32Array;
}

export interface GpuCursorState {
  readonly image: GpuFrame;
  readonly x: number;
  readonly y: number;
  readonly hotX: number;
  readonly hotY: number;
}

export interface GpuDisplayPort {
  /** The mode of scanout `id`, or null where the platform gives this guest no output there. */
  mode(id: number): GpuScanoutMode | null;
  /** A new image for scanout `id`; null when the guest disabled the scanout. Must not block. */
  present(id: number, frame: GpuFrame | null): void;
  /** The cursor of scanout `id` changed; null hides it. */
  cursor(id: number, state: GpuCursorState | null): void;
}
// #endregion display-port

/** The display side when no compositor is connected: fixed modes, frames kept for inspection. */
export class StandaloneDisplay implements GpuDisplayPort {
  readonly modes: readonly (GpuScanoutMode | null)[];
  readonly frames = new Map<number, GpuFrame | null>();
  readonly cursors = new Map<number, GpuCursorState | null>();
  presented = 0;

  constructor(modes: readonly ({ width: number; height: number } | null)[]) {
    let x = 0;
    this.modes = modes.map((m) => {
      if (!m) return null;
      const mode = { x, y: 0, width: m.width, height: m.height, enabled: true };
      x += m.width;
      return mode;
    });
  }

  mode(id: number): GpuScanoutMode | null {
    return this.modes[id] ?? null;
  }

  present(id: number, frame: GpuFrame | null): void {
    this.presented++;
    this.frames.set(id, frame);
  }

  cursor(id: number, state: GpuCursorState | null): void {
    this.cursors.set(id, state);
  }
}
