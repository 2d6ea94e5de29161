// The platform compositor: the one owner of a physical panel. Guests never touch the panel; each
// guest's GPU device presents its scanouts to a port of this compositor, and a fixed policy,
// written by the integrator, says which guest scanout appears where and in which order
// (layers with rectangles and z-order). Above every layer sits the protected telltale plane,
// driven by the safety domain: it is drawn last on every refresh, its area is opaque, and
// guests' frames can neither cover it nor make its composition wait, because a guest's flush
// only replaces the one frame waiting in its layer's mailbox and the compositor runs on its
// own refresh clock (vsync()), never on a guest's request.
import type { GpuDevice } from './device.ts';
import type { GpuCursorState, GpuDisplayPort, GpuFrame, GpuScanoutMode } from './display.ts';
import type { GpuRect } from './protocol.ts';
import { type Argb, rectInside } from './resources.ts';
import type { TelltaleDef } from './telltales.ts';

// #region policy
export interface LayerPolicy {
  /** The guest that owns this layer, and which of its scanouts feeds it. */
  readonly guest: string;
  readonly scanout: number;
  /** Where on the panel the scanout appears; its size is the mode the guest is told. */
  readonly rect: GpuRect;
  /** Stacking order among guest layers: higher is nearer the viewer. */
  readonly z: number;
}

export interface CompositorPolicy {
  readonly panel: { readonly width: number; readonly height: number };
  readonly background?: Argb;
  readonly layers: readonly LayerPolicy[];
  /** The protected plane: always above every guest layer; its z is not configurable. */
  readonly telltalePlane: { readonly rect: GpuRect; readonly background?: Argb; readonly telltales: readonly TelltaleDef[] };
}

/** Every way a policy breaks the compositor's rules; empty when it is valid. */
export function policyErrors(p: CompositorPolicy): string[] {
  const out: string[] = [];
  const { width, height } = p.panel;
  if (!(width > 0 && height > 0)) out.push('the panel has no area');
  const owners = new Set<string>();
  const zs = new Set<number>();
  for (const l of p.layers) {
    const name = `${l.guest}:${l.scanout}`;
    if (!rectInside(l.rect, width, height)) out.push(`layer ${name} is not inside the panel`);
    if (owners.has(name)) out.push(`scanout ${name} has two layers`);
    if (zs.has(l.z)) out.push(`two layers share z ${l.z}: their order would be undefined`);
    owners.add(name);
    zs.add(l.z);
  }
  const t = p.telltalePlane;
  if (!rectInside(t.rect, width, height)) out.push('the telltale plane is not inside the panel');
  for (const tt of t.telltales) {
    const w = Math.max(0, ...tt.glyph.map((r) => r.length));
    if (!rectInside({ x: tt.x, y: tt.y, width: w, height: tt.glyph.length }, t.rect.width, t.rect.height)) out.push(`telltale ${tt.id} is not inside the telltale plane`);
  }
  return out;
}
// #endregion policy

interface Layer {
  readonly policy: LayerPolicy;
  /** The newest frame the guest flushed since the last refresh: a mailbox of one. */
  pending: GpuFrame | null;
  /** The frame shown now; null: the guest shows nothing (the layer is transparent). */
  current: GpuFrame | null;
  cursor: GpuCursorState | null;
  stats: { presented: number; superseded: number; latched: number };
}

export interface ComposedFrame {
  readonly seq: number;
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint32Array;
  /** Telltales lit in this frame. */
  readonly telltales: readonly string[];
  /** Whether the telltale area of the output equals the telltale plane, read back after composition. */
  readonly telltaleCheck: boolean;
  /** Pixels written by this refresh: bounded by the policy, never by what guests sent. */
  readonly work: number;
}

export class Compositor {
  readonly policy: CompositorPolicy;
  private readonly layers: Layer[];
  private readonly lit = new Set<string>();
  private readonly devices = new Map<string, GpuDevice>();
  private seq = 0;
  /** Frames presented for a scanout the policy gives no layer: dropped. */
  unrouted = 0;

  constructor(policy: CompositorPolicy) {
    const errors = policyErrors(policy);
    if (errors.length > 0) throw new RangeError(`compositor policy: ${errors.join('; ')}`);
    this.policy = policy;
    this.layers = [...policy.layers]
      .sort((a, b) => a.z - b.z)
      .map((p) => ({ policy: p, pending: null, current: null, cursor: null, stats: { presented: 0, superseded: 0, latched: 0 } }));
  }

  // #region attach
  /** Gives `guest`'s GPU its view of the panel and tells its driver the outputs changed. */
  attach(guest: string, dev: GpuDevice): GpuDisplayPort {
    const mine = (id: number) => this.layers.find((l) => l.policy.guest === guest && l.policy.scanout === id);
    const port: GpuDisplayPort = {
      mode: (id): GpuScanoutMode | null => {
        const l = mine(id);
        return l ? { ...l.policy.rect, enabled: true } : null;
      },
      present: (id, frame) => {
        const l = mine(id);
        if (!l) {
          this.unrouted++;
          return;
        }
        l.stats.presented++;
        if (frame === null) {
          l.pending = null;
          l.current = null; // the guest switched its scanout off: its layer goes transparent
          return;
        }
        if (l.pending) l.stats.superseded++; // never a queue: only the newest frame waits
        l.pending = frame;
      },
      cursor: (id, state) => {
        const l = mine(id);
        if (l) l.cursor = state;
      },
    };
    this.devices.set(guest, dev);
    dev.connect(port);
    dev.displayChanged();
    return port;
  }
  // #endregion attach

  /** The safety domain's input: a telltale's state, shown from the next refresh on. */
  setTelltale(id: string, on: boolean): void {
    if (!this.policy.telltalePlane.telltales.some((t) => t.id === id)) throw new RangeError(`no telltale "${id}"`);
    if (on) this.lit.add(id);
    else this.lit.delete(id);
  }

  layerStats(guest: string, scanout: number): Layer['stats'] | null {
    return this.layers.find((l) => l.policy.guest === guest && l.policy.scanout === scanout)?.stats ?? null;
  }

  // #region vsync
  /** One refresh of the panel, on the compositor's own clock. */
  vsync(): ComposedFrame {
    const { width, height } = this.policy.panel;
    const out = new Uint32Array(width * height).fill(this.policy.background ?? 0xff000000);
    let work = out.length;
    // Guest layers, lowest z first; each takes the newest frame its guest flushed, if any.
    for (const l of this.layers) {
      if (l.pending) {
        l.current = l.pending;
        l.pending = null;
        l.stats.latched++;
      }
      if (l.current) work += blit(out, width, l.current, l.policy.rect, 0, 0);
      const c = l.cursor;
      if (c) work += blit(out, width, c.image, l.policy.rect, c.x - c.hotX, c.y - c.hotY, true);
    }
    // The protected plane, last and unconditionally: nothing drawn before it can show through.
    const plane = this.telltalePlane();
    work += blit(out, width, plane, this.policy.telltalePlane.rect, 0, 0);
    const check = this.readBack(out, plane);
    return { seq: ++this.seq, width, height, pixels: out, telltales: [...this.lit].sort(), telltaleCheck: check, work };
  }
  // #endregion vsync

  /** The telltale plane as the safety domain wants it: opaque, lit glyphs on its background. */
  private telltalePlane(): GpuFrame {
    const t = this.policy.telltalePlane;
    const pixels = new Uint32Array(t.rect.width * t.rect.height).fill(t.background ?? 0xff101010);
    for (const tt of t.telltales) {
      if (!this.lit.has(tt.id)) continue;
      tt.glyph.forEach((row, y) => {
        for (let x = 0; x < row.length; x++) if (row[x] === '#') pixels[(tt.y + y) * t.rect.width + tt.x + x] = tt.color;
      });
    }
    return { width: t.rect.width, height: t.rect.height, pixels };
  }

  /** The read-back a safety monitor performs on the output: the plane's area must match exactly. */
  private readBack(out: Uint32Array, plane: GpuFrame): boolean {
    const r = this.policy.telltalePlane.rect;
    for (let y = 0; y < r.height; y++) {
      for (let x = 0; x < r.width; x++) if (out[(r.y + y) * this.policy.panel.width + r.x + x] !== plane.pixels[y * r.width + x]) return false;
    }
    return true;
  }
}

/**
 * Copies `src` into `clip` of the panel with its top-left at (clip.x + dx, clip.y + dy),
 * clipped to `clip`; with `keyed`, fully transparent pixels are skipped (a cursor's outline).
 * Returns the pixels written.
 */
function blit(out: Uint32Array, panelWidth: number, src: GpuFrame, clip: GpuRect, dx: number, dy: number, keyed = false): number {
  let n = 0;
  const x0 = Math.max(0, dx);
  const y0 = Math.max(0, dy);
  const x1 = Math.min(clip.width, dx + src.width);
  const y1 = Math.min(clip.height, dy + src.height);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const p = src.pixels[(y - dy) * src.width + (x - dx)];
      if (keyed && p >>> 24 === 0) continue;
      out[(clip.y + y) * panelWidth + clip.x + x] = (p | 0xff000000) >>> 0; // guest layers are opaque
      n++;
    }
  }
  return n;
}
