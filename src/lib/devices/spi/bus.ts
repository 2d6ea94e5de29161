// A physical SPI controller and its bus as the platform sees it: the peripheral behind each
// chip select, the guest that owns each chip select, each guest's share of bus time (the
// arbiter the I2C model uses), and the wire: chip selects going active and inactive, bytes
// shifted both ways. Guests reach it only through their own SPI device (device.ts).
import type { ModelClock } from '../../virtio/model-clock.ts';
import { BusArbiter, type BusTimePolicy } from '../i2c/arbiter.ts';
import { capsError, DEFAULT_SPI_CAPS, type SpiCaps } from './config.ts';
import type { SpiPeripheral } from './peripherals.ts';
import * as P from './protocol.ts';

// #region spi-ownership
/** One guest's row of the platform's SPI table. */
export interface SpiGuestRow {
  /** The chip selects the guest owns. */
  readonly chipSelects: readonly number[];
  readonly busTime?: BusTimePolicy;
}

export interface SpiBusOptions {
  readonly name?: string;
  readonly clock?: ModelClock;
  readonly caps?: SpiCaps;
  /** Guest name to its row. A chip select appears in at most one row. */
  readonly owners: Readonly<Record<string, SpiGuestRow>>;
}
// #endregion spi-ownership

/** One transfer as the wire sees it. */
export interface SpiWireTransfer {
  readonly head: P.SpiHead;
  readonly tx: Uint8Array;
  readonly rxLen: number;
}

const reverseBits = (b: number): number => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
};

export class SpiBus {
  readonly name: string;
  readonly caps: SpiCaps;
  readonly arbiter: BusArbiter;
  private readonly rows: Readonly<Record<string, SpiGuestRow>>;
  private readonly owner = new Map<number, string>();
  private readonly peripherals = new Map<number, SpiPeripheral>();
  private faults = 0;

  constructor(opts: SpiBusOptions) {
    this.name = opts.name ?? 'spi';
    this.caps = opts.caps ?? DEFAULT_SPI_CAPS;
    const bad = capsError(this.caps);
    if (bad) throw new RangeError(`${this.name}: ${bad}`);
    this.arbiter = new BusArbiter({ clock: opts.clock });
    this.rows = opts.owners;
    for (const [guest, row] of Object.entries(opts.owners)) {
      for (const cs of row.chipSelects) {
        if (!Number.isInteger(cs) || cs < 0 || cs >= this.caps.csMaxNumber) throw new RangeError(`${this.name}: chip select ${cs} of ${guest} is past cs_max_number`);
        const was = this.owner.get(cs);
        if (was !== undefined) throw new RangeError(`${this.name}: chip select ${cs} is owned by both ${was} and ${guest}`);
        this.owner.set(cs, guest);
      }
    }
  }

  attach(cs: number, p: SpiPeripheral): this {
    if (this.peripherals.has(cs)) throw new RangeError(`${this.name}: two peripherals on chip select ${cs}`);
    this.peripherals.set(cs, p);
    return this;
  }

  ownerOf(cs: number): string | undefined {
    return this.owner.get(cs);
  }

  row(guest: string): SpiGuestRow | undefined {
    return this.rows[guest];
  }

  /** Makes the next `n` transfers fail on the wire (a controller or DMA fault), for tests. */
  injectFaults(n: number): void {
    this.faults += n;
  }

  // #region run-frame
  /**
   * Runs transfers to one chip select as one frame: the chip select goes active before the
   * first, inactive between two transfers only after one with cs_change 1, and inactive after
   * the last. A transfer that fails on the wire ends the frame there. Returns the received
   * bytes of each transfer run (null where it failed); transfers after a failure are not run.
   */
  runFrame(transfers: readonly SpiWireTransfer[]): (Uint8Array | null)[] {
    const out: (Uint8Array | null)[] = [];
    if (transfers.length === 0) return out;
    const cs = transfers[0].head.chipSelect;
    const p = this.peripherals.get(cs);
    let selected = false;
    for (const t of transfers) {
      if (this.faults > 0) {
        this.faults--;
        out.push(null);
        break;
      }
      const loop = (t.head.mode & P.VIRTIO_SPI_MODE_LOOP) !== 0;
      const lsb = (t.head.mode & P.VIRTIO_SPI_MODE_LSB_FIRST) !== 0;
      if (!selected && !loop) p?.select();
      selected = true;
      const n = Math.max(t.tx.length, t.rxLen);
      const rx = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const mosi = t.tx.length > 0 ? t.tx[i] : 0xff; // an idle MOSI line reads high
        const wire = lsb ? reverseBits(mosi) : mosi;
        // LOOP: the controller feeds MOSI back to MISO and the peripheral sees nothing.
        const miso = loop ? wire : p ? p.shift(wire) : 0xff; // no peripheral: MISO floats high
        rx[i] = lsb ? reverseBits(miso) : miso;
      }
      out.push(t.rxLen > 0 ? rx.subarray(0, t.rxLen) : new Uint8Array(0));
      if (t.head.csChange === 1 && !loop) {
        p?.deselect();
        selected = false;
      }
    }
    if (selected && !(transfers[0].head.mode & P.VIRTIO_SPI_MODE_LOOP)) p?.deselect();
    return out;
  }
  // #endregion run-frame
}
