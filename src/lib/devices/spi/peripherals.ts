// Simulated SPI peripherals for the bus model: a serial NOR flash and an 8-channel ADC. A
// peripheral sees what the wire shows: its chip select going active, bytes shifted in while
// it shifts bytes out, and its chip select going inactive, which ends a command.

// #region peripheral-interface
export interface SpiPeripheral {
  /** Chip select asserted: a new command starts. */
  select(): void;
  /** One byte in on MOSI (0xff while the controller only reads), one byte out on MISO. */
  shift(mosi: number): number;
  /** Chip select deasserted: the command ends (a flash applies a program or an erase here). */
  deselect(): void;
}
// #endregion peripheral-interface

// #region nor-flash
/**
 * A small serial NOR flash (64 KiB, 256-byte pages, 4 KiB sectors) with the common command set:
 * RDID 0x9F, RDSR 0x05, WREN 0x06, WRDI 0x04, READ 0x03, PAGE PROGRAM 0x02, SECTOR ERASE 0x20.
 * Programming only clears bits; an erase sets a sector to 0xFF. A program or erase needs the
 * write-enable latch and clears it; both take effect when the chip select goes inactive, so
 * a command cut short by a chip select that went away early changes nothing.
 */
export class NorFlash implements SpiPeripheral {
  static readonly JEDEC_ID = [0xef, 0x40, 0x10]; // manufacturer 0xEF, type 0x40, 2^16 bytes
  readonly bytes = new Uint8Array(1 << 16).fill(0xff);
  private wel = false;
  private cmd: number[] = [];
  private readAddr = 0;
  /** Commands seen (opcodes), for tests. */
  readonly log: number[] = [];

  select(): void {
    this.cmd = [];
  }

  shift(mosi: number): number {
    const c = this.cmd;
    c.push(mosi);
    const op = c[0];
    if (c.length === 1) this.log.push(op);
    switch (op) {
      case 0x9f:
        return c.length >= 2 && c.length <= 4 ? NorFlash.JEDEC_ID[c.length - 2] : 0xff;
      case 0x05:
        return c.length >= 2 ? (this.wel ? 0x02 : 0x00) : 0xff;
      case 0x03: {
        if (c.length === 4) this.readAddr = ((c[1] << 16) | (c[2] << 8) | c[3]) & 0xffff;
        if (c.length <= 4) return 0xff;
        const b = this.bytes[this.readAddr];
        this.readAddr = (this.readAddr + 1) & 0xffff;
        return b;
      }
      default:
        return 0xff;
    }
  }

  deselect(): void {
    const [op, ...rest] = this.cmd;
    this.cmd = [];
    if (op === 0x06) this.wel = true;
    else if (op === 0x04) this.wel = false;
    else if ((op === 0x02 || op === 0x20) && this.wel && rest.length >= 3) {
      const addr = ((rest[0] << 16) | (rest[1] << 8) | rest[2]) & 0xffff;
      if (op === 0x20) this.bytes.fill(0xff, addr & ~0xfff, (addr & ~0xfff) + 0x1000);
      else {
        const page = addr & ~0xff;
        rest.slice(3).forEach((b, i) => (this.bytes[page + ((addr + i) & 0xff)] &= b));
      }
      this.wel = false;
    }
  }
}
// #endregion nor-flash

// #region adc
/**
 * An MCP3008-style 10-bit ADC with 8 inputs and a 3.3 V reference. A conversion is three bytes
 * full duplex: a start bit (0x01), then single-ended mode and the channel in the top nibble
 * (0x80 | ch << 4), then any byte; the answer's second byte carries result bits 9..8 in its
 * low two bits and the third byte bits 7..0.
 */
export class Adc implements SpiPeripheral {
  readonly vrefMv = 3300;
  /** Millivolts on each input, as the vehicle side sets them. */
  readonly inputsMv: number[] = new Array(8).fill(0);
  private pos = 0;
  private code = 0;
  conversions = 0;

  static decode(rx: Uint8Array): number {
    return ((rx[1] & 0x3) << 8) | rx[2];
  }

  select(): void {
    this.pos = 0;
  }

  shift(mosi: number): number {
    const at = this.pos++;
    if (at === 1) {
      const ch = (mosi >> 4) & 0x7;
      this.code = Math.max(0, Math.min(1023, Math.round((this.inputsMv[ch] / this.vrefMv) * 1023)));
      this.conversions++;
      return (this.code >> 8) & 0x3;
    }
    if (at === 2) return this.code & 0xff;
    return 0;
  }

  deselect(): void {
    this.pos = 0;
  }
}
// #endregion adc
