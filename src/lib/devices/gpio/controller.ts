// A physical GPIO controller as the platform sees it: its lines, their names, the levels the
// vehicle drives into them, the levels the guests drive out, and the platform's line table
// that gives each line to one guest (its owner), or to several guests that may only read it.
// Guests reach it only through their own GPIO device (device.ts).
import { VIRTIO_GPIO_DIRECTION_IN, VIRTIO_GPIO_DIRECTION_NONE, VIRTIO_GPIO_DIRECTION_OUT } from './protocol.ts';

// #region line-table
/** One row of the platform's line table. */
export interface GpioLineSpec {
  /** The line's name (7-bit ASCII, unique on the controller); absent: unnamed. */
  readonly name?: string;
  /** The one guest that may configure and drive the line. */
  readonly owner?: string;
  /**
   * Guests that may only sense the line and take its interrupts. The platform holds such a line
   * as an input; it has no owner. The reverse-gear signal, which both the cluster and the
   * infotainment system watch, is one.
   */
  readonly readers?: readonly string[];
}
// #endregion line-table

export type GpioAccess = 'owner' | 'reader';

interface Pin {
  readonly spec: GpioLineSpec;
  direction: number;
  /** The level the owner drives when the line is an output. */
  out: 0 | 1;
  /** The level the outside world drives into the line. */
  in: 0 | 1;
}

export class GpioController {
  private readonly pins: Pin[];
  private readonly listeners: ((line: number, level: 0 | 1) => void)[] = [];

  constructor(opts: { lines: readonly GpioLineSpec[] }) {
    if (opts.lines.length === 0 || opts.lines.length > 0xffff) throw new RangeError('lines: 1 to 65535');
    const seen = new Set<string>();
    this.pins = opts.lines.map((spec, i) => {
      if (spec.name !== undefined) {
        // §5.18.6.1: names are 7-bit ASCII and unique within the device; a zero byte ends them.
        if (spec.name.length === 0 || ![...spec.name].every((c) => c.charCodeAt(0) > 0 && c.charCodeAt(0) < 0x80)) throw new RangeError(`line ${i}: name must be non-empty 7-bit ASCII without NUL`);
        if (seen.has(spec.name)) throw new RangeError(`line ${i}: name ${spec.name} used twice`);
        seen.add(spec.name);
      }
      if (spec.owner !== undefined && spec.readers?.length) throw new RangeError(`line ${i}: a line has either an owner or readers`);
      const shared = (spec.readers?.length ?? 0) > 0;
      return { spec, direction: shared ? VIRTIO_GPIO_DIRECTION_IN : VIRTIO_GPIO_DIRECTION_NONE, out: 0, in: 0 };
    });
  }

  get count(): number {
    return this.pins.length;
  }

  name(line: number): string | null {
    return this.pins[line]?.spec.name ?? null;
  }

  // #region access
  /** What `guest` may do with `line`: own it, only read it, or nothing (null). */
  access(line: number, guest: string): GpioAccess | null {
    const spec = this.pins[line]?.spec;
    if (!spec) return null;
    if (spec.owner === guest) return 'owner';
    return spec.readers?.includes(guest) ? 'reader' : null;
  }
  // #endregion access

  /** The physical direction of a line (an input the platform holds, for a shared line). */
  direction(line: number): number {
    return this.pins[line].direction;
  }

  /** The level on the pin: the driven value for an output, the outside level otherwise. */
  level(line: number): 0 | 1 {
    const p = this.pins[line];
    return p.direction === VIRTIO_GPIO_DIRECTION_OUT ? p.out : p.in;
  }

  /** The value the owner drives, or will drive once the line is an output (§5.18.6.5). */
  output(line: number): 0 | 1 {
    return this.pins[line].out;
  }

  /** The owner's device configures the pin. */
  configure(line: number, direction: number, out: 0 | 1): void {
    const p = this.pins[line];
    const before = this.level(line);
    p.direction = direction;
    p.out = out;
    if (this.level(line) !== before) this.changed(line);
  }

  /** The vehicle side drives a line's input level (a switch, a sensor's interrupt output). */
  drive(line: number, level: 0 | 1): void {
    const p = this.pins[line];
    if (!p) throw new RangeError(`line ${line}: the controller has ${this.pins.length}`);
    const before = this.level(line);
    p.in = level;
    if (this.level(line) !== before) this.changed(line);
  }

  /** Devices watching the lines for interrupts. */
  onChange(listener: (line: number, level: 0 | 1) => void): void {
    this.listeners.push(listener);
  }

  private changed(line: number): void {
    const level = this.level(line);
    for (const l of this.listeners) l(line, level);
  }
}
